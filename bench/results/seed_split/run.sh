#!/usr/bin/env bash
# Issue 11, 2026-12-04 (docs/control_quality.md "Within the seed"): does the training seed move a model's return through
# its initialisation and window order, or through the train/validation split it also draws?
# MB on suite draw 2's data plus the "Counterfactual branches" round 4 (arm a, no branches), seeds crossed
# with `meta-train --split-seed`; cells (2, 2) and (12, 12) are that arm's a_2 / a_12 MB
# (bench/results/branches/offpath_a_2_mb*.json, offpath_a_12_mb_20.json: the same episodes' returns).
# Then a mean-prediction ensemble of the four (bench/ensemble_probe.py). Run from the repository root
# after bench/results/branches/run.sh (which makes runs/branch_s2):
#   bash bench/results/seed_split/run.sh
set -euo pipefail
D=${DRAW:-runs/suite_range_seed2}; W=${WORK:-runs/branch_s2}; O=${OUT:-runs/seedsplit}; R=bench/results/seed_split
DATA="$D/data_0.npz $D/data_1_grbal.npz $D/data_1_mb.npz $D/data_2_grbal.npz $D/data_2_mb.npz $D/data_3_grbal.npz $D/data_3_mb.npz $W/data_4_grbal.npz $W/data_4_mb.npz"
export MUJOCO_GL=disable
train() {  # INIT_SEED SPLIT_SEED
  mkdir -p $O/i$1_s$2
  .venv/bin/adaptive-control meta-train --robot half_cheetah --steps 12000 --threads 1 --seed $1 --split-seed $2 \
    --method mb --data $DATA --out $O/i$1_s$2/mb.pt
}
evaluate() {  # NAME
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods mb \
    --seeds $(seq 100 119) --threads 1 --checkpoints $O/$1 --config adaptive_control/assets/half_cheetah.yaml \
    --step-ticks 3 --json $R/$1_mb.json
}
train 2 12 & train 12 2 & wait
evaluate i2_s12 & evaluate i12_s2 & wait
S="$W/a_2/mb.pt $O/i2_s12/mb.pt $O/i12_s2/mb.pt $W/a_12/mb.pt"
.venv/bin/python bench/ensemble_probe.py --method mb --samples 500 --seeds $(seq 100 119) --json $R/ensemble4_k500.json $S &
.venv/bin/python bench/ensemble_probe.py --method mb --samples 125 --seeds $(seq 100 119) --json $R/ensemble4_k125.json $S &
wait
