"""Model Predictive Path Integral control (Williams et al.), batched in torch.

K action sequences of horizon T are sampled around a nominal sequence, rolled out through the
``dynamics`` callable in one batch per time step, scored by ``cost`` (minimised), and averaged with
softmin weights. The nominal sequence is warm-started by shifting it one step after each command.
"""
from __future__ import annotations

from typing import Callable

import torch

Dynamics = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Cost = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


class MPPI:
    """MPPI planner.

    Args:
        dynamics: ``f(state (K,nx), action (K,nu)) -> next_state (K,nx)``.
        cost: ``c(state (K,nx), action (K,nu), next_state (K,nx)) -> (K,)`` running cost.
        nx: state size. nu: action size.
        horizon: T. samples: K.
        noise_sigma: standard deviation of the Gaussian action noise (scalar or (nu,)).
        temperature: softmin temperature relative to the standard deviation of the K costs, so
            one value works across robots and cost scales.
        action_low, action_high: bounds (scalars or (nu,)); every sampled and returned action lies
            within them.
        iterations: refinement iterations per command.
        seed: seed of the planner's own ``torch.Generator``.
        device, dtype: where and in which precision planning runs.
    """

    def __init__(self, dynamics: Dynamics, cost: Cost, nx: int, nu: int, *, horizon: int = 10, samples: int = 500,
                 noise_sigma=0.5, temperature: float = 0.05, action_low=-1.0, action_high=1.0, iterations: int = 1,
                 seed: int = 0, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32):
        if horizon < 1 or samples < 2 or iterations < 1:
            raise ValueError(f"need horizon >= 1, samples >= 2, iterations >= 1; got {horizon}, {samples}, {iterations}")
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.dynamics, self.cost = dynamics, cost
        self.nx, self.nu, self.T, self.K = nx, nu, horizon, samples
        self.iterations = iterations
        self.temperature = float(temperature)
        self.device, self.dtype = torch.device(device), dtype
        vec = lambda v: torch.as_tensor(v, dtype=dtype, device=self.device).expand(nu).clone()  # noqa: E731
        self.sigma = vec(noise_sigma)
        self.low, self.high = vec(action_low), vec(action_high)
        if torch.any(self.low >= self.high):
            raise ValueError("action_low must be below action_high")
        self.seed = seed
        self.generator = torch.Generator(device=self.device)
        # Preallocated buffers, reused every command.
        self._noise = torch.empty(samples, horizon, nu, dtype=dtype, device=self.device)
        self._costs = torch.empty(samples, dtype=dtype, device=self.device)
        self.reset()

    def reset(self) -> None:
        """Forget the warm start and reseed the generator (episodes are reproducible)."""
        self.generator.manual_seed(self.seed)
        self.nominal = ((self.low + self.high) / 2).expand(self.T, self.nu).clone()

    @torch.no_grad()
    def rollout(self, state: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Total cost (K,) of action sequences (K, T, nu) from one state (nx,)."""
        k = actions.shape[0]
        s = state.expand(k, self.nx)
        total = self._costs[:k].zero_()
        for t in range(self.T):
            a = actions[:, t]
            s_next = self.dynamics(s, a)
            total += self.cost(s, a, s_next)
            s = s_next
        return total

    @torch.no_grad()
    def command(self, state) -> torch.Tensor:
        """Best first action (nu,) from ``state`` (nx,); also shifts the nominal sequence."""
        state = torch.as_tensor(state, dtype=self.dtype, device=self.device)
        if state.shape != (self.nx,):
            raise ValueError(f"state must have shape ({self.nx},), got {tuple(state.shape)}")
        for _ in range(self.iterations):
            torch.randn(self._noise.shape, generator=self.generator, out=self._noise, dtype=self.dtype, device=self.device)
            self._noise.mul_(self.sigma)
            self._noise[0].zero_()  # the nominal sequence itself is always a candidate
            actions = torch.clamp(self.nominal + self._noise, self.low, self.high)
            costs = self.rollout(state, actions)
            costs = torch.nan_to_num(costs, nan=float("inf"), posinf=float("inf"))
            finite = torch.isfinite(costs)
            if not bool(finite.any()):
                break  # every rollout diverged: keep the current nominal sequence
            spread = costs[finite].std() if finite.sum() > 1 else costs.new_tensor(1.0)
            z = -(costs - costs[finite].min()) / (self.temperature * spread + 1e-9)
            w = torch.softmax(z, 0)
            self.nominal = torch.einsum("k,ktu->tu", w, actions)
        action = self.nominal[0].clone()
        self.nominal = torch.roll(self.nominal, -1, 0)
        self.nominal[-1] = self.nominal[-2] if self.T > 1 else (self.low + self.high) / 2
        return action
