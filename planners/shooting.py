"""Shared pieces of sampling-based planners: batched rollouts of action sequences."""
from __future__ import annotations

from typing import Callable

import torch

Dynamics = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Cost = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def rollout_costs(dynamics: Dynamics, cost: Cost, states: torch.Tensor, actions: torch.Tensor,
                  out: torch.Tensor | None = None, time_major: bool = False, calls: int = 1,
                  first_calls: int | None = None, discount: float = 1.0) -> torch.Tensor:
    """Total cost of action sequences, one batched model call at a time.

    Each planning step's action is applied in ``calls`` consecutive model calls (a held action; every
    call's running cost counted), the first step's in ``first_calls`` (default ``calls``): see
    :class:`TickBlocks`. The running costs of all C calls are evaluated in one ``cost`` call on the
    stacked (C*K) rows after the rollout (the cost is row-wise: row i's cost depends on row i only),
    which saves C-1 rounds of the cost's small operations per plan.

    Args:
        states: (K, nx) start state of each sequence (a broadcast view of one state is fine).
        actions: (K, T, nu) action sequences, or (T, K, nu) when ``time_major`` (then every
            step's (K, nu) slice is contiguous and the model's matmuls need no copy).
        out: optional preallocated (K,) buffer.
        discount: gamma in (0, 1]; the running costs of planning step t (every call of its held
            action) weigh gamma^t, so the far end of the plan, where the model's error has compounded
            most, counts less. 1: a plain sum.

    Returns:
        (K,) (discounted) summed running costs; non-finite totals (diverged rollouts) become +inf.
    """
    k, horizon = (actions.shape[1], actions.shape[0]) if time_major else (actions.shape[0], actions.shape[1])
    s = states.contiguous()
    visited, applied = [s], []
    for t in range(horizon):
        a = actions[t] if time_major else actions[:, t]
        for _ in range(calls if t or first_calls is None else first_calls):
            s = dynamics(s, a)
            visited.append(s)
            applied.append(a)
    path = torch.stack(visited)  # (C+1, K, nx)
    n = len(applied)
    c = cost(path[:-1].reshape(n * k, -1), torch.stack(applied).reshape(n * k, -1), path[1:].reshape(n * k, -1))
    if discount == 1.0:
        total = torch.sum(c.view(n, k), 0, out=out)
    else:
        first = n - (horizon - 1) * calls  # calls of the first planning step
        steps = torch.arange(horizon, dtype=c.dtype, device=c.device).repeat_interleave(
            torch.tensor([first] + [calls] * (horizon - 1), device=c.device))
        total = torch.mv(c.view(n, k).t(), torch.pow(discount, steps), out=out)
    return torch.nan_to_num_(total, nan=float("inf"), posinf=float("inf"))


class TickBlocks:
    """Planning steps vs control ticks, shared by the sampling planners.

    Each planned action is held for ``step_ticks`` control ticks, in blocks fixed in time; the
    planner still commands every tick (replanning the rest of the current block) and shifts its warm
    start when a block ends. The dynamics callable advances ``model_ticks`` ticks per call (1: a
    one-tick model, applied ``step_ticks`` times per block; ``step_ticks``: a model of the whole held
    block, called once; the first block then always spans a whole call).
    """

    def __init__(self, step_ticks: int = 1, model_ticks: int = 1):
        for name, v in (("step_ticks", step_ticks), ("model_ticks", model_ticks)):
            if int(v) != v or v < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {v}")
        if step_ticks % model_ticks:
            raise ValueError(f"step_ticks ({step_ticks}) must be a multiple of model_ticks ({model_ticks})")
        self.step_ticks, self.model_ticks = int(step_ticks), int(model_ticks)
        self.calls = self.step_ticks // self.model_ticks
        self.phase = 0

    def reset(self) -> None:
        self.phase = 0

    @property
    def first_calls(self) -> int:
        """Model calls for the rest of the current block (at least one)."""
        return -(-(self.step_ticks - self.phase) // self.model_ticks)

    def advance(self) -> bool:
        """One tick commanded; True when it ended the block (then shift the warm start)."""
        self.phase += 1
        if self.phase == self.step_ticks:
            self.phase = 0
            return True
        return False

    def per_tick(self, plan: torch.Tensor) -> torch.Tensor:
        """(remaining + (T-1) * step_ticks, nu) the actions tick by tick of a plan (T, nu) from the next
        tick on, the first row for the ticks left of its block; the plan itself when ``step_ticks`` is 1."""
        if self.step_ticks == 1:
            return plan
        remaining = self.step_ticks - self.phase
        return torch.cat([plan[:1].expand(remaining, -1), plan[1:].repeat_interleave(self.step_ticks, 0)], 0)


def check_discount(discount: float) -> float:
    if not 0.0 < discount <= 1.0:
        raise ValueError(f"discount must be in (0, 1], got {discount}")
    return float(discount)


def as_bounds(value, nu: int, dtype, device) -> torch.Tensor:
    """A scalar or (nu,) bound as a (nu,) tensor."""
    return torch.as_tensor(value, dtype=dtype, device=device).expand(nu).clone()


def check_state(state, nx: int, dtype, device) -> torch.Tensor:
    state = torch.as_tensor(state, dtype=dtype, device=device)
    if state.shape != (nx,):
        raise ValueError(f"state must have shape ({nx},), got {tuple(state.shape)}")
    return state
