#!/usr/bin/env bash
# Issue 11, 2026-12-05: a cost-weighted training loss (train.cost_weight: W, the forward velocity's squared
# error weighs W against 1 for the other 16 entries), paired with the three-round arm of the five-round draws
# (bench/results/rounds5/three_rounds.sh): the same files (random paths and rounds 1-3 of
# runs/rounds5_seed<S>), the same seeds and steps (FINAL_STEPS=12000, MB then GrBAL from that MB), only the
# config differs (results/quality/cost_weight/half_cheetah_cw<W>.yaml = the shipped experiment + cost_weight).
# Evaluated like it at the shipped tick on the 20 held-out crippled-leg tasks (seeds 100-119).
# Usage, from the repository root: bash bench/results/cost_weight/run.sh <SEED> <W> [<TRAIN_SEED>]
# TRAIN_SEED (default SEED): another training seed on the same files (replicates: _t<TRAIN_SEED> in the names;
# W=1 then trains with the shipped config, the unweighted pair of that replicate).
# Table: python bench/draw_table.py cost_weight/cw --unchanged 1
set -euo pipefail
S=$1; W=$2; T=${3:-$1}; TAG=$([ "$T" = "$S" ] || echo "_t$T")
R=runs/rounds5_seed$S; O=runs/cost_weight/cw${W}_seed$S$TAG; B=bench/results/cost_weight
C=results/quality/cost_weight/half_cheetah_cw$W.yaml; [ "$W" = 1 ] && C=adaptive_control/assets/half_cheetah.yaml
export MUJOCO_GL=disable
mkdir -p $O
data="$R/data_0.npz"; for i in 1 2 3; do data="$data $R/data_${i}_grbal.npz $R/data_${i}_mb.npz"; done
CLI=.venv/bin/adaptive-control
start=$(date +%s)
$CLI meta-train --robot half_cheetah --config $C --steps 12000 --threads 1 --seed $T --method mb --data $data --out $O/mb.pt
$CLI meta-train --robot half_cheetah --config $C --steps 12000 --threads 1 --seed $T --method grbal --init $O/mb.pt --data $data --out $O/grbal.pt
echo "training wall clock: $(( $(date +%s) - start )) s" | tee $O/wall_clock.txt
for M in grbal mb; do
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods $M \
    --seeds $(seq 100 119) --threads 1 --checkpoints $O \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/cw${W}_seed${S}${TAG}_$M.json
done
