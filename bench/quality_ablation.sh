#!/usr/bin/env bash
# Control-quality ablation (issue 11): one change at a time, crippled half-cheetah on the held-out
# actuators (4-5), 1000 steps, seeds 100-102 (SEEDS=...), grbal and mb, one torch thread.
# Each row writes bench/results/quality_ablation/<row>.json (bench/step_ticks.py).
#   bash bench/quality_ablation.sh [row ...]      (default: every row)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
SEEDS=${SEEDS:-100 101 102}
METHODS=${METHODS:-grbal mb}
OUT=bench/results/quality_ablation
mkdir -p "$OUT"
Q=results/quality
run() {  # row checkpoints config step_ticks [extra flags]
  local row=$1 ck=$2 cfg=$3 n=$4; shift 4
  MUJOCO_GL=disable "$PY" bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test \
    --methods $METHODS --seeds $SEEDS --threads 1 --checkpoints "$ck" --config "$cfg" --step-ticks "$n" \
    --json "$OUT/$row.json" "$@"
}
rows=${*:-v1_n1 v1_n3 v1_n3_k170 agg3 agg3_roll8 agg3_block3 shipped shipped_k250 shipped_t15 shipped_t5_t3 shipped_colored shipped_temp tick1}
for row in $rows; do
  case $row in
    # the previous shipped suite models (one-tick, 2 rounds of 200-step MPC paths), actions not held
    v1_n1) run $row $Q/checkpoints/suite_v1/half_cheetah $Q/suite_v1_half_cheetah.yaml 1 ;;
    # + each planned action held 3 ticks (the one-tick model applied 3 times: 3x the plan's cost)
    v1_n3) run $row $Q/checkpoints/suite_v1/half_cheetah $Q/suite_v1_half_cheetah.yaml 3 ;;
    # v1_n3 at the block model's compute: K=170 x 30 one-tick calls ~ K=500 x 10 block calls
    v1_n3_k170) run $row $Q/checkpoints/suite_v1/half_cheetah $Q/suite_v1_half_cheetah.yaml 3 --samples 170 ;;
    # + aggregation rounds driven by controllers that hold actions 3 ticks
    agg3) run $row $Q/checkpoints/agg3/half_cheetah $Q/half_cheetah_agg3.yaml 3 ;;
    # agg3 + an 8-step open-loop training loss
    agg3_roll8) run $row $Q/checkpoints/agg3_roll8/half_cheetah $Q/half_cheetah_agg3_roll8.yaml 3 ;;
    # agg3 + a model of the whole 3-tick block (one call per planning step: the plan costs what n=1 does)
    agg3_block3) run $row $Q/checkpoints/agg3_block3/half_cheetah $Q/half_cheetah_agg3_block3.yaml 3 ;;
    # the shipped recipe: agg3_block3 + 2x random data, 3 rounds of 500-step MPC paths, early stopping
    # (rows before 2026-12-02 ran at the then-shipped softmin temperature 0.05: kept explicit)
    shipped) run $row adaptive_control/assets/half_cheetah adaptive_control/assets/half_cheetah.yaml 3 --temperatures 0.05 ;;
    # planner variations on the shipped models
    shipped_k250) run $row adaptive_control/assets/half_cheetah adaptive_control/assets/half_cheetah.yaml 3 --samples 250 --temperatures 0.05 ;;
    shipped_t15) run $row adaptive_control/assets/half_cheetah adaptive_control/assets/half_cheetah.yaml 3 --horizons 15 --temperatures 0.05 ;;
    shipped_t5_t3) run $row adaptive_control/assets/half_cheetah adaptive_control/assets/half_cheetah.yaml 3 --horizons 5 3 --temperatures 0.05 ;;
    shipped_colored) run $row adaptive_control/assets/half_cheetah adaptive_control/assets/half_cheetah.yaml 3 --noise-correlation 0.5 --temperatures 0.05 ;;
    # the MPPI softmin temperature (relative to each plan's cost spread): 0.05 is nearly greedy and
    # picks the samples whose predicted cost the model gets most wrong; 0.5 ships
    shipped_temp) run $row adaptive_control/assets/half_cheetah adaptive_control/assets/half_cheetah.yaml 3 --temperatures 0.3 0.5 1.0 1.5 3.0 ;;
    # the shipped recipe with a one-tick model (train.model_ticks: 1), applied 3x per planning step
    tick1) run $row $Q/checkpoints/tick1/half_cheetah $Q/half_cheetah_tick1.yaml 3 --temperatures 0.5 ;;
    # what the online step buys on the older one-tick models (METHODS="grbal grbal_prior"): the
    # previous suite models with actions not held (the setting the step was designed in), and the
    # shipped recipe's one-tick model with actions held 3 ticks, at both softmin temperatures
    v1_step) run $row $Q/checkpoints/suite_v1/half_cheetah $Q/suite_v1_half_cheetah.yaml 1 ;;
    tick1_step) run $row $Q/checkpoints/tick1/half_cheetah $Q/half_cheetah_tick1.yaml 3 --temperatures 0.05 0.5 ;;
    *) echo "unknown row $row" >&2; exit 2 ;;
  esac
done
