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


COSTS = {"half_cheetah": half_cheetah_cost, "ant": ant_cost}
