#!/usr/bin/env bash
# Issue 11's budget (the recipe takes at most 60 minutes per robot on 2 cores), 2026-12-06 (session 36): one
# single-draw run of today's default half-cheetah recipe, ReBAL included, nothing else running on the machine,
# torch at its default threads; wall clock per stage from the make log's timestamps, then the draw's GrBAL and MB
# at the shipped tick on the first 10 held-out crippled-leg tasks (seeds 100-109).
# Usage, from the repository root: bash bench/results/recipe_time/run.sh <SEED>
# writes runs/recipe_time/seed<S>/ and bench/results/recipe_time/seed<S>_{wall_clock.txt,select_start.json,grbal.json,mb.json}
set -euo pipefail
S=$1; R=runs/recipe_time/seed$S; B=bench/results/recipe_time
export MUJOCO_GL=disable
mkdir -p $R $B
start=$(date +%s)
make checkpoints SEED=$S RUNS=$R DEST=$R/final 2>&1 | while IFS= read -r line; do printf '%s +%ss %s\n' "$(date +%T)" "$(( $(date +%s) - start ))" "$line"; done > $R/make.log
echo "recipe wall clock (make checkpoints SEED=$S, alone, 2 cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)): $(( $(date +%s) - start )) s" | tee $B/seed${S}_wall_clock.txt
cp $R/select_start.json $B/seed${S}_select_start.json
for M in grbal mb; do
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods $M \
    --seeds $(seq 100 109) --threads 1 --checkpoints $R/final \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/seed${S}_$M.json &
done
wait
