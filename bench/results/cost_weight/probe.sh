#!/usr/bin/env bash
# Issue 11, 2026-12-05: does the cost-weighted loss change how each GrBAL ranks the planner's samples by their
# true cost (docs/control_quality.md "What the weak draws get wrong")? bench/offpath_prediction.py (3 held calls, 256 samples
# every 10th tick of the controller's own episodes) on the twelve GrBALs of table.py (W = 1 and 5, three
# draws, two training seeds), 10 held-out crippled-leg tasks (seeds 100-109). Summary: probe_table.py.
# Usage, from the repository root: bash bench/results/cost_weight/probe.sh
set -euo pipefail
export MUJOCO_GL=disable
B=bench/results/cost_weight
for S in 1 2 3; do
  for T in $S $((S + 10)); do
    TAG=$([ "$T" = "$S" ] || echo "_t$T")
    for W in 1 5; do
      ck=runs/cost_weight/cw${W}_seed$S$TAG/grbal.pt
      [ "$W$TAG" = 1 ] && ck=runs/rounds5_seed$S/three/grbal.pt
      .venv/bin/python bench/offpath_prediction.py --family crippled_leg --calls 3 --checkpoint $ck \
        --seeds $(seq 100 109) --json $B/probe_cw${W}_seed$S${TAG}.json
    done
  done
done
