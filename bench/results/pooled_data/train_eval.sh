#!/usr/bin/env bash
# Shared by run.sh, cross.sh and rounds.sh: the recipe's final MB and GrBAL (12,000 steps each, GrBAL from
# that MB, one torch thread) on the given data files, then the listed methods at the shipped tick on the
# 20 held-out crippled-leg tasks (seeds 100-119), JSON $B/<tag>_<method>.json.
# Usage, from the repository root: bash bench/results/pooled_data/train_eval.sh <out dir> <training seed> <tag> "<methods>" <data files...>
set -euo pipefail
O=$1; T=$2; TAG=$3; METHODS=$4; shift 4
B=bench/results/pooled_data
mkdir -p $O/final
.venv/bin/adaptive-control meta-train --robot half_cheetah --steps 12000 --threads 1 --seed $T --method mb \
  --data "$@" --out $O/mb.pt
.venv/bin/adaptive-control meta-train --robot half_cheetah --steps 12000 --threads 1 --seed $T --method grbal \
  --init $O/mb.pt --data "$@" --out $O/grbal.pt
cp $O/mb.pt $O/grbal.pt $O/final/
for M in $METHODS; do
  MUJOCO_GL=disable .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test \
    --methods $M --seeds $(seq 100 119) --threads 1 --checkpoints $O/final \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/${TAG}_$M.json
done
