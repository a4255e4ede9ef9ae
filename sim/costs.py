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


COSTS = {"half_cheetah": half_cheetah_cost, "ant": ant_cost}
#: Posture penalties a planner may add to the task cost (``planner.upright_weight``).
POSTURES = {"half_cheetah": half_cheetah_posture, "ant": ant_posture}
