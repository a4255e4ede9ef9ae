#!/usr/bin/env bash
# Issue 11, 2026-12-05: weight decay makes GrBAL's online step cut the held-out loss by a third (0.072 -> 0.048 on
# draw 1) instead of a few percent; does that step pay when it drives the whole plan (controller.adapted_steps:
# null, results/suite_v2/half_cheetah_whole_plan.yaml) instead of the shipped first 3 of 10 calls? The weight-
# decay GrBALs (bench/draw_arm.sh weight_decay/wd05 ...) and the unchanged ones of the same draws, at that tick on
# the 20 held-out crippled-leg tasks (seeds 100-119). Usage, from the repository root:
#   bash bench/results/weight_decay/whole_plan.sh <SEED> <wd05|unchanged>
set -euo pipefail
S=$1; ARM=$2; B=bench/results/weight_decay
ck=runs/weight_decay/wd05_seed$S; [ "$ARM" = unchanged ] && ck=runs/rounds5_seed$S/three
export MUJOCO_GL=disable
.venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods grbal \
  --seeds $(seq 100 119) --threads 1 --checkpoints $ck --config results/suite_v2/half_cheetah_whole_plan.yaml \
  --step-ticks 3 --json $B/whole_plan_${ARM}_seed${S}_grbal.json
