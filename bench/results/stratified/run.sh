#!/usr/bin/env bash
# Issue 11, 2026-12-05: one whole half-cheetah draw of today's default recipe with STRATIFY=yes (every
# collection gives each perturbation family the same number of paths), then its final GrBAL and MB at the
# shipped tick on the 20 held-out crippled-leg tasks (seeds 100-119). The draws without it are
# bench/results/ref_draws/noref_seed<S>_{grbal,mb}.json (the data differ in every path's family, so the
# comparison is between draws, not paired by seed). Table: python bench/results/stratified/table.py
# Usage, from the repository root: bash bench/results/stratified/run.sh <SEED>
set -euo pipefail
S=$1; R=runs/strat_seed$S; B=bench/results/stratified
export MUJOCO_GL=disable
make checkpoints SEED=$S STRATIFY=yes THREADS=1 REBAL=no RUNS=$R DEST=$R/final
for M in grbal mb; do
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods $M \
    --seeds $(seq 100 119) --threads 1 --checkpoints $R/final \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/seed${S}_$M.json
done
