"""Model Predictive Path Integral control (Williams et al.), batched in torch.

K action sequences of horizon T are sampled around a nominal sequence, rolled out through the
``dynamics`` callable in one batch per time step, scored by ``cost`` (minimised), and averaged with
softmin weights. The nominal sequence is warm-started by shifting it one step after each planning
step: every command with ``step_ticks=1``; with ``step_ticks=n`` each planned action covers a block
of n control ticks (fixed in time), a command is still issued every tick (replanning the rest of
the current block), and the nominal sequence shifts when a block ends.

Elite reuse (``reuse_elites`` E > 0, as in iCEM): the E lowest-cost sequences of the last plan,
shifted with the nominal sequence, are rolled out again among the next plan's K samples in place of
E fresh ones, so a good sequence found once keeps informing the softmin average.
"""
from __future__ import annotations

import math

import torch

from planners.shooting import Cost, Dynamics, TickBlocks, as_bounds, check_discount, check_state, rollout_costs


class MPPI:
    """MPPI planner.

    Args:
        dynamics: ``f(state (K,nx), action (K,nu)) -> next_state (K,nx)``.
        cost: ``c(state (K,nx), action (K,nu), next_state (K,nx)) -> (K,)`` running cost.
        nx: state size. nu: action size.
        horizon: T. samples: K.
        noise_sigma: standard deviation of the Gaussian action noise (scalar or (nu,)).
        noise_correlation: rho in [0, 1): time-correlated (AR(1), smoothed) noise
            ``e_t = rho e_{t-1} + sqrt(1 - rho^2) w_t`` with the same marginal sigma; 0 = white noise.
        temperature: softmin temperature relative to the standard deviation of the K costs, so
            one value works across robots and cost scales.
        action_low, action_high: bounds (scalars or (nu,)); every sampled and returned action lies
            within them.
        iterations: refinement iterations per command.
        step_ticks: n, control ticks each planned action is held (the lookahead is T*n ticks; the
            dynamics callable is applied n times per planning step, every tick's cost counted).
        model_ticks: ticks the dynamics callable advances per call (a divisor of ``step_ticks``; see
            :class:`planners.shooting.TickBlocks`).
        reuse_elites: E, the lowest-cost sequences of each plan kept (and shifted when a block ends) to
            be sampled again in the next one, in place of E of its K fresh samples; 0 = none.
        discount: gamma in (0, 1], the weight gamma^t of planning step t's running costs (1: a plain sum).
        seed: seed of the planner's own ``torch.Generator``.
        device, dtype: where and in which precision planning runs.
    """

    def __init__(self, dynamics: Dynamics, cost: Cost, nx: int, nu: int, *, horizon: int = 10, samples: int = 500,
                 noise_sigma=0.5, noise_correlation: float = 0.0, temperature: float = 0.05, action_low=-1.0,
                 action_high=1.0, iterations: int = 1, step_ticks: int = 1, model_ticks: int = 1, reuse_elites: int = 0,
                 discount: float = 1.0, seed: int = 0, device: str | torch.device = "cpu",
                 dtype: torch.dtype = torch.float32):
        if horizon < 1 or samples < 2 or iterations < 1:
            raise ValueError(f"need horizon >= 1, samples >= 2, iterations >= 1; got {horizon}, {samples}, {iterations}")
        if not 0 <= reuse_elites < samples - 1:
            raise ValueError(f"reuse_elites must be in [0, samples - 1), got {reuse_elites} with samples={samples}")
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        if not 0.0 <= noise_correlation < 1.0:
            raise ValueError(f"noise_correlation must be in [0, 1), got {noise_correlation}")
        self.dynamics, self.cost = dynamics, cost
        self.nx, self.nu, self.T, self.K = nx, nu, horizon, samples
        self.iterations = iterations
        self.blocks = TickBlocks(step_ticks, model_ticks)
        self.temperature = float(temperature)
        self.discount = check_discount(discount)
        self.rho = float(noise_correlation)
        self.device, self.dtype = torch.device(device), dtype
        self.sigma = as_bounds(noise_sigma, nu, dtype, self.device)
        self.low, self.high = (as_bounds(v, nu, dtype, self.device) for v in (action_low, action_high))
        if torch.any(self.low >= self.high):
            raise ValueError("action_low must be below action_high")
        self.seed = seed
        self.generator = torch.Generator(device=self.device)
        # Preallocated buffers, reused every command; time-major (T, K, nu) so each step's slice is
        # contiguous for the model's matmuls.
        self._noise = torch.empty(horizon, samples, nu, dtype=dtype, device=self.device)
        self._actions = torch.empty(horizon, samples, nu, dtype=dtype, device=self.device)
        self._costs = torch.empty(samples, dtype=dtype, device=self.device)
        self.E = int(reuse_elites)
        self._elites = torch.empty(horizon, self.E, nu, dtype=dtype, device=self.device)  # (T, E, nu)
        self._sample_noise = self._correlated_noise if self.rho > 0 else self._white_noise
        # Uniform bounds and noise clamp and scale with scalars (half the time of per-entry tensors).
        uniform = all(bool(torch.all(v == v[0])) for v in (self.low, self.high, self.sigma))
        self._clamp = self._clamp_scalar if uniform else self._clamp_tensor
        self._scale = float(self.sigma[0]) if uniform else self.sigma
        self._scalar_bounds = (float(self.low[0]), float(self.high[0]))
        self.reset()

    def reset(self) -> None:
        """Forget the warm start and reseed the generator (episodes are reproducible)."""
        self.generator.manual_seed(self.seed)
        self.nominal = ((self.low + self.high) / 2).expand(self.T, self.nu).clone()
        self.blocks.reset()
        self._kept = 0  # elites held from the last plan

    @property
    def next_plan(self) -> torch.Tensor:
        """(T*n - phase, nu) the plan tick by tick from the next tick on (row 0 is the action for the
        next tick if no new plan arrives); (T, nu) the shifted nominal sequence when n = 1."""
        return self.blocks.per_tick(self.nominal)

    def _white_noise(self, noise: torch.Tensor) -> None:
        if noise is self._noise:  # all K samples: one call into the whole buffer
            torch.randn(noise.shape, generator=self.generator, out=noise, dtype=self.dtype, device=self.device)
        else:  # the first k samples of each step (a strided view)
            noise.normal_(generator=self.generator)

    def _clamp_scalar(self, actions: torch.Tensor) -> torch.Tensor:
        return actions.clamp_(*self._scalar_bounds)

    def _clamp_tensor(self, actions: torch.Tensor) -> torch.Tensor:
        return torch.clamp(actions, self.low, self.high, out=actions)

    def _correlated_noise(self, noise: torch.Tensor) -> None:
        self._white_noise(noise)
        e, c = noise, math.sqrt(1.0 - self.rho ** 2)
        for t in range(1, self.T):  # AR(1) filter along the horizon: T small in-place ops
            e[t].mul_(c).add_(e[t - 1], alpha=self.rho)

    def _weights(self, costs: torch.Tensor) -> torch.Tensor | None:
        """(K,) softmin weights of the costs (summing to 1), 0 for diverged rollouts (+inf); None if all diverged."""
        finite = torch.isfinite(costs)
        if bool(finite.all()):  # the usual case: a few small ops
            z = (costs.min() - costs).div_(self.temperature * costs.std() + 1e-9)
            return torch.softmax(z, 0)
        if not bool(finite.any()):
            return None
        c = torch.where(finite, costs, torch.where(finite, costs, -torch.inf).max())
        z = (c.min() - c) / (self.temperature * c.std() + 1e-9)
        w = torch.where(finite, torch.softmax(z, 0), 0.0)
        return w / w.sum()

    @torch.no_grad()
    def command(self, state, samples: int | None = None) -> torch.Tensor:
        """Best first action (nu,) from ``state`` (nx,); also shifts the nominal sequence.

        ``samples``: k <= K sequences this time (the first k rows of the buffers; a real-time caller
        fitting the plan to a time budget); ``None``: all K."""
        state = check_state(state, self.nx, self.dtype, self.device)
        k = self.K if samples is None else int(samples)
        if not 2 <= k <= self.K:
            raise ValueError(f"samples must be in [2, K={self.K}], got {samples}")
        whole = k == self.K
        noise = self._noise if whole else self._noise[:, :k]
        out = self._actions if whole else self._actions[:, :k]
        reuse = min(self.E, k - 1)
        for _ in range(self.iterations):
            self._sample_noise(noise)
            noise.mul_(self._scale)
            noise[:, 0].zero_()  # the nominal sequence itself is always a candidate
            actions = self._clamp(torch.add(self.nominal[:, None], noise, out=out))
            n = min(reuse, self._kept)
            if n:  # samples 1..n: the last plan's best sequences, shifted
                actions[:, 1:1 + n] = self._elites[:, :n]
            costs = rollout_costs(self.dynamics, self.cost, state.expand(k, self.nx), actions, out=self._costs[:k],
                                  time_major=True, calls=self.blocks.calls, first_calls=self.blocks.first_calls,
                                  discount=self.discount)
            w = self._weights(costs)
            if w is None:
                break  # every rollout diverged: keep the current nominal sequence
            self.nominal = torch.matmul(w, actions)  # (T, nu): one product per step, actions read in place
            if reuse:
                best = torch.topk(costs, reuse, largest=False, sorted=False).indices
                self._elites[:, :reuse] = actions[:, best]
                self._kept = reuse
        action = self.nominal[0].clone()
        if self.blocks.advance():  # the block ends: shift to the next planning step
            self.nominal = self._shifted(self.nominal)
            if self._kept:
                self._elites = self._shifted(self._elites)
        return action

    def _shifted(self, seq: torch.Tensor) -> torch.Tensor:
        """``seq`` (T, ...) one planning step on: row t+1 to row t, the last row repeated."""
        seq = torch.roll(seq, -1, 0)
        seq[-1] = seq[-2] if self.T > 1 else (self.low + self.high) / 2
        return seq
