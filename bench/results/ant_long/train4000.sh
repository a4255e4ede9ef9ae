#!/usr/bin/env bash
# Issue 11: are the ant's models undertrained too? The shipped ant MB and GrBAL stopped at their best
# step, 4,000 of 4,000. runs/ant_long_seed0 is `make checkpoints ROBOT=ant THREADS=1 SEED=0 REBAL=no
# FINAL_STEPS=12000 RUNS=runs/ant_long_seed0 DEST=runs/ant_long_seed0/final` (its last round trained
# 12,000 steps); this trains that last round again at the recipe's old 4,000 steps on the same data,
# same seed, into runs/ant_long_seed0/final4000, so the two lengths differ in nothing else.
set -euo pipefail
R=runs/ant_long_seed0; OUT=$R/final4000
mkdir -p "$OUT"
DATA="$R/data_0.npz $R/data_1_grbal.npz $R/data_1_mb.npz $R/data_2_grbal.npz $R/data_2_mb.npz $R/data_3_grbal.npz $R/data_3_mb.npz"
CLI=.venv/bin/adaptive-control
$CLI meta-train --robot ant --steps 4000 --threads 1 --seed 0 --method mb --data $DATA --out "$OUT/mb.pt"
$CLI meta-train --robot ant --steps 4000 --threads 1 --seed 0 --method grbal --init "$OUT/mb.pt" --data $DATA --out "$OUT/grbal.pt"
