#!/usr/bin/env bash
# Issue 11, 2026-12-06: a draw's final GrBAL trained again exactly as the draw's own (from the draw's final MB, on
# the random paths and rounds 1-3, 12,000 steps, the draw's SEED), writing its live weights every 3,000 steps
# (results/quality/snapshots/half_cheetah_every3000.yaml), then
#   1. a check that the finished checkpoint equals the draw's own bit for bit (snapshots do not move training);
#   2. `adaptive-control select` among the snapshots and the finished (early-stopped) checkpoint on the 10
#      validation episodes of the crippled leg's TRAINING range (seeds 900-909), as the recipe's select does;
#   3. each snapshot at the shipped tick on the first 10 held-out crippled-leg tasks (seeds 100-109); the finished
#      one's are the draw's own (bench/results/draws/seed<S>_draw<c>_grbal.json).
# Usage, from the repository root: bash bench/results/snapshots/run.sh <RUN SEED> <draw c>
# (a draw of bench/results/draws/run.sh: runs/draws/seed<S>/draw<c>, trained with SEED = S + 100 (c - 1))
# writes runs/snapshots/seed<S>_draw<c>/ and bench/results/snapshots/seed<S>_draw<c>_{same.txt,select.json,step<k>.json}
set -euo pipefail
S=$1; c=$2; R=runs/draws/seed$S/draw$c; O=runs/snapshots/seed${S}_draw$c; B=bench/results/snapshots
C=results/quality/snapshots/half_cheetah_every3000.yaml
[ -f $R/final/mb.pt ] || { echo "no $R/final/mb.pt (bash bench/results/draws/run.sh $S)" >&2; exit 2; }
export MUJOCO_GL=disable
mkdir -p $O
data="$R/data_0.npz"; for i in 1 2 3; do data="$data $R/data_${i}_grbal.npz $R/data_${i}_mb.npz"; done
.venv/bin/adaptive-control meta-train --robot half_cheetah --config $C --steps 12000 --threads 1 \
  --seed $((S + 100 * (c - 1))) --method grbal --init $R/final/mb.pt --data $data --out $O/grbal.pt
.venv/bin/python - $O/grbal.pt $R/final/grbal.pt > $B/seed${S}_draw${c}_same.txt <<'PY'
import sys, torch
from models.checkpoint import load_checkpoint
new, own = (load_checkpoint(p) for p in sys.argv[1:3])
a, b = new.model.state_dict(), own.model.state_dict()
same = all(torch.equal(a[k], b[k]) for k in a) and all(torch.equal(new.inner_lr[k], own.inner_lr[k]) for k in new.inner_lr)
print(f"{sys.argv[1]} equals {sys.argv[2]} bit for bit: {same} (kept step {new.metrics.get('best_step')})")
PY
cat $B/seed${S}_draw${c}_same.txt
steps="3000 6000 9000 12000"
.venv/bin/adaptive-control select --robot half_cheetah --family crippled_leg --seeds $(seq 900 909) --steps 1000 \
  --workers 1 --candidates $O/grbal.pt $(for k in $steps; do echo $O/grbal.step$k.pt; done) \
  --out $O/selected.pt --json $B/seed${S}_draw${c}_select.json
for k in $steps; do
  mkdir -p $O/step$k && cp $O/grbal.step$k.pt $O/step$k/grbal.pt
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods grbal \
    --seeds $(seq 100 109) --threads 1 --checkpoints $O/step$k --config adaptive_control/assets/half_cheetah.yaml \
    --step-ticks 3 --json $B/seed${S}_draw${c}_step$k.json
done
