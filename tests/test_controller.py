import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from adaptive_control.controller import AdaptiveController, InvalidObservation
from models.adaptation import GradientAdapter, NoAdaptation
from models.dynamics import MLPDynamics
from models.training import seeded_init
from planners.mppi import MPPI
from sim.costs import half_cheetah_cost
from sim.half_cheetah import HalfCheetahEnv
from sim.perturbations import CrippledLeg


def make(adapter_lr=0.01, samples=64, planner=None, deadline_ms=None, overlap=False):
    m = MLPDynamics(17, 6, (32, 32))
    seeded_init(m, 0)
    adapter = GradientAdapter(m, adapter_lr) if adapter_lr else NoAdaptation()
    factory = planner or (lambda dyn: MPPI(dyn, half_cheetah_cost, 17, 6, horizon=5, samples=samples))
    return AdaptiveController(m, adapter, factory, adapt_window=16, action_low=-1.0, action_high=1.0,
                              deadline_ms=deadline_ms, overlap_adaptation=overlap)


def test_ticks_adapt_from_the_prior_without_mutating_it():
    ctrl = make()
    prior = {k: v.clone() for k, v in ctrl.model.named_parameters()}
    env = HalfCheetahEnv(CrippledLeg(0, 0.0))
    obs, _ = env.reset(seed=0)
    for _ in range(25):
        a = ctrl.step(obs)
        assert a.shape == (6,) and np.all(np.isfinite(a)) and np.all(np.abs(a) <= 1.0)
        obs, *_ = env.step(a)
    assert len(ctrl.history) == 16  # capped at M
    for k, v in ctrl.model.named_parameters():
        assert torch.equal(v, prior[k])
    assert any(not torch.equal(ctrl.params[k], ctrl.prior[k]) for k in ctrl.prior)
    # the adapted parameters fit the window better than the prior
    window = ctrl.history.window()
    assert ctrl.model.loss(ctrl.params, *window) < ctrl.model.loss(ctrl.prior, *window)
    s = ctrl.stats.summary()
    assert s["ticks"] == 25 and s["total_p99_ms"] >= s["total_median_ms"] > 0


def test_reset_returns_to_prior():
    ctrl = make()
    env = HalfCheetahEnv()
    obs, _ = env.reset(seed=0)
    for _ in range(3):
        obs, *_ = env.step(ctrl.step(obs))
    ctrl.reset()
    assert ctrl.params is ctrl.prior and len(ctrl.history) == 0 and ctrl.stats.summary()["ticks"] == 0


@pytest.mark.parametrize("obs", [np.zeros(16), np.zeros(18), np.r_[np.zeros(16), np.nan], np.r_[np.zeros(16), np.inf]])
def test_bad_observations_never_reach_the_planner(obs):
    ctrl = make()
    with pytest.raises(InvalidObservation):
        ctrl.step(obs)
    assert ctrl.stats.summary()["ticks"] == 0


class NaNPlannerDouble:
    """Test double: a planner whose plan is non-finite (a diverged model would do this)."""

    def reset(self):
        pass

    def command(self, state):
        return torch.full((6,), float("nan"))


def test_non_finite_plan_becomes_the_safe_action():
    ctrl = make(planner=lambda dyn: NaNPlannerDouble())
    a = ctrl.step(np.zeros(17))
    assert np.array_equal(a, np.zeros(6)) and ctrl.stats.unsafe_actions == 1


class SlowPlannerDouble:
    """Test double: a planner that takes ``delays[i]`` seconds on its i-th command (a contention stall)."""

    def __init__(self, delays):
        self.delays = list(delays)
        self.calls = 0
        self.T = 4

    def reset(self):
        self.next_plan = torch.zeros(self.T, 6)

    def command(self, state):
        import time as _time

        _time.sleep(self.delays[min(self.calls, len(self.delays) - 1)])
        value = 0.1 * (self.calls + 1)
        self.calls += 1
        plan = torch.full((self.T + 1, 6), value) + torch.arange(self.T + 1)[:, None] * 0.01
        self.next_plan = plan[1:].clone()
        return plan[0].clone()


