"""Counterfactual branches (``collect.branches``): other action sequences rolled out by the physics from
the robot's real full state, as paths of their own (real prefix, then the branch)."""
import dataclasses
import os

import numpy as np
import pytest

from adaptive_control.build import task_distribution
from adaptive_control.cli import main
from adaptive_control.collect import CollectJob, branch_file, collect, collect_parallel, path_seed
from adaptive_control.config import CollectConfig, ConfigError, ExperimentConfig
from models.dataset import TransitionDataset
from sim.half_cheetah import HalfCheetahEnv

CFG = CollectConfig(paths=3, path_length=50, seed=9, action_smoothing=0.5, branches=3, branch_every=12,
                    branch_prefix=10, branch_length=8, branch_hold=3)


@pytest.fixture(scope="module")
def collected():
    env = HalfCheetahEnv()
    tasks = task_distribution("half_cheetah", ExperimentConfig().task, "crippled_leg")
    data, branches = collect(env, tasks, CFG, with_branches=True)
    plain = collect(env, tasks, dataclasses.replace(CFG, branches=0))
    return env, tasks, data, branches, plain


def test_branches_leave_the_episode_as_it_was(collected):
    _, _, data, _, plain = collected
    for name in ("obs", "act", "next_obs", "path_id", "step"):
        np.testing.assert_array_equal(getattr(data, name), getattr(plain, name), err_msg=name)
    assert data.tasks == plain.tasks


def test_each_branch_is_the_real_prefix_then_held_actions(collected):
    env, _, data, branches, _ = collected
    points = list(range(CFG.branch_prefix, CFG.path_length, CFG.branch_every))  # 10, 22, 34, 46
    assert branches.num_paths == CFG.paths * len(points) * CFG.branches
    assert branches.meta["source_paths"] == [p for p in range(CFG.paths) for _ in range(len(points) * CFG.branches)]
    n = CFG.branch_prefix + CFG.branch_length
    for j in range(branches.num_paths):
        rows = np.flatnonzero(branches.path_id == j)
        assert len(rows) == n and list(branches.step[rows]) == list(range(n))
        src = branches.meta["source_paths"][j]
        assert branches.tasks[j] == data.tasks[src]
        t = points[(j // CFG.branches) % len(points)]
        real = np.flatnonzero(data.path_id == src)[t - CFG.branch_prefix:t]
        for name in ("obs", "act", "next_obs"):  # the prefix: the real transitions before the branch point
            np.testing.assert_array_equal(getattr(branches, name)[rows[:CFG.branch_prefix]], getattr(data, name)[real])
        np.testing.assert_array_equal(branches.obs[rows[1:]], branches.next_obs[rows[:-1]])  # one unbroken path
        a = branches.act[rows[CFG.branch_prefix:]]
        assert np.all(a >= env.action_low) and np.all(a <= env.action_high)
        for k in range(0, CFG.branch_length, CFG.branch_hold):  # each action held branch_hold ticks
            np.testing.assert_array_equal(a[k:k + CFG.branch_hold], np.repeat(a[k:k + 1], len(a[k:k + CFG.branch_hold]), 0))
    # branches of one point differ from each other
    rows0, rows1 = (np.flatnonzero(branches.path_id == j) for j in (0, 1))
    assert np.abs(branches.act[rows0[CFG.branch_prefix:]] - branches.act[rows1[CFG.branch_prefix:]]).max() > 0.1


def test_a_branch_is_what_the_robot_would_have_done(collected):
    """Replaying the real path to the branch point and then the branch's actions through ``env.step``
    gives the branch's observations: the branches are the robot's physics, not a model."""
    env, tasks, data, branches, _ = collected
    src, j = 1, CFG.branches * 4 + 2  # path 1, its first branch point, third branch
    assert branches.meta["source_paths"][j] == src
    rng = np.random.default_rng(path_seed(CFG.seed, src))
    task = tasks.sample(rng)
    obs, _ = env.reset(seed=int(rng.integers(2**31)), task=task)
    real = np.flatnonzero(data.path_id == src)
    for i in real[:CFG.branch_prefix]:
        obs, *_ = env.step(data.act[i])
    rows = np.flatnonzero(branches.path_id == j)[CFG.branch_prefix:]
    np.testing.assert_array_equal(obs, branches.obs[rows[0]])
    for i in rows:
        obs, *_ = env.step(branches.act[i])
        np.testing.assert_allclose(obs, branches.next_obs[i], rtol=0, atol=1e-9)


def test_branches_are_the_same_with_two_workers(tmp_path):
    job = CollectJob(cfg=ExperimentConfig(), collect=dataclasses.replace(CFG, paths=3), perturbation="crippled_leg")
    collect_parallel(job, str(tmp_path / "one.npz"), workers=1, progress=False)
    collect_parallel(job, str(tmp_path / "two.npz"), workers=2, progress=False)
    a, b = (TransitionDataset.load(branch_file(str(tmp_path / f))) for f in ("one.npz", "two.npz"))
    for name in ("obs", "act", "next_obs", "path_id", "step"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.tasks == b.tasks and a.meta == b.meta
    assert sorted(os.listdir(tmp_path)) == ["one.branches.npz", "one.npz", "two.branches.npz", "two.npz"]


def test_cli_collect_branches_and_train_on_them(tmp_path, capsys):
    out = tmp_path / "d.npz"
    assert main(["collect", "--robot", "half_cheetah", "--paths", "2", "--path-length", "60", "--seed", "3",
                 "--branches", "2", "--out", str(out)]) == 0
    assert "counterfactual branches" in capsys.readouterr().out
    branches = TransitionDataset.load(tmp_path / "d.branches.npz")
    assert branches.num_paths == 2 * 5 * 2  # branch points at ticks 18, 28, 38, 48, 58 of each path
    # the branches train like any data (windows of 32 block transitions fit their 36 ticks)
    assert main(["meta-train", "--robot", "half_cheetah", "--method", "grbal", "--steps", "2", "--threads", "1",
                 "--data", str(out), str(tmp_path / "d.branches.npz"), "--out", str(tmp_path / "g.pt")]) == 0
    assert os.path.exists(tmp_path / "g.pt")


@pytest.mark.parametrize("field,value,message", [
    ("branches", -1, "branches: must be >= 0"),
    ("branch_every", 0, "branch_every: must be positive"),
    ("branch_noise", 0.0, "branch_noise: must be > 0"),
    ("branch_prefix", 50, "branch_prefix: 50 leaves no branch point"),
])
def test_bad_branch_settings_are_refused(field, value, message):
    with pytest.raises(ConfigError, match=message):
        dataclasses.replace(CFG, **{field: value}).validate()
