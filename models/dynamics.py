"""Dynamics models: predict the normalised state change from (state, action).

Models are ``nn.Module`` s used functionally: parameters are passed in as a dict so the online
adaptation step can produce new parameters without touching the meta-learned prior
(``torch.func.functional_call``). Normaliser statistics are buffers (never adapted).
"""
from __future__ import annotations

import abc
import functools

import torch
from torch import nn
from torch.nn import functional as F
from torch.func import functional_call, grad_and_value

from models.frames import HeadingFrame
from models.normalizer import Normalizer

Params = dict  # name -> tensor, as from dict(model.named_parameters())

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "silu": nn.SiLU}
_ACTIVATION_FNS = {"relu": F.relu, "tanh": torch.tanh, "silu": F.silu}


#: oneDNN's names of the activations its fused linear applies (``torch.ops.mkldnn._linear_pointwise``).
_ONEDNN_ACTIVATION = {"relu": "relu", "tanh": "tanh", "silu": "swish"}


def _fused_linear(dtype: torch.dtype, device: torch.device) -> bool:
    """Whether planning products run as oneDNN fused linear layers: bfloat16 on a CPU whose oneDNN runs
    bfloat16 products. There the bias and the activation are applied inside the product (measured on an
    AMX Xeon at K=500: a 256x256 layer 117 us against 181 us for addmm + relu_, which is slow in
    bfloat16); in float32 addmm is as fast, and the plain path stays. On an AVX2-only CPU oneDNN has no
    bfloat16 product at all ("could not create a primitive descriptor"): ``addmm`` (emulated) then."""
    return (dtype == torch.bfloat16 and device.type == "cpu" and torch.backends.mkldnn.is_available()
            and hasattr(torch.ops.mkldnn, "_linear_pointwise") and _onednn_bfloat16_product())


@functools.lru_cache(maxsize=None)
def _onednn_bfloat16_product() -> bool:
    """Whether oneDNN runs a bfloat16 fused linear on this CPU (tried once on a 1x2 input)."""
    bf = torch.bfloat16
    try:
        torch.ops.mkldnn._linear_pointwise(torch.zeros(1, 2, dtype=bf), torch.zeros(2, 2, dtype=bf),
                                           torch.zeros(2, dtype=bf), "relu", [], "")
    except RuntimeError:
        return False
    return True


