"""Normalisation statistics, computed once over the whole training set and kept as buffers."""
from __future__ import annotations

import torch
from torch import nn


class Normalizer(nn.Module):
    """Mean/std of observations, actions and state changes; saved with the model's state dict.

    Args:
        obs_size: nx.
        action_size: nu.
    """

    def __init__(self, obs_size: int, action_size: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        for name, size in (("obs", obs_size), ("act", action_size), ("delta", obs_size)):
            self.register_buffer(f"{name}_mean", torch.zeros(size))
            self.register_buffer(f"{name}_std", torch.ones(size))
        self.register_buffer("fitted", torch.zeros((), dtype=torch.bool))

    @torch.no_grad()
    def fit(self, obs: torch.Tensor, act: torch.Tensor, next_obs: torch.Tensor,
            delta_weight: torch.Tensor | None = None) -> None:
        """Set the statistics from all training transitions: obs (B, nx), act (B, nu), next_obs (B, nx).

        ``delta_weight`` (nx,), positive: the squared error of every loss on the normalised change
        weighs dimension d by ``delta_weight[d]``, done by dividing its std by ``sqrt(delta_weight[d])``
        (the network's target for d is scaled up by that much; denormalising undoes it exactly). Being
        a statistic, the weighting is saved with the model and holds for every loss it is trained or
        adapted with: meta-training's inner and outer losses alike, and the online step."""
        for name, x in (("obs", obs), ("act", act), ("delta", next_obs - obs)):
            x = x.to(self.obs_mean.dtype)
            getattr(self, f"{name}_mean").copy_(x.mean(0))
            getattr(self, f"{name}_std").copy_(x.std(0).clamp_min(self.eps))
        if delta_weight is not None:
            w = torch.as_tensor(delta_weight, dtype=self.delta_std.dtype, device=self.delta_std.device)
            if w.shape != self.delta_std.shape or not bool((w > 0).all()):
                raise ValueError(f"delta_weight must be {tuple(self.delta_std.shape)} positive values, got {tuple(w.shape)}")
            self.delta_std.div_(w.sqrt())
        self.fitted.fill_(True)

    def normalize_inputs(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        """(B, nx), (B, nu) -> (B, nx + nu) normalised network input."""
        return torch.cat([(obs - self.obs_mean) / self.obs_std, (act - self.act_mean) / self.act_std], -1)

    def normalize_delta(self, delta: torch.Tensor) -> torch.Tensor:
        return (delta - self.delta_mean) / self.delta_std

    def denormalize_delta(self, delta_n: torch.Tensor) -> torch.Tensor:
        return delta_n * self.delta_std + self.delta_mean
