#!/usr/bin/env bash
# Issue 11: does a wider joint-damping training range (x0.5-2.75 instead of x0.5-2.0; the test range
# stays x3-5) fix GrBAL's loss to MB there? Two arms of draws of the recipe, made on the same machine and
# code on 2026-12-04:
#   wide:  make checkpoints ROBOT=half_cheetah THREADS=1 SEED=$S REBAL=no \
#            CONFIG=bench/results/wide_damping/half_cheetah_wide_damping.yaml \
#            RUNS=runs/wide_damping_seed$S DEST=runs/wide_damping_seed$S/final
#   suite: make checkpoints ROBOT=half_cheetah THREADS=1 SEED=$S REBAL=no \
#            RUNS=runs/suite_range_seed$S DEST=runs/suite_range_seed$S/final
# (with the same SEED the two arms' random rounds differ only in the 35 joint-damping paths; every other
# task and action is drawn identically), each at the shipped tick on the held-out tasks of a family
# (seeds 100-109; the crippled leg 100-119). JSON in bench/results/wide_damping/<arm>/.
# Usage: bash bench/results/wide_damping/eval.sh ARM S [FAMILY ...]
#        METHODS=grbal_prior bash ... writes <arm>/${FAMILY}_${S}_prior.json (the prior, no online step)
# Table: python bench/results/wide_damping/table.py
set -euo pipefail
ARM=$1; S=$2; shift 2
case $ARM in wide) RUNS=runs/wide_damping_seed$S ;; suite) RUNS=runs/suite_range_seed$S ;;
  *) echo "ARM must be wide or suite" >&2; exit 2 ;; esac
mkdir -p bench/results/wide_damping/$ARM
FAMILIES=${*:-joint_damping crippled_leg friction motor_gain payload pier terrain_ramps tilted_floor}
for F in $FAMILIES; do
  if [ "$F" = crippled_leg ]; then SEEDS=$(seq 100 119); else SEEDS=$(seq 100 109); fi
  MUJOCO_GL=disable .venv/bin/python bench/step_ticks.py --robot half_cheetah --family "$F" --split test \
    --methods ${METHODS:-grbal mb} --seeds $SEEDS --threads 1 --checkpoints $RUNS/final \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 \
    --json bench/results/wide_damping/$ARM/${F}_$S${METHODS:+_prior}.json
done
