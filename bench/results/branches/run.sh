#!/usr/bin/env bash
# Counterfactual branches (docs/control_quality.md "Counterfactual branches"), 2026-12-04. Run from the repository root:
#   bash bench/results/branches/run.sh
# Needs the suite-range draw SEED=2 of the recipe (README "A wider joint-damping training range"):
#   make checkpoints ROBOT=half_cheetah THREADS=1 SEED=2 REBAL=no RUNS=runs/suite_range_seed2 DEST=runs/suite_range_seed2/final
# Steps (each heavy step one or two processes at a time, one torch thread each):
#   1. one more MPC round on the draw's training tasks with its final GrBAL and MB, with 8 branches per
#      branch point (data_4_*.npz and data_4_*.branches.npz);
#   2. GrBAL (from the draw's MB, as the recipe does) and MB (from scratch) retrained on all the draw's
#      data plus that round, without (a) and with (b: all 8; c: 2 of 8 per point) the branches, training
#      seeds 2 and 12 (b, 2's GrBAL was trained before train.validation_trim existed; its held-out curve
#      had no outlier);
#   3. each at the shipped tick on the held-out crippled legs (seeds 100-109), with the decision probe
#      along the episodes (bench/offpath_prediction.py) and the posture trace;
#   4. the offline ranking score on two branch sets no model trained on (bench/branch_ranking.py).
set -e
D=${DRAW:-runs/suite_range_seed2}
W=${WORK:-runs/branch_s2}
R=bench/results/branches
CLI=.venv/bin/adaptive-control
PY=.venv/bin/python
export MUJOCO_GL=disable
mkdir -p $W/evalbranches
$CLI collect --robot half_cheetah --threads 1 --policy mpc --method grbal --checkpoint $D/final/grbal.pt --paths 12 --path-length 500 --seed 2050 --branches 8 --out $W/data_4_grbal.npz
$CLI collect --robot half_cheetah --threads 1 --policy mpc --method mb --checkpoint $D/final/mb.pt --paths 12 --path-length 500 --seed 2150 --branches 8 --out $W/data_4_mb.npz
DATA="$D/data_0.npz $D/data_1_grbal.npz $D/data_1_mb.npz $D/data_2_grbal.npz $D/data_2_mb.npz $D/data_3_grbal.npz $D/data_3_mb.npz $W/data_4_grbal.npz $W/data_4_mb.npz"
BR="$W/data_4_grbal.branches.npz $W/data_4_mb.branches.npz"
# arm c: the same round with 2 of the 8 branches per point (the first two of each)
for k in grbal mb; do
  $PY -c "
import numpy as np, sys
from models.dataset import TransitionDataset as T
d = T.load(sys.argv[1]); keep = np.flatnonzero(np.arange(d.num_paths) % 8 < 2); rows = np.isin(d.path_id, keep)
new = -np.ones(d.num_paths, dtype=np.int64); new[keep] = np.arange(len(keep))
T(robot=d.robot, obs=d.obs[rows], act=d.act[rows], next_obs=d.next_obs[rows], path_id=new[d.path_id[rows]],
  step=d.step[rows], tasks=[d.tasks[j] for j in keep], meta={**d.meta, 'branches': {**d.meta['branches'], 'branches': 2},
  'source_paths': [d.meta['source_paths'][j] for j in keep]}).save(sys.argv[2])" $W/data_4_$k.branches.npz $W/data_4_$k.branches2.npz
