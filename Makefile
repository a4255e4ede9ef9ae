# The two commands a new user runs: `make demo` and `make test`. Each sets itself up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/adaptive-control
STAMP := $(VENV)/.installed-stamp
# `make checkpoints ROBOT=ant`: the robot whose checkpoints to remake, and where its datasets and
# intermediate checkpoints go.
ROBOT ?= half_cheetah
RUNS ?= runs/$(ROBOT)

.PHONY: install demo test bench return-per-compute sil-series soak properties spike checkpoints walker-checkpoints clean

$(STAMP): setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e ".[test,bench,ros]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	MUJOCO_GL=disable $(CLI) demo --out out/demo

test: $(STAMP)
	MUJOCO_GL=disable $(PY) -m pytest -q tests

bench: $(STAMP)
	MUJOCO_GL=disable $(PY) bench/tick_latency.py --json bench/results/tick_latency.json

# our MPPI against pytorch_mppi driven by the same adapted model at equal plan time (~8 min)
return-per-compute: $(STAMP)
	MUJOCO_GL=disable $(PY) bench/return_per_compute.py --json bench/results/return_per_compute.json

# Simulation in the loop over ROS 2, seeds 100-109 (issue 15; README "ROS 2 deployment"): missed
# deadlines over 20,000 ticks and the return against the same episodes in process (~10 minutes).
sil-series: $(STAMP)
	MUJOCO_GL=disable $(PY) bench/sil_series.py --seeds 100-109 --json bench/results/sil_series.json

# Faults and load (issue 12; README "Faults, spikes and long runs"): 10 minutes over ROS 2 through a lossy
# relay; the property tests at 10,000 cases each; a one-tick sensor spike with the guard off and on.
soak: $(STAMP)
	MUJOCO_GL=disable $(PY) bench/soak.py --duration 600 --json bench/results/soak.json

properties: $(STAMP)
	MUJOCO_GL=disable $(PY) bench/properties.py --json bench/results/properties_long.json

spike: $(STAMP)
	MUJOCO_GL=disable $(PY) bench/spike.py --seeds 100 101 102 --entries 8 10 13 --sizes 20 50 --json bench/results/spike.json

