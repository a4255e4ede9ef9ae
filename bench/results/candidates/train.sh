#!/usr/bin/env bash
# Issue 11, 2026-12-05 (README "Several trainings per draw"): what `make checkpoints CANDIDATES=3` adds to
# a draw of today's default recipe, for GrBAL: two more final trainings on all of the draw's data with
# the recipe's candidate seeds (SEED + 1000 c, c = 2, 3), each from the draw's final MB, exactly the
# Makefile's candidate commands, into runs/noref_draw_seed$S/grbal_$c.pt (the draw's own GrBAL is
# candidate 1). One torch thread.
# Usage, from the repository root: bash bench/results/candidates/train.sh <SEED>
set -euo pipefail
S=$1; R=runs/noref_draw_seed$S
DATA="$R/data_0.npz $R/data_1_grbal.npz $R/data_1_mb.npz $R/data_2_grbal.npz $R/data_2_mb.npz $R/data_3_grbal.npz $R/data_3_mb.npz"
for c in 2 3; do
  .venv/bin/adaptive-control meta-train --robot half_cheetah --steps 12000 --threads 1 --seed $((S + 1000 * c)) \
    --method grbal --init $R/final/mb.pt --data $DATA --out $R/grbal_$c.pt
done
