"""Batched torch cost functions for planners (costs, minimised; reward = -cost).

Shapes: K samples, nx state size, nu action size. Each cost is the exact negative of its
environment's reward on the same (state, action, next_state) triple.
"""
from __future__ import annotations

import math

import torch

#: Index of the forward (root x) velocity in the half-cheetah observation.
HALF_CHEETAH_VX = 8
#: Weight of the control cost in the half-cheetah reward.
HALF_CHEETAH_CTRL_WEIGHT = 0.05
#: Index of the torso pitch angle (rooty, radians) in the half-cheetah observation.
HALF_CHEETAH_PITCH = 1
#: Pitch (radians, either way) the half-cheetah's posture penalty leaves free: a running gait stays
#: within about +-0.4; beyond ~1.2 it flips onto its back and stays there.
HALF_CHEETAH_FREE_PITCH = 0.5
#: Indices of the torso quaternion's x and y in the ant observation (w x y z at 1-4).
ANT_QUAT_XY = (2, 3)
#: The ant's posture penalty starts when the torso's up axis tilts below this cosine (~60 degrees).
ANT_FREE_UPRIGHT = 0.5
#: Index of the torso x velocity in the ant observation.
ANT_VX = 13
#: Weight of the control cost in the ant reward.
ANT_CTRL_WEIGHT = 0.005


def half_cheetah_cost(state: torch.Tensor, action: torch.Tensor, next_state: torch.Tensor) -> torch.Tensor:
    """Half-cheetah running cost: ``-vx(next_state) + 0.05 * ||action||^2``.

    With MuJoCo's semi-implicit Euler integrator ``vx(next_state)`` is exactly ``dx/dt`` of the
    step, the reference reward's forward progress term.

    Args:
        state: (K, nx) states before the step (unused; kept for the common cost signature).
        action: (K, nu) actions.
        next_state: (K, nx) states after the step.

    Returns:
        (K,) costs.
    """
    return -next_state[..., HALF_CHEETAH_VX] + HALF_CHEETAH_CTRL_WEIGHT * (action * action).sum(-1)


def ant_cost(state: torch.Tensor, action: torch.Tensor, next_state: torch.Tensor) -> torch.Tensor:
    """Ant running cost: ``-vx(next_state) + 0.005 * ||action||^2`` (the torso x velocity at the step's end).

    Args:
        state: (K, nx) states before the step (unused; kept for the common cost signature).
        action: (K, nu) actions.
        next_state: (K, nx) states after the step.

    Returns:
        (K,) costs.
    """
    return -next_state[..., ANT_VX] + ANT_CTRL_WEIGHT * (action * action).sum(-1)


def half_cheetah_posture(next_state: torch.Tensor) -> torch.Tensor:
    """(K,) ``relu(|pitch| - 0.5)^2`` of ``next_state`` (K, nx): zero while running upright, growing
    as the torso pitches towards a flip."""
    excess = torch.relu(next_state[..., HALF_CHEETAH_PITCH].abs() - HALF_CHEETAH_FREE_PITCH)
    return excess * excess


def ant_posture(next_state: torch.Tensor) -> torch.Tensor:
    """(K,) ``relu(0.5 - cos(tilt))^2`` of ``next_state`` (K, nx), the tilt of the torso's up axis from
    the quaternion (``cos(tilt) = 1 - 2 (x^2 + y^2)``): zero up to about 60 degrees."""
    x, y = next_state[..., ANT_QUAT_XY[0]], next_state[..., ANT_QUAT_XY[1]]
    excess = torch.relu(ANT_FREE_UPRIGHT - (1.0 - 2.0 * (x * x + y * y)))
    return excess * excess


class VelocityCommand:
    """The commanded base velocity ``(vx, vy, yaw rate)`` (m/s, m/s, rad/s) in the robot's heading frame
    (x forward, y left, as ``geometry_msgs/Twist`` on ``cmd_vel``), which tracking costs read at every
    plan. ``set`` replaces it (a teleop or navigation stack, a schedule); the tensor is replaced, never
    written in place, so a plan in progress keeps the target it started with."""

    def __init__(self, vx: float = 0.0, vy: float = 0.0, yaw_rate: float = 0.0):
        self.target = torch.tensor([vx, vy, yaw_rate], dtype=torch.float32)

    def set(self, vx: float, vy: float = 0.0, yaw_rate: float = 0.0) -> None:
        values = torch.tensor([vx, vy, yaw_rate], dtype=torch.float32)
        if not bool(torch.all(torch.isfinite(values))):
            raise ValueError(f"velocity command must be finite, got {(vx, vy, yaw_rate)}")
        self.target = values

    def value(self) -> tuple[float, float, float]:
        return tuple(float(v) for v in self.target)


