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


def make(adapter_lr=0.01, samples=64, planner=None):
    m = MLPDynamics(17, 6, (32, 32))
    seeded_init(m, 0)
    adapter = GradientAdapter(m, adapter_lr) if adapter_lr else NoAdaptation()
    factory = planner or (lambda dyn: MPPI(dyn, half_cheetah_cost, 17, 6, horizon=5, samples=samples))
    return AdaptiveController(m, adapter, factory, adapt_window=16, action_low=-1.0, action_high=1.0)


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
