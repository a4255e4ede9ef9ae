"""ReBAL-style recurrent dynamics: a GRU's hidden state, carried across the episode, is the adaptation.

A GRU reads the stream of real transitions (normalised obs, action, state change) and keeps a
context ``h`` (H,); an MLP head predicts the normalised state change from (obs, act, h). Online,
``h`` is updated once per control tick with the newest transition and carried for the whole
episode (no gradient step). Inside a plan, ``h`` is held fixed and broadcast over the K samples,
so the planner keeps its plain ``dynamics(state, action)`` callable. (The ReBAL paper also steps
the hidden state through imagined rollouts; holding it fixed over a 10-step horizon keeps the
planner model-agnostic and costs one GRU step per tick instead of T per plan.)

Training: truncated BPTT over windows of consecutive transitions. Because a plan holds the context
fixed for T steps, training scores the head on transition t with a context that stops a random
``lag`` in [0, max_lag) transitions earlier (built from transitions < t - lag), not only the
freshest one. Measured on the half-cheetah suite data: trained with lag 0 only, the head leaned on the
newest transition in the context (one-step loss 0.033 vs MB's 0.058, but 0.13-0.27 once the context
was 1-9 steps old, worse than MB), and in control the planner was steering a model that predicted
"more of the last step": returns below zero on every family.
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
                 activation: str = "relu", frame=None):
        super().__init__(obs_size, action_size, frame)
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
                "activation": self.activation, **self._frame_spec()}

    # -- context -----------------------------------------------------------------------------------
    def initial_context(self, batch: int = 1) -> torch.Tensor:
        """(B, H) zero context: nothing seen yet."""
        return self.normalizer.obs_mean.new_zeros(batch, self.context_size)

    def _transition_features(self, obs, act, next_obs) -> torch.Tensor:
        n = self.normalizer
        obs, next_obs = self.local(obs, next_obs)
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
        t = None if self.frame is None else self.frame.heading(obs)
        s = obs if t is None else self.frame.to_local(obs, t)
        s = s + self.normalizer.denormalize_delta(functional_call(self, params, (s, act, context), strict=False))
        return s if t is None else self.frame.to_world(s, t)

    def predictor(self, params: Params, dtype: torch.dtype | None = None, context: torch.Tensor | None = None):
        """``f(obs (K,nx), act (K,nu)) -> next_obs`` with the context fixed (broadcast over K)."""
        ctx = self.initial_context(1) if context is None else context.reshape(1, -1)
        return lambda obs, act: self.predict_next_with(params, obs, act, ctx)

    def contexts(self, params: Params, obs, act, next_obs) -> torch.Tensor:
        """Contexts along windows: obs (B, L, nx), act (B, L, nu), next_obs (B, L, nx) -> (B, L + 1, H).

        Entry ``c`` is the context built from transitions 0..c-1 (entry 0 is the empty context).
        """
        h = self.initial_context(obs.shape[0])
        out = [h]
        for t in range(obs.shape[1]):
            h = self.update_context(params, h, obs[:, t], act[:, t], next_obs[:, t])
            out.append(h)
        return torch.stack(out, 1)

    def sequence_loss(self, params: Params, obs, act, next_obs, burn_in: int = 4, max_lag: int = 1,
                      generator: torch.Generator | None = None, fixed_context: bool = False) -> torch.Tensor:
        """One-step loss over windows: obs (B, L, nx), act (B, L, nu), next_obs (B, L, nx) -> scalar.

        Transitions t >= ``burn_in`` are scored. Each is predicted with the context of transitions
        0..c-1, where c = t - lag (never below ``burn_in``) and lag is drawn uniformly from
        [0, max_lag) with ``generator`` (max_lag 1: always the freshest context). With
        ``fixed_context`` every scored transition uses the context at ``burn_in`` instead: how a
        plan uses it (held fixed for the horizon).
        """
        b, length, _ = obs.shape
        if not 0 <= burn_in < length:
            raise ValueError(f"burn_in must be in [0, {length}), got {burn_in}")
        hs = self.contexts(params, obs, act, next_obs)  # (B, L+1, H)
        t = torch.arange(burn_in, length, device=obs.device)  # (L',)
        if fixed_context:
            cut = torch.full((b, len(t)), burn_in, device=obs.device, dtype=torch.long)
        else:
            lag = torch.randint(0, max(int(max_lag), 1), (b, len(t)), generator=generator,
                                device=generator.device if generator is not None else "cpu").to(obs.device)
            cut = torch.clamp(t[None, :] - lag, min=burn_in)
        ctx = torch.gather(hs, 1, cut[..., None].expand(-1, -1, hs.shape[-1]))  # (B, L', H)
        o, n = self.local(obs[:, burn_in:], next_obs[:, burn_in:])
        a = act[:, burn_in:]
        pred = functional_call(self, params, (o.flatten(0, 1), a.flatten(0, 1), ctx.flatten(0, 1)), strict=False)
        err = pred - self.normalizer.normalize_delta((n - o).flatten(0, 1))
        return (err * err).mean()


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