done
train() {  # arm seed method
  local data=$DATA; [ "$1" = b ] && data="$DATA $BR"; [ "$1" = c ] && data="$DATA $W/data_4_grbal.branches2.npz $W/data_4_mb.branches2.npz"
  local init=; [ "$3" = grbal ] && init="--init $D/mb.pt"
  mkdir -p $W/$1_$2
  $CLI meta-train --robot half_cheetah --steps 12000 --threads 1 --seed $2 --method $3 $init --data $data --out $W/$1_$2/$3.pt
}
train a 2 grbal & train b 2 grbal & wait
train a 12 grbal & train b 12 grbal & wait
train a 2 mb & train b 2 mb & wait
train c 12 grbal & train c 2 mb & wait
train a 12 mb & train c 12 mb & wait
for arm in a_2 a_12 b_2 b_12 c_2 c_12; do
  for m in grbal mb; do
    [ -f $W/$arm/$m.pt ] || continue
    $PY bench/offpath_prediction.py --family crippled_leg --calls 3 --method $m --checkpoint $W/$arm/$m.pt \
      --seeds 100 101 102 103 104 105 106 107 108 109 --json $R/offpath_${arm}_$m.json
    [ $m = mb ] && $PY bench/offpath_prediction.py --family crippled_leg --calls 3 --method mb --checkpoint $W/$arm/mb.pt \
      --seeds 110 111 112 113 114 115 116 117 118 119 --json $R/offpath_${arm}_mb_110.json
    $PY bench/posture_trace.py --robot half_cheetah --seeds 100 101 102 103 104 105 106 107 108 109 --threads 1 \
      --checkpoints $W/$arm --methods $m --json $R/posture_${arm}_$m.json
  done
done
$CLI collect --robot half_cheetah --threads 1 --policy mpc --method grbal --paths 12 --path-length 500 --seed 7001 --branches 8 --out $W/evalbranches/shipped_grbal.npz
$CLI collect --robot half_cheetah --threads 1 --policy mpc --method grbal --checkpoint runs/wide_damping_seed3/final/grbal.pt --paths 12 --path-length 500 --seed 7002 --branches 8 --out $W/evalbranches/wide3_grbal.npz
$PY bench/branch_ranking.py --data $W/evalbranches/shipped_grbal.branches.npz $W/evalbranches/wide3_grbal.branches.npz \
  --checkpoints adaptive_control/assets/half_cheetah/grbal.pt adaptive_control/assets/half_cheetah/mb.pt \
  runs/{suite_range,wide_damping}_seed*/final/*.pt $W/{a_2,a_12,b_2,b_12}/grbal.pt $W/{a_2,b_2}/mb.pt \
  --json $R/branch_ranking_heldout.json
# arm u (README): the 8 branches without any whose root pitch passes 1 rad, GrBAL seed 12 (two threads)
for k in grbal mb; do
  $PY -c "
import numpy as np, sys
from models.dataset import TransitionDataset as T
d = T.load(sys.argv[1]); bad = np.unique(d.path_id[np.abs(d.obs[:, 1]) > 1.0]); keep = np.setdiff1d(np.arange(d.num_paths), bad)
rows = np.isin(d.path_id, keep); new = -np.ones(d.num_paths, dtype=np.int64); new[keep] = np.arange(len(keep))
T(robot=d.robot, obs=d.obs[rows], act=d.act[rows], next_obs=d.next_obs[rows], path_id=new[d.path_id[rows]],
  step=d.step[rows], tasks=[d.tasks[j] for j in keep], meta={**d.meta, 'source_paths': [d.meta['source_paths'][j] for j in keep]}).save(sys.argv[2])" \
    $W/data_4_$k.branches.npz $W/data_4_$k.branches_upright.npz
done
mkdir -p $W/u_12
$CLI meta-train --robot half_cheetah --steps 12000 --threads 2 --seed 12 --method grbal --init $D/mb.pt \
  --data $DATA $W/data_4_grbal.branches_upright.npz $W/data_4_mb.branches_upright.npz --out $W/u_12/grbal.pt
$PY bench/offpath_prediction.py --family crippled_leg --calls 3 --checkpoint $W/u_12/grbal.pt \
  --seeds 100 101 102 103 104 105 106 107 108 109 --json $R/offpath_u_12_grbal.json
$PY bench/posture_trace.py --robot half_cheetah --seeds 100 101 102 103 104 105 106 107 108 109 --threads 1 \
  --checkpoints $W/u_12 --methods grbal --json $R/posture_u_12_grbal.json
