"""Glue for offline training: datasets + config -> trained checkpoint (with a progress bar)."""
from __future__ import annotations

import os

from tqdm import tqdm

from adaptive_control.config import ExperimentConfig, to_dict
from models.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from models.dataset import TransitionDataset
from models.dynamics import MLPDynamics
from models.guard import calibrate_residuals
from models.recurrent import RecurrentDynamics
from models.training import seeded_init, train_dynamics


def load_datasets(paths, robot: str) -> TransitionDataset:
    parts = [TransitionDataset.load(p) for p in paths]
    for p, d in zip(paths, parts):
        if d.robot != robot:
            raise ValueError(f"{p}: dataset is for robot '{d.robot}', not '{robot}'")
    return parts[0] if len(parts) == 1 else TransitionDataset.concat(parts)


def train_state_path(out: str) -> str:
    """Where a run writing ``out`` keeps its training state (for ``--resume``)."""
    return os.path.splitext(out)[0] + ".train_state.pt"


def train_checkpoint(cfg: ExperimentConfig, data: TransitionDataset, out: str, *, show_progress: bool = True,
                     init: str | None = None, resume: bool = False) -> dict:
    """Train a model as ``cfg.train`` says (``grbal``, ``mb`` or ``rebal``) and save it to ``out``. Returns metrics.

    ``init``: a checkpoint whose weights start the training (e.g. GrBAL meta-training warm-started
    from the MB model of the same data) instead of a seeded random initialisation. It must be for
    the same robot and architecture; its normaliser comes with the weights (the statistics the
    weights were trained with), so ``data`` may also be a small task-specific set (fine-tuning).
    ``resume``: continue from the training state of an interrupted run with the same config, data and
    ``out`` (:func:`train_state_path`), which every ``cfg.train.save_every`` steps are written to.
    """
    t = cfg.train
    robot_nu = data.action_size
    if t.method == "rebal":  # one tick at a time whatever train.model_ticks says (its context carries the rest)
        model = RecurrentDynamics(data.obs_size, data.action_size, cfg.model.hidden_sizes, cfg.model.context_size,
                                  cfg.model.activation)
    else:
        data = data.multi_tick(t.model_ticks)  # n-tick transitions (the n actions as the input)
        model = MLPDynamics(data.obs_size, data.action_size, cfg.model.hidden_sizes, cfg.model.activation)
    seeded_init(model, t.seed)
    if init is not None:
        start = load_checkpoint(init, robot=data.robot, obs_size=data.obs_size, action_size=robot_nu)
        if start.model.spec() != model.spec():
            raise CheckpointError(f"{init}: --init checkpoint has architecture {start.model.spec()}, "
                                  f"the config asks for {model.spec()}")
        model.load_state_dict(start.model.state_dict())
    bar = tqdm(total=t.steps, desc=f"train {t.method}",
               disable=not show_progress, unit="step", dynamic_ncols=True)

    def on_step(step, metrics):
        bar.update(1)
        if "val_loss_adapted" in metrics:
            bar.set_postfix(loss=f"{metrics['loss']:.4f}", val_prior=f"{metrics['val_loss_prior']:.4f}",
                            val_adapted=f"{metrics['val_loss_adapted']:.4f}")

    result = train_dynamics(
        model, data, method=t.method, adapt_window=t.adapt_window, future_window=t.future_window,
        inner_lr=t.inner_lr, learn_inner_lr=t.learn_inner_lr, first_order=t.first_order,
        batch_size=t.meta_batch_size, steps=t.steps, lr=t.lr, validation_fraction=t.validation_fraction,
        seed=t.seed, callback=on_step, fit_normalizer=init is None, rollout_horizon=t.rollout_horizon if t.method != "rebal" else 1,
        keep_best=t.keep_best, state_path=train_state_path(out), save_every=t.save_every, resume=resume,
    )
    bar.close()
    metrics = {k: v for k, v in result.metrics.items()}
    metrics["transitions"] = len(data)
    if init is not None:
        metrics["init"] = str(init)
    residual_max = calibrate_residuals(model, data.obs, data.act, data.next_obs)  # the guard's yardstick
    save_checkpoint(out, model, robot=data.robot, kind=t.method, inner_lr=result.inner_lr,
                    config={"model": to_dict(cfg.model), "train": to_dict(t), "task": to_dict(cfg.task)},
                    metrics=metrics, ticks=t.model_ticks if t.method != "rebal" else 1, residual_max=residual_max)
    if os.path.exists(train_state_path(out)):  # the run is complete: its resume point is not needed
        os.unlink(train_state_path(out))
    return metrics
