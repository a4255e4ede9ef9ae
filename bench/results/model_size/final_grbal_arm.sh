#!/usr/bin/env bash
# Issue 11, 2026-12-06: another final GrBAL for a bench/results/model_size/final_draw.sh draw, trained exactly
# as that draw's final GrBAL was (from the draw's final 3x256 MB, on the random paths and rounds 1-3, 12,000
# steps, seed SEED) but with another experiment YAML or STEPS, then run at the shipped tick on the 20 held-out
# crippled-leg tasks (seeds 100-119). Only the YAML or STEPS differs from the draw's own GrBAL.
# Usage, from the repository root: [STEPS=<n>] bash bench/results/model_size/final_grbal_arm.sh <name> <experiment.yaml> <SEED>
# (STEPS: the GrBAL's optimiser steps, default the recipe's 12,000; TAG: the draw's name in final_draw.sh, default
# final3x256pw1)
# writes runs/model_size/<TAG>_seed<SEED>/<name>/grbal.pt and
# bench/results/model_size/<TAG>_seed<SEED>_<name>_grbal.json
set -euo pipefail
N=$1; C=$2; S=$3; T=${TAG:-final3x256pw1}; R=runs/model_size/${T}_seed$S; O=$R/$N; B=bench/results/model_size
[ -f "$C" ] || { echo "no experiment YAML $C" >&2; exit 2; }
[ -f "$R/final/mb.pt" ] || { echo "no finished draw in $R (bench/results/model_size/final_draw.sh $S)" >&2; exit 2; }
export MUJOCO_GL=disable
mkdir -p $O
data="$R/data_0.npz"; for i in 1 2 3; do data="$data $R/data_${i}_grbal.npz $R/data_${i}_mb.npz"; done
.venv/bin/adaptive-control meta-train --robot half_cheetah --config $C --steps ${STEPS:-12000} --threads 1 --seed $S \
  --method grbal --init $R/final/mb.pt --data $data --out $O/grbal.pt
.venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods grbal \
  --seeds $(seq 100 119) --threads 1 --checkpoints $O \
  --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/${T}_seed${S}_${N}_grbal.json
