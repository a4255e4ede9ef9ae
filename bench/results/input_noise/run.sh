#!/usr/bin/env bash
# Issue 11, 2026-12-07 (docs/control_quality.md "Noise on the training inputs"): the final MB of one existing recipe draw
# (runs/draws/seed<S>/draw<c>: random paths and MPC rounds 1-3 of `make checkpoints DRAWS=2 SEED=<S>`, draw c's
# SEED being S + 100 (c - 1)) retrained exactly as the recipe trained it (12,000 steps, the draw's SEED, one thread)
# but with an experiment YAML, then run at the shipped tick on the 20 held-out crippled-leg tasks (seeds 100-119):
# paired with the draw's own MB (bench/results/draws/seed<S>_draw<c>_mb.json), which differs only in the YAML.
# Usage, from the repository root: bash bench/results/input_noise/run.sh <name> <experiment.yaml> <S> <c>
# writes runs/input_noise/<name>_seed<S>_draw<c>/mb.pt and bench/results/input_noise/<name>_seed<S>_draw<c>_mb.json
set -euo pipefail
NAME=$1; C=$2; S=$3; D=$4
R=runs/draws/seed$S/draw$D; O=runs/input_noise/${NAME}_seed${S}_draw$D; B=bench/results/input_noise
[ -f "$C" ] || { echo "no experiment YAML $C" >&2; exit 2; }
[ -f "$R/data_3_mb.npz" ] || { echo "no draw files in $R (bench/results/draws/run.sh $S makes them)" >&2; exit 2; }
export MUJOCO_GL=disable
mkdir -p $O $B
data="$R/data_0.npz"; for i in 1 2 3; do data="$data $R/data_${i}_grbal.npz $R/data_${i}_mb.npz"; done
start=$(date +%s)
.venv/bin/adaptive-control meta-train --robot half_cheetah --config $C --steps 12000 --threads 1 --seed $((S + 100 * (D - 1))) \
  --method mb --data $data --out $O/mb.pt
echo "training wall clock: $(( $(date +%s) - start )) s" | tee $O/wall_clock.txt
.venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods mb \
  --seeds $(seq 100 119) --threads 1 --checkpoints $O \
  --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/${NAME}_seed${S}_draw${D}_mb.json
