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

.PHONY: install demo test bench checkpoints clean

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

# Remake the shipped checkpoints ($(DEST)/{grbal,mb,rebal}.pt) from scratch:
# random-action data, then rounds of data aggregation with the MPC controllers (as in GrBAL),
# retraining on everything collected so far (both models see the same data). Each round trains MB
# first and meta-trains GrBAL starting from MB's weights (--init): the meta-learned prior starts
# where plain regression ends, and meta-training only has to make the one adaptation step pay off.
# Finally ReBAL (recurrent) on all of it (REBAL_STEPS: its steps are ~3x cheaper). Empty
# RANDOM_PATHS / STEPS / CONFIG take the robot's shipped config (adaptive_control/assets/$(ROBOT).yaml).
# The shipped checkpoints: half-cheetah grbal/mb from `make checkpoints` and ant grbal/mb from
#   make checkpoints ROBOT=ant RANDOM_PATHS=150 MPC_PATHS=24 STEPS=4000
# as the recipe was before GrBAL started from MB's weights (CONFIG= a copy of the robot's YAML with
# controller.threads: 1); rebal (the context-lag training) for the half-cheetah from a rerun of
# `make checkpoints REBAL_STEPS=9000`, for the ant `meta-train --method rebal --steps 12000` on
# the ant run's data. Two runs of the same recipe differ a lot in control: the rerun's GrBAL
# scored 178 ± 37 against the shipped one's 384 ± 46 on the same 10 demo episodes.
AGG_ROUNDS ?= 1 2
MPC_PATHS ?= 12
RANDOM_PATHS ?=
STEPS ?=
REBAL_STEPS ?= $(STEPS)
# REBAL=no skips the recurrent model (ablations of the MLP models)
REBAL ?= yes
CONFIG ?=
# SEED offsets every collection seed and sets the training seed: two runs with different SEEDs are
# two independent draws of the recipe (its reproducibility is measured that way)
SEED ?= 0
# where the finished checkpoints go (e.g. results/suite/checkpoints/$(ROBOT) for the suite models)
DEST ?= adaptive_control/assets/$(ROBOT)
CK_ARGS = --robot $(ROBOT) $(if $(CONFIG),--config $(CONFIG))
TRAIN_ARGS = $(CK_ARGS) $(if $(STEPS),--steps $(STEPS)) --seed $(SEED)
checkpoints: $(STAMP)
	@mkdir -p $(RUNS) $(DEST)
	$(CLI) collect $(CK_ARGS) --policy random $(if $(RANDOM_PATHS),--paths $(RANDOM_PATHS)) --seed $$((1000 * $(SEED))) --out $(RUNS)/data_0.npz
	$(CLI) meta-train $(TRAIN_ARGS) --method mb --data $(RUNS)/data_0.npz --out $(RUNS)/mb.pt
	$(CLI) meta-train $(TRAIN_ARGS) --method grbal --init $(RUNS)/mb.pt --data $(RUNS)/data_0.npz --out $(RUNS)/grbal.pt
	set -e; data="$(RUNS)/data_0.npz"; for i in $(AGG_ROUNDS); do \
	  $(CLI) collect $(CK_ARGS) --policy mpc --method grbal --checkpoint $(RUNS)/grbal.pt --paths $(MPC_PATHS) --seed $$((1000 * $(SEED) + i)) --out $(RUNS)/data_$${i}_grbal.npz; \
	  $(CLI) collect $(CK_ARGS) --policy mpc --method mb --checkpoint $(RUNS)/mb.pt --paths $(MPC_PATHS) --seed $$((1000 * $(SEED) + 100 + i)) --out $(RUNS)/data_$${i}_mb.npz; \
	  data="$$data $(RUNS)/data_$${i}_grbal.npz $(RUNS)/data_$${i}_mb.npz"; \
	  $(CLI) meta-train $(TRAIN_ARGS) --method mb --data $$data --out $(RUNS)/mb.pt; \
	  $(CLI) meta-train $(TRAIN_ARGS) --method grbal --init $(RUNS)/mb.pt --data $$data --out $(RUNS)/grbal.pt; \
	done; \
	if [ "$(REBAL)" = yes ]; then \
	  $(CLI) meta-train $(CK_ARGS) $(if $(REBAL_STEPS),--steps $(REBAL_STEPS)) --seed $(SEED) --method rebal --data $$data --out $(RUNS)/rebal.pt; \
	fi
	cp $(RUNS)/grbal.pt $(RUNS)/mb.pt $(DEST)/
	if [ "$(REBAL)" = yes ]; then cp $(RUNS)/rebal.pt $(DEST)/; fi
	chmod 644 $(DEST)/*.pt

clean:
	rm -rf out build install log *.egg-info
