#!/usr/bin/env bash
# Issue 11, 2026-12-05 (README "Three trainings per draw, one kept"): does draw 3's level arise early in its
# aggregation loop? The final MB and GrBAL (12,000 steps each, GrBAL from that MB, training seed 3 as the
# draw's own, one torch thread) on draw 3's random paths and only its first N MPC rounds (N = 1 or 2; the
# draw itself trained on all three), then GrBAL at the shipped tick on the 20 held-out crippled-leg tasks.
# Usage, from the repository root: bash bench/results/pooled_data/rounds.sh <1|2>
set -euo pipefail
N=$1; O=runs/draw3_rounds$N; B=bench/results/pooled_data; D=runs/noref_draw_seed3
mkdir -p $O/final
DATA="$D/data_0.npz"; for i in $(seq 1 $N); do DATA="$DATA $D/data_${i}_grbal.npz $D/data_${i}_mb.npz"; done
.venv/bin/adaptive-control meta-train --robot half_cheetah --steps 12000 --threads 1 --seed 3 --method mb \
  --data $DATA --out $O/mb.pt
.venv/bin/adaptive-control meta-train --robot half_cheetah --steps 12000 --threads 1 --seed 3 --method grbal \
  --init $O/mb.pt --data $DATA --out $O/grbal.pt
cp $O/mb.pt $O/grbal.pt $O/final/
MUJOCO_GL=disable .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test \
  --methods grbal --seeds $(seq 100 119) --threads 1 --checkpoints $O/final \
  --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/draw3_rounds${N}_grbal.json
