"""Shared fixtures: small real models and datasets built in temp folders (never in the repo).

Every test starts with torch on one thread: on a 2-core machine that is also running something
else, 2-thread OpenMP kernels stall whenever one thread is preempted (measured: the ReBAL training
test went from ~10 s to 200 s under a background job), and no test measures speed (benchmarks in
bench/ do). Tests that build a controller with more threads set them themselves.
"""
import os

os.environ.setdefault("MUJOCO_GL", "disable")

import numpy as np
import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def cheetah_dataset():
    """A small random-action half-cheetah dataset over crippled-leg tasks (real physics)."""
    from adaptive_control.collect import collect
    from adaptive_control.config import CollectConfig
    from sim.half_cheetah import HalfCheetahEnv
    from sim.perturbations import TaskDistribution

    env = HalfCheetahEnv()
    tasks = TaskDistribution("crippled_leg", joints=range(6), strength_range=(0.0, 0.0))
    return collect(env, tasks, CollectConfig(paths=8, path_length=60, seed=7))


@pytest.fixture(autouse=True)
def _one_torch_thread():
    torch.set_num_threads(1)
    yield


@pytest.fixture(autouse=True)
def _seeded_torch():
    """Every test starts from the same torch global RNG state, whatever ran before it: a test that
    draws from ``torch.randn`` (or initialises a module) without its own generator is still seeded
    and does not change with test order (test_normalizer_round_trip once failed that way in CI)."""
    torch.manual_seed(0)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# hypothesis profiles (tests/test_properties.py): "fast" in `make test`, "long" for bench/properties.py.
# derandomize: the same cases on every run (seeded, like every other test here); no deadline: the
# machine's speed drifts 2x and no test measures time.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("fast", max_examples=40, derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("long", max_examples=10_000, derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("mid", max_examples=600, derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("AC_HYPOTHESIS_PROFILE", "fast"))
