# The two commands a new user runs: `make demo` and `make test`. Each sets itself up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/adaptive-control
STAMP := $(VENV)/.installed-stamp
# Where `make checkpoints` writes datasets and intermediate checkpoints.
RUNS ?= runs/half_cheetah

.PHONY: install demo test bench checkpoints clean

$(STAMP): setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e ".[test,bench]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	MUJOCO_GL=disable $(CLI) demo --out out/demo

test: $(STAMP)
	MUJOCO_GL=disable $(PY) -m pytest -q tests

bench: $(STAMP)
	MUJOCO_GL=disable $(PY) bench/tick_latency.py --json bench/results/tick_latency.json

# Remake the shipped checkpoints (adaptive_control/assets/half_cheetah/{grbal,mb}.pt) from scratch:
# random-action data, then two rounds of data aggregation with the MPC controllers (as in GrBAL),
# retraining both models on everything collected so far (both models see the same data); finally
# ReBAL (recurrent) on all of it.
AGG_ROUNDS ?= 1 2
checkpoints: $(STAMP)
	@mkdir -p $(RUNS)
	$(CLI) collect --policy random --seed 0 --out $(RUNS)/data_0.npz
	$(CLI) meta-train --method grbal --data $(RUNS)/data_0.npz --out $(RUNS)/grbal.pt
	$(CLI) meta-train --method mb --data $(RUNS)/data_0.npz --out $(RUNS)/mb.pt
	set -e; data="$(RUNS)/data_0.npz"; for i in $(AGG_ROUNDS); do \
	  $(CLI) collect --policy mpc --method grbal --checkpoint $(RUNS)/grbal.pt --paths 12 --seed $$i --out $(RUNS)/data_$${i}_grbal.npz; \
	  $(CLI) collect --policy mpc --method mb --checkpoint $(RUNS)/mb.pt --paths 12 --seed $$((100 + i)) --out $(RUNS)/data_$${i}_mb.npz; \
	  data="$$data $(RUNS)/data_$${i}_grbal.npz $(RUNS)/data_$${i}_mb.npz"; \
	  $(CLI) meta-train --method grbal --data $$data --out $(RUNS)/grbal.pt; \
	  $(CLI) meta-train --method mb --data $$data --out $(RUNS)/mb.pt; \
	done; \
	$(CLI) meta-train --method rebal --data $$data --out $(RUNS)/rebal.pt
	cp $(RUNS)/grbal.pt $(RUNS)/mb.pt $(RUNS)/rebal.pt adaptive_control/assets/half_cheetah/

clean:
	rm -rf out build install log *.egg-info
