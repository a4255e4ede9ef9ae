#!/usr/bin/env bash
# Issue 11, 2026-12-06: GrBAL's start (a draw's final MB weights, never meta-trained) with another fixed step size
# for every parameter, on the 10 validation episodes `select` scores and on the first 10 held-out crippled-leg
# tasks (seeds 100-109). The start with 0.01 (GrBAL's initial step size) is bench/results/draws/grbal_init.sh.
# Usage, from the repository root: bash bench/results/start_step/run.sh <RUN SEED> <draw c> <step size>
# writes runs/start_step/seed<S>_draw<c>/a<step>/grbal.pt and bench/results/start_step/seed<S>_draw<c>_a<step>_{validation,grbal}.json
set -euo pipefail
S=$1; c=$2; A=$3; R=runs/draws/seed$S/draw$c; O=runs/start_step/seed${S}_draw$c/a$A; B=bench/results/start_step
[ -f $R/final/mb.pt ] || { echo "no $R/final/mb.pt (bash bench/results/draws/run.sh $S)" >&2; exit 2; }
export MUJOCO_GL=disable
mkdir -p $O
printf 'extends: half_cheetah\ntrain:\n  inner_lr: %s\n' "$A" > $O/experiment.yaml
data="$R/data_0.npz"; for i in 1 2 3; do data="$data $R/data_${i}_grbal.npz $R/data_${i}_mb.npz"; done
# step 0 of a GrBAL training from the MB (--snapshot-every): the MB's weights with step size A everywhere
.venv/bin/adaptive-control meta-train --robot half_cheetah --config $O/experiment.yaml --steps 1 --snapshot-every 1 \
  --threads 1 --seed $((S + 100 * (c - 1))) --method grbal --init $R/final/mb.pt --data $data --out $O/trained1.pt
cp $O/trained1.step0.pt $O/grbal.pt
.venv/bin/adaptive-control select --robot half_cheetah --family crippled_leg --seeds $(seq 900 909) --steps 1000 \
  --workers 1 --candidates $O/grbal.pt --out $O/selected.pt --json $B/seed${S}_draw${c}_a${A}_validation.json
.venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods grbal \
  --seeds $(seq 100 109) --threads 1 --checkpoints $O --config adaptive_control/assets/half_cheetah.yaml \
  --step-ticks 3 --json $B/seed${S}_draw${c}_a${A}_grbal.json
