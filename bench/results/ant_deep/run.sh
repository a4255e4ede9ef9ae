#!/usr/bin/env bash
# Issue 11, 2026-12-06: does the deeper final model that lifted the half-cheetah (3x256 instead of 2x256) lift
# the ant? One whole draw of the ant's default recipe (`make checkpoints ROBOT=ant THREADS=1 SEED=<S> REBAL=no`:
# 2x256, FINAL_STEPS=12000), then its last round trained again with
# results/quality/model_size/ant_3x256.yaml on the same data, same seed and steps, so the two arms differ only in
# depth; both at the shipped tick on the 10 held-out crippled-leg tasks (leg 3, seeds 100-109, 600 steps), by
# bench/results/ant_deep/after_recipe.sh.
# Usage, from the repository root: bash bench/results/ant_deep/run.sh <SEED>
# writes runs/ant_deep/seed<S>/ and bench/results/ant_deep/seed<S>_{2x256,3x256}.json, seed<S>_wall_clock.txt
set -euo pipefail
S=$1; R=runs/ant_deep/seed$S; B=bench/results/ant_deep
export MUJOCO_GL=disable
mkdir -p $R
start=$(date +%s)
make checkpoints ROBOT=ant THREADS=1 SEED=$S REBAL=no RUNS=$R DEST=$R/final
echo "recipe wall clock: $(( $(date +%s) - start )) s" | tee $B/seed${S}_wall_clock.txt
bash $B/after_recipe.sh $S
