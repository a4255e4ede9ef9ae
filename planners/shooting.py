"""Shared pieces of sampling-based planners: batched rollouts of action sequences."""
from __future__ import annotations

from typing import Callable

import torch

Dynamics = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Cost = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def rollout_costs(dynamics: Dynamics, cost: Cost, states: torch.Tensor, actions: torch.Tensor,
                  out: torch.Tensor | None = None, time_major: bool = False) -> torch.Tensor:
    """Total cost of action sequences, one batched model call per time step.

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
        s_next = dynamics(s, a)
        total += cost(s, a, s_next)
        s = s_next
    return torch.nan_to_num_(total, nan=float("inf"), posinf=float("inf"))


def as_bounds(value, nu: int, dtype, device) -> torch.Tensor:
    """A scalar or (nu,) bound as a (nu,) tensor."""
    return torch.as_tensor(value, dtype=dtype, device=device).expand(nu).clone()


def check_state(state, nx: int, dtype, device) -> torch.Tensor:
    state = torch.as_tensor(state, dtype=dtype, device=device)
    if state.shape != (nx,):
        raise ValueError(f"state must have shape ({nx},), got {tuple(state.shape)}")
    return state
