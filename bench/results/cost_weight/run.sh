#!/usr/bin/env bash
# Issue 11, 2026-12-05: a cost-weighted training loss (train.cost_weight: W, the forward velocity's squared
# error weighs W against 1 for the other 16 entries), paired with the three-round arm of the five-round draws
# (bench/results/rounds5/three_rounds.sh): the same files (random paths and rounds 1-3 of
# runs/rounds5_seed<S>), the same seeds and steps (12,000; MB, then GrBAL from that MB), only the config differs
# (results/quality/cost_weight/half_cheetah_cw<W>.yaml = the shipped experiment + cost_weight); bench/draw_arm.sh
# trains and evaluates (the 20 held-out crippled-leg tasks, seeds 100-119).
# Usage, from the repository root: bash bench/results/cost_weight/run.sh <SEED> <W> [<TRAIN_SEED>]
# TRAIN_SEED (default SEED): another training seed on the same files (replicates: _t<TRAIN_SEED> in the names;
# W=1 then trains with the shipped config, the unweighted pair of that replicate).
# Table: python bench/draw_table.py cost_weight/cw --unchanged 1
set -euo pipefail
C=results/quality/cost_weight/half_cheetah_cw$2.yaml; [ "$2" = 1 ] && C=adaptive_control/assets/half_cheetah.yaml
exec bash bench/draw_arm.sh cost_weight/cw$2 $C $1 ${3:-$1}
