"""Checkpoints: model weights, normaliser buffers, step sizes, robot name and sizes, config.

Written atomically with ``torch.save``; read with ``weights_only=True``. Loading one made for
another robot (or with other observation/action sizes) fails with a message that says so.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass, field

import torch

from models.dataset import atomic_write
from models.dynamics import DynamicsModel, MLPDynamics
from models.frames import frame_from_spec
from models.recurrent import RecurrentDynamics

FORMAT = "adaptive_control.checkpoint/1"


def build_model(spec: dict) -> DynamicsModel:
    """Rebuild a model from :meth:`DynamicsModel.spec` (here, not in ``dynamics``: it knows every kind)."""
    kind = spec.get("type")
    frame = frame_from_spec(spec.get("frame"))
    if kind == "mlp":
        return MLPDynamics(spec["obs_size"], spec["action_size"], spec["hidden_sizes"], spec.get("activation", "relu"),
                           frame=frame)
    if kind == "rebal":
        return RecurrentDynamics(spec["obs_size"], spec["action_size"], spec["hidden_sizes"], spec["context_size"],
                                 spec.get("activation", "relu"), frame=frame)
    raise ValueError(f"unknown model type {kind!r} (known: mlp, rebal)")


class CheckpointError(ValueError):
    """A checkpoint is unreadable or does not fit the robot it is used for."""


@dataclass
class Checkpoint:
    """A loaded checkpoint."""

    model: DynamicsModel
    robot: str
    kind: str
    """``grbal`` (meta-trained prior) or ``mb`` (plain training)."""
    inner_lr: float | dict
    """Step size of the adaptation step: a float, or per-parameter tensors when learned."""
    config: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    ticks: int = 1
    """Control ticks one prediction spans: 1, or n for a model of n held ticks whose input is the n
    actions (``model.action_size`` = n * the robot's nu)."""
    residual_max: torch.Tensor | None = None
    """(nx,) the largest normalised residual of the prior per state entry on its training data
    (``models.guard.calibrate_residuals``): the adaptation guard's yardstick. ``None`` in checkpoints
    written before it existed (the guard then uses a flat bound)."""


def save_checkpoint(path, model: DynamicsModel, *, robot: str, kind: str, inner_lr, config: dict | None = None,
                    metrics: dict | None = None, ticks: int = 1, residual_max=None) -> None:
    payload = {
        "format": FORMAT,
        "robot": robot,
        "ticks": int(ticks),
        "obs_size": model.obs_size,
        "action_size": model.action_size // ticks,
        "kind": kind,
        "model_spec": model.spec(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "inner_lr": ({k: v.detach().cpu() for k, v in inner_lr.items()} if isinstance(inner_lr, dict) else float(inner_lr)),
        "config": config or {},
        "metrics": metrics or {},
    }
    if residual_max is not None:
        payload["residual_max"] = torch.as_tensor(residual_max, dtype=torch.float32).detach().cpu()
    atomic_torch_save(path, payload)


def atomic_torch_save(path, payload) -> None:
    """``torch.save(payload)`` to ``path`` atomically (serialised in memory, then written and renamed)."""
    def write(fh):
        buf = io.BytesIO()
        torch.save(payload, buf)
        fh.write(buf.getvalue())

    atomic_write(path, write)


def load_checkpoint(path, *, robot: str | None = None, obs_size: int | None = None, action_size: int | None = None,
                    device: str | torch.device = "cpu") -> Checkpoint:
    """Load a checkpoint, checking it was made for ``robot`` with these sizes (when given)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt files
        raise CheckpointError(f"{path}: cannot read checkpoint: corrupt, truncated or not a checkpoint "
                              f"({type(exc).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an adaptive_control checkpoint")
    try:
        return _from_payload(payload, path, robot, obs_size, action_size, device)
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError, IndexError) as exc:
        detail = " ".join(str(exc).split())[:200]  # one line
        raise CheckpointError(f"{path}: malformed checkpoint ({type(exc).__name__}: {detail})") from None


def _from_payload(payload: dict, path: str, robot, obs_size, action_size, device) -> Checkpoint:
    for key, types in (("robot", str), ("kind", str), ("obs_size", int), ("action_size", int), ("ticks", int),
                       ("model_spec", dict), ("state_dict", dict), ("config", dict), ("metrics", dict)):
        if key in payload and (not isinstance(payload[key], types) or isinstance(payload[key], bool)):
            raise CheckpointError(f"{path}: malformed checkpoint: '{key}' is a {type(payload[key]).__name__}")
    if payload.get("kind") not in ("grbal", "mb", "rebal"):
        raise CheckpointError(f"{path}: malformed checkpoint: unknown kind {str(payload.get('kind'))[:40]!r}")
    if not 1 <= payload.get("ticks", 1) <= 64:
        raise CheckpointError(f"{path}: malformed checkpoint: ticks {payload.get('ticks')}")
    if robot is not None and payload["robot"] != robot:
        raise CheckpointError(
            f"{path}: checkpoint is for robot '{payload['robot']}', not '{robot}'; "
            f"meta-train one for '{robot}' (adaptive-control meta-train --robot {robot} ...)"
        )
    for name, want in (("obs_size", obs_size), ("action_size", action_size)):
        if want is not None and payload[name] != want:
            raise CheckpointError(f"{path}: checkpoint has {name}={payload[name]}, this robot needs {want}")
    ticks = int(payload.get("ticks", 1))
    model = build_model(payload["model_spec"])
    if model.action_size != ticks * payload["action_size"]:
        raise CheckpointError(f"{path}: model input has {model.action_size} action entries, expected "
                              f"{ticks} ticks x {payload['action_size']}")
    # assign=True adopts the loaded tensors instead of copying into fresh ones: no compute kernels
    # run here, so a real-time controller can keep all of its torch work on one thread.
    model.load_state_dict(payload["state_dict"], assign=True)
    model.to(device).eval()
    bad = [k for k, v in model.state_dict().items() if v.is_floating_point() and not bool(torch.all(torch.isfinite(v)))]
    if bad:
        raise CheckpointError(f"{path}: non-finite values in {', '.join(bad[:3])}{' ...' if len(bad) > 3 else ''}: "
                              f"the model cannot be used (was training diverging?)")
    residual_max = payload.get("residual_max")
    if residual_max is not None and tuple(residual_max.shape) != (model.obs_size,):
        raise CheckpointError(f"{path}: residual_max has shape {tuple(residual_max.shape)}, expected ({model.obs_size},)")
    lr = payload["inner_lr"]
    if isinstance(lr, dict):
        lr = {k: v.to(device) for k, v in lr.items()}
        if set(lr) != set(model.params()):
            raise CheckpointError(f"{path}: the step sizes do not match the model's parameters")
        finite = all(bool(torch.all(torch.isfinite(v))) for v in lr.values())
    else:
        lr = float(lr)
        finite = lr == lr and abs(lr) != float("inf")
    if not finite:
        raise CheckpointError(f"{path}: non-finite adaptation step size")
    return Checkpoint(model=model, robot=payload["robot"], kind=payload["kind"], inner_lr=lr,
                      config=payload.get("config", {}), metrics=payload.get("metrics", {}), ticks=ticks,
                      residual_max=None if residual_max is None else residual_max.to(device))


def write_residual_max(path, residual_max) -> None:
    """Store the guard's calibration (``residual_max``, (nx,)) in an existing checkpoint, atomically;
    everything else in the file is kept as it is."""
    path = os.fspath(path)
    ckpt = load_checkpoint(path)  # checks the file
    r = torch.as_tensor(residual_max, dtype=torch.float32).detach().cpu()
    if tuple(r.shape) != (ckpt.model.obs_size,):
        raise CheckpointError(f"{path}: residual_max must have shape ({ckpt.model.obs_size},), got {tuple(r.shape)}")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    payload["residual_max"] = r
    atomic_torch_save(path, payload)


def write_step_size(src, out, value: float) -> None:
    """Copy the GrBAL checkpoint ``src`` to ``out`` (atomically; ``out`` may be ``src``) with every online
    step size set to ``value``: a fixed step size stays a float, learned per-parameter step sizes keep
    their shapes, filled with ``value``, except a parameter whose step sizes are all zero (one that does
    not take the step: ``train.inner_parameters``), which keeps its zeros. Weights, normaliser, guard
    calibration and config are kept; ``metrics["step_size_set"]`` records the value and the source.
    For a GrBAL checkpoint only: an MB model's step size is the controller's (``controller.inner_lr``
    with ``mb_de``) and ReBAL adapts through its context."""
    src, out = os.fspath(src), os.fspath(out)
    value = float(value)
    if not (value > 0 and value != float("inf")):
        raise ValueError(f"step size must be positive and finite, got {value}")
    ckpt = load_checkpoint(src)  # checks the file
    if ckpt.kind != "grbal":
        raise CheckpointError(f"{src}: a {ckpt.kind} checkpoint has no step size of its own to set; only a GrBAL "
                              f"checkpoint does (for an MB model use controller.inner_lr with method mb_de)")
    payload = torch.load(src, map_location="cpu", weights_only=True)
    lr = payload["inner_lr"]
    payload["inner_lr"] = ({k: v.clone() if not bool(v.any()) else torch.full_like(v, value) for k, v in lr.items()}
                           if isinstance(lr, dict) else value)
    payload["metrics"] = {**payload.get("metrics", {}), "step_size_set": {"value": value, "from": src}}
    atomic_torch_save(out, payload)
