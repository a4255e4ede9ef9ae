#!/usr/bin/env bash
# Issue 11: are the recipe's final models undertrained? Every final model of the four draws of
# 2026-12-03 (runs/hc_shipcfg_seed$S) was still improving at its last step (best step 3900-4000 of
# 4000). Retrain each draw's final MB and GrBAL on the draw's own data (all 7 files, the recipe's
# order), same seed, 3x the steps. Usage: bash bench/results/recipe_long/train.sh S [STEPS [TRAINING_SEED]]
# (TRAINING_SEED: another training seed on the same data, written to long$STEPS_seed$TRAINING_SEED/)
set -euo pipefail
S=$1; STEPS=${2:-12000}; TS=${3:-$1}
R=runs/hc_shipcfg_seed$S
OUT=$R/long$STEPS${3:+_seed$3}
mkdir -p "$OUT"
DATA="$R/data_0.npz $R/data_1_grbal.npz $R/data_1_mb.npz $R/data_2_grbal.npz $R/data_2_mb.npz $R/data_3_grbal.npz $R/data_3_mb.npz"
CLI=.venv/bin/adaptive-control
$CLI meta-train --robot half_cheetah --steps "$STEPS" --threads 1 --seed "$TS" --method mb --data $DATA --out "$OUT/mb.pt"
$CLI meta-train --robot half_cheetah --steps "$STEPS" --threads 1 --seed "$TS" --method grbal --init "$OUT/mb.pt" --data $DATA --out "$OUT/grbal.pt"
