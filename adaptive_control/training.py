"""Glue for offline training: datasets + config -> trained checkpoint (with a progress bar)."""
from __future__ import annotations

import copy
import math
import os
import time

import torch
from tqdm import tqdm

from adaptive_control.config import ConfigError, ExperimentConfig, cost_indices, heading_indices, to_dict
from models.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from models.dataset import TransitionDataset
from models.distributed import DistInfo, current
from models.dynamics import MLPDynamics
from models.frames import HeadingFrame
from models.guard import calibrate_residuals
from models.recurrent import RecurrentDynamics
from models.training import LOG_EVERY, seeded_init, train_dynamics


def load_datasets(paths, robot: str) -> TransitionDataset:
    """The datasets at ``paths`` (all for ``robot``: a registered name or a spec path), concatenated."""
    from sim.robots import robot_name

    robot = robot_name(robot)
    parts = [TransitionDataset.load(p) for p in paths]
    for p, d in zip(paths, parts):
        if d.robot != robot:
            raise ValueError(f"{p}: dataset is for robot '{d.robot}', not '{robot}'")
    return parts[0] if len(parts) == 1 else TransitionDataset.concat(parts)


def train_state_path(out: str) -> str:
    """Where a run writing ``out`` keeps its training state (for ``--resume``)."""
    return os.path.splitext(out)[0] + ".train_state.pt"


def snapshot_path(out: str, step: int) -> str:
    """Where a run writing ``out`` writes its snapshot of ``step`` (``train.snapshot_every``):
    ``<out without .pt>.step<step>.pt``, beside it."""
    return os.path.splitext(out)[0] + f".step{step}.pt"


def log_dir(out: str) -> str:
    """Where a run writing ``out`` writes its TensorBoard logs: ``<out without .pt>.tb/``, beside it."""
    return os.path.splitext(out)[0] + ".tb"


class TrainingLog:
    """TensorBoard scalars of a training run (``tensorboard --logdir <dir>``).

    Every ``every`` steps: ``train/loss`` (the global batch's); at every evaluation: ``val/*`` (prior
    and adapted one-step and open-loop losses), ``inner_lr/{mean,min,max}`` (GrBAL's learned step
    sizes) and ``perf/steps_per_s`` since the previous evaluation. A resumed run drops the events
    after its resume step, so the curves have no duplicate or stale tail.
    """

    def __init__(self, path: str, start_step: int = 1, every: int = LOG_EVERY):
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=path, purge_step=start_step if start_step > 1 else None)
        self.every = every
        self._t, self._step = time.perf_counter(), start_step - 1

    def __call__(self, step: int, metrics: dict) -> None:
        if not metrics:  # a resumed run replaying the steps it skips
            self._t, self._step = time.perf_counter(), step
            return
        if step % self.every == 0 and math.isfinite(metrics["loss"]):
            self.writer.add_scalar("train/loss", metrics["loss"], step)
        if "val_loss_prior" in metrics:
            for k, v in metrics.items():
                if k.startswith("val_"):
                    self.writer.add_scalar("val/" + k[4:], v, step)
                elif k.startswith("inner_lr_"):
                    self.writer.add_scalar("inner_lr/" + k[9:], v, step)
            now = time.perf_counter()
            if step > self._step:
                self.writer.add_scalar("perf/steps_per_s", (step - self._step) / max(now - self._t, 1e-9), step)
            self._t, self._step = now, step

    def close(self) -> None:
        self.writer.close()


