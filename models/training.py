"""Offline training: GrBAL meta-training (MAML through one inner SGD step) and plain MB training.

GrBAL (Nagabandi et al., 2019): for a window of M + N consecutive transitions of one task, adapt
``θ' = θ - α ∇θ L(θ; first M)`` and score ``L(θ'; next N)``; average over a batch of windows and
backpropagate to θ (and to α when it is learned). ``torch.func.grad`` computes the inner step and
``torch.func.vmap`` maps it over the batch of windows; the module itself is never mutated inside.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch.func import vmap

from models.adaptation import GradientAdapter
from models.checkpoint import CheckpointError, atomic_torch_save
from models.dataset import TransitionDataset
from models.distributed import DistInfo, current, gather_objects
from models.dynamics import DynamicsModel

TRAIN_STATE_FORMAT = "adaptive_control.train_state/2"
#: Steps between the training losses a distributed run averages over its ranks for the logs.
LOG_EVERY = 10


@dataclass
class TrainResult:
    """What training produced besides the model's weights."""

    inner_lr: float | dict
    """The adaptation step size (per-parameter tensors when learned)."""
    metrics: dict = field(default_factory=dict)
    """Final validation losses and the loss history (every ``eval_every`` steps)."""


def seeded_init(model: DynamicsModel, seed: int) -> None:
    """Re-initialise every layer from ``seed`` without touching the global RNG stream."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for m in model.modules():
            if hasattr(m, "reset_parameters") and m is not model:
                m.reset_parameters()


def split_paths(num_paths: int, validation_fraction: float, rng: np.random.Generator):
    """Random disjoint (train, validation) arrays of path ids."""
    perm = rng.permutation(num_paths)
    n_val = int(math.ceil(validation_fraction * num_paths)) if validation_fraction > 0 else 0
    n_val = min(n_val, num_paths - 1)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def meta_loss(model: DynamicsModel, params: dict, adapter: GradientAdapter, obs, act, next_obs, m: int,
              rollout_horizon: int = 1, reduce: bool = True, prior_weight: float = 0.0,
              input_noise: torch.Tensor | None = None) -> torch.Tensor:
    """GrBAL meta-loss over B windows: obs (B, M+N, nx), act (B, M+N, nu), next_obs (B, M+N, nx) -> scalar
    (``reduce=False``: each window's, (B,)).

    Each window adapts on its first ``m`` transitions (one-step loss: the online rule) and is scored
    on the rest: one-step, or open-loop over segments of ``rollout_horizon`` steps
    (:meth:`DynamicsModel.rollout_loss`), so the adapted model is trained to hold over a plan.
    ``prior_weight`` w > 0 adds w times the unadapted prior's one-step loss on all M + N transitions
    of the window (MB's regression loss), so the prior the controller plans with past
    ``controller.adapted_steps`` is trained as a model in its own right.
    ``input_noise`` (B, N, nx): noise on the adapted model's state inputs in the one-step loss on each
    window's future part (:meth:`DynamicsModel.loss`); the adaptation step itself sees clean
    transitions, as online.
    """

    def one(o, a, n, e=None):
        adapted = adapter.adapt(params, o[:m], a[:m], n[:m])
        if rollout_horizon > 1:
            loss = model.rollout_loss(adapted, o[m:], a[m:], n[m:], rollout_horizon)
        else:
            loss = model.loss(adapted, o[m:], a[m:], n[m:], e)
        if prior_weight:
            loss = loss + prior_weight * model.loss(params, o, a, n)
        return loss

    if input_noise is not None and rollout_horizon > 1:
        raise ValueError("input_noise is for the one-step loss (rollout_horizon 1)")
    per_window = (vmap(one)(obs, act, next_obs) if input_noise is None
                  else vmap(one)(obs, act, next_obs, input_noise))
    return per_window.mean() if reduce else per_window


def train_dynamics(
    model: DynamicsModel,
    dataset: TransitionDataset,
    *,
    method: str = "grbal",
    adapt_window: int = 16,
    future_window: int = 16,
    inner_lr: float = 1e-3,
    learn_inner_lr: bool = False,
    first_order: bool = False,
    batch_size: int = 32,
    steps: int = 1000,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    prior_weight: float = 0.0,
    inner_parameters: str = "all",
    input_noise: float = 0.0,
    validation_fraction: float = 0.1,
    seed: int = 0,
    split_seed: int | None = None,
    eval_every: int = 100,
    fit_normalizer: bool = True,
    delta_weight: torch.Tensor | None = None,
    rollout_horizon: int = 1,
    keep_best: bool = False,
    weight_average: float = 0.0,
    validation_windows: int = 512,
    validation_trim: float = 0.0,
    callback: Callable[[int, dict], None] | None = None,
    snapshot_every: int = 0,
    on_snapshot: Callable[[int, float | dict], None] | None = None,
    state_path: str | None = None,
    save_every: int = 0,
    resume: bool = False,
    dist_info: DistInfo | None = None,
    streams: int | None = None,
) -> TrainResult:
    """Train ``model`` in place on ``dataset``.

    Args:
        method: ``grbal`` (meta-train for one-step adaptation) or ``mb`` (plain regression on all tasks).
        adapt_window: M. future_window: N (windows are M + N consecutive transitions of one path).
        inner_lr: α (initial value when ``learn_inner_lr``).
        batch_size: B windows per step.
        weight_decay: decoupled weight decay (AdamW) of the network's weight matrices, not its biases nor
            GrBAL's learned step sizes: each step shrinks them by ``lr * weight_decay`` of themselves, so
            what the data does not hold up decays with a time constant of ``1 / (lr * weight_decay)`` steps
            (what is left of the initialisation where the data says nothing). 0: plain Adam.
        prior_weight: grbal only: w > 0 adds w times the prior's own one-step loss on each whole window to
            the meta-loss (:func:`meta_loss`). 0: MAML's meta-loss alone.
        inner_parameters: grbal only: which parameters the inner step moves: ``all``, ``biases`` or
            ``last_layer`` (:func:`inner_parameter_names`); the others' step sizes are constant zeros.
        input_noise: sigma >= 0, grbal and mb with the one-step loss: every training transition's state
            input gets Gaussian noise of sigma times each entry's standard deviation, fresh each step,
            while its target stays the clean change (:meth:`DynamicsModel.loss`); grbal's adaptation
            step and the validation figures see clean transitions. 0: off.
        fit_normalizer: fit the normaliser to the training paths; ``False`` keeps the model's
            (fine-tuning a model whose weights were trained with its statistics).
        delta_weight: (nx,) per-dimension weights of every loss's squared error, set through the
            normaliser (:meth:`models.normalizer.Normalizer.fit`); only with ``fit_normalizer``.
        rollout_horizon: H; > 1 scores predictions open-loop over H steps (grbal: the future part of
            each window, a divisor of N; mb: the whole window, a divisor of M + N) instead of one step.
        keep_best: early stopping: end with the weights (and step sizes) of the evaluation (every
            ``eval_every`` steps) with the lowest validation loss (``val_loss_adapted`` for grbal and
            rebal: what the online rule meets; ``val_loss_prior`` for mb; their open-loop
            ``val_rollout_*`` when ``rollout_horizon`` > 1; with ``validation_trim`` > 0 their trimmed
            ``val_trimmed_*``) instead of the last ones.
        weight_average: decay d in [0, 1) of an exponential moving average of the trained tensors
            (the weights and GrBAL's learned step sizes), updated after every optimiser step as
            ``avg = d avg + (1 - d) current``; evaluations, early stopping and the returned model use
            the average (the optimiser keeps stepping the current tensors). 0: off.
        validation_windows: size of the fixed set of held-out windows every evaluation scores (drawn
            once, from its own seeded stream, so evaluations are comparable and training's stream
            is untouched).
        validation_trim: fraction of the worst validation windows early stopping leaves out of its
            score (``val_trimmed_*``, :func:`trimmed_mean`; grbal and mb): one held-out path far outside
            the training data (a flipped robot) otherwise decides which step is kept. In a
            data-parallel run each rank trims its share. 0: the plain mean.
        split_seed: seed of the train/validation split of the paths alone (default: ``seed``, which then
            also decides the split). With it set, ``seed`` moves only the initialisation and the window
            streams, so trainings that differ in ``seed`` train on the same paths; ``split_seed=s`` gives
            the split ``seed=s`` gives, and ``split_seed=seed`` reproduces the default run exactly.
        callback: called as ``callback(step, metrics)`` after every step (progress bars).
        snapshot_every: k > 0 calls ``on_snapshot(step, step_sizes)`` before the first step (step 0: the
            initial weights and step sizes) and after every k-th step and the last,
            with ``model`` holding that step's live weights (not early stopping's best, not the weight
            average) and ``step_sizes`` GrBAL's step sizes then (detached copies; a float when not
            learned): the steps of one training as candidates a controller-level choice can pick among.
        state_path: the training checkpoint: every ``save_every`` steps the whole training state
            (weights and normaliser, learned step sizes, optimiser, both RNG streams, step, history,
            early-stopping best) is written there atomically, so a run killed at any moment loses at
            most ``save_every`` steps.
        resume: continue from ``state_path`` when it exists (else start afresh). The resumed run
            ends with the same weights as an uninterrupted one with the same arguments; a state
            written by a run with other arguments or data is refused (:class:`CheckpointError`).
        dist_info: this process's place in a data-parallel run (default: the initialised process
            group's, else a single process). With W ranks, every rank draws ``batch_size / W``
            windows of each global batch from its own seeded stream, the objective runs under
            ``DistributedDataParallel`` (gradients averaged over the ranks before each step, so every
            rank holds the same weights), each rank scores 1/W of the fixed validation windows and the
            figures are averaged over the ranks (every rank gets the same ones, so early stopping
            agrees), and only rank 0 writes the training state.
        streams: S, the number of window streams a global batch is drawn from (default: the number
            of ranks). A single process with ``streams=W`` draws exactly the global batches of a
            W-process run (and averages the per-stream losses as the ranks average gradients), so
            it reproduces that run to float tolerance. Stream 0 is the single-process stream.
    """
    _check_arguments(model, dataset, method, adapt_window, future_window, rollout_horizon, weight_average,
                     validation_trim, weight_decay, prior_weight, inner_parameters, input_noise)
    run = _Training(model, dataset, method=method, adapt_window=adapt_window, future_window=future_window,
                    inner_lr=inner_lr, learn_inner_lr=learn_inner_lr, first_order=first_order, batch_size=batch_size,
                    steps=steps, lr=lr, weight_decay=weight_decay, prior_weight=prior_weight, inner_parameters=inner_parameters, input_noise=input_noise, validation_fraction=validation_fraction, seed=seed, split_seed=split_seed,
                    eval_every=eval_every, fit_normalizer=fit_normalizer, delta_weight=delta_weight,
                    rollout_horizon=rollout_horizon, keep_best=keep_best, weight_average=weight_average,
                    validation_windows=validation_windows, validation_trim=validation_trim,
                    info=dist_info or current(), streams=streams)
    start = 1
    if resume and state_path is not None and os.path.exists(state_path):
        start = run.resume(state_path)
        if callback is not None:
            for done in range(1, start):
                callback(done, {})
    if snapshot_every > 0 and on_snapshot is not None and start == 1:  # step 0: the start, before any update
        model.eval()
        on_snapshot(0, _copied(run.step_size))
    model.train()
    for step in range(start, steps + 1):
        evaluating = step % eval_every == 0 or step == steps
        # the global batch's loss (one more collective) where it is logged: every LOG_EVERY steps and
        # at evaluations; this rank's share of the batch otherwise (the progress bar)
        metrics = run.step(step, global_loss=evaluating or step % LOG_EVERY == 0)
        if evaluating:
            run.evaluate(step, metrics)
        if snapshot_every > 0 and on_snapshot is not None and (step % snapshot_every == 0 or step == steps):
            model.eval()
            on_snapshot(step, _copied(run.step_size))
            model.train()
        if state_path is not None and save_every > 0 and step % save_every == 0 and step < steps:
            run.save_state(state_path, step)
        if callback is not None:
            callback(step, metrics)
    model.eval()
    return run.finish()


#: what ``inner_parameters`` may name (adaptive_control.config repeats it, to validate YAML without torch)
INNER_PARAMETERS = ("all", "biases", "last_layer")


def inner_parameter_names(params: dict, which: str) -> list[str]:
    """The names among ``params`` (in their order) that GrBAL's inner step moves: ``all``; ``biases``
    (names ending in ``bias``); ``last_layer`` (the parameters of the module owning the last parameter,
    the output layer of an MLP)."""
    names = list(params)
    if which == "all":
        return names
    if which == "biases":
        return [k for k in names if k.rsplit(".", 1)[-1] == "bias"]
    if which == "last_layer":
        owner = names[-1].rsplit(".", 1)[0]
        return [k for k in names if k.rsplit(".", 1)[0] == owner]
    raise ValueError(f"inner_parameters must be one of {INNER_PARAMETERS}, got {which!r}")


def _check_arguments(model, dataset, method, adapt_window, future_window, rollout_horizon, weight_average,
                     validation_trim, weight_decay, prior_weight=0.0, inner_parameters="all", input_noise=0.0) -> None:
    if method not in ("grbal", "mb", "rebal"):
        raise ValueError(f"method must be 'grbal', 'mb' or 'rebal', got {method!r}")
    if (method == "rebal") != hasattr(model, "sequence_loss"):
        raise ValueError(f"method {method!r} does not fit a {type(model).__name__}")
    if (dataset.obs_size, dataset.action_size) != (model.obs_size, model.action_size):
        raise ValueError(
            f"dataset has nx={dataset.obs_size}, nu={dataset.action_size}; model has "
            f"nx={model.obs_size}, nu={model.action_size}"
        )
    if not 0.0 <= weight_average < 1.0:
        raise ValueError(f"weight_average must be in [0, 1), got {weight_average}")
    if not 0.0 <= validation_trim < 0.5:
        raise ValueError(f"validation_trim must be in [0, 0.5), got {validation_trim}")
    if not (math.isfinite(weight_decay) and weight_decay >= 0.0):
        raise ValueError(f"weight_decay must be a finite number >= 0, got {weight_decay}")
    if not (math.isfinite(prior_weight) and prior_weight >= 0.0):
        raise ValueError(f"prior_weight must be a finite number >= 0, got {prior_weight}")
    if inner_parameters not in INNER_PARAMETERS:
        raise ValueError(f"inner_parameters must be one of {INNER_PARAMETERS}, got {inner_parameters!r}")
    if inner_parameters != "all" and method != "grbal":
        raise ValueError(f"inner_parameters is GrBAL's inner step; {method} has none (got {inner_parameters!r})")
    if prior_weight and method != "grbal":
        raise ValueError(f"prior_weight is a term of GrBAL's meta-loss; {method} trains without it (got {prior_weight})")
    if not (math.isfinite(input_noise) and input_noise >= 0.0):
        raise ValueError(f"input_noise must be a finite number >= 0, got {input_noise}")
    if input_noise and (method == "rebal" or rollout_horizon > 1):
        raise ValueError("input_noise is for grbal and mb with the one-step loss (rollout_horizon 1)")
    if rollout_horizon > 1:
        if method == "rebal":
            raise ValueError("rollout_horizon > 1 is for grbal and mb (rebal trains on sequences already)")
        span = future_window if method == "grbal" else adapt_window + future_window
        if span % rollout_horizon:
            raise ValueError(f"rollout_horizon {rollout_horizon} must divide {span} "
                             f"({'N' if method == 'grbal' else 'M + N'})")


class _Training:
    """One run of :func:`train_dynamics` (its arguments, see there): the split and windows, the trained
    tensors, the optimiser, the window streams, the fixed validation windows, early stopping's best, the
    weight average and the history; one method per part of the loop."""

    def __init__(self, model: DynamicsModel, dataset: TransitionDataset, *, method, adapt_window, future_window,
                 inner_lr, learn_inner_lr, first_order, batch_size, steps, lr, weight_decay, prior_weight, inner_parameters,
                 input_noise, validation_fraction, seed, split_seed,
                 eval_every, fit_normalizer, delta_weight, rollout_horizon, keep_best, weight_average,
                 validation_windows, validation_trim, info: DistInfo, streams):
        self.model, self.method, self.adapt_window = model, method, adapt_window
        self.keep_best, self.weight_average, self.info, self.steps = keep_best, weight_average, info, steps
        n_streams = int(streams or info.world_size)
        if info.distributed and n_streams != info.world_size:
            raise ValueError(f"streams ({n_streams}) must equal the number of processes ({info.world_size})")
        if n_streams < 1 or batch_size % n_streams:
            raise ValueError(f"batch size {batch_size} must be a multiple of the number of processes/streams {n_streams}")
        self.n_streams = n_streams
        rng = np.random.default_rng(seed)
        train_paths, val_paths = split_paths(dataset.num_paths, validation_fraction, rng)  # (advances rng as always)
        if split_seed is not None:
            train_paths, val_paths = split_paths(dataset.num_paths, validation_fraction,
                                                 np.random.default_rng(split_seed))
        self.n_paths = len(train_paths), len(val_paths)
        length = adapt_window + future_window
        self.starts = dataset.window_starts(length, train_paths)
        val_starts = dataset.window_starts(length, val_paths)
        if len(self.starts) == 0:
            raise ValueError(f"no training window of {length} consecutive transitions; collect longer paths")

        device = next(model.parameters()).device
        as_t = lambda x: torch.as_tensor(x, dtype=torch.float32, device=device)  # noqa: E731
        self.data = as_t(dataset.obs), as_t(dataset.act), as_t(dataset.next_obs)
        in_train = torch.as_tensor(np.isin(dataset.path_id, train_paths), device=device)
        if fit_normalizer:
            model.fit_normalizer(*(x[in_train] for x in self.data), delta_weight)
        elif delta_weight is not None:
            raise ValueError("delta_weight is set when the normaliser is fitted; this model keeps its own (fit_normalizer=False)")

        self.params = dict(model.named_parameters())
        moved = inner_parameter_names(self.params, inner_parameters)
        self.moved = moved
        if learn_inner_lr:  # learned step sizes for the moved parameters, constant zeros for the others
            alpha = {k: torch.nn.Parameter(torch.full_like(p, inner_lr)) if k in moved else torch.zeros_like(p)
                     for k, p in self.params.items()}
            self.step_size: float | dict = alpha
            opt_params = list(self.params.values()) + [alpha[k] for k in moved]
        elif inner_parameters != "all":
            self.step_size = {k: torch.full_like(p, inner_lr if k in moved else 0.0) for k, p in self.params.items()}
            opt_params = list(self.params.values())
        else:
            self.step_size = float(inner_lr)
            opt_params = list(self.params.values())
        self.adapter = GradientAdapter(model, self.step_size, first_order=first_order)
        if weight_decay:
            decayed = [p for p in self.params.values() if p.dim() > 1]  # weight matrices; biases and step sizes kept
            kept = [p for p in self.params.values() if p.dim() <= 1] + ([alpha[k] for k in moved] if learn_inner_lr else [])
            self.opt = torch.optim.AdamW([{"params": decayed, "weight_decay": weight_decay},
                                          {"params": kept, "weight_decay": 0.0}], lr=lr)
        else:
            self.opt = torch.optim.Adam(opt_params, lr=lr)
        self.offsets = np.arange(length)
        # window streams: stream 0 continues the split's generator (a single process draws as it always
        # has); stream r > 0 has its own seed. A rank draws from its stream only; a single process from all.
        self.mine = [info.rank] if info.distributed else list(range(n_streams))
        self.local_batch = batch_size // n_streams
        self.rngs = {r: rng if r == 0 else np.random.default_rng([seed, 2, r]) for r in self.mine}
        self.gens = {r: torch.Generator().manual_seed(seed if r == 0 else _stream_seed(seed, r)) for r in self.mine}

        val_rng = np.random.default_rng([seed, 1])
        val_pool = val_starts if len(val_starts) else self.starts
        self.val = self._windows(val_pool[val_rng.integers(len(val_pool), size=validation_windows)])
        # early stopping scores what training optimises: one-step, or open-loop when trained open-loop
        self.trim = validation_trim if method != "rebal" else 0.0
        self.select = (("val_trimmed_" if self.trim > 0 else "val_") + ("rollout_" if rollout_horizon > 1 else "loss_")
                       + ("prior" if method == "mb" else "adapted"))
        self.best: dict = {"score": math.inf, "step": 0, "state": None}

        # every trained tensor, for the weight average (the weights, and GrBAL's learned step sizes)
        self.tensors = {("w", k): p for k, p in self.params.items()}
        if learn_inner_lr:
            self.tensors.update({("a", k): self.step_size[k] for k in moved})
        self.average = ({key: t.detach().clone() for key, t in self.tensors.items()} if weight_average else None)

        def noise(like: torch.Tensor, gen) -> torch.Tensor | None:  # (..., nx) state-input noise, or None
            if not input_noise:
                return None
            # drawn from the stream's CPU generator (the same noise on every device), then moved
            return input_noise * torch.randn(like.shape, generator=gen, dtype=like.dtype).to(like.device)

        def loss_on(o, a, n, gen):
            if method == "grbal":
                return meta_loss(model, self.params, self.adapter, o, a, n, adapt_window, rollout_horizon,
                                 prior_weight=prior_weight, input_noise=noise(o[:, adapt_window:], gen))
            if method == "rebal":  # truncated BPTT; contexts up to N steps old, as a plan holds them fixed
                return model.sequence_loss(self.params, o, a, n, burn_in=min(4, adapt_window), max_lag=future_window,
                                           generator=gen)
            if rollout_horizon > 1:
                return model.rollout_loss(self.params, o, a, n, rollout_horizon)
            o = o.flatten(0, 1)
            return model.loss(self.params, o, a.flatten(0, 1), n.flatten(0, 1), noise(o, gen))

        objective = _Objective(model, {k: self.step_size[k] for k in moved} if method == "grbal" and learn_inner_lr else None,
                               loss_on)
        if info.distributed:
            from torch.nn.parallel import DistributedDataParallel

            # the normaliser (the only buffers) is fitted before and never changes: no per-step broadcast
            objective = DistributedDataParallel(objective, device_ids=[device.index] if device.type == "cuda" else None,
                                                broadcast_buffers=False, gradient_as_bucket_view=True)
        self.objective = objective
        self.history: list = []
        self.fingerprint = {
            "method": method, "adapt_window": adapt_window, "future_window": future_window,
            "inner_lr": float(inner_lr), "learn_inner_lr": learn_inner_lr, "first_order": first_order,
            "batch_size": batch_size, "steps": steps, "lr": float(lr),
            "validation_fraction": float(validation_fraction), "seed": seed, "eval_every": eval_every,
            "rollout_horizon": rollout_horizon, "keep_best": keep_best, "validation_trim": validation_trim,
            "spec": model.spec(), "streams": n_streams, "transitions": len(dataset), "paths": dataset.num_paths,
            "data_sum": float(np.float64(dataset.obs.sum()) + np.float64(dataset.act.sum()))}
        if weight_average:  # (only when on: states written before the option existed still resume)
            self.fingerprint["weight_average"] = float(weight_average)
        if split_seed is not None:  # (likewise)
            self.fingerprint["split_seed"] = int(split_seed)
        if weight_decay:  # (likewise)
            self.fingerprint["weight_decay"] = float(weight_decay)
        if prior_weight:  # (likewise)
            self.fingerprint["prior_weight"] = float(prior_weight)
        if inner_parameters != "all":  # (likewise)
            self.fingerprint["inner_parameters"] = inner_parameters
        if input_noise:  # (likewise)
            self.fingerprint["input_noise"] = float(input_noise)

    def _windows(self, window_starts: np.ndarray):
        """(B, M+N, .) obs, act, next_obs of the windows starting at ``window_starts`` (B,)."""
        idx = torch.as_tensor(window_starts[:, None] + self.offsets, device=self.data[0].device)
        return tuple(x[idx] for x in self.data)

    def _load(self, values: dict) -> None:
        with torch.no_grad():
            for key, t in self.tensors.items():
                t.copy_(values[key])

    def _snapshot(self):
        return ({k: p.detach().clone() for k, p in self.params.items()},
                {k: v.detach().clone() for k, v in self.step_size.items()} if isinstance(self.step_size, dict) else None)

    def step(self, step: int, global_loss: bool) -> dict:
        """One optimiser step on one global batch (and the weight average's update); its loss for the logs:
        the global batch's with ``global_loss`` (a collective in a distributed run), else this rank's share's."""
        parts = [self.objective(*self._windows(self.starts[self.rngs[r].integers(len(self.starts), size=self.local_batch)]),
                                self.gens[r]) for r in self.mine]
        loss = parts[0] if len(parts) == 1 else torch.stack(parts).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        if self.average is not None:  # decay warmed up as (1 + t) / (10 + t): early averages are not the init's
            d = min(self.weight_average, (1.0 + step) / (10.0 + step))
            with torch.no_grad():
                for key, t in self.tensors.items():
                    self.average[key].lerp_(t.detach(), 1.0 - d)
        return {"loss": _global_mean(loss.detach(), self.info) if global_loss else float(loss.detach())}

    def evaluate(self, step: int, metrics: dict) -> None:
        """Validation figures on the fixed held-out windows (of the weight average when on), added to
        ``step``'s ``metrics`` (its loss) and to the history; early stopping keeps the best."""
        live = None
        if self.average is not None:  # evaluate (and keep, when best) the average; then step on from the live weights
            live = {key: t.detach().clone() for key, t in self.tensors.items()}
            self._load(self.average)
        # each rank scores its share of the fixed validation windows; the shares' means are averaged
        # (weighted by their sizes): the whole set's figures, on every rank
        info = self.info
        mine_val = tuple(x[info.rank::info.world_size] for x in self.val) if info.distributed else self.val
        if self.method == "rebal":
            part = evaluate_recurrent(self.model, *mine_val, self.adapt_window)
        else:
            part = evaluate_windows(self.model, self.adapter, *mine_val, self.adapt_window, trim=self.trim)
        metrics.update(_global_weighted_mean(part, len(mine_val[0]), info))
        if isinstance(self.step_size, dict) and self.method == "grbal":
            flat = torch.cat([self.step_size[k].detach().flatten() for k in self.moved])
            metrics.update(inner_lr_mean=float(flat.mean()), inner_lr_min=float(flat.min()),
                           inner_lr_max=float(flat.max()))
        self.history.append({"step": step, **metrics})
        if self.keep_best and metrics[self.select] < self.best["score"]:
            self.best.update(score=metrics[self.select], step=step, state=self._snapshot(), metrics=dict(metrics))
        if live is not None:
            self._load(live)

    def resume(self, path: str) -> int:
        """Load the training state at ``path`` (written by a run with the same arguments and data); the
        next step to take."""
        st = load_train_state(path, self.fingerprint)
        self.model.load_state_dict(st["model"])
        if isinstance(self.step_size, dict):
            with torch.no_grad():
                for k, v in self.step_size.items():
                    v.copy_(st["alpha"][k])
        self.opt.load_state_dict(st["opt"])
        for r in self.mine:
            self.rngs[r].bit_generator.state = st["rng"][r]
            self.gens[r].set_state(st["gen"][r])
        self.history = list(st["history"])
        if self.average is not None:
            self.average = {key: v.clone() for key, v in st["average"].items()}
        b = st["best"]
        self.best = {"score": b["score"], "step": b["step"], "metrics": b.get("metrics"),
                     "state": None if b["weights"] is None else (b["weights"], b["alpha"])}
        return int(st["step"]) + 1

    def save_state(self, path: str, step: int) -> None:
        """Write the whole training state atomically (rank 0 of a distributed run; every rank's streams)."""
        streams_state = gather_objects({r: (self.rngs[r].bit_generator.state, self.gens[r].get_state())
                                        for r in self.mine}, self.info)
        if not self.info.is_main:
            return
        merged = {r: v for part in streams_state for r, v in part.items()}
        weights, lrs = self.best["state"] if self.best["state"] is not None else (None, None)
        step_size = self.step_size
        payload = {"format": TRAIN_STATE_FORMAT, "fingerprint": self.fingerprint, "step": step,
                   "model": {k: v.detach().clone() for k, v in self.model.state_dict().items()},
                   "alpha": {k: v.detach().clone() for k, v in step_size.items()} if isinstance(step_size, dict) else None,
                   "opt": self.opt.state_dict(), "rng": [merged[r][0] for r in range(self.n_streams)],
                   "gen": [merged[r][1] for r in range(self.n_streams)], "world_size": self.info.world_size,
                   "average": self.average,
                   "history": self.history, "best": {"score": self.best["score"], "step": self.best["step"],
                                                     "metrics": self.best.get("metrics"), "weights": weights, "alpha": lrs}}
        atomic_torch_save(path, payload)

    def finish(self) -> TrainResult:
        """End with the kept weights (early stopping's best, else the weight average, else the last)."""
        final = self.history[-1]
        if self.keep_best and self.best["state"] is not None:
            weights, lrs = self.best["state"]
            with torch.no_grad():
                for k, p in self.params.items():
                    p.copy_(weights[k])
                if lrs is not None:
                    for k, v in self.step_size.items():
                        v.copy_(lrs[k])
            final = {**self.best["metrics"], "step": self.best["step"]}
        elif self.average is not None:
            self._load(self.average)
        step_size = self.step_size
        final_lr = {k: v.detach().clone() for k, v in step_size.items()} if isinstance(step_size, dict) else step_size
        return TrainResult(inner_lr=final_lr, metrics={
            **final, "best_step": self.best["step"] if self.keep_best else self.steps,
            "history": self.history, "train_paths": self.n_paths[0], "val_paths": self.n_paths[1]})


class _Objective(torch.nn.Module):
    """The training loss of one batch as a module owning every trained tensor (the model's weights and
    GrBAL's learned step sizes), so ``DistributedDataParallel`` can average all their gradients."""

    def __init__(self, model: DynamicsModel, step_sizes: dict | None, loss_fn):
        super().__init__()
        self.model = model
        for k, v in (step_sizes or {}).items():
            self.register_parameter("alpha__" + k.replace(".", "__"), v)
        self._loss_fn = loss_fn

    def forward(self, obs, act, next_obs, generator):
        return self._loss_fn(obs, act, next_obs, generator)


def _stream_seed(seed: int, stream: int) -> int:
    return int(np.random.SeedSequence([seed, 3, stream]).generate_state(1)[0])


def _global_mean(x: torch.Tensor, info: DistInfo) -> float:
    """A scalar averaged over the ranks (the global batch's loss), for logs."""
    if info.distributed:
        import torch.distributed as dist

        x = x.clone()
        dist.all_reduce(x)
        x /= info.world_size
    return float(x)


def _global_weighted_mean(values: dict, count: int, info: DistInfo) -> dict:
    """Per-key means over the ranks, each rank's value weighted by its ``count`` (one collective)."""
    if not info.distributed:
        return values
    import torch.distributed as dist

    keys = sorted(values)
    t = torch.tensor([values[k] * count for k in keys] + [float(count)], dtype=torch.float64)
    dist.all_reduce(t)
    return {k: float(t[i] / t[-1]) for i, k in enumerate(keys)}


def load_train_state(path: str, fingerprint: dict | None = None) -> dict:
    """Read a training state written by :func:`train_dynamics`; with ``fingerprint``, check it was
    written by a run with the same arguments and data (naming what differs)."""
    try:
        st = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt files
        raise CheckpointError(f"{path}: cannot read training state: corrupt or not one ({type(exc).__name__}); "
                              f"delete it to start afresh") from None
    if not isinstance(st, dict) or not str(st.get("format", "")).startswith(TRAIN_STATE_FORMAT.split("/")[0] + "/"):
        raise CheckpointError(f"{path}: not an adaptive_control training state")
    if st["format"] != TRAIN_STATE_FORMAT:
        raise CheckpointError(f"{path}: training state written by another version ({st['format']}); delete it to "
                              f"start afresh")
    if fingerprint is not None and st["fingerprint"] != fingerprint:
        diff = [("streams (processes)" if k == "streams" else k) for k in fingerprint
                if st["fingerprint"].get(k) != fingerprint[k]]
        raise CheckpointError(f"{path}: training state is from a run with other {', '.join(diff)}; resume with the "
                              f"same config, flags and data, or delete it to start afresh")
    return st


def evaluate_windows(model: DynamicsModel, adapter: GradientAdapter, obs, act, next_obs, m: int,
                     trim: float = 0.0) -> dict:
    """Loss on the future part of windows before and after adapting on their past part.

    Returns ``val_loss_prior`` / ``val_loss_adapted`` (one-step normalised-delta MSE) and
    ``val_rollout_prior`` / ``val_rollout_adapted``: the open-loop error over the whole future part
    (N steps, :meth:`DynamicsModel.rollout_loss`), what a plan of N steps meets. Each is the mean over
    the B windows; with ``trim`` > 0 also ``val_trimmed_*``: the mean without the worst ``trim`` fraction
    of windows (:func:`trimmed_mean`).
    """
    params = model.params()
    fut = obs[:, m:], act[:, m:], next_obs[:, m:]
    n = obs.shape[1] - m
    eval_adapter = GradientAdapter(model, _detached(adapter.inner_lr), first_order=True)
    with torch.no_grad():
        per_window = {
            "loss_prior": vmap(lambda o, a, x: model.loss(params, o, a, x))(*fut),
            "rollout_prior": vmap(lambda o, a, x: model.rollout_loss(params, o, a, x, n))(*fut),
        }
    per_window["loss_adapted"] = meta_loss(model, params, eval_adapter, obs, act, next_obs, m, reduce=False).detach()
    per_window["rollout_adapted"] = meta_loss(model, params, eval_adapter, obs, act, next_obs, m, rollout_horizon=n,
                                              reduce=False).detach()
    out = {f"val_{k}": float(v.mean()) for k, v in per_window.items()}
    if trim > 0:
        out.update({f"val_trimmed_{k}": trimmed_mean(v, trim) for k, v in per_window.items()})
    return out


def trimmed_mean(values: torch.Tensor, trim: float) -> float:
    """Mean of ``values`` (B,) without the largest ``floor(trim * B)``: a validation score that a few
    windows far outside the training data (a path where the robot lay on its back, predicted a million
    times worse than the rest) cannot decide alone."""
    drop = int(trim * values.numel())
    return float(values.sort().values[: values.numel() - drop].mean())


@torch.no_grad()
def evaluate_recurrent(model, obs, act, next_obs, m: int) -> dict:
    """Recurrent model: future-part loss with an empty context vs. with the context of the first M steps
    held fixed over the next N (as a plan holds it; comparable to GrBAL's adapted loss)."""
    params = model.params()
    n = obs[:, m:].flatten(0, 1), act[:, m:].flatten(0, 1), next_obs[:, m:].flatten(0, 1)
    prior = model.loss(params, *n)  # forward() with zero context
    adapted = model.sequence_loss(params, obs, act, next_obs, burn_in=m, fixed_context=True)
    return {"val_loss_prior": float(prior), "val_loss_adapted": float(adapted)}


def _copied(lr):
    return {k: v.detach().clone() for k, v in lr.items()} if isinstance(lr, dict) else lr


def _detached(lr):
    return {k: v.detach() for k, v in lr.items()} if isinstance(lr, dict) else lr
