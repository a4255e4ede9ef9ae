#!/usr/bin/env bash
# Issue 11, 2026-12-05: `adaptive-control select` over a draw's three GrBAL candidates (the recipe's
# SELECT_* defaults: 10 validation episodes, seeds 900-909, from the crippled leg's TRAINING range, one
# worker), then every candidate at the shipped tick on the 20 held-out crippled-leg tasks (seeds 100-119)
# so the choice can be judged; candidate 1's held-out run is bench/results/ref_draws/noref_seed$S_grbal.json.
# Usage, from the repository root: bash bench/results/candidates/select.sh <SEED>
set -euo pipefail
S=$1; R=runs/noref_draw_seed$S; B=bench/results/candidates
export MUJOCO_GL=disable
cp $R/final/grbal.pt $R/grbal_1.pt
.venv/bin/adaptive-control select --robot half_cheetah --family crippled_leg --seeds $(seq 900 909) --steps 1000 \
  --workers 1 --candidates $R/grbal_1.pt $R/grbal_2.pt $R/grbal_3.pt --out $R/grbal_selected.pt --json $B/select_seed$S.json
for c in 2 3; do
  mkdir -p $R/cand$c; cp $R/grbal_$c.pt $R/cand$c/grbal.pt
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods grbal \
    --seeds $(seq 100 119) --threads 1 --checkpoints $R/cand$c \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/seed${S}_cand${c}_grbal.json
done
