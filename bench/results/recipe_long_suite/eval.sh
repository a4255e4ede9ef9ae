#!/usr/bin/env bash
# Issue 11, "grbal above mb on every perturbed family": is it a property of the recipe? Each of the four
# draws' final models trained 12,000 steps (runs/hc_shipcfg_seed$S/long12000, bench/results/recipe_long/)
# and the shipped checkpoints at the shipped tick, on 10 held-out tasks (seeds 100-109) of one family.
# Usage: bash bench/results/recipe_long_suite/eval.sh FAMILY [S ...]   (S = shipped for the shipped ones)
set -euo pipefail
F=$1; shift
for S in "${@:-1 2 3 4}"; do
  if [ "$S" = shipped ]; then CK=""; else CK="--checkpoints runs/hc_shipcfg_seed$S/long12000"; fi
  MUJOCO_GL=disable .venv/bin/python bench/step_ticks.py --robot half_cheetah --family "$F" --split test \
    --methods ${METHODS:-grbal mb} --seeds $(seq 100 109) --threads 1 $CK \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 \
    --json bench/results/recipe_long_suite/${F}_$S${METHODS:+_prior}.json
done
# The prior alone (no online step) on a family: bash bench/results/recipe_long_suite/eval.sh FAMILY S ... with
# METHODS="grbal_prior" in the environment writes ${F}_${S}_prior.json