#: Ant observation indices: torso quaternion (w, x, y, z), world-frame linear velocity (x, y), and the
#: body-frame angular velocity (x, y, z) of the free joint.
ANT_QUAT = (1, 2, 3, 4)
ANT_VXY = (13, 14)
ANT_OMEGA = (16, 17, 18)
#: Weight of the yaw-rate error relative to the linear-velocity errors in the tracking cost.
TRACK_YAW_WEIGHT = 0.5


def planar_base_velocity(vx_index: int):
    """``base_velocity(state (..., nx)) -> (..., 3)`` ``(vx, 0, 0)`` of a planar robot (it cannot move
    sideways or turn), reading vx at ``vx_index``."""

    def base_velocity(state: torch.Tensor) -> torch.Tensor:
        vx = state[..., vx_index]
        zero = torch.zeros_like(vx)
        return torch.stack([vx, zero, zero], -1)

    return base_velocity


def free_base_velocity(quat: tuple, vxy: tuple, omega_body: tuple):
    """``base_velocity(state (..., nx)) -> (..., 3)`` of a free-joint base: ``(vx, vy)`` in the heading frame
    (the world velocity at ``vxy`` rotated by minus the yaw of the quaternion w, x, y, z at ``quat``) and
    the yaw rate (the world-z component of the body angular velocity at ``omega_body``)."""

    def base_velocity(state: torch.Tensor) -> torch.Tensor:
        w, x, y, z = (state[..., i] for i in quat)
        yaw = torch.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
        c, s = torch.cos(yaw), torch.sin(yaw)
        vx_w, vy_w = state[..., vxy[0]], state[..., vxy[1]]
        ox, oy, oz = (state[..., i] for i in omega_body)
        yaw_rate = 2.0 * (x * z - w * y) * ox + 2.0 * (y * z + w * x) * oy + (1.0 - 2.0 * (x * x + y * y)) * oz
        return torch.stack([c * vx_w + s * vy_w, -s * vx_w + c * vy_w, yaw_rate], -1)

    return base_velocity


#: (..., 3) ``(vx, 0, 0)`` of the half-cheetah (planar: it cannot move sideways or turn).
half_cheetah_base_velocity = planar_base_velocity(HALF_CHEETAH_VX)
#: (..., 3) the ant torso's ``(vx, vy)`` in its heading frame and its yaw rate.
ant_base_velocity = free_base_velocity(ANT_QUAT, ANT_VXY, ANT_OMEGA)


def tracking_cost(base_velocity, ctrl_weight: float, command: VelocityCommand, planar: bool = False,
                  yaw_weight: float = TRACK_YAW_WEIGHT):
    """Velocity-tracking running cost ``|v - v_cmd|^2 (+ yaw_weight (yaw rate - cmd)^2) + ctrl_weight ||a||^2``
    on the next state, reading ``command`` at every call (K,). ``planar``: only forward velocity."""

    def cost(state: torch.Tensor, action: torch.Tensor, next_state: torch.Tensor) -> torch.Tensor:
        v = base_velocity(next_state)
        err = v - command.target.to(v.device, v.dtype)
        c = err[..., 0] * err[..., 0]
        if not planar:
            c = c + err[..., 1] * err[..., 1] + yaw_weight * err[..., 2] * err[..., 2]
        return c + ctrl_weight * (action * action).sum(-1)

    return cost


COSTS = {"half_cheetah": half_cheetah_cost, "ant": ant_cost}
#: Posture penalties a planner may add to the task cost (``planner.upright_weight``).
POSTURES = {"half_cheetah": half_cheetah_posture, "ant": ant_posture}


# ---------------------------------------------------------------------------------------------
# Costs of robots given as specs (sim.spec): the weighted terms, each the exact negative of the
# reward term the spec's environment computes from the simulator (sim.spec_env).

