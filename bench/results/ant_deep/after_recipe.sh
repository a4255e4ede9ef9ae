#!/usr/bin/env bash
# The part of run.sh after the recipe: the 2x256 arm's evaluation beside the 3x256 training, then the 3x256
# arm's evaluation (bench/results/ant_deep/run.sh runs it; on its own it resumes a draw whose recipe finished).
# Usage: bash bench/results/ant_deep/after_recipe.sh <SEED>   (after runs/ant_deep/seed<S>/final/grbal.pt exists)
set -euo pipefail
S=$1; R=runs/ant_deep/seed$S; B=bench/results/ant_deep; CLI=.venv/bin/adaptive-control
export MUJOCO_GL=disable
[ -f $R/final/grbal.pt ] || { echo "no $R/final/grbal.pt: run the recipe first (run.sh)" >&2; exit 2; }
ev() { .venv/bin/python bench/step_ticks.py --robot ant --family crippled_leg --split test --methods grbal mb \
  --seeds $(seq 100 109) --threads 1 --checkpoints $R/$1 \
  --config adaptive_control/assets/ant.yaml --step-ticks 2 --json $B/seed${S}_$2.json; }
ev final 2x256 &
data="$R/data_0.npz"; for i in 1 2 3; do data="$data $R/data_${i}_grbal.npz $R/data_${i}_mb.npz"; done
mkdir -p $R/final3x256
$CLI meta-train --robot ant --config results/quality/model_size/ant_3x256.yaml --steps 12000 --threads 1 --seed $S \
  --method mb --data $data --out $R/final3x256/mb.pt
$CLI meta-train --robot ant --config results/quality/model_size/ant_3x256.yaml --steps 12000 --threads 1 --seed $S \
  --method grbal --init $R/final3x256/mb.pt --data $data --out $R/final3x256/grbal.pt
ev final3x256 3x256
wait
