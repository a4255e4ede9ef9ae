#!/usr/bin/env bash
# Issue 11, 2026-12-06 (session 36): GRBAL_START on a deeper final MB. On one recipe draw's own data (the two-draw
# runs of bench/results/draws/run.sh: runs/draws/seed<S>/draw<c>, draw seed S + 100 (c - 1)), the final MB is
# retrained with three hidden layers of 256 (results/quality/model_size/half_cheetah_3x256.yaml, 12,000 steps, the
# draw's seed; what `make checkpoints FINAL_CONFIG=<that YAML>` trains last), GrBAL's start is made from it (step 0 of
# a GrBAL training from that MB, then `adaptive-control step-size` 0.01 / 0.003 / 0.001, as the recipe's
# GRBAL_START does), `select` keeps the start that returns most on the recipe's 10 validation episodes, and the
# MB and the kept start run at the shipped tick on the first 10 held-out crippled-leg tasks (seeds 100-109).
# Not included: the recipe's meta-trained 3x256 GrBAL as a fourth candidate (~28 min a training on one thread).
# Usage, from the repository root: bash bench/results/deep_start/run.sh <RUN SEED> <draw c>
# writes runs/deep_start/seed<S>_draw<c>/ and bench/results/deep_start/seed<S>_draw<c>_{select,mb,grbal}.json
set -euo pipefail
S=$1; c=$2; R=runs/draws/seed$S/draw$c; O=runs/deep_start/seed${S}_draw$c; B=bench/results/deep_start
C=results/quality/model_size/half_cheetah_3x256.yaml; SEED=$((S + 100 * (c - 1)))
[ -f $R/data_3_mb.npz ] || { echo "no $R/data_3_mb.npz (bash bench/results/draws/run.sh $S)" >&2; exit 2; }
export MUJOCO_GL=disable
CLI=.venv/bin/adaptive-control
mkdir -p $O/eval $B
data="$R/data_0.npz"; for i in 1 2 3; do data="$data $R/data_${i}_grbal.npz $R/data_${i}_mb.npz"; done
start=$(date +%s)
[ -f $O/mb.pt ] || $CLI meta-train --robot half_cheetah --config $C --steps 12000 --threads 1 --seed $SEED --method mb --data $data --out $O/mb.pt
echo "MB training: $(( $(date +%s) - start )) s" | tee $O/wall_clock.txt
$CLI meta-train --robot half_cheetah --config $C --steps 1 --snapshot-every 1 --threads 1 --seed $SEED \
  --method grbal --init $O/mb.pt --data $data --out $O/trained1.pt
starts=""; for a in 0.01 0.003 0.001; do
  $CLI step-size --checkpoint $O/trained1.step0.pt --value $a --out $O/start$a.pt; starts="$starts $O/start$a.pt"
done
$CLI select --robot half_cheetah --family crippled_leg --seeds $(seq 900 909) --steps 1000 --workers 1 \
  --candidates $starts --out $O/eval/grbal.pt --json $B/seed${S}_draw${c}_select.json
cp $O/mb.pt $O/eval/mb.pt
for M in mb grbal; do
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods $M \
    --seeds $(seq 100 109) --threads 1 --checkpoints $O/eval \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/seed${S}_draw${c}_$M.json
done
echo "total: $(( $(date +%s) - start )) s" | tee -a $O/wall_clock.txt
