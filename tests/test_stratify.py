"""Stratified task sampling in collection (collect.stratify): every family the same number of paths."""
import collections

import numpy as np
import pytest

from adaptive_control.cli import main
from adaptive_control.collect import CollectJob, collect_parallel, path_family, path_seed, sample_path_task
from adaptive_control.config import CollectConfig, ExperimentConfig
from sim.tasks import families, make_distribution, make_mixture


def test_each_run_of_paths_holds_every_family_once_in_a_seeded_order():
    n = 9
    for seed in (0, 1000, 3001):
        fams = [path_family(seed, p, n) for p in range(4 * n)]
        for run in range(4):
            assert sorted(fams[run * n:(run + 1) * n]) == list(range(n))
    assert [path_family(1000, p, n) for p in range(n)] != [path_family(2000, p, n) for p in range(n)]
    assert [path_family(1000, p, n) for p in range(n)] != [path_family(1000, p, n) for p in range(n, 2 * n)]


def test_fixing_the_family_leaves_the_rest_of_the_stream_alone():
    mix = make_mixture("half_cheetah")
    names = families("half_cheetah")
    for k, name in enumerate(names):
        a, b = np.random.default_rng(5), np.random.default_rng(5)
        task = mix.sample(a, family=k)
        assert task.params()["perturbation"] == name
        mix.sample(b)
        if mix.sample(np.random.default_rng(5)).params()["perturbation"] == name:  # same family drawn anyway:
            assert task.params() == mix.sample(np.random.default_rng(5)).params()  # same task
    with pytest.raises(ValueError, match="out of range"):
        mix.sample(np.random.default_rng(0), family=len(names))


def test_stratified_whole_suite_collection_covers_every_family_evenly(tmp_path):
    n = len(families("half_cheetah"))
    job = CollectJob(cfg=ExperimentConfig(), collect=CollectConfig(paths=n + 2, path_length=5, seed=7, stratify=True),
                     perturbation="all")
    one = collect_parallel(job, str(tmp_path / "one.npz"), workers=1, progress=False)
    two = collect_parallel(job, str(tmp_path / "two.npz"), workers=2, progress=False)
    assert one.tasks == two.tasks  # the family of a path does not depend on who collects it
    counts = collections.Counter(t["perturbation"] for t in one.tasks[:n])
    assert sorted(counts) == sorted(families("half_cheetah")) and set(counts.values()) == {1}
    # without stratification the same seed's first n paths repeat some families (seeded, so checked once here)
    plain = [make_mixture("half_cheetah").sample(np.random.default_rng(path_seed(7, p))).params()["perturbation"]
             for p in range(n)]
    assert len(set(plain)) < n


def test_stratifying_one_family_is_refused_clearly(tmp_path, capsys):
    cfg = CollectConfig(stratify=True)
    with pytest.raises(ValueError, match="whole perturbation suite"):
        sample_path_task(make_distribution("half_cheetah", "crippled_leg", "train"), cfg, 0, np.random.default_rng(0))
    code = main(["collect", "--robot", "half_cheetah", "--perturbation", "crippled_leg", "--stratify", "--paths", "2",
                 "--path-length", "5", "--out", str(tmp_path / "d.npz")])
    assert code != 0
    assert "--stratify" in capsys.readouterr().err and not (tmp_path / "d.npz").exists()
