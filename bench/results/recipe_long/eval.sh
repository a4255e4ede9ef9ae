#!/usr/bin/env bash
# Evaluate one draw's final models (4,000 steps: final/, 3x longer: long12000/) at the shipped tick on
# the 20 held-out crippled-leg tasks, seeds 100-119. Usage: bash bench/results/recipe_long/eval.sh S FOLDER
set -euo pipefail
S=$1; F=$2
MUJOCO_GL=disable .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test \
  --methods grbal mb --seeds $(seq 100 119) --threads 1 --checkpoints runs/hc_shipcfg_seed$S/$F \
  --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 \
  --json bench/results/recipe_long/seed${S}_$F.json
