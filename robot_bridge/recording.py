"""Log a robot's transitions in the simulator collector's dataset format, for offline meta-training.

A robot (through the ROS 2 controller node) or any loop calls :meth:`TransitionRecorder.add` once per
control tick with the previous observation, the action applied and the new observation; gaps in
the state stream (stale or bad state) end the current path, so windows of consecutive transitions
never span a gap. :meth:`save` writes a ``models.dataset.TransitionDataset`` atomically: the file
``adaptive-control meta-train --data FILE`` reads.
"""
from __future__ import annotations

import numpy as np

from models.dataset import TransitionDataset


class TransitionRecorder:
    """Accumulates transitions of one robot under one task label.

    Args:
        robot: robot name stored in the dataset (``meta-train`` checks it against the config).
        task: task label (plain data) stored for every path, e.g. ``{"perturbation": "unknown"}``.
        obs_size, action_size: nx, nu.
    """

    def __init__(self, robot: str, task: dict, obs_size: int, action_size: int):
        self.robot, self.task = robot, dict(task)
        self.nx, self.nu = obs_size, action_size
        self._obs, self._act, self._next, self._path, self._step, self._stamp = [], [], [], [], [], []
        self._path_id, self._path_len = 0, 0

    def __len__(self) -> int:
        return len(self._obs)

    def add(self, obs, action, next_obs, stamp: float, next_stamp: float) -> None:
        """One transition: obs (nx,), action (nu,), next_obs (nx,), and their times (s)."""
        obs, action, next_obs = (np.asarray(v, dtype=np.float64).reshape(-1) for v in (obs, action, next_obs))
        if obs.shape != (self.nx,) or next_obs.shape != (self.nx,) or action.shape != (self.nu,):
            raise ValueError(f"transition shapes {obs.shape}, {action.shape}, {next_obs.shape}; "
                             f"expected ({self.nx},), ({self.nu},), ({self.nx},)")
        self._obs.append(obs)
        self._act.append(action)
        self._next.append(next_obs)
        self._path.append(self._path_id)
        self._step.append(self._path_len)
        self._stamp.append(float(stamp))
        self._path_len += 1

    def break_path(self) -> None:
        """The next transition starts a new path (the state stream had a gap)."""
        if self._path_len:
            self._path_id += 1
            self._path_len = 0

    def dataset(self) -> TransitionDataset:
        n_paths = (self._path[-1] + 1) if self._path else 0
        return TransitionDataset(
            robot=self.robot,
            obs=np.array(self._obs).reshape(-1, self.nx),
            act=np.array(self._act).reshape(-1, self.nu),
            next_obs=np.array(self._next).reshape(-1, self.nx),
            path_id=np.array(self._path, dtype=np.int64),
            step=np.array(self._step, dtype=np.int64),
            tasks=[dict(self.task) for _ in range(n_paths)],
            timestamp=np.array(self._stamp, dtype=np.float64),
            meta={"source": "robot log"},
        )

    def save(self, path: str) -> None:
        """Write everything recorded so far to ``path`` (atomically; rewrites the whole file)."""
        self.dataset().save(path)