#: The documented term set of a robot spec's ``cost:`` (what each term costs, on the next state).
COST_TERMS = {
    "forward_velocity": "-vx: the base's world-frame forward velocity at the step's end (m/s)",
    "control": "||a||^2: the squared action",
    "height": "relu(min - h)^2 + relu(h - max)^2: the base height h as observed, outside [min, max]",
    "upright": "relu(|pitch| - a)^2 (planar) or relu(cos(a) - cos(tilt))^2 (free base): tilt beyond a = free_angle rad",
    "joint_limits": "sum over limited actuated joints of relu(|q - centre| / half_range - margin)^2",
    "velocity_tracking": "(vx - vx_cmd)^2 (planar) or + (vy - vy_cmd)^2 + yaw_weight (wz - wz_cmd)^2 (free "
                         "base), heading frame, against the command read at every call",
}


def spec_base_velocity(spec):
    """The base velocity ``(vx, vy, yaw rate)`` function of a spec robot (:func:`planar_base_velocity` or
    :func:`free_base_velocity` on its observation entries)."""
    e = spec.base_entries()
    if spec.planar:
        return planar_base_velocity(e["vx"])
    return free_base_velocity(e["quat"], e["vxy"], e["omega_body"])


def spec_posture(spec, free_angle: float | None = None):
    """``posture(next_state (K, nx)) -> (K,)`` of a spec robot: ``relu(|pitch| - a)^2`` (planar) or
    ``relu(cos(a) - cos(tilt))^2`` (free base, ``cos(tilt) = 1 - 2 (qx^2 + qy^2)``)."""
    a = spec.posture_free_angle if free_angle is None else float(free_angle)
    e = spec.base_entries()
    if spec.planar:
        i = e["pitch"]

        def posture(next_state: torch.Tensor) -> torch.Tensor:
            excess = torch.relu(next_state[..., i].abs() - a)
            return excess * excess
        return posture
    qx, qy, free_cos = e["quat"][1], e["quat"][2], math.cos(a)

    def posture(next_state: torch.Tensor) -> torch.Tensor:
        x, y = next_state[..., qx], next_state[..., qy]
        excess = torch.relu(free_cos - (1.0 - 2.0 * (x * x + y * y)))
        return excess * excess
    return posture


def _term(spec, t, command):
    w, e = float(t.weight), spec.base_entries()
    if t.term == "forward_velocity":
        i = e["vx"]
        return (lambda s, a, n: -n[..., i]) if w == 1.0 else (lambda s, a, n: -w * n[..., i])
    if t.term == "control":
        return lambda s, a, n: w * (a * a).sum(-1)
    if t.term == "height":
        i, lo, hi = e["height"], t.param("min"), t.param("max")

        def height(s, a, n):
            h = n[..., i]
            below, above = torch.relu(lo - h), torch.relu(h - hi)
            return w * (below * below + above * above)
        return height
    if t.term == "upright":
        posture = spec_posture(spec, t.param("free_angle"))
        return lambda s, a, n: w * posture(n)
    if t.term == "joint_limits":
        idx = [spec.index(f"{j}.position") for j, _, _ in spec.joint_limits]
        centre = torch.tensor([(lo + hi) / 2 for _, lo, hi in spec.joint_limits], dtype=torch.float64)
        half = torch.tensor([(hi - lo) / 2 for _, lo, hi in spec.joint_limits], dtype=torch.float64)
        margin = t.param("margin")

        def limits(s, a, n):
            q = n[..., idx]
            u = torch.relu((q - centre.to(q)).abs() / half.to(q) - margin)
            return w * (u * u).sum(-1)
        return limits
    if t.term == "velocity_tracking":
        if command is None:
            raise ValueError(f"{spec.source}: the velocity_tracking term needs a VelocityCommand")
        track = tracking_cost(spec_base_velocity(spec), 0.0, command, planar=spec.planar,
                              yaw_weight=t.param("yaw_weight"))
        return lambda s, a, n: w * track(s, a, n)
    raise ValueError(f"unknown cost term {t.term!r} (known: {', '.join(COST_TERMS)})")


def spec_cost(spec, command: VelocityCommand | None = None):
    """The task cost of a spec robot, ``cost(state (K,nx), action (K,nu), next_state (K,nx)) -> (K,)``: the
    sum of its weighted terms (:data:`COST_TERMS`), in the spec's order. ``command``: what a
    ``velocity_tracking`` term tracks."""
    terms = [_term(spec, t, command) for t in spec.cost]
    first, rest = terms[0], terms[1:]

    def cost(state: torch.Tensor, action: torch.Tensor, next_state: torch.Tensor) -> torch.Tensor:
        c = first(state, action, next_state)
        for term in rest:
            c = c + term(state, action, next_state)
        return c

    return cost
