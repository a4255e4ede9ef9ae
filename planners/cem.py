"""Cross-entropy method MPC: refit a Gaussian over action sequences to the elite (lowest-cost) samples.

Returns the **elite mean** (not the single best sample: the reference GrBAL code's CEM has that
known bug). Elites are chosen per state with ``torch.topk`` on the costs, so batched planning over
several states (``plan_batch``) never mixes samples across states.
"""
from __future__ import annotations

import torch

from planners.shooting import Cost, Dynamics, TickBlocks, as_bounds, check_discount, check_state, rollout_costs


class CEM:
    """CEM planner.

    Args:
        dynamics, cost: batched callables (see ``planners``).
        nx, nu: state and action sizes.
        horizon: T. samples: K per iteration. elites: number of lowest-cost samples refitted.
        iterations: refits per command.
        init_sigma: initial standard deviation of the sampling distribution.
        min_sigma: floor on the standard deviation (keeps exploring).
        momentum: weight of the previous mean/std in each refit (0 = plain refit).
        action_low, action_high: bounds; samples are clamped to them.
        step_ticks, model_ticks: control ticks each planned action is held, and ticks per dynamics call
            (as in :class:`planners.mppi.MPPI`).
        discount: gamma in (0, 1], the weight gamma^t of planning step t's running costs (1: a plain sum).
        seed: seed of the planner's ``torch.Generator``.
    """

    def __init__(self, dynamics: Dynamics, cost: Cost, nx: int, nu: int, *, horizon: int = 10, samples: int = 500,
                 elites: int = 50, iterations: int = 3, init_sigma: float = 0.5, min_sigma: float = 0.05,
                 momentum: float = 0.1, action_low=-1.0, action_high=1.0, step_ticks: int = 1, model_ticks: int = 1, discount: float = 1.0,
                 seed: int = 0, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32):
        if not 1 <= elites <= samples:
            raise ValueError(f"need 1 <= elites <= samples, got elites={elites}, samples={samples}")
        if horizon < 1 or iterations < 1:
            raise ValueError("horizon and iterations must be >= 1")
        self.dynamics, self.cost = dynamics, cost
        self.nx, self.nu, self.T, self.K, self.E = nx, nu, horizon, samples, elites
        self.iterations, self.init_sigma, self.min_sigma, self.momentum = iterations, init_sigma, min_sigma, momentum
        self.blocks = TickBlocks(step_ticks, model_ticks)
        self.discount = check_discount(discount)
        self.device, self.dtype = torch.device(device), dtype
        self.low, self.high = (as_bounds(v, nu, dtype, self.device) for v in (action_low, action_high))
        if torch.any(self.low >= self.high):
            raise ValueError("action_low must be below action_high")
        self.seed = seed
        self.generator = torch.Generator(device=self.device)
        self.reset()

    def reset(self) -> None:
        self.generator.manual_seed(self.seed)
        self.mean = ((self.low + self.high) / 2).expand(self.T, self.nu).clone()
        self.blocks.reset()

    @property
    def next_plan(self) -> torch.Tensor:
        """The shifted elite mean tick by tick: row 0 is the action for the next tick."""
        return self.blocks.per_tick(self.mean)

    @torch.no_grad()
    def plan_batch(self, states: torch.Tensor, mean: torch.Tensor | None = None) -> torch.Tensor:
        """Elite-mean action sequences (B, T, nu) for B states (B, nx), planned independently."""
        b = states.shape[0]
        mu = (mean if mean is not None else self.mean).expand(b, self.T, self.nu).clone()
        sigma = torch.full_like(mu, self.init_sigma)
        for _ in range(self.iterations):
            noise = torch.randn(b, self.K, self.T, self.nu, generator=self.generator, dtype=self.dtype, device=self.device)
            acts = torch.clamp(mu[:, None] + sigma[:, None] * noise, self.low, self.high)
            acts[:, 0] = mu  # the current mean is always a candidate
            costs = rollout_costs(self.dynamics, self.cost, states.repeat_interleave(self.K, 0),
                                  acts.reshape(b * self.K, self.T, self.nu), calls=self.blocks.calls,
                                  first_calls=self.blocks.first_calls, discount=self.discount).view(b, self.K)
            elite_idx = self.select_elites(costs)  # (B, E), per state
            elite = torch.take_along_dim(acts, elite_idx[:, :, None, None], dim=1)
            new_mu, new_sigma = elite.mean(1), elite.std(1, unbiased=False).clamp_min(self.min_sigma)
            mu = self.momentum * mu + (1 - self.momentum) * new_mu
            sigma = self.momentum * sigma + (1 - self.momentum) * new_sigma
        return mu

    def select_elites(self, costs: torch.Tensor) -> torch.Tensor:
        """Indices (B, E) of the E lowest costs in each row of ``costs`` (B, K)."""
        return torch.topk(costs, self.E, dim=1, largest=False, sorted=False).indices

    @torch.no_grad()
    def command(self, state) -> torch.Tensor:
        """First action (nu,) of the elite mean for ``state`` (nx,); warm-starts by shifting."""
        state = check_state(state, self.nx, self.dtype, self.device)
        plan = self.plan_batch(state[None])[0]
        action = plan[0].clone()
        if self.blocks.advance():  # the block ends: shift
            self.mean = torch.cat([plan[1:], plan[-1:]], 0)
        else:
            self.mean = plan
        return action
