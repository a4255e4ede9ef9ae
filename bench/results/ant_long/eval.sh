#!/usr/bin/env bash
# The ant's final models at the shipped tick on 10 held-out crippled-leg tasks (leg 3, seeds 100-109,
# 600 steps). Usage: bash bench/results/ant_long/eval.sh NAME [FOLDER]  (no FOLDER: the shipped checkpoints)
set -euo pipefail
N=$1; CK=${2:+--checkpoints $2}
MUJOCO_GL=disable .venv/bin/python bench/step_ticks.py --robot ant --family crippled_leg --split test \
  --methods grbal mb --seeds $(seq 100 109) --threads 1 $CK \
  --config adaptive_control/assets/ant.yaml --step-ticks 2 \
  --json bench/results/ant_long/$N.json
