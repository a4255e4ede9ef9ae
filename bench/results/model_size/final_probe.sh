#!/usr/bin/env bash
# Issue 11, 2026-12-06: GrBAL's online step on a final_draw.sh draw's deeper models, tick by tick (README "Why the
# step does not help the deeper models"). bench/offpath_prediction.py along the draw's own grbal and mb episodes
# (10 held-out crippled-leg tasks, seeds 100-109; 256 sequences of 3 held actions around the plan's warm start
# at every 10th tick, rolled out by the physics from the real full state and by the prior and the adapted
# model): prediction errors, the rank correlation of the sequences' predicted against true costs, and how
# good MPPI's update is under each model by the physics' cost.
# Usage, from the repository root: [TAG=<draw name>] bash bench/results/model_size/final_probe.sh <SEED> [<arm> ...]
# (TAG: as in final_draw.sh, default final3x256pw1; SEEDS: the tasks, default "$(seq 100 109)"; each <arm> is a final_grbal_arm.sh arm of the draw whose
# GrBAL is probed too.) Writes bench/results/model_size/<TAG>_seed<SEED>_offpath_<grbal|mb|arm>.json
set -euo pipefail
S=$1; shift; T=${TAG:-final3x256pw1}; R=runs/model_size/${T}_seed$S; B=bench/results/model_size
[ -f "$R/final/grbal.pt" ] || { echo "no finished draw in $R (bench/results/model_size/final_draw.sh $S)" >&2; exit 2; }
export MUJOCO_GL=disable
probe() {  # <method> <checkpoint> <name>
  .venv/bin/python bench/offpath_prediction.py --family crippled_leg --calls 3 --seeds ${SEEDS:-$(seq 100 109)} \
    --method $1 --checkpoint $2 --json $B/${T}_seed${S}_offpath_$3.json
}
probe grbal $R/final/grbal.pt grbal
probe mb $R/final/mb.pt mb
for A in "$@"; do probe grbal $R/$A/grbal.pt $A; done
