#!/usr/bin/env bash
# Issue 11, 2026-12-04 (docs/control_quality.md "Reference paths", last two rows): suite draw 2's data plus the
# "Counterfactual branches" round 4 (arm a, runs/branch_s2 from bench/results/branches/run.sh), with 24
# reference paths (seed 7000) added; MB and GrBAL (from the draw's MB, as arm a) at training seeds 2 and
# 12, against arm a's a_2 / a_12 (bench/results/branches/offpath_a_*.json, seeds 110-119 of GrBAL in
# base_a_*_grbal_110.json here). Usage, from the repository root: bash bench/results/reference_paths/round4.sh
set -euo pipefail
D=runs/suite_range_seed2; W=runs/branch_s2; O=${OUT:-runs/refdata}; R=bench/results/reference_paths
CLI=.venv/bin/adaptive-control
export MUJOCO_GL=disable
mkdir -p $O
[ -f $O/ref24.npz ] || $CLI collect --robot half_cheetah --policy mpc --method true_dynamics --samples 100 --horizon 10 \
  --paths 24 --path-length 500 --seed 7000 --threads 1 --workers 2 --out $O/ref24.npz
DATA="$D/data_0.npz $D/data_1_grbal.npz $D/data_1_mb.npz $D/data_2_grbal.npz $D/data_2_mb.npz $D/data_3_grbal.npz $D/data_3_mb.npz $W/data_4_grbal.npz $W/data_4_mb.npz $O/ref24.npz"
train() {  # METHOD SEED
  local init=; [ $1 = grbal ] && init="--init $D/mb.pt"
  mkdir -p $O/r_$2
  $CLI meta-train --robot half_cheetah --steps 12000 --threads 1 --seed $2 --method $1 $init --data $DATA --out $O/r_$2/$1.pt
}
evaluate() {  # CHECKPOINTS METHOD SEEDS... -> JSON name from $J
  local ck=$1 m=$2; shift 2
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods $m \
    --seeds "$@" --threads 1 --checkpoints $ck --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $J
}
train mb 2 & train mb 12 & wait
train grbal 2 & train grbal 12 & wait
for s in 2 12; do for m in mb grbal; do J=$R/round4_r_${s}_$m.json evaluate $O/r_$s $m $(seq 100 119) & done; wait; done
for a in a_2 a_12; do J=$R/base_${a}_grbal_110.json evaluate $W/$a grbal $(seq 110 119) & done; wait
