"""The heading frame (models/frames.py, ``model.frame: heading``): a model that predicts in the heading
frame of each state is the same whichever way the robot faces, and every path that uses it (planning
fast path, bfloat16, held actions, the hand-written adaptation gradient, ReBAL, CasADi, checkpoints,
training from a config, a controller on the real ant) sees world-frame states."""
import dataclasses
import math

import numpy as np
import pytest
import torch
from torch.func import grad

from adaptive_control.config import (ConfigError, ExperimentConfig, ModelConfig, RobotConfig, TaskConfig,
                                     TrainConfig, heading_indices)
from models.checkpoint import build_model, load_checkpoint, save_checkpoint
from models.dynamics import MLPDynamics
from models.frames import HeadingFrame, frame_from_spec
from models.recurrent import RecurrentDynamics

QUAT, VXY, NX, NU = (1, 2, 3, 4), (13, 14), 27, 8


def _states(b, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, NX, generator=g, dtype=dtype)
    x[:, 1:5] /= x[:, 1:5].norm(dim=-1, keepdim=True)
    return x


def _yawed(x, angle):
    """``x`` with the robot turned by ``angle`` about the world z axis (quaternion and (vx, vy) rotated)."""
    cw, sz = math.cos(angle / 2), math.sin(angle / 2)
    y = x.clone()
    w, qx, qy, qz = (x[:, i] for i in QUAT)
    y[:, 1], y[:, 2], y[:, 3], y[:, 4] = cw * w - sz * qz, cw * qx - sz * qy, cw * qy + sz * qx, cw * qz + sz * w
    c, s = math.cos(angle), math.sin(angle)
    y[:, 13], y[:, 14] = c * x[:, 13] - s * x[:, 14], s * x[:, 13] + c * x[:, 14]
    return y


def _model(seed=0, **kw):
    torch.manual_seed(seed)
    m = MLPDynamics(NX, NU, (32, 32), frame=HeadingFrame(QUAT, VXY), **kw).double()
    x = _states(200, seed)
    a = torch.randn(200, NU, dtype=torch.float64)
    m.fit_normalizer(x, a, x + 0.1 * torch.randn_like(x))
    return m


@pytest.mark.parametrize("angle", [0.3, -2.0, math.pi])
def test_the_heading_frame_forgets_the_heading_and_round_trips(angle):
    f = HeadingFrame(QUAT, VXY)
    x = _states(64)
    local = f.to_local(x, f.heading(x))
    turned = _yawed(x, angle)
    torch.testing.assert_close(f.to_local(turned, f.heading(turned)), local, atol=1e-10, rtol=0)
    assert torch.all(local[:, 4].abs() < 1e-12) and torch.all(local[:, 1] >= 0)  # no yaw left, sign fixed
    rest = [i for i in range(NX) if i not in QUAT + VXY]
    torch.testing.assert_close(local[:, rest], x[:, rest], atol=0, rtol=0)  # heading-free entries pass through
    torch.testing.assert_close(f.to_world(local, f.heading(x)), x, atol=1e-10, rtol=0)
    # a negated quaternion (the same orientation) gives the same local state
    neg = x.clone()
    neg[:, 1:5] *= -1
    torch.testing.assert_close(f.to_local(neg, f.heading(neg)), local, atol=1e-10, rtol=0)


def test_a_heading_frame_model_turns_with_the_robot():
    m = _model()
    p = m.params()
    x, a = _states(32, 1), torch.randn(32, NU, dtype=torch.float64)
    for angle in (0.7, -2.5):
        torch.testing.assert_close(m.predict_next(p, _yawed(x, angle), a), _yawed(m.predict_next(p, x, a), angle))
    nxt = _states(32, 2)
    torch.testing.assert_close(m.loss(p, _yawed(x, 1.1), a, _yawed(nxt, 1.1)), m.loss(p, x, a, nxt))
    # a world-frame model of the same weights does not
    w = MLPDynamics(NX, NU, (32, 32)).double()
    w.load_state_dict(m.state_dict())
    assert not torch.allclose(w.predict_next(p, _yawed(x, 0.7), a), _yawed(w.predict_next(p, x, a), 0.7))