def train_checkpoint(cfg: ExperimentConfig, data: TransitionDataset, out: str, *, show_progress: bool = True,
                     init: str | None = None, resume: bool = False, dist_info: DistInfo | None = None,
                     logs: bool = True) -> dict:
    """Train a model as ``cfg.train`` says (``grbal``, ``mb`` or ``rebal``) and save it to ``out``. Returns metrics.

    ``init``: a checkpoint whose weights start the training (e.g. GrBAL meta-training warm-started
    from the MB model of the same data) instead of a seeded random initialisation. It must be for
    the same robot and architecture; its normaliser comes with the weights (the statistics the
    weights were trained with), so ``data`` may also be a small task-specific set (fine-tuning).
    ``resume``: continue from the training state of an interrupted run with the same config, data and
    ``out`` (:func:`train_state_path`), which every ``cfg.train.save_every`` steps are written to.
    ``dist_info``: this process's rank in a data-parallel run (``torchrun``; default: the initialised
    process group's, else a single process): every rank trains, rank 0 alone shows progress and
    writes the checkpoint, the training state and the logs.
    ``logs``: write TensorBoard logs to :func:`log_dir` (rank 0).
    """
    info = dist_info or current()
    t = cfg.train
    robot_nu = data.action_size
    frame = None if cfg.model.frame == "world" else HeadingFrame(*heading_indices(data.robot))
    if t.method == "rebal":  # one tick at a time whatever train.model_ticks says (its context carries the rest)
        model = RecurrentDynamics(data.obs_size, data.action_size, cfg.model.hidden_sizes, cfg.model.context_size,
                                  cfg.model.activation, frame=frame)
    else:
        data = data.multi_tick(t.model_ticks)  # n-tick transitions (the n actions as the input)
        model = MLPDynamics(data.obs_size, data.action_size, cfg.model.hidden_sizes, cfg.model.activation, frame=frame)
    seeded_init(model, t.seed)
    if init is not None:
        start = load_checkpoint(init, robot=data.robot, obs_size=data.obs_size, action_size=robot_nu)
        if start.model.spec() != model.spec():
            raise CheckpointError(f"{init}: --init checkpoint has architecture {start.model.spec()}, "
                                  f"the config asks for {model.spec()}")
        model.load_state_dict(start.model.state_dict())
    device = torch.device(t.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError("train.device is cuda but torch sees no GPU on this machine; use cpu")
        device = torch.device("cuda", info.local_rank if info.distributed else torch.cuda.current_device())
    delta_weight = None
    if t.cost_weight != 1.0 and init is None:  # with --init the normaliser (and its weighting) is init's
        delta_weight = torch.ones(data.obs_size)
        delta_weight[list(cost_indices(data.robot))] = t.cost_weight
    model.to(device)
    bar = tqdm(total=t.steps, desc=f"train {t.method}" + (f" ({info.world_size} processes)" if info.distributed else ""),
               disable=not (show_progress and info.is_main), unit="step", dynamic_ncols=True)
    state = train_state_path(out)
    log = None
    if logs and info.is_main:
        start = 1
        if resume and os.path.exists(state):
            from models.training import load_train_state

            start = int(load_train_state(state)["step"]) + 1
        log = TrainingLog(log_dir(out), start_step=start)

    def on_step(step, metrics):
        bar.update(1)
        if log is not None:
            log(step, metrics)
        if "val_loss_adapted" in metrics:
            bar.set_postfix(loss=f"{metrics['loss']:.4f}", val_prior=f"{metrics['val_loss_prior']:.4f}",
                            val_adapted=f"{metrics['val_loss_adapted']:.4f}")

    def snapshot(step, step_sizes):  # the live weights of ``step``, as a checkpoint any controller runs
        if not info.is_main:
            return
        live = copy.deepcopy(model).cpu()
        lrs = {k: v.cpu() for k, v in step_sizes.items()} if isinstance(step_sizes, dict) else step_sizes
        save_checkpoint(snapshot_path(out, step), live, robot=data.robot, kind=t.method, inner_lr=lrs,
                        config={"model": to_dict(cfg.model), "train": to_dict(t), "task": to_dict(cfg.task)},
                        metrics={"step": step, "snapshot_of": str(out), "transitions": len(data),
                                 **({"init": str(init)} if init is not None else {})},
                        ticks=t.model_ticks, residual_max=calibrate_residuals(live, data.obs, data.act, data.next_obs))

    result = train_dynamics(
        model, data, method=t.method, adapt_window=t.adapt_window, future_window=t.future_window,
        inner_lr=t.inner_lr, learn_inner_lr=t.learn_inner_lr, first_order=t.first_order,
        batch_size=t.meta_batch_size, steps=t.steps, lr=t.lr, weight_decay=t.weight_decay,
        prior_weight=t.prior_weight if t.method == "grbal" else 0.0, inner_parameters=t.inner_parameters if t.method == "grbal" else "all", input_noise=t.input_noise if t.method != "rebal" else 0.0, validation_fraction=t.validation_fraction, validation_trim=t.validation_trim,
        seed=t.seed, split_seed=t.split_seed, callback=on_step, fit_normalizer=init is None, delta_weight=delta_weight, rollout_horizon=t.rollout_horizon if t.method != "rebal" else 1,
        keep_best=t.keep_best, weight_average=t.weight_average, state_path=state, save_every=t.save_every, resume=resume, dist_info=info,
        snapshot_every=t.snapshot_every, on_snapshot=snapshot,
    )
    bar.close()
    if log is not None:
        log.close()
    model.cpu()  # checkpoints and the guard's calibration are device-independent
    if isinstance(result.inner_lr, dict):
        result.inner_lr = {k: v.cpu() for k, v in result.inner_lr.items()}
    metrics = {k: v for k, v in result.metrics.items()}
    metrics["transitions"] = len(data)
    if init is not None:
        metrics["init"] = str(init)
    if not info.is_main:  # every rank holds the same weights; rank 0 writes them
        return metrics
    residual_max = calibrate_residuals(model, data.obs, data.act, data.next_obs)  # the guard's yardstick
    save_checkpoint(out, model, robot=data.robot, kind=t.method, inner_lr=result.inner_lr,
                    config={"model": to_dict(cfg.model), "train": to_dict(t), "task": to_dict(cfg.task)},
                    metrics=metrics, ticks=t.model_ticks if t.method != "rebal" else 1, residual_max=residual_max)
    if os.path.exists(train_state_path(out)):  # the run is complete: its resume point is not needed
        os.unlink(train_state_path(out))
    return metrics
