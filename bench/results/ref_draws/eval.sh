#!/usr/bin/env bash
# Issue 11, 2026-12-04 (docs/control_quality.md "Reference paths"): whole recipe draws with and without the reference
# paths in every round, each pair made side by side on 2 cores (one torch thread each) with
#   make checkpoints ROBOT=half_cheetah THREADS=1 SEED=$S REBAL=no REF_PATHS=24 \
#        RUNS=runs/ref_draw_seed$S DEST=runs/ref_draw_seed$S/final          (arm "ref")
#   make checkpoints ROBOT=half_cheetah THREADS=1 SEED=$S REBAL=no REF_PATHS=0 \
#        RUNS=runs/noref_draw_seed$S DEST=runs/noref_draw_seed$S/final      (arm "noref")
# then both final models at the shipped tick on the 20 held-out crippled-leg tasks (seeds 100-119, 1000
# steps); FAMILY=<family> another family's held-out tasks instead (seeds 100-109, ${A}_seed${S}_${FAMILY}_*.json).
# Usage, from the repository root: [FAMILY=...] bash bench/results/ref_draws/eval.sh ref|noref <SEED> [<method> ...]
# Table: python bench/results/ref_draws/table.py
set -euo pipefail
A=$1; S=$2; shift 2; METHODS=${*:-grbal mb}
R=bench/results/ref_draws; F=${FAMILY:-crippled_leg}
if [ "$F" = crippled_leg ]; then SEEDS=$(seq 100 119); TAG=""; else SEEDS=$(seq 100 109); TAG=_$F; fi
export MUJOCO_GL=disable
for M in $METHODS; do
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family $F --split test --methods $M \
    --seeds $SEEDS --threads 1 --checkpoints runs/${A}_draw_seed$S/final \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $R/${A}_seed${S}${TAG}_$M.json
done
