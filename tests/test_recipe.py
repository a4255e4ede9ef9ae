"""The checkpoint recipe (`make checkpoints`) end to end, at toy sizes: random data on the whole
perturbation suite, MB, GrBAL from MB's weights, one aggregation round driven by both MPC
controllers (with counterfactual branches), a path driven by the planner on the simulator itself, closed-loop
selection between two random-data pairs before that round (ROUND0_CANDIDATES=2), a second training of each
with another seed and closed-loop selection between the two (CANDIDATES=2), the last round's GrBAL against its
untrained start (GRBAL_START=yes), ReBAL, the shipped models with
another experiment than the rounds before them (FINAL_CONFIG); the shipped experiment's block model, early
stopping and planner settings."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_make_checkpoints_recipe_runs_end_to_end(tmp_path):
    from adaptive_control.build import build_controller, default_config_path
    from adaptive_control.config import load_config
    from models.checkpoint import load_checkpoint
    from models.dataset import TransitionDataset

    venv = os.path.dirname(os.path.dirname(sys.executable))
    runs, dest = tmp_path / "runs", tmp_path / "dest"
    cmd = ["make", "--no-print-directory", "-C", ROOT, "-o", os.path.join(venv, ".installed-stamp"), "checkpoints",
           f"VENV={venv}", "ROBOT=half_cheetah", f"RUNS={runs}", f"DEST={dest}", "RANDOM_PATHS=3", "MPC_PATHS=1",
           "MPC_LENGTH=24", "STEPS=12", "FINAL_STEPS=16", "REBAL_STEPS=4", "AGG_ROUNDS=1", "THREADS=1", "SEED=2", "CANDIDATES=2",
           "ROUND0_CANDIDATES=2", "FINAL_CONFIG=results/quality/prior_weight/half_cheetah_3x256_pw1.yaml",
           "SELECT_SEEDS=900", "SELECT_STEPS=20", "BRANCHES=2", "REF_PATHS=1", "REF_SAMPLES=16", "GRBAL_START=yes",
           "GRBAL_START_STEPS=0.01 0.002"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env={**os.environ, "MUJOCO_GL": "disable"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert sorted(os.listdir(dest)) == ["grbal.pt", "mb.pt", "rebal.pt"]
    # the data: random paths on suite tasks, then one MPC round per controller (seeds offset by SEED)
    d0 = TransitionDataset.load(str(runs / "data_0.npz"))
    assert d0.num_paths == 3
    # REF_PATHS=1: one path driven by the planner on the simulator itself, in every round's training set
    ref = TransitionDataset.load(str(runs / "data_ref.npz"))
    assert ref.num_paths == 1 and len(ref) == 24
    assert ref.meta["policy"] == "mpc" and ref.meta["method"] == "true_dynamics" and ref.meta["planner"]["samples"] == 16
    for kind in ("grbal", "mb"):
        d = TransitionDataset.load(str(runs / f"data_1_{kind}.npz"))
        assert d.num_paths == 1 and len(d) == 24
        # BRANCHES=2: two counterfactual branches at the one branch point (tick 18) of the 24-step path
        b = TransitionDataset.load(str(runs / f"data_1_{kind}.branches.npz"))
        assert b.num_paths == 2 and len(b) == 2 * 36
    exp = load_config(default_config_path("half_cheetah"))
    for kind in ("grbal", "mb", "rebal"):
        ck = load_checkpoint(str(dest / f"{kind}.pt"), robot="half_cheetah")
        assert ck.kind == kind
        assert ck.ticks == (1 if kind == "rebal" else exp.train.model_ticks)
        assert ck.metrics["transitions"] > len(d0) - 3 * exp.train.model_ticks
        if kind != "rebal":  # trained on the reference path and the branches too: 3 x 198 + 22 + 2 x 22 + 4 x 34
            assert ck.metrics["transitions"] == 3 * 198 + 22 + 2 * 22 + 4 * 34
    # ROUND0_CANDIDATES=2: two random-data pairs (seeds 2 and 2002, STEPS each, GrBAL from its own MB); the
    # better of each method on validation is the model that drove the first MPC round
    for kind in ("grbal", "mb"):
        cands = [load_checkpoint(str(runs / f"{kind}_r0_{c}.pt")) for c in (1, 2)]
        assert [c.config["train"]["seed"] for c in cands] == [2, 2002]
        assert [c.config["train"]["steps"] for c in cands] == [12, 12]
        if kind == "grbal":
            assert [os.path.basename(c.metrics["init"]) for c in cands] == ["mb.pt", "mb_r0_2.pt"]
        doc = json.load(open(runs / f"select_r0_{kind}.json"))
        assert [c["path"] for c in doc["candidates"]] == [str(runs / f"{kind}_r0_{c}.pt") for c in (1, 2)]
        assert doc["out"] == str(runs / f"{kind}.pt") and doc["split"] == "train"
        assert doc["chosen"] == max(doc["candidates"], key=lambda c: c["mean"])["path"]
        assert TransitionDataset.load(str(runs / f"data_1_{kind}.npz")).meta["checkpoint"] == doc["out"]
    # two candidates of each MLP method (seeds 2 and 2002), the shipped one the better on validation;
    # the shipped models (the last round's and the candidates) train FINAL_STEPS steps with FINAL_CONFIG's
    # model (three hidden layers; the prior's own loss in GrBAL's meta-loss), the rounds before them with CONFIG's
    for kind in ("grbal", "mb"):
        cands = [load_checkpoint(str(runs / f"{kind}_{c}.pt")).config for c in (1, 2)]
        assert [c["train"]["seed"] for c in cands] == [2, 2002]
        assert [c["train"]["steps"] for c in cands] == [16, 16]
        assert [list(c["model"]["hidden_sizes"]) for c in cands] == [[256, 256, 256]] * 2
        # the experiment as recorded (MB's training ignores the term: tests/test_prior_weight.py)
        assert [c["train"]["prior_weight"] for c in cands] == [1.0] * 2
        r0 = load_checkpoint(str(runs / f"{kind}_r0_1.pt")).config
        assert list(r0["model"]["hidden_sizes"]) == list(exp.model.hidden_sizes) and r0["train"]["prior_weight"] == 0.0
        doc = json.load(open(runs / f"select_{kind}.json"))
        assert [c["path"] for c in doc["candidates"]] == [str(runs / f"{kind}_{c}.pt") for c in (1, 2)]
        assert doc["split"] == "train" and doc["seeds"] == [900] and doc["steps"] == 20
        best = max(doc["candidates"], key=lambda c: c["mean"])["path"]
        assert open(dest / f"{kind}.pt", "rb").read() == open(best, "rb").read()
    # GRBAL_START=yes: the last round's GrBAL and its start (the round's MB weights, never meta-trained) with each
    # step size of GRBAL_START_STEPS; the best on validation is kept as that round's GrBAL (candidate 1 above)
    doc = json.load(open(runs / "select_start.json"))
    starts = [str(runs / f"grbal.start{a}.pt") for a in ("0.01", "0.002")]
    assert [c["path"] for c in doc["candidates"]] == [str(runs / "grbal.trained.pt"), *starts]
    assert doc["chosen"] == max(doc["candidates"], key=lambda c: c["mean"])["path"]
    round_mb = load_checkpoint(str(runs / "mb_1.pt"))
    for path, a in zip(starts, (0.01, 0.002)):
        start = load_checkpoint(path)
        assert start.kind == "grbal" and start.metrics["step"] == 0
        sa, sb = start.model.state_dict(), round_mb.model.state_dict()
        assert all(np.array_equal(sa[k].numpy(), sb[k].numpy()) for k in sa)
        assert all(bool((v == a).all()) for v in start.inner_lr.values())
    trained = load_checkpoint(str(runs / "grbal.trained.pt"))  # the meta-trained one is kept on disk
    assert os.path.basename(trained.metrics["init"]) == "mb.pt" and "step_size_set" not in trained.metrics
    kept = [p for p in [str(runs / "grbal.trained.pt"), *starts]
            if open(runs / "grbal_1.pt", "rb").read() == open(p, "rb").read()]
    assert kept == [doc["chosen"]]  # it is candidate 1 of CANDIDATES above (grbal.pt is CANDIDATES' choice now)
    rebal = load_checkpoint(str(dest / "rebal.pt")).config
    assert rebal["train"]["seed"] == 2 and list(rebal["model"]["hidden_sizes"]) == [256, 256, 256]
    # GrBAL of the last round started from that round's MB model, and its checkpoint runs the controller
    grbal = load_checkpoint(str(dest / "grbal.pt"), robot="half_cheetah")
    assert os.path.basename(grbal.metrics["init"]) in ("mb.pt", "mb_1.pt")
    ctrl = build_controller(grbal, "half_cheetah", exp.planner, exp.controller)
    obs = grbal.model.normalizer.obs_mean.numpy().astype(np.float64)
    for _ in range(4):
        a = ctrl.step(obs)
        assert a.shape == (6,) and np.all(np.abs(a) <= 1)


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
@pytest.mark.parametrize("robot", ["half_cheetah", "ant", "walker"])
def test_reference_paths_off_by_default_and_on_when_asked(tmp_path, robot):
    """`make checkpoints` collects no reference paths by default (three half-cheetah draws: no gain for
    GrBAL on average); REF_PATHS=24 collects them and trains the first round on them too (the recipe as
    printed by `make -n`, nothing run)."""
    venv = os.path.dirname(os.path.dirname(sys.executable))
    base = ["make", "--no-print-directory", "-n", "-C", ROOT, "-o", os.path.join(venv, ".installed-stamp"),
            "checkpoints", f"VENV={venv}", f"ROBOT={robot}", f"RUNS={tmp_path}"]
    for extra, n in (([], 0), (["REF_PATHS=24"], 24)):
        out = subprocess.run(base + extra, capture_output=True, text=True, timeout=60, check=True).stdout
        assert f'if [ "{n}" != 0 ]' in out
        if n:
            assert f"--method true_dynamics --samples 100 --paths {n} " in out
        first = next(line for line in out.splitlines() if "meta-train" in line)
        assert (f"{tmp_path}/data_ref.npz" in first) == bool(n)


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_draws_runs_whole_draws_side_by_side_and_keeps_each_methods_best(tmp_path):
    """DRAWS=2: two whole toy draws (SEED and SEED + 100) in their own folders, each with its log, then for
    each method the draw whose model returns most on the validation episodes is the one copied to DEST
    (GRBAL_START, tested above, off: each draw's GrBAL is its meta-trained one)."""
    from models.checkpoint import load_checkpoint

    venv = os.path.dirname(os.path.dirname(sys.executable))
    runs, dest = tmp_path / "runs", tmp_path / "dest"
    cmd = ["make", "--no-print-directory", "-C", ROOT, "-o", os.path.join(venv, ".installed-stamp"), "checkpoints",
           f"VENV={venv}", "ROBOT=half_cheetah", f"RUNS={runs}", f"DEST={dest}", "RANDOM_PATHS=3", "MPC_PATHS=1",
           "MPC_LENGTH=24", "STEPS=12", "FINAL_STEPS=16", "AGG_ROUNDS=1", "REBAL=no", "GRBAL_START=no", "SEED=3", "DRAWS=2",
           "SELECT_SEEDS=900 901", "SELECT_STEPS=20"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env={**os.environ, "MUJOCO_GL": "disable"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert sorted(os.listdir(dest)) == ["grbal.pt", "mb.pt"]
    for c, seed in ((1, 3), (2, 103)):
        assert "meta-train" in (runs / f"draw{c}.log").read_text()
        for kind in ("grbal", "mb"):  # each draw a whole recipe run with its own seed, one torch thread
            ck = load_checkpoint(str(runs / f"draw{c}" / "final" / f"{kind}.pt"), robot="half_cheetah")
            assert ck.config["train"]["seed"] == seed and ck.config["train"]["steps"] == 16
    # the two draws' random paths differ (their collection seeds are 1000 x 3 and 1000 x 103)
    obs = [np.load(runs / f"draw{c}" / "data_0.npz")["obs"] for c in (1, 2)]
    assert obs[0].shape == obs[1].shape and not np.array_equal(*obs)
    for kind in ("grbal", "mb"):
        doc = json.load(open(runs / f"select_draws_{kind}.json"))
        assert [c["path"] for c in doc["candidates"]] == [str(runs / f"draw{c}" / "final" / f"{kind}.pt") for c in (1, 2)]
        assert doc["split"] == "train" and doc["seeds"] == [900, 901] and doc["steps"] == 20
        best = max(doc["candidates"], key=lambda c: c["mean"])["path"]
        assert open(dest / f"{kind}.pt", "rb").read() == open(best, "rb").read()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_draws_stops_with_the_failed_draws_log(tmp_path):
    """A draw that fails stops DRAWS=N before any selection, naming the draw and showing its log's end."""
    venv = os.path.dirname(os.path.dirname(sys.executable))
    runs, dest = tmp_path / "runs", tmp_path / "dest"
    cmd = ["make", "--no-print-directory", "-C", ROOT, "-o", os.path.join(venv, ".installed-stamp"), "checkpoints",
           f"VENV={venv}", "ROBOT=half_cheetah", f"RUNS={runs}", f"DEST={dest}", "DRAWS=2",
           f"CONFIG={tmp_path}/missing.yaml"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={**os.environ, "MUJOCO_GL": "disable"})
    assert proc.returncode != 0
    assert "draw 1 failed" in proc.stderr and "draw 2 failed" in proc.stderr
    assert "missing.yaml" in proc.stderr  # the draw's own error, from its log
    assert not (runs / "select_draws_grbal.json").exists() and not os.listdir(dest)
    for bad in ("0", "two"):  # not a number of draws: a clear error before anything runs
        proc = subprocess.run(cmd[:-2] + [f"DRAWS={bad}"], capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0 and f"DRAWS must be a whole number of draws, 1 or more (got '{bad}')" in proc.stderr
