#!/usr/bin/env bash
# Issue 11, 2026-12-05: an open-loop (rollout) training loss on the current recipe (train.rollout_horizon: H,
# the block model fed its own predictions for H calls of 3 ticks each; H=8 is 24 ticks, near the plan's 10
# calls), paired with the unchanged training of the same files and seeds (bench/draw_arm.sh says how);
# config results/quality/rollout_loss/half_cheetah_roll<H>.yaml = the shipped experiment + rollout_horizon.
# Usage, from the repository root: bash bench/results/rollout_loss/run.sh <SEED> <H> [<TRAIN_SEED>]
# Table and plot: python bench/draw_table.py rollout_loss/roll --plot bench/results/rollout_loss/returns.png
exec bash bench/draw_arm.sh rollout_loss/roll$2 results/quality/rollout_loss/half_cheetah_roll$2.yaml $1 ${3:-$1}
