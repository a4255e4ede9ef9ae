"""Shared pieces of sampling-based planners: batched rollouts of action sequences."""
from __future__ import annotations

from typing import Callable

import torch

Dynamics = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Cost = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def rollout_costs(dynamics: Dynamics, cost: Cost, states: torch.Tensor, actions: torch.Tensor,
                  out: torch.Tensor | None = None, time_major: bool = False, step_ticks: int = 1,
                  first_ticks: int | None = None) -> torch.Tensor:
    """Total cost of action sequences, one batched model call per control tick.

    Each planning step's action is held for ``step_ticks`` control ticks (the model is applied that
    many times, every tick's running cost counted); the first step's action for ``first_ticks``
    ticks (the rest of the block the robot is in; default ``step_ticks``).

    Args:
        states: (K, nx) start state of each sequence (a broadcast view of one state is fine).
        actions: (K, T, nu) action sequences, or (T, K, nu) when ``time_major`` (then every
            step's (K, nu) slice is contiguous and the model's matmuls need no copy).
        out: optional preallocated (K,) buffer.

    Returns:
        (K,) summed running costs; non-finite totals (diverged rollouts) become +inf.
    """
    k, horizon = (actions.shape[1], actions.shape[0]) if time_major else (actions.shape[0], actions.shape[1])
    total = out.zero_() if out is not None else actions.new_zeros(k)
    s = states.contiguous()
    for t in range(horizon):
        a = actions[t] if time_major else actions[:, t]
        for _ in range(step_ticks if t or first_ticks is None else first_ticks):
            s_next = dynamics(s, a)
            total += cost(s, a, s_next)
            s = s_next
    return torch.nan_to_num_(total, nan=float("inf"), posinf=float("inf"))


def check_step_ticks(step_ticks: int) -> int:
    if int(step_ticks) != step_ticks or step_ticks < 1:
        raise ValueError(f"step_ticks must be an integer >= 1, got {step_ticks}")
    return int(step_ticks)


def per_tick_plan(plan: torch.Tensor, step_ticks: int, remaining: int) -> torch.Tensor:
    """(remaining + (T-1) * step_ticks, nu) actions tick by tick of a plan (T, nu) whose rows are held
    ``step_ticks`` ticks each, the first row for the ``remaining`` ticks left of its block."""
    if step_ticks == 1:
        return plan
    return torch.cat([plan[:1].expand(remaining, -1), plan[1:].repeat_interleave(step_ticks, 0)], 0)


def as_bounds(value, nu: int, dtype, device) -> torch.Tensor:
    """A scalar or (nu,) bound as a (nu,) tensor."""
    return torch.as_tensor(value, dtype=dtype, device=device).expand(nu).clone()


def check_state(state, nx: int, dtype, device) -> torch.Tensor:
    state = torch.as_tensor(state, dtype=dtype, device=device)
    if state.shape != (nx,):
        raise ValueError(f"state must have shape ({nx},), got {tuple(state.shape)}")
    return state