def test_every_planning_and_adaptation_path_agrees_in_the_heading_frame():
    m = _model().float()
    p = m.params()
    x, a = _states(40, 3, torch.float32), torch.randn(40, NU)
    nxt = x + 0.1 * torch.randn_like(x)
    ref = m.predict_next(p, x, a)
    torch.testing.assert_close(m.predictor(p)(x, a), ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(m.predictor(p, dtype=torch.bfloat16)(x, a), ref, atol=0.05, rtol=0.05)
    torch.testing.assert_close(m.predictor(p, held=2)(x, a[:, :4]), m.predict_next(p, x, a[:, :4].repeat(1, 2)),
                               atol=1e-5, rtol=1e-5)
    loss, g = m.loss_and_grad(p, x, a, nxt)
    auto = grad(m.loss)(p, x, a, nxt)
    torch.testing.assert_close(loss, m.loss(p, x, a, nxt))
    for k in auto:
        torch.testing.assert_close(g[k], auto[k], atol=1e-6, rtol=1e-4)


def test_the_guard_measures_residuals_in_the_heading_frame():
    from models.guard import normalised_residuals

    m = _model()
    p = m.params()
    x, a = _states(16, 7), torch.randn(16, NU, dtype=torch.float64)
    nxt = x + 0.1 * torch.randn_like(x)
    pred = m.predictor(p)
    r = normalised_residuals(m, pred, x, a, nxt)
    torch.testing.assert_close(normalised_residuals(m, pred, _yawed(x, 1.3), a, _yawed(nxt, 1.3)), r)
    f = m.frame
    t = f.heading(x)
    want = ((f.to_local(nxt, t) - f.to_local(m.predict_next(p, x, a), t)) / m.normalizer.delta_std).abs()
    torch.testing.assert_close(r, want)


def test_the_normaliser_is_fitted_in_the_heading_frame():
    m = _model()
    x = _states(300, 4)
    a = torch.zeros(300, NU, dtype=torch.float64)
    turned = torch.cat([_yawed(x[i:i + 1], float(i)) for i in range(300)])  # every state another heading
    m.fit_normalizer(turned, a, turned)
    f = m.frame
    torch.testing.assert_close(m.normalizer.obs_mean, f.to_local(x, f.heading(x)).mean(0), atol=1e-9, rtol=0)


def test_recurrent_model_and_casadi_step_use_the_frame():
    from adaptive_control.casadi_planner import flatten_params, mlp_step_function

    r = RecurrentDynamics(NX, NU, (16,), 8, frame=HeadingFrame(QUAT, VXY)).double()
    x, a = _states(6, 5), torch.randn(6, NU, dtype=torch.float64)
    ctx = r.update_context(None, r.initial_context(6), x, a, x + 0.1)
    p = r.params()
    torch.testing.assert_close(r.predict_next_with(p, _yawed(x, 0.4), a, ctx[:1]),
                               _yawed(r.predict_next_with(p, x, a, ctx[:1]), 0.4))
    torch.testing.assert_close(r.update_context(None, r.initial_context(6), _yawed(x, 0.4), a, _yawed(x + 0.1, 0.4)),
                               ctx)
    m = _model()
    step = mlp_step_function(m)
    w = flatten_params(m.params())
    want = m.predict_next(m.params(), x, a).numpy()
    got = np.stack([np.asarray(step(x[i].numpy(), a[i].numpy(), w)).ravel() for i in range(6)])
    np.testing.assert_allclose(got, want, atol=1e-9)


def test_the_frame_travels_in_the_checkpoint(tmp_path):
    m = _model().float()
    path = str(tmp_path / "h.pt")
    save_checkpoint(path, m, robot="ant", kind="mb", inner_lr=0.01)
    ck = load_checkpoint(path, robot="ant")
    assert ck.model.frame is not None and ck.model.frame.spec() == m.frame.spec()
    x, a = _states(5, 6, torch.float32), torch.randn(5, NU)
    torch.testing.assert_close(ck.model.predict_next(ck.model.params(), x, a), m.predict_next(m.params(), x, a))
    assert "frame" not in MLPDynamics(NX, NU, (8,)).spec()  # world-frame checkpoints read as before
    assert build_model(MLPDynamics(NX, NU, (8,)).spec()).frame is None
    with pytest.raises(ValueError, match="unknown model frame"):
        frame_from_spec({"type": "body"})
    with pytest.raises(ValueError, match="do not fit"):
        MLPDynamics(10, 2, (8,), frame=HeadingFrame(QUAT, VXY))


def test_the_config_checks_the_robot_has_a_heading():
    assert heading_indices("ant") == (QUAT, VXY)
    ExperimentConfig(robot=RobotConfig(name="ant"), task=TaskConfig(joints=(0, 1, 2)),
                     model=ModelConfig(frame="heading")).validate()
    with pytest.raises(ConfigError, match=r"model\.frame: 'heading' needs a free-joint base.*half_cheetah"):
        ExperimentConfig(model=ModelConfig(frame="heading")).validate()
    with pytest.raises(ConfigError, match="model.frame"):
        ExperimentConfig(model=ModelConfig(frame="body")).validate()


def test_a_heading_frame_grbal_trains_from_the_config_and_runs_the_ant(tmp_path):
    """Meta-training (vmap over windows, grad through the adaptation step) in the heading frame on real
    ant transitions, then a controller with that checkpoint on the crippled ant."""
    from adaptive_control.build import build_controller, load_for_method, task_distribution
    from adaptive_control.collect import collect
    from adaptive_control.config import CollectConfig, PlannerConfig
    from adaptive_control.training import train_checkpoint
    from robot_bridge.mujoco_backend import run_episode
    from sim.ant import AntEnv

    cfg = ExperimentConfig(robot=RobotConfig(name="ant"), task=TaskConfig(joints=(0,)), model=ModelConfig(hidden_sizes=(32, 32), frame="heading"),
                           train=TrainConfig(method="grbal", steps=4, meta_batch_size=4, adapt_window=4,
                                             future_window=4, model_ticks=2))
    data = collect(AntEnv(), task_distribution("ant", cfg.task), CollectConfig(paths=4, path_length=40, seed=3))
    path = str(tmp_path / "g.pt")
    train_checkpoint(cfg, data, path, show_progress=False)
    ck = load_for_method("grbal", "ant", path)
    assert ck.model.frame.spec() == {"type": "heading", "quat": list(QUAT), "vel_xy": list(VXY)}
    ctrl = build_controller(ck, "ant", PlannerConfig(samples=16, horizon=3, step_ticks=2),
                            dataclasses.replace(cfg.controller, threads=1))
    res = run_episode(AntEnv(), ctrl, 10, seed=0, task=None)
    assert res.steps == 10 and np.isfinite(res.episode_return)
