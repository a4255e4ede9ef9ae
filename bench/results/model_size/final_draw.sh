#!/usr/bin/env bash
# Issue 11, 2026-12-06: one whole half-cheetah draw of today's default recipe in which only the models the
# recipe ships are deeper and GrBAL's prior is trained as a model too (FINAL_CONFIG=
# results/quality/prior_weight/half_cheetah_3x256_pw1.yaml: model.hidden_sizes [256, 256, 256],
# train.prior_weight 1); the aggregation rounds' controllers stay 2x256, so the rounds' data are those of the
# 2x256 draw of the same SEED (bench/results/ref_draws/noref_seed<S>_*). Timed, then the final GrBAL and MB
# at the shipped tick on the 20 held-out crippled-leg tasks (seeds 100-119).
# Usage, from the repository root: bash bench/results/model_size/final_draw.sh <SEED>
# (TAG=<name> names the run folder and the JSONs; default final3x256pw1, the 2026-12-06 Xeon draws.)
set -euo pipefail
S=$1; T=${TAG:-final3x256pw1}; R=runs/model_size/${T}_seed$S; B=bench/results/model_size
export MUJOCO_GL=disable
mkdir -p $R
start=$(date +%s)
make checkpoints SEED=$S FINAL_CONFIG=results/quality/prior_weight/half_cheetah_3x256_pw1.yaml THREADS=1 REBAL=no \
  RUNS=$R DEST=$R/final
echo "recipe wall clock: $(( $(date +%s) - start )) s" | tee $B/${T}_seed${S}_wall_clock.txt
for M in grbal mb; do
  .venv/bin/python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods $M \
    --seeds $(seq 100 119) --threads 1 --checkpoints $R/final \
    --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json $B/${T}_seed${S}_$M.json
done
