#!/usr/bin/env bash
# Issue 11, 2026-12-06: one whole half-cheetah draw of today's default recipe with the deeper model
# (CONFIG=results/quality/model_size/half_cheetah_3x256.yaml: every training of the recipe, the aggregation
# rounds' controllers included, is 3x256), timed, then its final GrBAL and MB at the shipped tick on the 20
# held-out crippled-leg tasks (seeds 100-119). The 2x256 draws of the same SEEDs are
# bench/results/ref_draws/noref_seed<S>_{grbal,mb}.json (same random paths; the MPC rounds differ with the
# controllers, so the comparison is between draws, not paired on data).
# Usage, from the repository root: bash bench/results/model_size/whole_draw.sh <SEED>
set -euo pipefail
S=$1; R=runs/model_size/whole3x256_seed$S; B=bench/results/model_size
export MUJOCO_GL=disable
mkdir -p $R
start=$(date +%s)
make checkpoints SEED=$S CONFIG=results/quality/model_size/half_cheetah_3x256.yaml THREADS=1 REBAL=no RUNS=$R DEST=$R/final
echo "recipe wall clock: $(( $(date +%s) - start )) s" | tee $R/wall_clock.txt
for M in grbal mb; do
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods $M \
    --seeds $(seq 100 119) --threads 1 --checkpoints $R/final \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/whole3x256_seed${S}_$M.json
done
