"""Transitions on disk: the format the simulator's collector and robot logs both write.

One ``.npz`` file holds flat arrays of transitions plus, per trajectory ("path"), its task
parameters. Consecutive transitions of a path have consecutive ``step`` values, so windows of
M + N consecutive transitions never straddle two paths. Files are written atomically.
"""
from __future__ import annotations

import json
import zipfile
import os
import tempfile
from dataclasses import dataclass, field

import numpy as np

FORMAT = "adaptive_control.transitions/1"


@dataclass
class TransitionDataset:
    """Flat transitions with their path ids.

    Fields (n transitions): ``obs`` (n, nx), ``act`` (n, nu), ``next_obs`` (n, nx), ``path_id``
    (n,), ``step`` (n,), optional ``timestamp`` (n,); ``tasks`` has one dict per path
    (``tasks[path_id]``); ``robot`` names the robot; ``meta`` is free-form provenance.
    """

    robot: str
    obs: np.ndarray
    act: np.ndarray
    next_obs: np.ndarray
    path_id: np.ndarray
    step: np.ndarray
    tasks: list = field(default_factory=list)
    timestamp: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        n = len(self.obs)
        for name in ("act", "next_obs", "path_id", "step"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"TransitionDataset: '{name}' has {len(getattr(self, name))} rows, obs has {n}")
        if self.next_obs.shape[1:] != self.obs.shape[1:]:
            raise ValueError("TransitionDataset: obs and next_obs differ in width")
        if n and (self.path_id.min() < 0 or self.path_id.max() >= len(self.tasks)):
            raise ValueError("TransitionDataset: a path_id has no entry in tasks")

    # -- sizes ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.obs)

    @property
    def obs_size(self) -> int:
        return self.obs.shape[1]

    @property
    def action_size(self) -> int:
        return self.act.shape[1]

    @property
    def num_paths(self) -> int:
        return len(self.tasks)

    # -- windows ----------------------------------------------------------------------------------
    def window_starts(self, length: int, paths: np.ndarray | None = None) -> np.ndarray:
        """Indices i such that transitions i .. i+length-1 are consecutive steps of one path."""
        n = len(self)
        if n < length:
            return np.zeros(0, dtype=np.int64)
        i = np.arange(n - length + 1)
        ok = (self.path_id[i + length - 1] == self.path_id[i]) & (self.step[i + length - 1] - self.step[i] == length - 1)
        if paths is not None:
            ok &= np.isin(self.path_id[i], paths)
        return i[ok]

    def multi_tick(self, ticks: int) -> "TransitionDataset":
        """Transitions over ``ticks`` consecutive control ticks: ``obs[i]``, the ``ticks`` actions applied
        (concatenated, (n', ticks*nu)) and the observation after the last; one per start i of a run of
        ``ticks`` consecutive steps of one path (consecutive ones overlap, as the controller's window
        does). The data of a model that predicts a whole block of held actions at once."""
        if ticks == 1:
            return self
        i = self.window_starts(ticks)
        act = np.concatenate([self.act[i + k] for k in range(ticks)], axis=1)
        return TransitionDataset(robot=self.robot, obs=self.obs[i], act=act, next_obs=self.next_obs[i + ticks - 1],
                                 path_id=self.path_id[i], step=self.step[i], tasks=self.tasks,
                                 timestamp=None if self.timestamp is None else self.timestamp[i],
                                 meta={**self.meta, "ticks": int(ticks)})

    # -- composition ----------------------------------------------------------------------------
    @staticmethod
    def concat(parts: list["TransitionDataset"]) -> "TransitionDataset":
        """Join datasets of one robot (path ids renumbered)."""
        if not parts:
            raise ValueError("concat: nothing to join")
        robots = {p.robot for p in parts}
        if len(robots) != 1:
            raise ValueError(f"concat: datasets of different robots {sorted(robots)}")
        offset, ids, tasks = 0, [], []
        for p in parts:
            ids.append(p.path_id + offset)
            tasks += p.tasks
            offset += p.num_paths
        has_ts = all(p.timestamp is not None for p in parts)
        return TransitionDataset(
            robot=parts[0].robot,
            obs=np.concatenate([p.obs for p in parts]),
            act=np.concatenate([p.act for p in parts]),
            next_obs=np.concatenate([p.next_obs for p in parts]),
            path_id=np.concatenate(ids),
            step=np.concatenate([p.step for p in parts]),
            tasks=tasks,
            timestamp=np.concatenate([p.timestamp for p in parts]) if has_ts else None,
            meta={"parts": [p.meta for p in parts]},
        )

    # -- disk -------------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write atomically (a temp file in the same folder, then rename)."""
        arrays = dict(
            obs=self.obs.astype(np.float32),
            act=self.act.astype(np.float32),
            next_obs=self.next_obs.astype(np.float32),
            path_id=self.path_id.astype(np.int64),
            step=self.step.astype(np.int64),
            header=np.array(json.dumps({"format": FORMAT, "robot": self.robot, "tasks": self.tasks, "meta": self.meta})),
        )
        if self.timestamp is not None:
            arrays["timestamp"] = self.timestamp.astype(np.float64)
        atomic_write(path, lambda fh: np.savez_compressed(fh, **arrays))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TransitionDataset":
        try:
            with np.load(path, allow_pickle=False) as z:
                header = json.loads(str(z["header"]))
                if header.get("format") != FORMAT:
                    raise DatasetError(f"{path}: not a transition dataset (format {header.get('format')!r}, expected {FORMAT})")
                return cls(
                    robot=header["robot"],
                    obs=z["obs"],
                    act=z["act"],
                    next_obs=z["next_obs"],
                    path_id=z["path_id"],
                    step=z["step"],
                    tasks=header["tasks"],
                    timestamp=z["timestamp"] if "timestamp" in z.files else None,
                    meta=header.get("meta", {}),
                )
        except DatasetError:
            raise
        except FileNotFoundError:
            raise DatasetError(f"dataset not found: {path}") from None
        except (KeyError, OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise DatasetError(f"{path}: cannot read transition dataset: corrupt, truncated or not an .npz from "
                               f"adaptive-control collect ({type(exc).__name__})") from None


class DatasetError(ValueError):
    """A dataset file is missing, unreadable, or not a transition dataset."""


def atomic_write(path: str | os.PathLike, write) -> None:
    """Call ``write(binary_file)`` on a temp file beside ``path``, fsync, then rename over ``path``."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; give the file ordinary permissions
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
