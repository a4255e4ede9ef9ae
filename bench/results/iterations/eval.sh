#!/usr/bin/env bash
# Issue 11, 2026-12-05 (docs/control_quality.md "Two MPPI iterations"): two MPPI iterations per plan at the shipped
# temperature and K=250 (the shipped plan's compute), GrBAL on the 20 held-out
# crippled-leg tasks (seeds 100-119, 1000 steps, the shipped tick otherwise), for the shipped checkpoint
# and the four draws of today's default recipe (runs/noref_draw_seed$S/final, docs/control_quality.md "Whole draws").
# Usage, from the repository root: bash bench/results/iterations/eval.sh k250 <shipped|1|2|3|4> [method]
set -euo pipefail
K=$1; D=$2; M=${3:-grbal}
R=bench/results/iterations
if [ "$D" = shipped ]; then CK=adaptive_control/assets/half_cheetah; else CK=runs/noref_draw_seed$D/final; fi
MUJOCO_GL=disable .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test \
  --methods $M --seeds $(seq 100 119) --threads 1 --checkpoints $CK \
  --config $R/half_cheetah_it2_$K.yaml --step-ticks 3 --json $R/it2_${K}_${D}_$M.json
