#!/usr/bin/env bash
# Issue 11, 2026-12-06: a draw's final GrBAL trained again exactly as the draw's own (from the draw's final MB, on
# the random paths and rounds 1-3, 12,000 steps, the draw's SEED) but with another experiment YAML, then at the
# shipped tick on the held-out crippled-leg tasks (seeds 100-119; EVAL_SEEDS to change), paired with the draw's own
# GrBAL (bench/results/draws/seed<S>_draw<c>_grbal.json) and MB. Only the YAML differs.
# Usage, from the repository root: [EVAL_SEEDS="..."] bash bench/results/prior_keep/arm.sh <name> <experiment.yaml> <RUN SEED> <draw c>
# (a draw of bench/results/draws/run.sh: runs/draws/seed<S>/draw<c>, trained with SEED = S + 100 (c - 1))
# writes runs/prior_keep/seed<S>_draw<c>/<name>/grbal.pt and bench/results/prior_keep/seed<S>_draw<c>_<name>_grbal.json
set -euo pipefail
N=$1; C=$2; S=$3; c=$4; R=runs/draws/seed$S/draw$c; O=runs/prior_keep/seed${S}_draw$c/$N; B=bench/results/prior_keep
[ -f "$C" ] || { echo "no experiment YAML $C" >&2; exit 2; }
[ -f $R/final/mb.pt ] || { echo "no $R/final/mb.pt (bash bench/results/draws/run.sh $S)" >&2; exit 2; }
export MUJOCO_GL=disable
mkdir -p $O
data="$R/data_0.npz"; for i in 1 2 3; do data="$data $R/data_${i}_grbal.npz $R/data_${i}_mb.npz"; done
.venv/bin/adaptive-control meta-train --robot half_cheetah --config $C --steps 12000 --threads 1 \
  --seed $((S + 100 * (c - 1))) --method grbal --init $R/final/mb.pt --data $data --out $O/grbal.pt
.venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods grbal \
  --seeds ${EVAL_SEEDS:-$(seq -s " " 100 119)} --threads 1 --checkpoints $O --config adaptive_control/assets/half_cheetah.yaml \
  --step-ticks 3 --json $B/seed${S}_draw${c}_${N}_grbal.json
