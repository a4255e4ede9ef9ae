#!/usr/bin/env bash
# Issue 11, 2026-12-06: a bench/results/model_size/final_draw.sh draw's final checkpoints run by other methods
# (e.g. grbal_prior: GrBAL's prior, never adapted; mb_de: MB with the same online step) at the shipped tick, on
# the 20 held-out crippled-leg tasks (seeds 100-119), or with FAMILY=<family> on that family's held-out tasks
# (seeds 100-109, as bench/results/ref_draws/eval.sh does for the 2x256 draws).
# Usage, from the repository root: [FAMILY=<family>] bash bench/results/model_size/final_eval.sh <SEED> <method> ...
# writes bench/results/model_size/final3x256pw1_seed<SEED>[_<family>]_<method>.json
set -euo pipefail
S=$1; shift; R=runs/model_size/final3x256pw1_seed$S; B=bench/results/model_size; F=${FAMILY:-crippled_leg}
if [ "$F" = crippled_leg ]; then SEEDS=$(seq 100 119); TAG=""; else SEEDS=$(seq 100 109); TAG=_$F; fi
export MUJOCO_GL=disable
for M in "$@"; do
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family $F --split test --methods $M \
    --seeds $SEEDS --threads 1 --checkpoints $R/final \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/final3x256pw1_seed${S}${TAG}_$M.json
done
