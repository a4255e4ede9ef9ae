#!/usr/bin/env bash
# Issue 11, 2026-12-05 (docs/control_quality.md "Three trainings per draw, one kept"): is a weak draw weak for want of data?
# The final MB and GrBAL of the recipe (12,000 steps each, GrBAL from that MB, one torch thread) trained
# on the POOLED data of the three weak default draws (SEED=1, 2, 4: their random paths and all their MPC
# rounds, 21 files, three times one draw's data), training seed $T, then GrBAL at the shipped tick on the
# 20 held-out crippled-leg tasks (seeds 100-119).
# Usage, from the repository root: bash bench/results/pooled_data/run.sh <training seed>
set -euo pipefail
T=$1; O=runs/pooled_124_seed$T
DATA=$(ls runs/noref_draw_seed{1,2,4}/data_*.npz)
bash bench/results/pooled_data/train_eval.sh $O $T seed$T "grbal mb" $DATA
