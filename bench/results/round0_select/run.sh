#!/usr/bin/env bash
# Issue 11, 2026-12-05: one whole half-cheetah draw of today's default recipe with ROUND0_CANDIDATES=3
# (three MB/GrBAL pairs trained on the random paths, the validation choice drives the first MPC round),
# then its final GrBAL and MB at the shipped tick on the 20 held-out crippled-leg tasks (seeds 100-119).
# Compare with the same SEED without it: bench/results/ref_draws/noref_seed<S>_{grbal,mb}.json.
# Usage, from the repository root: bash bench/results/round0_select/run.sh <SEED>
set -euo pipefail
S=$1; R=runs/r0sel_seed$S; B=bench/results/round0_select
export MUJOCO_GL=disable
make checkpoints SEED=$S ROUND0_CANDIDATES=3 THREADS=1 REBAL=no RUNS=$R DEST=$R/final
cp $R/select_r0_mb.json $B/select_r0_mb_seed$S.json; cp $R/select_r0_grbal.json $B/select_r0_grbal_seed$S.json
for M in grbal mb; do
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods $M \
    --seeds $(seq 100 119) --threads 1 --checkpoints $R/final \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/seed${S}_$M.json
done