def test_missed_deadline_applies_the_shifted_previous_plan():
    planner = SlowPlannerDouble([0.0, 0.3, 0.0])
    ctrl = make(planner=lambda dyn: planner, deadline_ms=100.0)
    obs = np.zeros(17)
    a0 = ctrl.step(obs)  # on time: plan 1 -> 0.10, next plan rows 0.11, 0.12, ...
    np.testing.assert_allclose(a0, 0.1)
    a1 = ctrl.step(obs)  # plan 2 stalls 0.3 s: miss -> previous plan's next action (0.11)
    np.testing.assert_allclose(a1, 0.11)
    a2 = ctrl.step(obs)  # plan 2 still running: another miss, shifted once more (0.12)
    np.testing.assert_allclose(a2, 0.12)
    assert ctrl.stats.deadline_misses == 2
    import time as _time

    _time.sleep(0.35)  # the late plan finishes in the background and is discarded
    a3 = ctrl.step(obs)  # plan 3 is on time again
    np.testing.assert_allclose(a3, 0.3)
    assert ctrl.stats.deadline_misses == 2 and all(t < 200 for t in ctrl.stats.total_ms)
    ctrl.close()


def test_a_plan_that_ends_early_in_the_next_tick_costs_one_miss_not_two():
    planner = SlowPlannerDouble([0.0, 0.0, 0.15, 0.0])
    ctrl = make(planner=lambda dyn: planner, deadline_ms=100.0)
    obs = np.zeros(17)
    np.testing.assert_allclose(ctrl.step(obs), 0.1)
    np.testing.assert_allclose(ctrl.step(obs), 0.2)  # on time: the typical plan time is known (~0 s)
    np.testing.assert_allclose(ctrl.step(obs), 0.21)  # plan 3 stalls 0.15 s: a miss, plan 2 shifted
    # the next tick starts at once: plan 3 ends 50 ms into it, leaving time for a fresh plan (0.4)
    np.testing.assert_allclose(ctrl.step(obs), 0.4)
    assert ctrl.stats.deadline_misses == 1 and ctrl.stats.caught_up_ticks == 1
    ctrl.close()


def test_under_sustained_overload_the_late_plan_becomes_the_fallback():
    import time as _time

    planner = SlowPlannerDouble([0.0, 0.3, 0.3, 0.3])
    ctrl = make(planner=lambda dyn: planner, deadline_ms=100.0)
    obs = np.zeros(17)
    np.testing.assert_allclose(ctrl.step(obs), 0.1)  # plan 1 on time
    np.testing.assert_allclose(ctrl.step(obs), 0.11)  # plan 2 (submitted at tick 1) late: plan 1 shifted
    _time.sleep(0.35)
    # plan 2 is done but late; plan 3 stalls too: the tick applies plan 2's action for tick 2 (0.21),
    # not plan 1's stale 0.12 and not the safe action
    np.testing.assert_allclose(ctrl.step(obs), 0.21)
    np.testing.assert_allclose(ctrl.step(obs), 0.22)
    assert ctrl.stats.late_plans_adopted == 1 and ctrl.stats.deadline_misses == 3
    ctrl.close()


class ProbePlannerDouble:
    """Test double: records what the controller's (adapted) model predicts for a fixed probe at each
    plan, and returns a fixed action (so every controller sees the same transitions)."""

    def __init__(self, dynamics):
        self.dynamics = dynamics
        gen = torch.Generator().manual_seed(7)
        self.probe = (torch.randn(3, 17, generator=gen), torch.rand(3, 6, generator=gen) * 2 - 1)
        self.predictions = []

    def reset(self):
        pass

    def command(self, state):
        self.predictions.append(self.dynamics(*self.probe).clone())
        return torch.full((6,), 0.25)


