#!/usr/bin/env bash
# Issue 11, 2026-12-05 (docs/control_quality.md "Three trainings per draw, one kept"): which part of draw 3's data makes its
# models run? The final MB and GrBAL (12,000 steps each, GrBAL from that MB, training seed 1, one torch
# thread) on the random paths of one default draw and the three MPC rounds of another:
#   arm r3m1: draw 3's random paths (data_0) + draw 1's MPC rounds;  arm r1m3: the other way round.
# then GrBAL and MB at the shipped tick on the 20 held-out crippled-leg tasks (seeds 100-119).
# Usage, from the repository root: bash bench/results/pooled_data/cross.sh <r3m1|r1m3>
set -euo pipefail
A=$1; O=runs/cross_$A
case $A in
  r3m1) R=3; M=1 ;;
  r1m3) R=1; M=3 ;;
  *) echo "arm must be r3m1 or r1m3" >&2; exit 2 ;;
esac
DATA="runs/noref_draw_seed$R/data_0.npz $(ls runs/noref_draw_seed$M/data_[123]_*.npz | tr '\n' ' ')"
bash bench/results/pooled_data/train_eval.sh $O 1 cross_$A "grbal mb" $DATA
