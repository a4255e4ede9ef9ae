#!/usr/bin/env bash
# Issue 11, 2026-12-04: do the reference paths cost GrBAL on joint damping only outside the training
# range? The whole draws of ../eval.sh on 10 joint-damping tasks of the TRAINING range (x0.5-2;
# seeds 100-109, 1000 steps), the shipped tick, one torch thread.
# Usage, from the repository root: bash bench/results/ref_draws/train_range/eval.sh ref|noref <SEED> [<method> ...]
set -euo pipefail
A=$1; S=$2; shift 2; METHODS=${*:-grbal mb}
R=bench/results/ref_draws/train_range
export MUJOCO_GL=disable
for M in $METHODS; do
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family joint_damping --split train --methods $M \
    --seeds $(seq 100 109) --threads 1 --checkpoints runs/${A}_draw_seed$S/final \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $R/${A}_seed${S}_$M.json
done
