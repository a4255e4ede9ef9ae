#!/usr/bin/env bash
# Issue 11, 2026-12-05 (README "Three trainings per draw, one kept"): is a weak draw weak for want of data?
# The final MB and GrBAL of the recipe (12,000 steps each, GrBAL from that MB, one torch thread) trained
# on the POOLED data of the three weak default draws (SEED=1, 2, 4: their random paths and all their MPC
# rounds, 21 files, three times one draw's data), training seed $T, then GrBAL at the shipped tick on the
# 20 held-out crippled-leg tasks (seeds 100-119).
# Usage, from the repository root: bash bench/results/pooled_data/run.sh <training seed>
set -euo pipefail
T=$1; O=runs/pooled_124_seed$T; B=bench/results/pooled_data
mkdir -p $O/final
DATA=$(ls runs/noref_draw_seed{1,2,4}/data_*.npz)
.venv/bin/adaptive-control meta-train --robot half_cheetah --steps 12000 --threads 1 --seed $T --method mb \
  --data $DATA --out $O/mb.pt
.venv/bin/adaptive-control meta-train --robot half_cheetah --steps 12000 --threads 1 --seed $T --method grbal \
  --init $O/mb.pt --data $DATA --out $O/grbal.pt
cp $O/mb.pt $O/grbal.pt $O/final/
for M in grbal mb; do
  MUJOCO_GL=disable .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test \
    --methods $M --seeds $(seq 100 119) --threads 1 --checkpoints $O/final \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/seed${T}_$M.json
done
