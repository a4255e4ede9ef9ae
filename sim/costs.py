"""Batched torch cost functions for planners (costs, minimised; reward = -cost).

Shapes: K samples, nx state size, nu action size. Each cost is the exact negative of its
environment's reward on the same (state, action, next_state) triple.
"""
from __future__ import annotations

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


def half_cheetah_base_velocity(state: torch.Tensor) -> torch.Tensor:
    """(..., 3) ``(vx, 0, 0)``: the half-cheetah is planar (it cannot move sideways or turn)."""
    vx = state[..., HALF_CHEETAH_VX]
    zero = torch.zeros_like(vx)
    return torch.stack([vx, zero, zero], -1)


def ant_base_velocity(state: torch.Tensor) -> torch.Tensor:
    """(..., 3) the ant torso's ``(vx, vy)`` in its heading frame (the world velocity rotated by minus
    the yaw) and its yaw rate (the world-z component of the body angular velocity)."""
    w, x, y, z = (state[..., i] for i in ANT_QUAT)
    yaw = torch.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    c, s = torch.cos(yaw), torch.sin(yaw)
    vx_w, vy_w = state[..., ANT_VXY[0]], state[..., ANT_VXY[1]]
    ox, oy, oz = (state[..., i] for i in ANT_OMEGA)
    yaw_rate = 2.0 * (x * z - w * y) * ox + 2.0 * (y * z + w * x) * oy + (1.0 - 2.0 * (x * x + y * y)) * oz
    return torch.stack([c * vx_w + s * vy_w, -s * vx_w + c * vy_w, yaw_rate], -1)


def tracking_cost(base_velocity, ctrl_weight: float, command: VelocityCommand, planar: bool = False):
    """Velocity-tracking running cost ``|v - v_cmd|^2 (+ 0.5 (yaw rate - cmd)^2) + ctrl_weight ||a||^2``
    on the next state, reading ``command`` at every call (K,). ``planar``: only forward velocity."""

    def cost(state: torch.Tensor, action: torch.Tensor, next_state: torch.Tensor) -> torch.Tensor:
        v = base_velocity(next_state)
        err = v - command.target.to(v.device, v.dtype)
        c = err[..., 0] * err[..., 0]
        if not planar:
            c = c + err[..., 1] * err[..., 1] + TRACK_YAW_WEIGHT * err[..., 2] * err[..., 2]
        return c + ctrl_weight * (action * action).sum(-1)

    return cost


COSTS = {"half_cheetah": half_cheetah_cost, "ant": ant_cost}
#: Base velocity (heading frame, yaw rate) of each robot's observation, for velocity tracking.
BASE_VELOCITY = {"half_cheetah": half_cheetah_base_velocity, "ant": ant_base_velocity}
#: Posture penalties a planner may add to the task cost (``planner.upright_weight``).
POSTURES = {"half_cheetah": half_cheetah_posture, "ant": ant_posture}
