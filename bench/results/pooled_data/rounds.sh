#!/usr/bin/env bash
# Issue 11, 2026-12-05 (docs/control_quality.md "Three trainings per draw, one kept"): does draw 3's level arise early in its
# aggregation loop? The final MB and GrBAL (12,000 steps each, GrBAL from that MB, training seed 3 as the
# draw's own, one torch thread) on draw 3's random paths and only its first N MPC rounds (N = 1 or 2; the
# draw itself trained on all three), then GrBAL at the shipped tick on the 20 held-out crippled-leg tasks.
# Usage, from the repository root: bash bench/results/pooled_data/rounds.sh <1|2>
set -euo pipefail
N=$1; O=runs/draw3_rounds$N; D=runs/noref_draw_seed3
DATA="$D/data_0.npz"; for i in $(seq 1 $N); do DATA="$DATA $D/data_${i}_grbal.npz $D/data_${i}_mb.npz"; done
bash bench/results/pooled_data/train_eval.sh $O 3 draw3_rounds$N grbal $DATA
