#!/usr/bin/env bash
# Issue 11, 2026-12-05: how the open-loop-trained models rank the planner's samples by their true cost (docs/control_quality.md
# "An open-loop training loss"): bench/offpath_prediction.py (3 held calls, every 10th tick of the controller's
# own episodes), the same probe as bench/results/cost_weight/probe.sh, on the three roll8 GrBALs or MBs, or
# (ARM=unchanged) on the unchanged MBs of the same draws (runs/rounds5_seed<S>/three), 10 held-out crippled-leg
# tasks (seeds 100-109). The unchanged GrBALs' probes: ../cost_weight/probe_cw1_seed<S>.json.
# Usage, from the repository root: bash bench/results/rollout_loss/probe.sh [grbal|mb] [roll8|unchanged]
set -euo pipefail
export MUJOCO_GL=disable
B=bench/results/rollout_loss; M=${1:-grbal}; ARM=${2:-roll8}
for S in 1 2 3; do
  ck=runs/rollout_loss/roll8_seed$S/$M.pt; [ "$ARM" = unchanged ] && ck=runs/rounds5_seed$S/three/$M.pt
  .venv/bin/python bench/offpath_prediction.py --family crippled_leg --calls 3 --method $M --checkpoint $ck \
    --seeds $(seq 100 109) --json $B/probe_${ARM}_seed${S}_$M.json
done
