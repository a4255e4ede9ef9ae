"""Data collection: drive sampled tasks in simulation with random or MPC actions; write a dataset."""
from __future__ import annotations

from typing import Callable

import numpy as np

from adaptive_control.config import CollectConfig
from robot_bridge.mujoco_backend import run_episode
from models.dataset import TransitionDataset


class RandomPolicy:
    """Uniform random actions in bounds, optionally low-pass filtered (seeded, owns its generator)."""

    def __init__(self, nu: int, low: float, high: float, smoothing: float, rng: np.random.Generator):
        self.nu, self.low, self.high, self.smoothing, self.rng = nu, low, high, smoothing, rng
        self.prev = None

    def reset(self) -> None:
        self.prev = None

    def __call__(self, obs) -> np.ndarray:
        u = self.rng.uniform(self.low, self.high, self.nu)
        if self.prev is not None and self.smoothing > 0:
            u = self.smoothing * self.prev + (1 - self.smoothing) * u
        self.prev = u
        return u


def path_seed(collect_seed: int, path: int) -> np.random.SeedSequence:
    """Seed of one collected path: independent of every evaluation seed (which are plain ints)."""
    return np.random.SeedSequence([collect_seed, path, 0xC011EC7])


def collect(env, tasks, cfg: CollectConfig, policy_factory: Callable | None = None,
            progress: Callable[[], None] | None = None) -> TransitionDataset:
    """Collect ``cfg.paths`` trajectories of ``cfg.path_length`` steps, each on a freshly sampled task.

    Args:
        env: a ``sim`` environment.
        tasks: a ``sim.perturbations.TaskDistribution``.
        policy_factory: ``factory(rng) -> policy`` for MPC collection; ``None``: random actions.
        progress: called once per step.
    """
    obs, act, nxt, pid, step, task_params = [], [], [], [], [], []
    for p in range(cfg.paths):
        rng = np.random.default_rng(path_seed(cfg.seed, p))
        task = tasks.sample(rng)
        if policy_factory is None:
            policy = RandomPolicy(env.action_size, env.action_low, env.action_high, cfg.action_smoothing, rng)
        else:
            policy = policy_factory(rng)
        res = run_episode(env, policy, cfg.path_length, seed=int(rng.integers(2**31)), task=task, record=True,
                          progress=progress)
        o, a, n = res.transitions
        obs.append(o), act.append(a), nxt.append(n)
        pid.append(np.full(len(o), p)), step.append(np.arange(len(o)))
        task_params.append(res.task)
    return TransitionDataset(
        robot=env.name, obs=np.concatenate(obs), act=np.concatenate(act), next_obs=np.concatenate(nxt),
        path_id=np.concatenate(pid), step=np.concatenate(step), tasks=task_params,
        meta={"source": "sim", "policy": cfg.policy, "seed": cfg.seed, "paths": cfg.paths,
              "path_length": cfg.path_length},
    )
