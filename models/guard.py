"""Adaptation guard: keep implausible transitions out of the window, reject adaptation that does not help.

Real encoders and IMUs spike. A finite but wrong reading enters two transitions (the one that ends
on it and the one that starts from it); left in the adaptation window, every adapted model for the
next M ticks is fitted to it. The guard has two rules, both measured against the meta-learned prior:

1. **Transition gate.** A transition whose normalised residual under the prior,
   ``|next_obs - f_prior(obs, act)| / delta_std`` in any state entry, is beyond ``bound`` is not
   pushed into the window (nor into ReBAL's context). The bound is per state entry:
   ``factor`` times the largest residual the prior showed on its own training data in that entry
   (:func:`calibrate_residuals`, stored in the checkpoint), or a flat bound for checkpoints without
   that calibration.
2. **Step check.** An adapted parameter set (or ReBAL context) that is non-finite, or whose loss on
   the window is above the prior's, is not used: the controller plans with the prior.

Shapes: obs (M, nx), act (M, nu), next_obs (M, nx); one transition is (nx,), (nu,), (nx,).
"""
from __future__ import annotations

import torch

from models.dynamics import DynamicsModel


@torch.no_grad()
def normalised_residuals(model: DynamicsModel, predict, obs, act, next_obs) -> torch.Tensor:
    """``|next_obs - predict(obs, act)| / delta_std``: (B, nx) from (B, nx), (B, nu), (B, nx); for a model
    in a heading frame both states are compared in the frame of ``obs``, the frame ``delta_std`` is of."""
    pred = predict(obs, act)
    if model.frame is not None:
        _, next_obs = model.local(obs, next_obs)
        _, pred = model.local(obs, pred)
    return ((next_obs - pred) / model.normalizer.delta_std).abs()


@torch.no_grad()
def calibrate_residuals(model: DynamicsModel, obs, act, next_obs, batch: int = 65536) -> torch.Tensor:
    """Per state entry, the largest normalised residual of ``model``'s own parameters (the prior) over
    the given transitions (its training data): (nx,). Computed in batches (bounded memory)."""
    predict = model.predictor(model.params())  # ReBAL: with the empty context
    out = torch.zeros(model.obs_size, dtype=torch.float32)
    for i in range(0, len(obs), batch):
        o, a, n = (torch.as_tensor(x[i:i + batch], dtype=torch.float32) for x in (obs, act, next_obs))
        r = normalised_residuals(model, predict, o, a, n)
        r = torch.where(torch.isfinite(r), r, torch.zeros_like(r))
        out = torch.maximum(out, r.max(0).values)
    return out


class AdaptationGuard:
    """The two rules above for one model.

    Args:
        model: the dynamics model (its normaliser's ``delta_std`` sets the residual units).
        residual_bound: (nx,) or scalar bound on the normalised residual of a transition under the prior.
    """

    def __init__(self, model: DynamicsModel, residual_bound):
        self.model = model
        bound = torch.as_tensor(residual_bound, dtype=torch.float32, device=model.normalizer.delta_std.device)
        if bound.ndim not in (0, 1) or (bound.ndim == 1 and bound.shape[0] != model.obs_size):
            raise ValueError(f"residual_bound must be a scalar or ({model.obs_size},), got shape {tuple(bound.shape)}")
        if not bool(torch.all(bound > 0)) or not bool(torch.all(torch.isfinite(bound))):
            raise ValueError("residual_bound must be positive and finite")
        self.bound = bound.expand(model.obs_size).clone()

    @torch.no_grad()
    def residuals(self, predict, obs, act, next_obs) -> torch.Tensor:
        """(nx,) normalised residuals of one transition (nx,), (nu,), (nx,) under ``predict`` (the prior)."""
        return normalised_residuals(self.model, predict, obs[None], act[None], next_obs[None])[0]

    def within(self, residuals: torch.Tensor) -> bool:
        """Whether residuals (nx,) lie within the bound (NaN compares False: implausible)."""
        return bool(torch.all(residuals <= self.bound))

    @torch.no_grad()
    def plausible(self, predict, obs, act, next_obs) -> bool:
        """Whether one transition (nx,), (nu,), (nx,) lies within the bound under ``predict`` (the prior)."""
        return self.within(self.residuals(predict, obs, act, next_obs))

    @torch.no_grad()
    def window_loss(self, predict, obs, act, next_obs) -> torch.Tensor:
        """Mean squared normalised one-step error of ``predict`` on the window (the adaptation loss)."""
        return normalised_residuals(self.model, predict, obs, act, next_obs).square().mean()

    @torch.no_grad()
    def accept(self, prior_predict, adapted_predict, obs, act, next_obs, prior_loss=None) -> bool:
        """Whether the adapted model is finite and no worse than the prior on the window.

        ``prior_loss``: the prior's window loss when the caller already has it (the controller keeps
        each transition's prior residuals from the gate); it is then compared with a relative
        tolerance of 1e-5 (the two losses come from different float paths)."""
        adapted = self.window_loss(adapted_predict, obs, act, next_obs)
        if not bool(torch.isfinite(adapted)):
            return False
        if prior_loss is not None:
            return bool(adapted <= prior_loss * (1.0 + 1e-5))
        return bool(adapted <= self.window_loss(prior_predict, obs, act, next_obs))
