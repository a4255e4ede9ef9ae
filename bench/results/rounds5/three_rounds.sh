#!/usr/bin/env bash
# Issue 11, 2026-12-05: the three-round arm of the same draw, on today's code. A five-round draw
# (run.sh <SEED>) collects rounds 1-3 exactly as the default three-round recipe of that SEED would (the same
# round-0 models, round seeds and intermediate trainings); the default recipe then trains its final MB and
# GrBAL (FINAL_STEPS=12000, seed SEED, GrBAL from that MB) on the random paths and rounds 1-3. This script
# makes exactly those two final models from the five-round draw's files (runs/rounds5_seed<S>/three/), so the
# comparison with run.sh's final models is paired: same data up to round 3, same seeds, then either the
# final training or two more rounds. Evaluated like run.sh on the 20 held-out crippled-leg tasks.
# Usage, from the repository root (run.sh of that SEED must have collected round 3):
#   bash bench/results/rounds5/three_rounds.sh <SEED>
set -euo pipefail
S=$1; R=runs/rounds5_seed$S; O=$R/three; B=bench/results/rounds5
export MUJOCO_GL=disable
while [ ! -f $R/data_3_mb.npz ]; do sleep 20; done
mkdir -p $O
data="$R/data_0.npz"; for i in 1 2 3; do data="$data $R/data_${i}_grbal.npz $R/data_${i}_mb.npz"; done
CLI=.venv/bin/adaptive-control
$CLI meta-train --robot half_cheetah --steps 12000 --threads 1 --seed $S --method mb --data $data --out $O/mb.pt
$CLI meta-train --robot half_cheetah --steps 12000 --threads 1 --seed $S --method grbal --init $O/mb.pt --data $data --out $O/grbal.pt
for M in grbal mb; do
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods $M \
    --seeds $(seq 100 119) --threads 1 --checkpoints $O \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/seed${S}_three_$M.json
done
