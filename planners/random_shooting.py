"""Random shooting MPC (the GrBAL reference planner): uniform action sequences, keep the best."""
from __future__ import annotations

import torch

from planners.shooting import Cost, Dynamics, TickBlocks, as_bounds, check_discount, check_state, rollout_costs


class RandomShooting:
    """Sample K uniform action sequences of horizon T, return the first action of the cheapest.

    Args:
        dynamics, cost: batched callables. nx, nu: sizes. horizon: T. samples: K.
        action_low, action_high: bounds of the uniform samples. seed: ``torch.Generator`` seed.
        step_ticks, model_ticks: control ticks each sampled action is held, and ticks per dynamics call
            (as in :class:`planners.mppi.MPPI`).
        discount: gamma in (0, 1], the weight gamma^t of planning step t's running costs (1: a plain sum).
    """

    def __init__(self, dynamics: Dynamics, cost: Cost, nx: int, nu: int, *, horizon: int = 10, samples: int = 500,
                 action_low=-1.0, action_high=1.0, step_ticks: int = 1, model_ticks: int = 1, discount: float = 1.0, seed: int = 0, device: str | torch.device = "cpu",
                 dtype: torch.dtype = torch.float32):
        if horizon < 1 or samples < 1:
            raise ValueError("horizon and samples must be >= 1")
        self.dynamics, self.cost = dynamics, cost
        self.nx, self.nu, self.T, self.K = nx, nu, horizon, samples
        self.device, self.dtype = torch.device(device), dtype
        self.low, self.high = (as_bounds(v, nu, dtype, self.device) for v in (action_low, action_high))
        self.blocks = TickBlocks(step_ticks, model_ticks)
        self.discount = check_discount(discount)
        self.seed = seed
        self.generator = torch.Generator(device=self.device)
        self._u = torch.empty(samples, horizon, nu, dtype=dtype, device=self.device)
        self._costs = torch.empty(samples, dtype=dtype, device=self.device)
        self.reset()

    def reset(self) -> None:
        self.generator.manual_seed(self.seed)
        self.best = None
        self.blocks.reset()
        self.next_plan = ((self.low + self.high) / 2).expand(self.T, self.nu).clone()

    @torch.no_grad()
    def command(self, state) -> torch.Tensor:
        state = check_state(state, self.nx, self.dtype, self.device)
        torch.rand(self._u.shape, generator=self.generator, out=self._u, dtype=self.dtype, device=self.device)
        acts = self.low + (self.high - self.low) * self._u
        costs = rollout_costs(self.dynamics, self.cost, state.expand(self.K, self.nx), acts, out=self._costs,
                              calls=self.blocks.calls, first_calls=self.blocks.first_calls, discount=self.discount)
        self.best = acts[torch.argmin(costs)].clone()
        shifted = self.blocks.advance()
        # the fallback plan, tick by tick from the next tick on
        plan = torch.cat([self.best[1:], self.best[-1:]], 0) if shifted else self.best
        self.next_plan = self.blocks.per_tick(plan)
        return self.best[0].clone()
