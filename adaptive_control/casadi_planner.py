"""The dynamics network and robot costs written as CasADi expressions, for the CasADi MPC planner.

The network's weights are one flat parameter vector (in the order of ``model.params()``), so the
NLP is built once and an adapted network only changes a parameter. Normaliser statistics are
constants of the expression (they never change online).
"""
from __future__ import annotations

import casadi as ca
import numpy as np
import torch

from models.dynamics import MLPDynamics
from planners.casadi_mpc import CasadiMPC
from sim.costs import ANT_CTRL_WEIGHT, ANT_VX, HALF_CHEETAH_CTRL_WEIGHT, HALF_CHEETAH_VX

_ACT = {"relu": lambda z: ca.fmax(z, 0), "tanh": ca.tanh, "silu": lambda z: z / (1 + ca.exp(-z))}


def flatten_params(params: dict) -> np.ndarray:
    """The parameter dict as one float64 vector (weights row-major, in dict order)."""
    return torch.cat([v.detach().reshape(-1).to("cpu", torch.float64) for v in params.values()]).numpy()


def mlp_step_function(model: MLPDynamics) -> ca.Function:
    """``casadi.Function`` (x (nx,), u (nu,), w (nw,)) -> x_next equal to ``model.predict_next``."""
    if not isinstance(model, MLPDynamics):
        raise TypeError(f"the CasADi planner supports MLP models, got {type(model).__name__}")
    n = model.normalizer
    as_np = lambda t: t.detach().cpu().double().numpy()  # noqa: E731
    nx, nu = model.obs_size, model.action_size
    x, u = ca.MX.sym("x", nx), ca.MX.sym("u", nu)
    shapes = [(k, tuple(v.shape)) for k, v in model.params().items()]
    w = ca.MX.sym("w", sum(int(np.prod(s)) for _, s in shapes))
    views, offset = {}, 0
    for name, shape in shapes:
        size = int(np.prod(shape))
        flat = w[offset:offset + size]
        # torch is row-major; CasADi reshape is column-major: reshape transposed, then transpose back
        views[name] = ca.reshape(flat, shape[1], shape[0]).T if len(shape) == 2 else flat
        offset += size
    frame = model.frame
    if frame is not None:  # the network sees the state in its heading frame (models.frames), as in torch
        tw, tz = x[frame.quat[0]], x[frame.quat[3]]
        norm = ca.sqrt(tw * tw + tz * tz)
        tw, tz = ca.if_else(norm > 1e-6, tw / norm, 1.0), ca.if_else(norm > 1e-6, tz / norm, 0.0)
        s = _heading_rotate(x, frame, tw, -tz)
    else:
        s = x
    h = ca.vertcat((s - as_np(n.obs_mean)) / as_np(n.obs_std), (u - as_np(n.act_mean)) / as_np(n.act_std))
    linear = [i for i, m in enumerate(model.net) if isinstance(m, torch.nn.Linear)]
    for j, i in enumerate(linear):
        h = ca.mtimes(views[f"net.{i}.weight"], h) + views[f"net.{i}.bias"]
        if j < len(linear) - 1:
            h = _ACT[model.activation](h)
    x_next = s + h * as_np(n.delta_std) + as_np(n.delta_mean)
    if frame is not None:
        x_next = _heading_rotate(x_next, frame, tw, tz)
    return ca.Function("mlp_step", [x, u, w], [x_next], ["x", "u", "w"], ["x_next"])


def _heading_rotate(x, frame, tw, tz):
    """``x`` with its quaternion and horizontal velocity rotated by the heading (tw, 0, 0, tz), as
    :meth:`models.frames.HeadingFrame.to_world` (pass -tz for ``to_local``)."""
    w, qx, qy, qz = (x[i] for i in frame.quat)
    vx, vy = (x[i] for i in frame.vel_xy)
    c, s = tw * tw - tz * tz, 2 * tw * tz
    new = {frame.quat[0]: tw * w - tz * qz, frame.quat[1]: tw * qx - tz * qy, frame.quat[2]: tw * qy + tz * qx,
           frame.quat[3]: tw * qz + tz * w, frame.vel_xy[0]: c * vx - s * vy, frame.vel_xy[1]: s * vx + c * vy}
    return ca.vertcat(*[new.get(i, x[i]) for i in range(x.shape[0])])


def half_cheetah_stage_cost() -> ca.Function:
    """The half-cheetah cost of ``sim.costs.half_cheetah_cost`` as a ``casadi.Function``."""
    x, u, xn = ca.MX.sym("x", 17), ca.MX.sym("u", 6), ca.MX.sym("xn", 17)
    return ca.Function("cost", [x, u, xn], [-xn[HALF_CHEETAH_VX] + HALF_CHEETAH_CTRL_WEIGHT * ca.sumsqr(u)])


def ant_stage_cost() -> ca.Function:
    """The ant cost of ``sim.costs.ant_cost`` as a ``casadi.Function``."""
    x, u, xn = ca.MX.sym("x", 27), ca.MX.sym("u", 8), ca.MX.sym("xn", 27)
    return ca.Function("cost", [x, u, xn], [-xn[ANT_VX] + ANT_CTRL_WEIGHT * ca.sumsqr(u)])


STAGE_COSTS = {"half_cheetah": half_cheetah_stage_cost, "ant": ant_stage_cost}


def casadi_planner_factory(cfg, robot: str, model, env, params_fn):
    """``factory(dynamics) -> CasadiMPC`` on ``model`` whose weights come from ``params_fn()`` each tick."""
    if robot not in STAGE_COSTS:
        raise ValueError(f"no CasADi cost for robot {robot!r} (have: {', '.join(STAGE_COSTS)})")
    step, cost = mlp_step_function(model), STAGE_COSTS[robot]()

    def factory(_dynamics):
        return CasadiMPC(step, cost, lambda: flatten_params(params_fn()), env.obs_size, env.action_size,
                         horizon=cfg.horizon, action_low=env.action_low, action_high=env.action_high,
                         max_iter=cfg.max_solver_iterations)

    return factory
