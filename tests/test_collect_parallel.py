"""Parallel collection (issue 14): worker processes give the dataset one process gives."""
import dataclasses
import os

import numpy as np
import pytest

from adaptive_control.build import default_config_path
from adaptive_control.cli import main
from adaptive_control.collect import CollectJob, collect_parallel, merge_shards
from adaptive_control.config import CollectConfig, ExperimentConfig, load_config
from models.dataset import TransitionDataset


def _same(a: TransitionDataset, b: TransitionDataset):
    for name in ("obs", "act", "next_obs", "path_id", "step"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.tasks == b.tasks and a.robot == b.robot and a.meta == b.meta


def test_random_collection_is_the_same_with_three_workers(tmp_path):
    job = CollectJob(cfg=ExperimentConfig(), collect=CollectConfig(paths=7, path_length=30, seed=3),
                     perturbation="crippled_leg")
    one = collect_parallel(job, str(tmp_path / "one.npz"), workers=1, progress=False)
    three = collect_parallel(job, str(tmp_path / "three.npz"), workers=3, progress=False)
    _same(one, three)
    _same(three, TransitionDataset.load(tmp_path / "three.npz"))
    assert one.num_paths == 7 and len(one) == 7 * 30
    assert sorted(os.listdir(tmp_path)) == ["one.npz", "three.npz"]  # shards removed


def test_mpc_collection_is_the_same_with_two_workers(tmp_path):
    cfg = load_config(default_config_path("half_cheetah"))  # the shipped experiment, small plans
    cfg = dataclasses.replace(cfg, planner=dataclasses.replace(cfg.planner, samples=32))
    job = CollectJob(cfg=cfg, collect=CollectConfig(paths=3, path_length=12, policy="mpc", seed=4),
                     method="grbal", threads=1)
    one = collect_parallel(job, str(tmp_path / "one.npz"), workers=1, progress=False)
    two = collect_parallel(job, str(tmp_path / "two.npz"), workers=2, progress=False)
    _same(one, two)
    assert np.abs(one.act).max() > 0  # the controller acted


def test_merge_refuses_missing_or_repeated_paths(cheetah_dataset):
    with pytest.raises(ValueError, match="every path exactly once"):
        merge_shards([([0, 1], cheetah_dataset)], 3)


def test_cli_collect_with_workers(tmp_path, capsys):
    out = tmp_path / "d.npz"
    assert main(["collect", "--robot", "half_cheetah", "--paths", "4", "--path-length", "20", "--workers", "2",
                 "--seed", "1", "--out", str(out)]) == 0
    assert "(2 workers)" in capsys.readouterr().out
    d = TransitionDataset.load(out)
    assert d.num_paths == 4 and len(d) == 80
    with pytest.raises(SystemExit) as exc:  # argparse: one line, exit status 2
        main(["collect", "--robot", "half_cheetah", "--paths", "2", "--workers", "0", "--out", str(out)])
    assert exc.value.code == 2


def test_true_dynamics_collection_runs_where_random_actions_do_not(tmp_path):
    """``collect --policy mpc --method true_dynamics``: the planner with the simulator as its model drives the
    robot (offline data from a running gait); the same paths with random actions stay near standstill."""
    from sim.spec import load_spec

    vx = load_spec("half_cheetah").base_entries()["vx"]
    common = ["--robot", "half_cheetah", "--perturbation", "crippled_leg", "--paths", "2", "--path-length", "60",
              "--seed", "5"]
    ref, rnd = tmp_path / "ref.npz", tmp_path / "rnd.npz"
    assert main(["collect", *common, "--policy", "mpc", "--method", "true_dynamics", "--samples", "48",
                 "--horizon", "5", "--threads", "1", "--out", str(ref)]) == 0
    assert main(["collect", *common, "--policy", "random", "--out", str(rnd)]) == 0
    ref_d, rnd_d = TransitionDataset.load(ref), TransitionDataset.load(rnd)
    assert len(ref_d) == len(rnd_d) == 120 and ref_d.tasks == rnd_d.tasks  # the same tasks, other actions
    np.testing.assert_array_equal(ref_d.obs[1:60], ref_d.next_obs[:59])  # one path, consecutive ticks
    assert ref_d.next_obs[:, vx].mean() > 0.5 > abs(rnd_d.next_obs[:, vx].mean())


def test_true_dynamics_collection_refuses_a_checkpoint(tmp_path, capsys):
    assert main(["collect", "--robot", "half_cheetah", "--policy", "mpc", "--method", "true_dynamics",
                 "--checkpoint", "grbal.pt", "--paths", "1", "--out", str(tmp_path / "d.npz")]) == 2
    assert "true_dynamics has no model" in capsys.readouterr().err
    assert not os.listdir(tmp_path)
