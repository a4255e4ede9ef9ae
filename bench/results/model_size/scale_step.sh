#!/usr/bin/env bash
# Issue 11, 2026-12-06: a final_draw.sh draw's GrBAL with its learned step sizes times <factor>
# (scale_step.py), at the shipped tick on the 20 held-out crippled-leg tasks (seeds 100-119).
# Usage, from the repository root: bash bench/results/model_size/scale_step.sh <SEED> <factor>
# writes bench/results/model_size/final3x256pw1_seed<SEED>_step<factor>_grbal.json
set -euo pipefail
S=$1; F=$2; R=runs/model_size/final3x256pw1_seed$S; O=$R/step$F; B=bench/results/model_size
export MUJOCO_GL=disable
.venv/bin/python bench/results/model_size/scale_step.py $R/final/grbal.pt $F $O
.venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods grbal \
  --seeds $(seq 100 119) --threads 1 --checkpoints $O \
  --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/final3x256pw1_seed${S}_step${F}_grbal.json
