#!/usr/bin/env bash
# Issue 11, 2026-12-07 (docs/control_quality.md "A discount on the plan's far end"): the final GrBAL and MB of recipe draws
# (runs/draws/seed<S>/draw<c>/final, from bench/results/draws/run.sh) with planner.discount <gamma> at the shipped
# tick otherwise, on the first 10 held-out crippled-leg tasks, two draws at once (one thread each), to pair with
# their discount-1 runs in bench/results/draws/seed<S>_draw<c>_<method>.json.
# Usage, from the repository root: bash bench/results/discount/draws.sh <S> <gamma: 95 | 9> <method> [<c> ...]
set -euo pipefail
S=$1; G=$2; M=$3; shift 3
for c in ${*:-1 2}; do
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods $M \
    --seeds 100 101 102 103 104 105 106 107 108 109 --threads 1 --checkpoints runs/draws/seed$S/draw$c/final \
    --config bench/results/discount/t10_g$G.yaml --step-ticks 3 \
    --json bench/results/discount/draws/seed${S}_draw${c}_${M}_g$G.json &
done
wait
