"""ReBAL-style recurrent dynamics: a GRU's hidden state, carried across the episode, is the adaptation.

A GRU reads the stream of real transitions (normalised obs, action, state change) and keeps a
context ``h`` (H,); an MLP head predicts the normalised state change from (obs, act, h). Online,
``h`` is updated once per control tick with the newest transition and carried for the whole
episode (no gradient step). Inside a plan, ``h`` is held fixed and broadcast over the K samples,
so the planner keeps its plain ``dynamics(state, action)`` callable. (The ReBAL paper also steps
the hidden state through imagined rollouts; holding it fixed over a 10-step horizon keeps the
planner model-agnostic and costs one GRU step per tick instead of T per plan.)

Training: truncated BPTT over windows of consecutive transitions: at every step t the head
predicts transition t from the context built from transitions < t, the loss averaged over the
window after a short burn-in (so the model learns to infer the task from what it has seen).
"""
from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call

from models.dynamics import DynamicsModel, Params


class RecurrentDynamics(DynamicsModel):
    """GRU context encoder + MLP head.

    Args:
        obs_size: nx. action_size: nu.
        hidden_sizes: widths of the head's hidden layers.
        context_size: H, the GRU's hidden size.
    """

    def __init__(self, obs_size: int, action_size: int, hidden_sizes=(256, 256), context_size: int = 64,
                 activation: str = "relu"):
        super().__init__(obs_size, action_size)
        self.hidden_sizes = tuple(int(h) for h in hidden_sizes)
        self.context_size = int(context_size)
        self.activation = activation
        self.gru = nn.GRUCell(2 * obs_size + action_size, self.context_size)
        layers: list[nn.Module] = []
        fan_in = obs_size + action_size + self.context_size
        act = {"relu": nn.ReLU, "tanh": nn.Tanh, "silu": nn.SiLU}[activation]
        for h in self.hidden_sizes:
            layers += [nn.Linear(fan_in, h), act()]
            fan_in = h
        layers.append(nn.Linear(fan_in, obs_size))
        self.head = nn.Sequential(*layers)

    def spec(self) -> dict:
        return {"type": "rebal", "obs_size": self.obs_size, "action_size": self.action_size,
                "hidden_sizes": list(self.hidden_sizes), "context_size": self.context_size,
                "activation": self.activation}

    # -- context -----------------------------------------------------------------------------------
    def initial_context(self, batch: int = 1) -> torch.Tensor:
        """(B, H) zero context: nothing seen yet."""
        return self.normalizer.obs_mean.new_zeros(batch, self.context_size)

    def _transition_features(self, obs, act, next_obs) -> torch.Tensor:
        n = self.normalizer
        return torch.cat([n.normalize_inputs(obs, act), n.normalize_delta(next_obs - obs)], -1)

    def update_context(self, params: Params | None, h: torch.Tensor, obs, act, next_obs) -> torch.Tensor:
        """One GRU step on real transitions: h (B, H), obs (B, nx), act (B, nu), next_obs (B, nx) -> (B, H)."""
        x = self._transition_features(obs, act, next_obs)
        if params is None:
            return self.gru(x, h)
        return functional_call(self.gru, _sub(params, "gru."), (x, h))

    # -- prediction --------------------------------------------------------------------------------
    def forward(self, obs: torch.Tensor, act: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        """Normalised state change (B, nx); ``context`` (B, H) or (1, H), zeros when omitted."""
        if context is None:
            context = self.initial_context(1)
        x = self.normalizer.normalize_inputs(obs, act)
        return self.head(torch.cat([x, context.expand(x.shape[0], -1)], -1))

    def predict_next_with(self, params: Params, obs, act, context) -> torch.Tensor:
        delta_n = functional_call(self, params, (obs, act, context), strict=False)
        return obs + self.normalizer.denormalize_delta(delta_n)

    def predictor(self, params: Params, dtype: torch.dtype | None = None, context: torch.Tensor | None = None):
        """``f(obs (K,nx), act (K,nu)) -> next_obs`` with the context fixed (broadcast over K)."""
        ctx = self.initial_context(1) if context is None else context.reshape(1, -1)
        return lambda obs, act: self.predict_next_with(params, obs, act, ctx)

    def sequence_loss(self, params: Params, obs, act, next_obs, burn_in: int = 4) -> torch.Tensor:
        """Teacher-forced one-step loss over windows: obs (B, L, nx), act (B, L, nu), next_obs (B, L, nx).

        The prediction of transition t uses the context of transitions 0..t-1; steps before
        ``burn_in`` are not scored.
        """
        b, length, _ = obs.shape
        h = self.initial_context(b)
        total, count = obs.new_zeros(()), 0
        for t in range(length):
            if t >= burn_in:
                pred = functional_call(self, params, (obs[:, t], act[:, t], h), strict=False)
                err = pred - self.normalizer.normalize_delta(next_obs[:, t] - obs[:, t])
                total, count = total + (err * err).mean(), count + 1
            h = self.update_context(params, h, obs[:, t], act[:, t], next_obs[:, t])
        return total / max(count, 1)


class RecurrentAdapter:
    """Online ReBAL adaptation: carry the GRU context, one step per real transition."""

    def __init__(self, model: RecurrentDynamics):
        self.model = model
        self.reset()

    def reset(self) -> None:
        self.context = self.model.initial_context(1)

    @torch.no_grad()
    def observe(self, params: Params, obs, act, next_obs) -> None:
        """Fold the newest transition (nx,), (nu,), (nx,) into the context."""
        self.context = self.model.update_context(params, self.context, obs[None], act[None], next_obs[None])


def _sub(params: Params, prefix: str) -> Params:
    return {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}
