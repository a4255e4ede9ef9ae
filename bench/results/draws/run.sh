#!/usr/bin/env bash
# Issue 11, 2026-12-06: `make checkpoints DRAWS=2` (two whole draws of today's default half-cheetah recipe side by
# side, SEED and SEED + 100, each method's best kept by validation return on the crippled leg's TRAINING range),
# timed, then both draws' final GrBAL and MB at the shipped tick on the 20 held-out crippled-leg tasks (seeds
# 100-119), so the choice can be judged (the kept model is one of them: select_draws_<method>.json says which).
# Usage, from the repository root: [EVAL_SEEDS="$(seq -s " " 100 109)"] bash bench/results/draws/run.sh <SEED>
# (EVAL_SEEDS: the held-out tasks, default seeds 100-119)
# writes runs/draws/seed<SEED>/ and bench/results/draws/seed<SEED>_{wall_clock.txt,select_*.json,draw<c>_*.json}
set -euo pipefail
S=$1; R=runs/draws/seed$S; B=bench/results/draws; SEEDS_EVAL=${EVAL_SEEDS:-$(seq -s " " 100 119)}
export MUJOCO_GL=disable
mkdir -p $R
start=$(date +%s)
make checkpoints DRAWS=2 SEED=$S REBAL=no RUNS=$R DEST=$R/final
echo "recipe wall clock: $(( $(date +%s) - start )) s" | tee $B/seed${S}_wall_clock.txt
for M in grbal mb; do cp $R/select_draws_$M.json $B/seed${S}_select_$M.json; done
for c in 1 2; do
  for M in grbal mb; do
    .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods $M \
      --seeds $SEEDS_EVAL --threads 1 --checkpoints $R/draw$c/final \
      --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/seed${S}_draw${c}_$M.json
  done &
done
wait
for c in 1 2; do for M in grbal mb; do [ -f $B/seed${S}_draw${c}_$M.json ] || { echo "no $B/seed${S}_draw${c}_$M.json" >&2; exit 1; }; done; done
