"""The adaptation guard (issue 12): spikes kept out of the window, bad steps and contexts rejected."""
import shutil

import numpy as np
import pytest
import torch

from adaptive_control.build import build_controller, default_checkpoint, load_for_method, make_guard
from adaptive_control.cli import main
from adaptive_control.config import ControllerConfig, GuardConfig, PlannerConfig
from models.checkpoint import load_checkpoint, save_checkpoint
from models.dynamics import MLPDynamics
from models.guard import AdaptationGuard, calibrate_residuals
from sim.half_cheetah import HalfCheetahEnv
from sim.perturbations import CrippledLeg

SMALL = PlannerConfig(samples=32, horizon=3, step_ticks=3)


def shipped_controller(method="grbal", guard=True, planner=SMALL):
    ckpt = load_for_method(method, "half_cheetah")
    return build_controller(ckpt, "half_cheetah", planner,
                            ControllerConfig(method=method, threads=1, guard=GuardConfig(enabled=guard)))


def run(ctrl, ticks, spike_at=None, entry=8, size=50.0, seed=0):
    env = HalfCheetahEnv(CrippledLeg(4, 0.0))
    obs, _ = env.reset(seed=seed)
    ctrl.reset()
    for t in range(ticks):
        seen = obs.copy()
        if t == spike_at:
            seen[entry] += size
        u = ctrl.step(seen)
        assert np.all(np.isfinite(u)) and np.all(np.abs(u) <= 1.0)
        obs, *_ = env.step(u)
    return ctrl


def test_shipped_checkpoints_carry_the_guard_calibration():
    for robot in ("half_cheetah", "ant"):
        for method in ("grbal", "mb", "rebal"):
            ck = load_checkpoint(default_checkpoint(robot, method))
            assert ck.residual_max is not None and ck.residual_max.shape == (ck.model.obs_size,)
            assert torch.all(ck.residual_max > 0.5)


def test_a_spike_is_kept_out_of_the_window_and_counted():
    ctrl = run(shipped_controller(guard=True), 30, spike_at=12)
    s = ctrl.stats.summary()
    # the spiked reading ends one 3-tick transition and starts the next: both are rejected, nothing else
    assert s["rejected_transitions"] == 2
    obs, _, next_obs = ctrl.history.window()
    assert float(torch.cat([obs[:, 8], next_obs[:, 8]]).abs().max()) < 20.0
    # without the guard the spike sits in the window
    ctrl = run(shipped_controller(guard=False), 20, spike_at=12)
    obs, _, next_obs = ctrl.history.window()
    assert float(torch.cat([obs[:, 8], next_obs[:, 8]]).abs().max()) > 40.0
    assert ctrl.stats.summary()["rejected_transitions"] == 0


def test_a_spiked_reading_is_planned_from_the_prior_prediction_and_a_real_jump_is_believed():
    ctrl = run(shipped_controller(guard=True), 20, spike_at=12)
    assert ctrl.stats.summary()["substituted_observations"] == 1  # the spike tick only
    # a lasting offset (a real change of state, here a sensor recalibrated): the crossing transitions
    # are rejected and plan from predictions (never more than model_ticks = 3 ticks in a row), until the
    # readings are believed
    ctrl = shipped_controller(guard=True)
    env = HalfCheetahEnv(CrippledLeg(4, 0.0))
    obs, _ = env.reset(seed=0)
    rejected = []
    for t in range(40):
        seen = obs.copy()
        if t >= 12:
            seen[8] += 50.0
        obs, *_ = env.step(ctrl.step(seen))
        rejected.append(ctrl.stats.summary()["rejected_transitions"])
    s = ctrl.stats.summary()
    # the three transitions that cross the jump (ticks 12-14) are rejected, then the gate opens: the
    # next ones are believed. (The offset state is also outside what the prior knows, so some later
    # transitions are gated too; how many depends on the path the robot takes.)
    assert rejected[11:17] == [0, 1, 2, 3, 3, 3]
    assert 3 <= s["substituted_observations"] <= s["rejected_transitions"] < 40 - 12
    assert float(ctrl.history.window()[2][:, 8].max()) > 40.0  # the new readings are in the window


def test_the_gate_opens_when_most_transitions_are_implausible():
    """The prior is far off everywhere (a robot it has never seen): adaptation must see the data."""
    ctrl = shipped_controller(guard=True)
    env = HalfCheetahEnv(CrippledLeg(4, 0.0))
    obs, _ = env.reset(seed=0)
    for t in range(40):
        obs, *_ = env.step(ctrl.step(obs * (1.0 + 3.0 * (t % 2))))  # every other reading 4x: nothing is plausible
    s = ctrl.stats.summary()
    # 37 transitions, each implausible: once half of the last 16 were rejected, the rest get in
    assert 8 <= s["rejected_transitions"] <= 37 // 2 + 1 and len(ctrl.history) == 16