def _activation_grad(name: str, z: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """d activation(z) / dz from the pre-activation ``z`` and the output ``h`` (relu: 0 at z = 0, as autograd)."""
    if name == "relu":
        return (z > 0).to(z.dtype)
    if name == "tanh":
        return 1.0 - h * h
    s = torch.sigmoid(z)
    return s * (1.0 + z * (1.0 - s))


class DynamicsModel(nn.Module, abc.ABC):
    """Base class: ``forward(obs (B,nx), act (B,nu)) -> normalised delta (B,nx)``.

    ``frame``: a :class:`models.frames.HeadingFrame`, or ``None`` (the world frame). With a frame, the
    network (``forward``) sees and predicts every transition in the heading frame of the state it starts
    from, and the normaliser's statistics are of those; every public method here still takes and
    returns world-frame states (prediction, losses, adaptation): the frame is the model's own business.
    """

    def __init__(self, obs_size: int, action_size: int, frame: HeadingFrame | None = None):
        super().__init__()
        self.obs_size = obs_size
        self.action_size = action_size
        self.normalizer = Normalizer(obs_size, action_size)
        if frame is not None:
            frame.check(obs_size)
        self.frame = frame

    def _frame_spec(self) -> dict:
        """The ``frame`` entry of :meth:`spec` (empty in the world frame: older checkpoints read the same)."""
        return {} if self.frame is None else {"frame": self.frame.spec()}

    def local(self, obs: torch.Tensor, next_obs: torch.Tensor):
        """A transition's two states (B, nx) as the network sees them: in the heading frame of ``obs``
        (unchanged in the world frame)."""
        return (obs, next_obs) if self.frame is None else self.frame.local_pair(obs, next_obs)

    @torch.no_grad()
    def fit_normalizer(self, obs: torch.Tensor, act: torch.Tensor, next_obs: torch.Tensor,
                       delta_weight: torch.Tensor | None = None) -> None:
        """Fit the normaliser to training transitions (B, .), in the network's frame; ``delta_weight``
        (nx,): per-dimension weights of the loss (:meth:`Normalizer.fit`)."""
        obs, next_obs = self.local(obs, next_obs)
        self.normalizer.fit(obs, act, next_obs, delta_weight)

    @abc.abstractmethod
    def forward(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        """Normalised predicted state change, (B, nx)."""

    @abc.abstractmethod
    def spec(self) -> dict:
        """Plain-data description from which :func:`models.checkpoint.build_model` rebuilds the architecture."""

    # -- functional API ------------------------------------------------------------------------
    def params(self) -> Params:
        """A detached copy-free view of the parameters, as a dict (the prior for online adaptation)."""
        return {k: v.detach() for k, v in self.named_parameters()}

    def predict_delta_n(self, params: Params, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        return functional_call(self, params, (obs, act), strict=False)

    def loss_and_grad(self, params: Params, obs: torch.Tensor, act: torch.Tensor, next_obs: torch.Tensor):
        """``(loss, grads)``: :meth:`loss` on a window (M, .) and its gradient with respect to ``params``
        (a dict like ``params``), as constants: the online adaptation step, which is never
        differentiated. Subclasses may write the gradient out by hand (same values up to rounding)."""
        with torch.enable_grad():
            g, loss = grad_and_value(self.loss)(params, obs, act, next_obs)
        return loss.detach(), {k: v.detach() for k, v in g.items()}

    def predict_next(self, params: Params, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        """Next state (B, nx) from state (B, nx) and action (B, nu) under ``params``."""
        if self.frame is None:
            return obs + self.normalizer.denormalize_delta(self.predict_delta_n(params, obs, act))
        s, t = self.frame.to_local_with_heading(obs)
        return self.frame.to_world(s + self.normalizer.denormalize_delta(self.predict_delta_n(params, s, act)), t)

    def predictor(self, params: Params, dtype: torch.dtype | None = None, held: int = 1):
        """A fast ``f(obs (K,nx), act (K,nu)) -> next_obs (K,nx)`` for ``params``, for planning.

        Built once per tick (after adaptation) and called T times per plan; the default is
        :meth:`predict_next` itself. Subclasses fold normalisation into their weights. ``held`` > 1:
        a model of ``held`` ticks whose input is the ``held`` actions (action_size = held * nu),
        given one action (K, nu) held for all of them.
        """
        if held > 1:
            return lambda obs, act: self.predict_next(params, obs, act.repeat(1, held))
        return lambda obs, act: self.predict_next(params, obs, act)

    def loss(self, params: Params, obs: torch.Tensor, act: torch.Tensor, next_obs: torch.Tensor,
             input_noise: torch.Tensor | None = None) -> torch.Tensor:
        """Mean squared error of the normalised state change over a batch (B, .) -> scalar.

        ``input_noise`` (B, nx): added to the network's state input, in units of each entry's standard
        deviation (in the model's frame), while the target stays the clean transition's change: the
        network learns to predict the true change from a nearby state (noise-injection regularisation,
        ``train.input_noise``). ``None``: the plain loss (the online step's)."""
        obs, next_obs = self.local(obs, next_obs)
        target = self.normalizer.normalize_delta(next_obs - obs)
        inputs = obs if input_noise is None else obs + input_noise * self.normalizer.obs_std
        err = self.predict_delta_n(params, inputs, act) - target
        return (err * err).mean()

    def rollout_loss(self, params: Params, obs: torch.Tensor, act: torch.Tensor, next_obs: torch.Tensor,
                     horizon: int) -> torch.Tensor:
        """Open-loop multi-step loss, as a plan uses the model: windows (..., L, .) of consecutive
        transitions are cut into segments of ``horizon`` steps; each segment starts from its true state
        and feeds the model its own predictions under the recorded actions. The squared error of every
        predicted state, in units of the state-change standard deviation, is averaged (its first step is
        :meth:`loss`'s error). ``L`` must be a multiple of ``horizon``. (With a heading frame the
        errors are of world-frame states: the horizontal velocity's error in the world's axes.)
        """
        nx, nu, length = obs.shape[-1], act.shape[-1], obs.shape[-2]
        if horizon < 1 or length % horizon:
            raise ValueError(f"window length {length} is not a multiple of the rollout horizon {horizon}")
        o = obs.reshape(-1, horizon, nx)
        a = act.reshape(-1, horizon, nu)
        n = next_obs.reshape(-1, horizon, nx)
        scale = 1.0 / self.normalizer.delta_std
        s, total = o[:, 0], 0.0
        for i in range(horizon):
            s = self.predict_next(params, s, a[:, i])
            err = (s - n[:, i]) * scale
            total = total + (err * err).mean()
        return total / horizon


class MLPDynamics(DynamicsModel):
    """MLP on normalised (obs, act) -> normalised delta obs.

    Args:
        obs_size: nx.
        action_size: nu.
        hidden_sizes: widths of the hidden layers, e.g. (256, 256).
        activation: ``relu``, ``tanh`` or ``silu``.
    """

    def __init__(self, obs_size: int, action_size: int, hidden_sizes=(256, 256), activation: str = "relu",
                 frame: HeadingFrame | None = None):
        super().__init__(obs_size, action_size, frame)
        if activation not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r} (known: {', '.join(_ACTIVATIONS)})")
        self.hidden_sizes = tuple(int(h) for h in hidden_sizes)
        self.activation = activation
        layers: list[nn.Module] = []
        fan_in = obs_size + action_size
        for h in self.hidden_sizes:
            layers += [nn.Linear(fan_in, h), _ACTIVATIONS[activation]()]
            fan_in = h
        layers.append(nn.Linear(fan_in, obs_size))
        self.net = nn.Sequential(*layers)

        self._linear = [f"net.{i}" for i, m in enumerate(self.net) if isinstance(m, nn.Linear)]

    def forward(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        return self.net(self.normalizer.normalize_inputs(obs, act))

    def _layers(self, params: Params) -> list:
        """[(weight, bias)] of each linear layer from ``params`` (the module's own for missing names)."""
        return [tuple(params[n] if n in params else self.get_parameter(n) for n in (f"{k}.weight", f"{k}.bias"))
                for k in self._linear]

    def predict_delta_n(self, params: Params, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        """:meth:`forward` under ``params``, written out (the same operations as ``functional_call``,
        without swapping the module's parameters in and out: a fraction of the dispatch on small batches)."""
        layers = self._layers(params)
        x = self.normalizer.normalize_inputs(obs, act)
        for w, b in layers[:-1]:
            x = _ACTIVATION_FNS[self.activation](F.linear(x, w, b))
        w, b = layers[-1]
        return F.linear(x, w, b)

    @torch.no_grad()
    def loss_and_grad(self, params: Params, obs: torch.Tensor, act: torch.Tensor, next_obs: torch.Tensor):
        """:meth:`DynamicsModel.loss_and_grad` by hand: one forward pass keeping each layer's input and
        pre-activation, then backpropagation of the mean squared error through the layers (about 15
        small matrix operations on the M window rows; torch.func.grad computes the same values through
        autograd's machinery in about 4x the time at M = 16: 1.41 against 0.37 ms on 2 cores)."""
        layers = self._layers(params)
        obs, next_obs = self.local(obs, next_obs)
        inputs, pre = [self.normalizer.normalize_inputs(obs, act)], []
        for w, b in layers[:-1]:
            z = torch.addmm(b, inputs[-1], w.t())
            pre.append(z)
            inputs.append(_ACTIVATION_FNS[self.activation](z))
        w, b = layers[-1]
        err = torch.addmm(b, inputs[-1], w.t()) - self.normalizer.normalize_delta(next_obs - obs)
        loss = (err * err).mean()
        d = err * (2.0 / err.numel())  # dloss/doutput
        grads: dict = {}
        for i in range(len(layers) - 1, -1, -1):
            w, _ = layers[i]
            name = self._linear[i]
            grads[f"{name}.weight"] = d.t() @ inputs[i]
            grads[f"{name}.bias"] = d.sum(0)
            if i:
                d = (d @ w) * _activation_grad(self.activation, pre[i - 1], inputs[i])
        return loss, {k: grads[k] for k in params if k in grads}

    @torch.no_grad()
    def predictor(self, params: Params, dtype: torch.dtype | None = None, held: int = 1):
        """Planning fast path: normaliser folded into the first and last layers (exact up to rounding).

        ``W1 x_n + b1`` with ``x_n = (x - mean) / std`` equals ``(W1 / std) x + (b1 - (W1 / std) mean)``;
        the output layer is scaled by the delta std and shifted by its mean. Each step is then one
        small concatenation (state, action and a column of ones), one ``mm`` per hidden layer with the
        bias as the weight matrix's last row, written into a buffer reused call after call, its
        activation in place, and one ``addmm`` of the output layer onto the state (measured faster than
        ``addmm`` per layer, which copies the bias into a new (K, hidden) tensor first, and than
        splitting the first layer into state and action products). ``dtype`` (e.g. ``torch.bfloat16``)
        runs the matrix products in that precision, with states kept in float32; bfloat16 on a CPU
        runs each layer as one oneDNN fused linear (product, bias, activation). ``held`` > 1 (a
        model of ``held`` ticks whose input is that many actions, given one action held for all):
        the first layer's action columns are summed per action entry, so the held model costs what
        a one-tick model does. The returned function keeps scratch buffers between calls (its outputs are
        always fresh tensors): call one predictor from one thread at a time, as the controller does
        (it builds its own on its compute thread).
        """
        n = self.normalizer
        w, b = (list(x) for x in zip(*self._layers(params)))
        inv = torch.cat([1.0 / n.obs_std, 1.0 / n.act_std])
        mean = torch.cat([n.obs_mean, n.act_mean])
        w0 = w[0] * inv
        b0 = b[0] - w0 @ mean
        if held > 1:  # W [a; a; ...] = (W_1 + W_2 + ...) a
            nx = self.obs_size
            w0 = torch.cat([w0[:, :nx], w0[:, nx:].reshape(w0.shape[0], held, -1).sum(1)], 1)
        wl = w[-1] * n.delta_std[:, None]
        bl = b[-1] * n.delta_std + n.delta_mean
        mm_dtype = dtype or w0.dtype
        if _fused_linear(mm_dtype, w0.device):  # one oneDNN call per layer: product, bias and activation
            attr = _ONEDNN_ACTIVATION[self.activation]
            layers = [(wi.to(mm_dtype), bi.to(mm_dtype), attr) for wi, bi in zip([w0, *w[1:-1]], [b0, *b[1:-1]])]
            layers.append((wl.to(mm_dtype), bl.to(mm_dtype), "none"))
            linear = torch.ops.mkldnn._linear_pointwise

            def fused(obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
                h = torch.cat([obs, act], -1).to(mm_dtype)
                for wi, bi, a in layers:
                    h = linear(h, wi, bi, a, [], "")
                return h.to(obs.dtype).add_(obs)

            return self._in_frame(fused)
        # Biases folded into the products: each layer's input carries a column of ones and its weight
        # matrix the bias as one more row, so a layer is one ``mm`` written straight into the next
        # layer's input buffer (no bias copy, no new (K, hidden) tensor per layer and call); the last
        # layer adds the state as ``addmm``'s input.
        mats = [torch.cat([wi.t(), bi[None]], 0).to(mm_dtype).contiguous()
                for wi, bi in zip([w0, *w[1:-1], wl], [b0, *b[1:-1], bl])]
        widths = [m.shape[1] for m in mats[:-1]]
        act_fn = {"relu": torch.relu_, "tanh": torch.tanh_,  # in place, on the layer's columns only
                  "silu": lambda z: torch.nn.functional.silu(z, inplace=True)}[self.activation]
        buffers: dict = {}  # (rows, device) -> [ones column (K, 1), hidden buffers (K, width + 1)]

        def scratch(rows: int, device: torch.device) -> list:
            key = (rows, device)
            if key not in buffers:
                buffers[key] = [torch.ones(rows, 1, dtype=mm_dtype, device=device),
                                *(torch.ones(rows, h + 1, dtype=mm_dtype, device=device) for h in widths)]
            return buffers[key]

        def f(obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
            ones, *hidden = scratch(obs.shape[0], obs.device)
            h = torch.cat([obs.to(mm_dtype), act.to(mm_dtype), ones], -1)  # (K, nx + nu + 1): small
            for m, buf, width in zip(mats, hidden, widths):
                act_fn(torch.mm(h, m, out=buf[:, :width]))
                h = buf
            if mm_dtype == obs.dtype:
                return torch.addmm(obs, h, mats[-1])
            return torch.mm(h, mats[-1]).to(obs.dtype).add_(obs)

        return self._in_frame(f)

    def _in_frame(self, f):
        """A world-frame predictor from ``f``, the network's prediction in its frame (itself in the world frame)."""
        frame = self.frame
        if frame is None:
            return f

        def g(obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
            local, t = frame.to_local_with_heading(obs)
            return frame.to_world(f(local, act), t)

        return g

    def spec(self) -> dict:
        return {
            "type": "mlp",
            "obs_size": self.obs_size,
            "action_size": self.action_size,
            "hidden_sizes": list(self.hidden_sizes),
            "activation": self.activation,
            **self._frame_spec(),
        }

    def flops_per_sample(self) -> int:
        """Multiply-add FLOPs of one forward pass on one (state, action) pair."""
        sizes = [self.obs_size + self.action_size, *self.hidden_sizes, self.obs_size]
        return sum(2 * a * b for a, b in zip(sizes[:-1], sizes[1:]))

