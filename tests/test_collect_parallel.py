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