def test_clean_crippled_episode_is_not_gated():
    ctrl = run(shipped_controller(guard=True), 60, seed=3)
    assert ctrl.stats.summary()["rejected_transitions"] == 0


class OvershootingAdapter:
    """Test double: an 'adaptation step' that makes the model worse (or non-finite) on any window."""

    def __init__(self, scale):
        self.scale = scale

    def adapt(self, params, obs, act, next_obs):
        return {k: v * self.scale for k, v in params.items()}


@pytest.mark.parametrize("scale", [3.0, float("nan")])
def test_a_step_worse_than_the_prior_is_rejected_for_the_prior(scale):
    ctrl = shipped_controller(guard=True)
    ctrl.adapter = OvershootingAdapter(scale)
    run(ctrl, 8)
    s = ctrl.stats.summary()
    assert s["rejected_adaptations"] == 8 - 3  # every tick with a window (the first after 3 ticks)
    assert ctrl.params is ctrl.prior
    # a real GrBAL step on a clean window is accepted
    ctrl = run(shipped_controller(guard=True), 12)
    assert ctrl.stats.summary()["rejected_adaptations"] == 0 and ctrl.params is not ctrl.prior


def test_rebal_spike_stays_out_of_the_context_and_a_broken_context_is_dropped():
    clean = run(shipped_controller("rebal", planner=PlannerConfig(samples=32, horizon=3)), 20)
    spiked = run(shipped_controller("rebal", planner=PlannerConfig(samples=32, horizon=3)), 20, spike_at=10)
    assert spiked.stats.summary()["rejected_transitions"] == 2
    assert clean.stats.summary()["rejected_transitions"] == 0
    ctrl = shipped_controller("rebal", planner=PlannerConfig(samples=32, horizon=3))
    run(ctrl, 5)
    ctrl.adapter.context = torch.full_like(ctrl.adapter.context, float("nan"))
    env = HalfCheetahEnv()
    obs, _ = env.reset(seed=1)
    for _ in range(3):
        obs, *_ = env.step(ctrl.step(obs))
    assert ctrl.stats.summary()["rejected_adaptations"] >= 1
    assert torch.all(torch.isfinite(ctrl.adapter.context))


def test_guard_bounds_come_from_the_checkpoint_or_the_flat_default(tmp_path):
    m = MLPDynamics(17, 6, (8,))
    path = tmp_path / "g.pt"
    save_checkpoint(path, m, robot="half_cheetah", kind="grbal", inner_lr=0.01)
    ck = load_checkpoint(path)
    assert ck.residual_max is None
    assert torch.all(make_guard(ck, GuardConfig(residual_bound=7.0)).bound == 7.0)
    r = torch.linspace(0.5, 4.0, 17)
    save_checkpoint(path, m, robot="half_cheetah", kind="grbal", inner_lr=0.01, residual_max=r)
    ck = load_checkpoint(path)
    assert torch.allclose(make_guard(ck, GuardConfig(residual_factor=2.0)).bound, 2.0 * r.clamp_min(1.0))
    assert make_guard(ck, GuardConfig(enabled=False)) is None
    with pytest.raises(ValueError, match="residual_bound"):
        AdaptationGuard(m, torch.ones(5))


def test_calibration_is_the_largest_prior_residual_and_the_cli_stores_it(tmp_path, cheetah_dataset, capsys):
    d = cheetah_dataset
    ck = load_checkpoint(default_checkpoint("half_cheetah", "mb"))
    one = ck.model  # calibrate a block model on its own 3-tick transitions
    data = d.multi_tick(ck.ticks)
    r = calibrate_residuals(one, data.obs, data.act, data.next_obs, batch=37)  # several batches
    o, a, n = (torch.as_tensor(x, dtype=torch.float32) for x in (data.obs, data.act, data.next_obs))
    with torch.no_grad():
        want = ((n - one.predict_next(one.params(), o, a)) / one.normalizer.delta_std).abs().max(0).values
    assert torch.allclose(r, want, rtol=1e-4, atol=1e-4)
    data_path, ck_path = tmp_path / "d.npz", tmp_path / "mb.pt"
    d.save(data_path)
    shutil.copy(default_checkpoint("half_cheetah", "mb"), ck_path)
    assert main(["calibrate", "--checkpoint", str(ck_path), "--data", str(data_path)]) == 0
    assert torch.allclose(load_checkpoint(ck_path).residual_max, want, rtol=1e-4, atol=1e-4)
    assert "largest normalised prior residual" in capsys.readouterr().out
