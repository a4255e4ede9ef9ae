#!/usr/bin/env bash
# Issue 11, 2026-12-04 (docs/control_quality.md "Reference paths"): the last round of a recipe draw retrained as
# `make checkpoints REF_PATHS=24` would train it: the draw's data (runs/<draw>/data_0..3), plus 24 paths
# driven by the planner on the simulator itself (seed 1000*SEED+50, K=100, 500 ticks, the training range
# of the whole suite), MB then GrBAL from that MB, the draw's seed, 12,000 steps; then both at the shipped
# tick on the 20 held-out crippled-leg tasks. The draws' own final models are in
# bench/results/wide_damping/{suite,wide}/crippled_leg_<SEED>.json (same tasks, same tick).
# Usage, from the repository root (one torch thread; two draws side by side on 2 cores):
#   bash bench/results/reference_paths/draw.sh suite_range_seed2 2
#   bash bench/results/reference_paths/draw.sh wide_damping_seed1 1 bench/results/wide_damping/half_cheetah_wide_damping.yaml
# Paired table: python bench/results/reference_paths/table.py
set -euo pipefail
N=$1; S=$2; CFG=${3:+--config $3}
D=runs/$N; O=${OUT:-runs/refdata}/$N; R=bench/results/reference_paths; mkdir -p $O
CLI=.venv/bin/adaptive-control
export MUJOCO_GL=disable
[ -f $O/data_ref.npz ] || $CLI collect --robot half_cheetah $CFG --threads 1 --policy mpc --method true_dynamics \
  --samples 100 --paths 24 --path-length 500 --seed $((1000 * S + 50)) --out $O/data_ref.npz
DATA="$D/data_0.npz $O/data_ref.npz $D/data_1_grbal.npz $D/data_1_mb.npz $D/data_2_grbal.npz $D/data_2_mb.npz $D/data_3_grbal.npz $D/data_3_mb.npz"
$CLI meta-train --robot half_cheetah $CFG --steps 12000 --threads 1 --seed $S --method mb --data $DATA --out $O/mb.pt
$CLI meta-train --robot half_cheetah $CFG --steps 12000 --threads 1 --seed $S --method grbal --init $O/mb.pt --data $DATA --out $O/grbal.pt
for M in mb grbal; do
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods $M \
    --seeds $(seq 100 119) --threads 1 --checkpoints $O --config adaptive_control/assets/half_cheetah.yaml \
    --step-ticks 3 --json $R/${N}_$M.json
done
