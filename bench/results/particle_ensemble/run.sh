#!/usr/bin/env bash
# Issue 11 probe (docs/control_quality.md "Two trainings planned together"): the two unchanged GrBAL (or MB) trainings of each
# draw's three-round files (runs/rounds5_seed<S>/three: training seed S; runs/cost_weight/cw1_seed<S>_t<S+10>:
# seed S+10), planned together as a particle ensemble (each member rolls every sample out, the sample's cost
# is the members' mean) at the single model's plan compute (K=250 per member), on the 20 held-out
# crippled-leg tasks (seeds 100-119). The members alone: bench/results/rounds5/seed<S>_three_<m>.json and
# bench/results/cost_weight/cw1_seed<S>_t<S+10>_<m>.json.
# Usage: bash bench/results/particle_ensemble/run.sh <S> [grbal|mb] [<K>] [mean|particles]
set -euo pipefail
S=$1; M=${2:-grbal}; K=${3:-250}; C=${4:-particles}
export MUJOCO_GL=disable
.venv/bin/python bench/ensemble_probe.py --method $M --combine $C --samples $K --seeds $(seq 100 119) \
  --json bench/results/particle_ensemble/${C}_seed${S}_k${K}_$M.json \
  runs/rounds5_seed$S/three/$M.pt runs/cost_weight/cw1_seed${S}_t$((S + 10))/$M.pt