# Remake the shipped checkpoints ($(DEST)/{grbal,mb,rebal}.pt) from scratch, for the robot's
# shipped experiment (adaptive_control/assets/$(ROBOT).yaml: the whole perturbation suite, a
# block model of planner.step_ticks ticks, early stopping on held-out paths):
#   1. RANDOM_PATHS random-action paths of 200 steps;
#   2. MB trained on them, then GrBAL meta-trained starting from MB's weights (--init): the
#      meta-learned prior starts where plain regression ends;
#   3. AGG_ROUNDS rounds of data aggregation (as in GrBAL): MPC_PATHS paths of MPC_LENGTH steps driven
#      by each of the two controllers (long paths: the fast running the controller reaches late in
#      an episode is in the data), then both models retrained on everything collected so far;
#   4. ReBAL (recurrent) on all of it (REBAL_STEPS).
# SEED offsets every collection seed and sets the training seed (two runs with different SEEDs are
# two independent draws of the recipe: its reproducibility is measured that way). THREADS: torch
# threads of every step (1 runs two robots side by side on 2 cores).
# The shipped checkpoints of both robots (2026-12-01) are exactly `make checkpoints ROBOT=half_cheetah
# THREADS=1 CONFIG=results/quality/half_cheetah_recipe.yaml FINAL_STEPS=4000` and `make checkpoints
# ROBOT=ant THREADS=1 FINAL_STEPS=4000` with the defaults below (SEED=0; FINAL_STEPS was not a setting then: every round
# trained STEPS; nor GRBAL_START: they are GRBAL_START=no), both robots at once on 2 cores: 71 min (half-cheetah) and 74 min
# (ant) wall clock, the last ~10-25 min beside evaluation jobs; see README "Control quality" for what
# they score. (results/quality/half_cheetah_recipe.yaml is the half-cheetah experiment as it was then:
# since 2026-12-02 the shipped one plans with MPPI temperature 0.5 instead of 0.05, which changes only
# the controllers of the MPC collection rounds; the models' training settings are the same.)
# Four draws of the default (no CONFIG, SEED=1..4, REBAL=no) with FINAL_STEPS=4000 returned GrBAL 749 /
# 1,347 / 501 / 663 and MB 920 / 417 / 598 / 538 on 20 held-out crippled-leg tasks; with today's
# FINAL_STEPS=12000, GrBAL 912 / 757 / 1,324 / 1,256 and MB 717 / 721 / 696 / 1,012 (docs/control_quality.md "Longer final
# training"): expect about 1,050 from a retrained GrBAL, not the shipped checkpoint's 1,652. Those
# draws and the shipped checkpoints predate REF_PATHS (= 0 for all of them; below). Three draws of today's
# default (REF_PATHS=0, 2026-12-04) returned GrBAL 569 / 507 / 1,910 and a fourth (THREADS=2) 786.
# The adaptation guard's calibration (residual_max) was added to those files afterwards with
# `adaptive-control calibrate --checkpoint $(DEST)/*.pt --data $(RUNS)/data_*.npz` (the same
# computation meta-train now does at the end of every run, so the recipe itself already writes it).
# AGG_ROUNDS: five rounds ("1 2 3 4 5") against three on three half-cheetah draws (SEED=1..3, 2026-12-05,
# paired on the same data up to round 3): GrBAL 552 / 784 / 397 against 818 / 340 / 615, MB 476 / 464 / 866
# against 876 / 1,016 / 689 on 20 held-out crippled-leg tasks, and about 1.6x the time. docs/control_quality.md "Five
# aggregation rounds"; bench/results/rounds5.
AGG_ROUNDS ?= 1 2 3
RANDOM_PATHS ?= 300
MPC_PATHS ?= 12
MPC_LENGTH ?= 500
STEPS ?= 4000
# FINAL_STEPS: optimiser steps of the models the recipe ships (the last round's MB and GrBAL, and the
# CANDIDATES trainings). The half-cheetah's trained 4,000 steps were still improving at the last one;
# 12,000 lifted the mean of four draws from 815 to 1,062 (GrBAL) and 618 to 786 (MB) on 20 held-out
# tasks and narrowed the spread between draws from 2.7x to 1.75x (docs/control_quality.md "Longer final training"), for
# ~15 more minutes a draw (about 53 instead of 38 at THREADS=1, two draws side by side). On the ant
# (2026-12-04, one draw, SEED=0, 10 held-out crippled-leg tasks) 12,000 against 4,000 on the same data
# lifted GrBAL 56 -> 114 (paired +58 +- 34) and MB -22 -> 58 (+79 +- 32), both still far below the
# reference (docs/control_quality.md "Why the ant stalls"); that draw took 45 min at THREADS=1 beside another job.
# The walker keeps STEPS (not measured there).
FINAL_STEPS ?= $(if $(filter half_cheetah ant,$(ROBOT)),12000,$(STEPS))
REBAL_STEPS ?= 6000
# CANDIDATES=N (N > 1): after the last round, N-1 more trainings of MB and of GrBAL on all the data, with
# other seeds (GrBAL again from the round's MB), and `adaptive-control select` keeps, of each method's N,
# the one whose controller returns most on 10 validation episodes from the TRAINING range of
# SELECT_FAMILY (never the held-out test range). The seed alone moves a GrBAL's held-out return
# 391-1,030 on the same data (docs/control_quality.md "Reproducibility"). Each extra candidate costs one MB and one GrBAL
# training (at 4,000 steps ~6 min on one thread; at the half-cheetah's FINAL_STEPS=12000 about 4 for MB
# and 11 for GrBAL) and 20 validation episodes (~1 min on 2 cores). On the four half-cheetah
# draws of today's default (SEED=1..4, 2026-12-05; docs/control_quality.md "Three trainings per draw, one kept"), GrBAL with
# CANDIDATES=3 would have kept 569 / 731 / 1,910 / 786 on the 20 held-out crippled-leg tasks, against the
# draws' own 569 / 507 / 1,910 / 786: +56 on average, best / worst draw 3.4x instead of 3.8x. It stays 1.
CANDIDATES ?= 1
# ROUND0_CANDIDATES=N (N > 1): the same choice one stage earlier, on the random-data models that drive the
# first MPC round: N-1 more MB and GrBAL trainings on the random paths (STEPS each, seeds SEED + 1000 c),
# and `select` keeps the MB and the GrBAL that return most on the SELECT_* validation episodes. The
# aggregation rounds then start from the kept pair. Why: the first round's data set a draw's level (README
# "Is a weak draw weak for want of data?"). Each extra candidate costs ~5 min on one thread, plus 20
# validation episodes. Measured on four half-cheetah draws of today's default (SEED=1..4; 2026-12-05; docs/control_quality.md
# "Choosing the first round's controllers"): GrBAL 569 / 507 / 1,910 / 786 -> 1,205 / 463 / 657 / 402 on
# the 20 held-out crippled-leg tasks (mean 943 -> 682), MB 399 / 657 / 1,029 / 978 -> 571 / 486 / 1,085 /
# 630. The round-0 validation picks among near-ties and lowers the mean; it stays off (1).
ROUND0_CANDIDATES ?= 1
# GRBAL_START=yes (the half-cheetah's default): the last round's GrBAL also writes its start (`meta-train
# --snapshot-every`: step 0 = the round's MB weights with GrBAL's initial step sizes, never meta-trained;
# grbal.step0.pt), and `select` keeps whichever of the finished GrBAL and the start with each step size of
# GRBAL_START_STEPS returns most on the SELECT_* validation episodes (select_start.json says which; the
# meta-trained one stays as grbal.trained.pt, each start as grbal.start<a>.pt). All run
# GrBAL's online rule (one gradient step on the last M transitions, never mutating the prior); the start is
# GrBAL without meta-training. Measured on the last round of draws SEED=5 and 6 with the 0.01 start alone
# (2026-12-06; docs/control_quality.md "Falling back to GrBAL's start"): validation kept the start in both (1,393 against
# 1,169; 783 against 626), which returns 1,580 and 912 against the meta-trained GrBALs' 1,479 and 424 on the
# first 10 held-out crippled-leg tasks (paired +101 +- 125, +488 +- 141). The ant and the walker keep no
# (not measured).
GRBAL_START ?= $(if $(filter half_cheetah,$(ROBOT)),yes,no)
# GRBAL_START_STEPS: the step sizes the start is tried with (`adaptive-control step-size`: the same weights,
# every step size set to one value; grbal.start<a>.pt), each one more validation candidate (10 episodes; with
# three, 40 validation episodes in all, about 6 minutes on two cores). Measured on the last round of draws
# SEED=5, 6, 105, 106 (2026-12-06, session 35; docs/control_quality.md "The start's step size, chosen by validation"): kept
# start 0.001 / start 0.003 / finished / finished, held-out 1,521 / 1,240 / 1,075 / 441 against 1,580 / 912 /
# 1,075 / 441 with the 0.01 start alone and 1,479 / 424 / 1,075 / 441 without GRBAL_START.
# One single-draw run of this default (SEED=8, ReBAL included, alone on the 2-core AVX2 EPYC, torch at its default
# threads; 2026-12-06, session 36; bench/results/recipe_time/run.sh 8): 2,912 s (48.5 min) in all: random paths 0.5
# min, round 0 5 min, rounds 1 and 2 8 min each, round 3 17 min (its GrBAL 10.6), the starts' validation 7, ReBAL 4.
# It kept the 0.01 start (validation 772 against the meta-trained 443): GrBAL 799 +- 145, MB 977 +- 232 on the first
# 10 held-out crippled-leg tasks.
GRBAL_START_STEPS ?= 0.01 0.003 0.001
# DRAWS=N (N > 1): N whole draws of the recipe side by side (one process each, THREADS=1 unless THREADS is
# set), draw c with SEED + 100 (c - 1) in $(RUNS)/draw<c> (its log in $(RUNS)/draw<c>.log), then for each
# method `adaptive-control select` keeps, of the N draws' finished models, the one whose controller returns
# most on the SELECT_* validation episodes (the TRAINING range of SELECT_FAMILY; never the held-out test
# range) and copies it to $(DEST). Why: the draw's data seemed to set its level (for MB; not for GrBAL, docs/control_quality.md
# "Two whole draws, one kept"), and no change to one draw's training
# narrowed the spread between draws (docs/control_quality.md "Three trainings per draw, one kept"); choosing among whole draws
# chooses among data. On 2 cores, DRAWS=2 takes about as long as one draw (two single-thread processes),
# plus 40 validation episodes. One run (SEED=5, REBAL=no, 2026-12-06, an AVX2 EPYC; docs/control_quality.md "Two whole draws,
# one kept"): the draws took 49 minutes side by side; validation kept draw SEED=5 for both methods, the held-out
# better one (GrBAL 1,415 against 986, MB 1,430 against 913 on 20 held-out crippled-leg tasks). A second run
# (SEED=6) kept GrBAL 505 and MB 1,187: its GrBAL's meta-training lost to its own MB on good data. Over eight
# draws taken in pairs, best of two lifts GrBAL's mean 890 -> 1,162 but two runs rarely agree within 15% (6 of
# 210 disjoint pairs), so it stays 1.
DRAWS ?= 1
SELECT_FAMILY ?= crippled_leg
SELECT_SEEDS ?= 900 901 902 903 904 905 906 907 908 909
SELECT_STEPS ?= 1000
# BRANCHES=B (B > 0): every MPC collection round also rolls B counterfactual action sequences out by the
# physics from the robot's real state every 10th tick (`collect --branches`, data_<round>_*.branches.npz),
# and both models train on them too. Off: on suite draw 2 they improved the models' ranking of unseen
# branches but flipped the GrBALs and cut MB 878 -> 230 on the held-out crippled legs (docs/control_quality.md
# "Counterfactual branches").
BRANCHES ?= 0
BRANCH_ARGS = $(if $(filter-out 0,$(BRANCHES)),--branches $(BRANCHES))
# REF_PATHS=N (N > 0): before the first training, N paths of MPC_LENGTH steps driven by the planner with the
# simulator itself as its model (`collect --policy mpc --method true_dynamics`, REF_SAMPLES samples,
# the experiment's horizon and step_ticks; data_ref.npz), on the training range of the whole suite:
# data from where a good controller drives the robot (the half-cheetah runs 1.5-4.4 m/s in them, its
# MPC rounds under 1), in every round's training set. Offline data only: the shipped controllers never
# see the simulator. ~7 min for 24 half-cheetah paths on one core. Off by default on every robot.
# Three whole half-cheetah draws with REF_PATHS=24 and 0 (SEED=1, 2, 3; THREADS=1, REBAL=no, side by side:
# 44-46 min against 37 without) returned GrBAL 1,428 / 850 / 933 with them and 569 / 507 / 1,910 without
# on 20 held-out crippled-leg tasks (paired +860 +- 154, +343 +- 114, -977 +- 136), MB 1,034 / 680 /
# 1,188 against 399 / 657 / 1,029; GrBAL lost 126-176 on joint damping with them in all three draws, and
# in the third lost on friction, payload and motor gain too (docs/control_quality.md "Reference paths";
# bench/results/ref_draws). The default was 24 on the half-cheetah for part of 2026-12-04, on the first
# two draws; the third reversed the average. The ant (48 such paths did not help it) and the walker
# (not measured) never had them; nor do the shipped checkpoints.
# STRATIFY=yes: every collection (random paths, MPC rounds, reference paths) gives each perturbation family
# the same number of paths (`collect --stratify`) instead of drawing each path's family at random (300
# random paths drew 25-47 paths of one family; a round's 12 MPC paths 0-4). Off: three half-cheetah draws
# (SEED=1..3) gave GrBAL 618 / 559 / 959 against 569 / 507 / 1,910 without it (mean 712 against 995), MB
# 470 / 1,155 / 764 against 399 / 657 / 1,029, on 20 held-out crippled-leg tasks. docs/control_quality.md "Stratified task
# sampling"; bench/results/stratified.
STRATIFY ?= no
ST_ARGS = $(if $(filter yes,$(STRATIFY)),--stratify)
REF_PATHS ?= 0
REF_SAMPLES ?= 100
REF_ARGS = --policy mpc --method true_dynamics --samples $(REF_SAMPLES) --paths $(REF_PATHS) --path-length $(MPC_LENGTH) --seed $$((1000 * $(SEED) + 50)) $(TH_ARGS)
DATA0 = $(RUNS)/data_0.npz$(if $(filter-out 0,$(REF_PATHS)), $(RUNS)/data_ref.npz)
# REBAL=no skips the recurrent model (ablations of the MLP models)
REBAL ?= yes
# CONFIG: the experiment YAML of every step (default: the robot's shipped one). A deeper model,
# CONFIG=results/quality/model_size/half_cheetah_3x256.yaml (the shipped experiment with
# model.hidden_sizes [256, 256, 256]), lifted MB from 782 to 1,205 and GrBAL from 631 to 826 when only the final
# training of three draws changed (six trainings; docs/control_quality.md "A deeper model", 2026-12-05). Two whole draws with it
# (SEED=1, 2, THREADS=1 REBAL=no, side by side; 2026-12-06) returned GrBAL 661 / 954 and MB 591 / 1,372 against
# the 2x256 draws' 569 / 507 and 399 / 657 on 20 held-out crippled-leg tasks, but took 67 minutes each against
# 37, over the 60-minute budget, so the default stays 2x256.
CONFIG ?=
# FINAL_CONFIG: the experiment YAML of the models the recipe ships only (the last round's MB and GrBAL, the
# CANDIDATES, ReBAL; default: CONFIG). The aggregation rounds' controllers keep CONFIG, so
# FINAL_CONFIG=results/quality/model_size/half_cheetah_3x256.yaml makes only the shipped models deeper.
# Two whole draws with FINAL_CONFIG=results/quality/prior_weight/half_cheetah_3x256_pw1.yaml (SEED=3, 4,
# THREADS=1 REBAL=no, side by side; 2026-12-06) took 71 and 68 minutes (the final GrBAL alone ~38) and returned
# GrBAL 579 / 732, MB 887 / 729 on 20 held-out crippled-leg tasks: not the default (docs/control_quality.md "A deeper model,
# only where it ships").
FINAL_CONFIG ?=
SEED ?= 0
THREADS ?=
# where the finished checkpoints go
DEST ?= adaptive_control/assets/$(ROBOT)
CK_ARGS = --robot $(ROBOT) $(if $(CONFIG),--config $(CONFIG))
TH_ARGS = $(if $(THREADS),--threads $(THREADS))
TRAIN_BASE = $(CK_ARGS) $(if $(STEPS),--steps $(STEPS)) $(TH_ARGS)
TRAIN_ARGS = $(TRAIN_BASE) --seed $(SEED)
FINAL_CK_ARGS = --robot $(ROBOT) $(if $(or $(FINAL_CONFIG),$(CONFIG)),--config $(or $(FINAL_CONFIG),$(CONFIG)))
FINAL_BASE = $(FINAL_CK_ARGS) $(if $(FINAL_STEPS),--steps $(FINAL_STEPS)) $(TH_ARGS)
FINAL_ARGS = $(FINAL_BASE) --seed $(SEED)
# the models of the random-data round are the final ones only when there are no aggregation rounds
ROUND0_ARGS = $(if $(strip $(AGG_ROUNDS)),$(TRAIN_ARGS),$(FINAL_ARGS))
SELECT_ARGS = --family $(SELECT_FAMILY) --seeds $(SELECT_SEEDS) --steps $(SELECT_STEPS) $(if $(filter 1,$(THREADS)),--workers 1)
ifeq ($(DRAWS),1)
checkpoints: $(STAMP)
	@mkdir -p $(RUNS) $(DEST)
	$(CLI) collect $(CK_ARGS) $(ST_ARGS) --policy random $(if $(RANDOM_PATHS),--paths $(RANDOM_PATHS)) --seed $$((1000 * $(SEED))) --out $(RUNS)/data_0.npz
	if [ "$(REF_PATHS)" != 0 ]; then $(CLI) collect $(CK_ARGS) $(ST_ARGS) $(REF_ARGS) --out $(RUNS)/data_ref.npz; fi
	$(CLI) meta-train $(ROUND0_ARGS) --method mb --data $(DATA0) --out $(RUNS)/mb.pt
	$(CLI) meta-train $(ROUND0_ARGS) --method grbal --init $(RUNS)/mb.pt --data $(DATA0) --out $(RUNS)/grbal.pt
	set -e; if [ "$(ROUND0_CANDIDATES)" -gt 1 ]; then \
	  cp $(RUNS)/mb.pt $(RUNS)/mb_r0_1.pt; cp $(RUNS)/grbal.pt $(RUNS)/grbal_r0_1.pt; \
	  for c in $$(seq 2 $(ROUND0_CANDIDATES)); do \
	    $(CLI) meta-train $(TRAIN_BASE) --seed $$(($(SEED) + 1000 * c)) --method mb --data $(DATA0) --out $(RUNS)/mb_r0_$$c.pt; \
	    $(CLI) meta-train $(TRAIN_BASE) --seed $$(($(SEED) + 1000 * c)) --method grbal --init $(RUNS)/mb_r0_$$c.pt --data $(DATA0) --out $(RUNS)/grbal_r0_$$c.pt; \
	  done; \
	  $(CLI) select $(CK_ARGS) $(SELECT_ARGS) --candidates $$(for c in $$(seq 1 $(ROUND0_CANDIDATES)); do echo $(RUNS)/mb_r0_$$c.pt; done) --out $(RUNS)/mb.pt --json $(RUNS)/select_r0_mb.json; \
	  $(CLI) select $(CK_ARGS) $(SELECT_ARGS) --candidates $$(for c in $$(seq 1 $(ROUND0_CANDIDATES)); do echo $(RUNS)/grbal_r0_$$c.pt; done) --out $(RUNS)/grbal.pt --json $(RUNS)/select_r0_grbal.json; \
	fi
	set -e; data="$(DATA0)"; for i in $(AGG_ROUNDS); do \
	  args="$(TRAIN_ARGS)"; if [ "$$i" = "$(lastword $(AGG_ROUNDS))" ]; then args="$(FINAL_ARGS)"; fi; \
	  $(CLI) collect $(CK_ARGS) $(TH_ARGS) $(BRANCH_ARGS) $(ST_ARGS) --policy mpc --method grbal --checkpoint $(RUNS)/grbal.pt --paths $(MPC_PATHS) --path-length $(MPC_LENGTH) --seed $$((1000 * $(SEED) + i)) --out $(RUNS)/data_$${i}_grbal.npz; \
	  $(CLI) collect $(CK_ARGS) $(TH_ARGS) $(BRANCH_ARGS) $(ST_ARGS) --policy mpc --method mb --checkpoint $(RUNS)/mb.pt --paths $(MPC_PATHS) --path-length $(MPC_LENGTH) --seed $$((1000 * $(SEED) + 100 + i)) --out $(RUNS)/data_$${i}_mb.npz; \
	  data="$$data $(RUNS)/data_$${i}_grbal.npz $(RUNS)/data_$${i}_mb.npz"; \
	  if [ "$(BRANCHES)" != 0 ]; then data="$$data $(RUNS)/data_$${i}_grbal.branches.npz $(RUNS)/data_$${i}_mb.branches.npz"; fi; \
	  $(CLI) meta-train $$args --method mb --data $$data --out $(RUNS)/mb.pt; \
	  if [ "$$i" = "$(lastword $(AGG_ROUNDS))" ] && [ "$(GRBAL_START)" = yes ]; then args="$$args --snapshot-every 1000000"; fi; \
	  $(CLI) meta-train $$args --method grbal --init $(RUNS)/mb.pt --data $$data --out $(RUNS)/grbal.pt; \
	done; \
	if [ "$(GRBAL_START)" = yes ]; then \
	  cp $(RUNS)/grbal.pt $(RUNS)/grbal.trained.pt; starts=""; for a in $(GRBAL_START_STEPS); do \
	    $(CLI) step-size --checkpoint $(RUNS)/grbal.step0.pt --value $$a --out $(RUNS)/grbal.start$$a.pt; \
	    starts="$$starts $(RUNS)/grbal.start$$a.pt"; \
	  done; \
	  $(CLI) select $(CK_ARGS) $(SELECT_ARGS) --candidates $(RUNS)/grbal.trained.pt $$starts --out $(RUNS)/grbal.pt --json $(RUNS)/select_start.json; \
	fi; \
	if [ "$(CANDIDATES)" -gt 1 ]; then \
	  cp $(RUNS)/mb.pt $(RUNS)/mb_1.pt; cp $(RUNS)/grbal.pt $(RUNS)/grbal_1.pt; \
	  for c in $$(seq 2 $(CANDIDATES)); do \
	    $(CLI) meta-train $(FINAL_BASE) --seed $$(($(SEED) + 1000 * c)) --method mb --data $$data --out $(RUNS)/mb_$$c.pt; \
	    $(CLI) meta-train $(FINAL_BASE) --seed $$(($(SEED) + 1000 * c)) --method grbal --init $(RUNS)/mb_1.pt --data $$data --out $(RUNS)/grbal_$$c.pt; \
	  done; \
	  $(CLI) select $(CK_ARGS) $(SELECT_ARGS) --candidates $$(for c in $$(seq 1 $(CANDIDATES)); do echo $(RUNS)/mb_$$c.pt; done) --out $(RUNS)/mb.pt --json $(RUNS)/select_mb.json; \
	  $(CLI) select $(CK_ARGS) $(SELECT_ARGS) --candidates $$(for c in $$(seq 1 $(CANDIDATES)); do echo $(RUNS)/grbal_$$c.pt; done) --out $(RUNS)/grbal.pt --json $(RUNS)/select_grbal.json; \
	fi; \
	if [ "$(REBAL)" = yes ]; then \
	  $(CLI) meta-train $(FINAL_CK_ARGS) $(TH_ARGS) $(if $(REBAL_STEPS),--steps $(REBAL_STEPS)) --seed $(SEED) --method rebal --data $$data --out $(RUNS)/rebal.pt; \
	fi
	cp $(RUNS)/grbal.pt $(RUNS)/mb.pt $(DEST)/
	if [ "$(REBAL)" = yes ]; then cp $(RUNS)/rebal.pt $(DEST)/; fi
	chmod 644 $(DEST)/*.pt
else
DRAW_METHODS = grbal mb $(if $(filter yes,$(REBAL)),rebal)
checkpoints: $(STAMP)
	@case "$(DRAWS)" in ''|*[!0-9]*|0) echo "DRAWS must be a whole number of draws, 1 or more (got '$(DRAWS)')" >&2; exit 2;; esac
	@mkdir -p $(RUNS) $(DEST)
	set -e; pids=""; for c in $$(seq 1 $(DRAWS)); do \
	  echo "draw $$c of $(DRAWS): SEED=$$(($(SEED) + 100 * (c - 1))), log $(RUNS)/draw$$c.log"; \
	  $(MAKE) --no-print-directory checkpoints DRAWS=1 SEED=$$(($(SEED) + 100 * (c - 1))) THREADS=$(or $(THREADS),1) \
	    RUNS=$(RUNS)/draw$$c DEST=$(RUNS)/draw$$c/final > $(RUNS)/draw$$c.log 2>&1 & pids="$$pids $$!"; \
	done; failed=0; c=0; for p in $$pids; do c=$$((c + 1)); \
	  if ! wait $$p; then failed=1; echo "draw $$c failed; the end of $(RUNS)/draw$$c.log:" >&2; tail -n 20 $(RUNS)/draw$$c.log >&2; fi; \
	done; [ $$failed = 0 ]
	set -e; for m in $(DRAW_METHODS); do \
	  $(CLI) select $(CK_ARGS) $(SELECT_ARGS) --candidates $$(for c in $$(seq 1 $(DRAWS)); do echo $(RUNS)/draw$$c/final/$$m.pt; done) \
	    --out $(RUNS)/$$m.pt --json $(RUNS)/select_draws_$$m.json; \
	  cp $(RUNS)/$$m.pt $(DEST)/; \
	done
	chmod 644 $(DEST)/*.pt
endif

# The walker (the robot from files, sim/specs/walker.yaml): a shorter recipe, two aggregation rounds and
# no ReBAL; exactly what made adaptive_control/assets/walker/{grbal,mb}.pt (README "Your robot").
walker-checkpoints: $(STAMP)
	$(MAKE) checkpoints ROBOT=walker RANDOM_PATHS=800 AGG_ROUNDS="1 2 3" MPC_PATHS=16 MPC_LENGTH=150 STEPS=3000 REBAL=no

clean:
	rm -rf out build install log *.egg-info
