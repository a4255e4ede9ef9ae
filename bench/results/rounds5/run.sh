#!/usr/bin/env bash
# Issue 11, 2026-12-05: one whole half-cheetah draw of today's default recipe with five aggregation rounds
# instead of three (AGG_ROUNDS="1 2 3 4 5"; rounds 1-3 collect exactly as the three-round draw of the same
# SEED, only round 3's training is 4,000 steps instead of the final 12,000), then its final GrBAL and MB at
# the shipped tick on the 20 held-out crippled-leg tasks (seeds 100-119). The three-round draws are
# in three_rounds.sh (paired) and bench/results/ref_draws (2026-12-04's code). Table: python bench/results/rounds5/table.py
# Usage, from the repository root: bash bench/results/rounds5/run.sh <SEED>
set -euo pipefail
S=$1; R=runs/rounds5_seed$S; B=bench/results/rounds5
export MUJOCO_GL=disable
start=$(date +%s)
make checkpoints SEED=$S AGG_ROUNDS="1 2 3 4 5" THREADS=1 REBAL=no RUNS=$R DEST=$R/final
echo "recipe wall clock: $(( $(date +%s) - start )) s" | tee $R/wall_clock.txt
for M in grbal mb; do
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods $M \
    --seeds $(seq 100 119) --threads 1 --checkpoints $R/final \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/seed${S}_$M.json
done
