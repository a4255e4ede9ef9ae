"""Closed-loop checkpoint selection (``adaptive-control select``): real controllers on real MuJoCo
episodes from the training range; the checkpoint with the best validation return is copied whole."""
import json
import os

import numpy as np
import pytest
import torch

from adaptive_control.build import default_checkpoint
from adaptive_control.cli import main
from adaptive_control.experiments.select import DEFAULT_SEEDS, validation_episode, validation_tasks
from models.checkpoint import load_checkpoint, save_checkpoint


@pytest.fixture(scope="module")
def candidates(tmp_path_factory):
    """The shipped half-cheetah GrBAL and a crippled copy of it (output layer scaled: a wrong model)."""
    folder = tmp_path_factory.mktemp("candidates")
    good = str(folder / "good.pt")
    with open(default_checkpoint("half_cheetah", "grbal"), "rb") as src, open(good, "wb") as dst:
        dst.write(src.read())
    ck = load_checkpoint(good, robot="half_cheetah")
    with torch.no_grad():
        last = [p for n, p in ck.model.named_parameters() if n.endswith("weight")][-1]
        last.mul_(-3.0)  # predicts the state change backwards: plans push the wrong way
    bad = str(folder / "bad.pt")
    save_checkpoint(bad, ck.model, robot=ck.robot, kind=ck.kind, inner_lr=ck.inner_lr, config=ck.config,
                    metrics=ck.metrics, ticks=ck.ticks, residual_max=ck.residual_max)
    return bad, good


def test_validation_tasks_come_from_the_training_range_only():
    tasks = validation_tasks("half_cheetah", "crippled_leg")
    actuators = {tasks.sample(np.random.default_rng(s)).params()["actuator"] for s in range(900, 960)}
    assert actuators == {0, 1, 2, 3}  # the held-out actuators 4 and 5 never appear
    ant = validation_tasks("ant", "crippled_leg")
    assert {ant.sample(np.random.default_rng(s)).params()["leg"] for s in DEFAULT_SEEDS} <= {0, 1, 2}


def test_select_keeps_the_candidate_with_the_best_validation_return(candidates, tmp_path, capsys):
    bad, good = candidates
    out, report = str(tmp_path / "chosen.pt"), str(tmp_path / "select.json")
    threads = torch.get_num_threads()
    rc = main(["select", "--candidates", bad, good, "--seeds", "900", "901", "--steps", "60", "--workers", "1",
               "--out", out, "--json", report])
    assert rc == 0
    assert torch.get_num_threads() == threads  # one worker: episodes in this process, on one thread, then restored
    doc = json.load(open(report))
    assert doc["split"] == "train" and doc["seeds"] == [900, 901] and doc["steps"] == 60
    rows = {c["path"]: c for c in doc["candidates"]}
    assert set(rows) == {bad, good} and all(len(c["returns"]) == 2 for c in rows.values())
    # the returns are the episodes themselves: the same seed run again in this process gives the same number
    assert rows[good]["returns"][1] == pytest.approx(
        validation_episode(good, "grbal", "half_cheetah", None, "crippled_leg", 901, 60), rel=1e-9)
    best = max(rows.values(), key=lambda c: c["mean"])["path"]
    assert doc["chosen"] == best == good  # the reversed model loses
    assert open(out, "rb").read() == open(best, "rb").read()  # copied whole
    assert "<- chosen" in capsys.readouterr().out


def test_select_may_write_over_a_candidate(candidates, tmp_path):
    bad, good = candidates
    target = str(tmp_path / "grbal.pt")
    with open(bad, "rb") as src, open(target, "wb") as dst:
        dst.write(src.read())
    report = str(tmp_path / "select.json")
    assert main(["select", "--candidates", target, good, "--seeds", "900", "--steps", "60", "--workers", "2",
                 "--out", target, "--json", report]) == 0
    assert open(target, "rb").read() == open(good, "rb").read()
    # two workers: the episodes ran in worker processes, with the returns of this process's
    returns = {c["path"]: c["returns"] for c in json.load(open(report))["candidates"]}
    assert returns[good] == [validation_episode(good, "grbal", "half_cheetah", None, "crippled_leg", 900, 60)]


def test_select_refuses_bad_candidates_before_running(candidates, tmp_path, capsys):
    bad, good = candidates
    out = str(tmp_path / "x.pt")
    assert main(["select", "--candidates", good, default_checkpoint("ant", "grbal"), "--out", out]) == 2
    assert "is for robot 'ant'" in capsys.readouterr().err
    assert main(["select", "--candidates", good, default_checkpoint("half_cheetah", "mb"), "--out", out]) == 2
    err = capsys.readouterr().err
    assert "one kind" in err and "(mb)" in err and "(grbal)" in err
    assert main(["select", "--candidates", good, "--family", "lava", "--out", out]) == 2
    assert "'lava'" in capsys.readouterr().err
    assert main(["select", "--candidates", good, str(tmp_path / "missing.pt"), "--out", out]) == 2
    assert "missing.pt" in capsys.readouterr().err
    assert not os.path.exists(out)
