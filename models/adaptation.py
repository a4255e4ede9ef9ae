"""Online adapters: ``adapt(params, window) -> params``, pure (the input parameters are never mutated).

The window is the newest M transitions: obs (M, nx), act (M, nu), next_obs (M, nx).
"""
from __future__ import annotations

import torch
from torch.func import grad

from models.dynamics import DynamicsModel, Params


class NoAdaptation:
    """The MB baseline: the prior as it is."""

    def adapt(self, params: Params, obs, act, next_obs) -> Params:
        return params


class GradientAdapter:
    """One (or a few) plain SGD steps on the window's loss: GrBAL's inner/online update.

    Args:
        model: the dynamics model (used functionally).
        inner_lr: a float step size, or a dict of per-parameter step-size tensors (learned).
        steps: number of SGD steps (GrBAL: 1).
        first_order: treat the gradient as a constant (no second derivatives through it).
        online: the step is never differentiated (the controller's online rule): the gradient comes
            from the model's :meth:`~models.dynamics.DynamicsModel.loss_and_grad` (written out by
            hand for MLPs: the same values to rounding at a quarter of torch.func.grad's time), and
            the new parameters carry no autograd history. Meta-training keeps ``online=False``.
    """

    def __init__(self, model: DynamicsModel, inner_lr: float | dict, steps: int = 1, first_order: bool = False,
                 online: bool = False):
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        self.model = model
        self.inner_lr = inner_lr
        self.steps = steps
        self.first_order = first_order or online
        if online:
            self._grad = lambda params, *window: model.loss_and_grad(params, *window)[1]
        else:
            self._grad = grad(model.loss)
        self.online = online

    def adapt(self, params: Params, obs: torch.Tensor, act: torch.Tensor, next_obs: torch.Tensor) -> Params:
        """New parameters after ``steps`` SGD steps on the window; ``params`` is left untouched."""
        if self.online:
            with torch.no_grad():
                return self._steps(params, obs, act, next_obs)
        return self._steps(params, obs, act, next_obs)

    def _steps(self, params: Params, obs, act, next_obs) -> Params:
        for _ in range(self.steps):
            g = self._grad(params, obs, act, next_obs)
            if self.first_order and not self.online:  # the online gradient is already a constant
                g = {k: v.detach() for k, v in g.items()}
            if isinstance(self.inner_lr, dict):
                params = {k: p - self.inner_lr[k] * g[k] for k, p in params.items()}
            else:
                params = {k: p - self.inner_lr * g[k] for k, p in params.items()}
        return params
