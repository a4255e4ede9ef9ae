#!/usr/bin/env bash
# Issue 11, 2026-12-06: the models a `make checkpoints DRAWS=2` run kept (bench/results/draws/run.sh <SEED>) on
# the other perturbation families' held-out tasks (seeds 100-109, 1000 steps, shipped tick), GrBAL and MB side by
# side (one process each): is the kept GrBAL above the kept MB on every family?
# Usage, from the repository root: bash bench/results/draws/families.sh <SEED>
# writes bench/results/draws/seed<SEED>_kept_<family>_<method>.json; table: python bench/results/draws/table.py
# --runs <SEED> --families
set -euo pipefail
S=$1; R=runs/draws/seed$S/final; B=bench/results/draws
[ -f $R/grbal.pt ] && [ -f $R/mb.pt ] || { echo "no finished DRAWS=2 run in $R (bench/results/draws/run.sh $S)" >&2; exit 2; }
export MUJOCO_GL=disable
for M in grbal mb; do
  for F in friction joint_damping motor_gain payload terrain_ramps; do
    .venv/bin/python bench/step_ticks.py --robot half_cheetah --family $F --split test --methods $M \
      --seeds $(seq 100 109) --threads 1 --checkpoints $R \
      --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/seed${S}_kept_${F}_$M.json
  done &
done
wait
for M in grbal mb; do for F in friction joint_damping motor_gain payload terrain_ramps; do
  [ -f $B/seed${S}_kept_${F}_$M.json ] || { echo "missing $B/seed${S}_kept_${F}_$M.json" >&2; exit 1; }
done; done
