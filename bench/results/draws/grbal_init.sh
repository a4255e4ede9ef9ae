#!/usr/bin/env bash
# Issue 11, 2026-12-06: for one draw of a DRAWS=2 run, GrBAL's online step on the draw's MB itself (never
# meta-trained: bench/results/draws/grbal_init.yaml), then at the shipped tick on the first 10 held-out
# crippled-leg tasks, beside the draw's MB and meta-trained GrBAL.
# Usage, from the repository root: bash bench/results/draws/grbal_init.sh <RUN SEED> <draw c>
# writes runs/draws/seed<S>/draw<c>_grbal_init/grbal.pt and bench/results/draws/seed<S>_draw<c>_grbal_init.json
set -euo pipefail
S=$1; c=$2; R=runs/draws/seed$S/draw$c; O=runs/draws/seed$S/draw${c}_grbal_init
[ -f $R/final/mb.pt ] || { echo "no $R/final/mb.pt (bash bench/results/draws/run.sh $S)" >&2; exit 2; }
export MUJOCO_GL=disable
mkdir -p $O
data="$R/data_0.npz"; for i in 1 2 3; do data="$data $R/data_${i}_grbal.npz $R/data_${i}_mb.npz"; done
.venv/bin/adaptive-control meta-train --robot half_cheetah --config bench/results/draws/grbal_init.yaml --steps 1 \
  --threads 1 --seed $((S + 100 * (c - 1))) --method grbal --init $R/final/mb.pt --data $data --out $O/grbal.pt
.venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods grbal \
  --seeds $(seq 100 109) --threads 1 --checkpoints $O --config adaptive_control/assets/half_cheetah.yaml \
  --step-ticks 3 --json bench/results/draws/seed${S}_draw${c}_grbal_init.json