@pytest.mark.parametrize("deadline_ms", [None, 1000.0])
def test_overlapped_adaptation_plans_with_the_step_of_the_previous_tick(deadline_ms):
    planners = {}

    def probing(name):
        def factory(dyn):
            planners[name] = ProbePlannerDouble(dyn)
            return planners[name]
        return factory

    plain = make(planner=probing("plain"))
    overlap = make(planner=probing("overlap"), deadline_ms=deadline_ms, overlap=True)
    obs_seq = np.random.default_rng(3).normal(size=(12, 17))
    for obs in obs_seq:
        np.testing.assert_array_equal(plain.step(obs), overlap.step(obs))
    a, b = planners["plain"].predictions, planners["overlap"].predictions
    assert len(a) == len(b) == 12
    assert torch.equal(b[0], a[0]) and torch.equal(b[1], a[0])  # the prior, until a transition was fitted
    for t in range(1, 12):  # tick t plans with the step tick t-1 took (on the window ending there)
        torch.testing.assert_close(b[t], a[t - 1], rtol=0, atol=1e-6)
        assert not torch.equal(a[t], a[t - 1])  # (so the comparison can fail: every step moved the model)
    overlap.close()  # waits for the last overlapped step: it fitted the same window as plain's last
    for k in plain.params:
        torch.testing.assert_close(overlap.params[k], plain.params[k], rtol=0, atol=1e-6)
    s = overlap.stats.summary()
    assert len(overlap.stats.overlapped_adapt_ms) == 12 and s["overlapped_adapt_median_ms"] > 0
    assert np.isnan(plain.stats.summary()["overlapped_adapt_median_ms"])  # none taken


def test_overlapped_step_queued_behind_a_late_plan_is_skipped_and_waited_for_otherwise():
    import time as _time

    planner = SlowPlannerDouble([0.0, 0.3, 0.0])
    ctrl = make(planner=lambda dyn: planner, deadline_ms=100.0, overlap=True)
    obs = np.random.default_rng(0).normal(size=(4, 17))
    np.testing.assert_allclose(ctrl.step(obs[0]), 0.1)  # on time; its step is queued after the plan
    assert ctrl.wait_adapted(5.0) and len(ctrl.stats.overlapped_adapt_ms) == 1
    np.testing.assert_allclose(ctrl.step(obs[1]), 0.11)  # the plan stalls: a miss, its step queued behind it
    assert not ctrl.wait_adapted(0.01)  # still behind the late plan
    ctrl.step(obs[2])  # busy: another miss, and the queued step is dropped so plans catch up
    assert ctrl.stats.skipped_adaptations == 1 and ctrl.stats.deadline_misses == 2
    _time.sleep(0.35)
    np.testing.assert_allclose(ctrl.step(obs[3]), 0.3)  # on time again, with a step after it
    assert ctrl.wait_adapted(5.0) and len(ctrl.stats.overlapped_adapt_ms) == 2
    ctrl.close()


def test_tick_statistics_stay_bounded_on_long_runs():
    from adaptive_control.controller import TickStats, append_bounded

    values = []
    for i in range(2500):
        append_bounded(values, float(i), window=1000)
    assert 1000 <= len(values) <= 2000 and values[-1] == 2499.0 and values == sorted(values)
    stats = TickStats()
    for i in range(10):
        stats.record(1.0, 2.0, 3.0 + i)
    s = stats.summary()
    assert s["ticks"] == 10 and s["total_median_ms"] == 7.5


_OPENMP_SCRIPT = """
import os
import time

import torch
from adaptive_control.controller import AdaptiveController
from models.adaptation import GradientAdapter
from models.dynamics import MLPDynamics
from models.training import seeded_init
from planners.mppi import MPPI
from sim.costs import half_cheetah_cost

def tids():
    return set(os.listdir("/proc/self/task"))

torch.set_num_threads(2)
before = tids()
torch.randn(4_000_000, generator=torch.Generator().manual_seed(0)).add(1.0)  # a parallel region here
workers = tids() - before
assert workers, "the parallel operation started no OpenMP worker on this thread"
model = MLPDynamics(17, 6, (32, 32))
seeded_init(model, 0)
ctrl = AdaptiveController(model, GradientAdapter(model, 0.01),
                          lambda dyn: MPPI(dyn, half_cheetah_cost, 17, 6, horizon=5, samples=16),
                          adapt_window=16, action_low=-1.0, action_high=1.0, deadline_ms=1000.0)
ctrl.warm_up(2)
for _ in range(200):  # released workers exit asynchronously
    left = workers & tids()
    if not left:
        break
    time.sleep(0.01)
ctrl.close()
print("left", len(left))
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads through Linux /proc")
def test_deadline_warm_up_releases_the_calling_threads_openmp_workers():
    # a fresh interpreter: the thread that calls the ticks ran a parallel torch operation first (as
    # loading a checkpoint does); its idle OpenMP team would halve the compute thread's speed
    out = subprocess.run([sys.executable, "-c", _OPENMP_SCRIPT], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "left 0" in out.stdout, out.stdout + out.stderr[-2000:]
