#!/usr/bin/env bash
# Issue 11, 2026-12-05: an open-loop (rollout) training loss on the current recipe (train.rollout_horizon: H,
# the block model fed its own predictions for H calls of 3 ticks each; H=8 is 24 ticks, near the plan's 10
# calls), paired with the three-round arm of the five-round draws (bench/results/rounds5/three_rounds.sh) and
# the cost-weight replicates (bench/results/cost_weight/run.sh <S> 1 <T>): the same files (random paths and
# rounds 1-3 of runs/rounds5_seed<S>), the same seeds and steps (12,000; MB, then GrBAL from that MB), only the
# config differs (results/quality/rollout_loss/half_cheetah_roll<H>.yaml = the shipped experiment + rollout_horizon).
# Evaluated like them at the shipped tick on the 20 held-out crippled-leg tasks (seeds 100-119).
# Usage, from the repository root: bash bench/results/rollout_loss/run.sh <SEED> <H> [<TRAIN_SEED>]
# Table: python bench/draw_table.py rollout_loss/roll
set -euo pipefail
S=$1; H=$2; T=${3:-$1}; TAG=$([ "$T" = "$S" ] || echo "_t$T")
R=runs/rounds5_seed$S; O=runs/rollout_loss/roll${H}_seed$S$TAG; B=bench/results/rollout_loss
C=results/quality/rollout_loss/half_cheetah_roll$H.yaml
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
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/roll${H}_seed${S}${TAG}_$M.json
done
