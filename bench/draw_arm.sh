#!/usr/bin/env bash
# Issue 11's paired training ablations (docs/control_quality.md "An open-loop training loss", "Weight decay"): the final MB, then
# GrBAL from that MB, trained with one experiment YAML on the three-round files of runs/rounds5_seed<SEED> (the
# random paths and MPC rounds 1-3), exactly as the unchanged training of those files was
# (bench/results/rounds5/three_rounds.sh at the draw's seed, bench/results/cost_weight/run.sh <S> 1 <T> at
# another: 12,000 steps, the same seeds); only the YAML differs. Each model then runs at the shipped tick on the
# 20 held-out crippled-leg tasks (seeds 100-119). Table and plot: python bench/draw_table.py <folder>/<prefix>.
# Usage, from the repository root:
#   bash bench/draw_arm.sh <folder>/<name> <experiment.yaml> <SEED> [<TRAIN_SEED>]
# e.g. bash bench/draw_arm.sh weight_decay/wd05 results/quality/weight_decay/half_cheetah_wd05.yaml 1
# writes runs/<folder>/<name>_seed<SEED>[_t<TRAIN_SEED>]/{mb,grbal}.pt and
# bench/results/<folder>/<name>_seed<SEED>[_t<TRAIN_SEED>]_{grbal,mb}.json. MB_ONLY=1: the MB alone.
# MB_FROM=<arm folder>: no MB training: GrBAL starts from that arm's mb.pt of the same draw and training seed
# (an arm whose YAML changes only GrBAL's meta-training, e.g. train.prior_weight), and only GrBAL is evaluated.
set -euo pipefail
ARM=$1; C=$2; S=$3; T=${4:-$3}; TAG=$([ "$T" = "$S" ] || echo "_t$T")
FOLDER=$(dirname $ARM)
R=runs/rounds5_seed$S; O=runs/$FOLDER/$(basename $ARM)_seed$S$TAG; B=bench/results/$FOLDER
[ -f "$C" ] || { echo "no experiment YAML $C" >&2; exit 2; }
[ -f "$R/data_3_mb.npz" ] || { echo "no three-round files in $R (bench/results/rounds5/run.sh $S collects them)" >&2; exit 2; }
export MUJOCO_GL=disable
mkdir -p $O $B
data="$R/data_0.npz"; for i in 1 2 3; do data="$data $R/data_${i}_grbal.npz $R/data_${i}_mb.npz"; done
CLI=.venv/bin/adaptive-control
start=$(date +%s)
METHODS="grbal mb"; [ "${MB_ONLY:-0}" = 1 ] && METHODS=mb
if [ -n "${MB_FROM:-}" ]; then
  F=runs/$MB_FROM$(basename $O | sed "s/^$(basename $ARM)//")/mb.pt
  [ -f "$F" ] || { echo "no MB to start from: $F" >&2; exit 2; }
  INIT=$O/mb_init.pt; cp $F $INIT; METHODS=grbal
else
  INIT=$O/mb.pt
  $CLI meta-train --robot half_cheetah --config $C --steps 12000 --threads 1 --seed $T --method mb --data $data --out $INIT
fi
[ "$METHODS" = mb ] || $CLI meta-train --robot half_cheetah --config $C --steps 12000 --threads 1 --seed $T --method grbal --init $INIT --data $data --out $O/grbal.pt
echo "training wall clock: $(( $(date +%s) - start )) s" | tee $O/wall_clock.txt
for M in $METHODS; do
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods $M \
    --seeds $(seq 100 119) --threads 1 --checkpoints $O \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/$(basename $ARM)_seed${S}${TAG}_$M.json
done
