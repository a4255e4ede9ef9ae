"""Data collection: drive sampled tasks in simulation with random or MPC actions; write a dataset.

Path ``p`` of a collection is seeded from the collection seed and ``p`` alone (:func:`path_seed`), so
paths can be collected in any order, by any number of worker processes
(:func:`collect_parallel`), and the merged dataset is the same.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Callable, Sequence

import numpy as np

from adaptive_control.config import CollectConfig, ExperimentConfig
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
            progress: Callable[[], None] | None = None, paths: Sequence[int] | None = None) -> TransitionDataset:
    """Collect ``cfg.paths`` trajectories of ``cfg.path_length`` steps, each on a freshly sampled task.

    Args:
        env: a ``sim`` environment.
        tasks: a ``sim.perturbations.TaskDistribution``.
        policy_factory: ``factory(rng) -> policy`` for MPC collection; ``None``: random actions.
        progress: called once per step.
        paths: the path indices to collect (default: all ``cfg.paths``); the dataset's ``path_id``
            are then positions in this list (``tasks[i]`` is path ``paths[i]``'s task).
    """
    obs, act, nxt, pid, step, task_params = [], [], [], [], [], []
    for i, p in enumerate(range(cfg.paths) if paths is None else paths):
        rng = np.random.default_rng(path_seed(cfg.seed, p))
        task = tasks.sample(rng)
        if policy_factory is None:
            policy = RandomPolicy(env.action_size, env.action_low, env.action_high, cfg.action_smoothing, rng)
        else:
            policy = policy_factory(rng)
        try:
            res = run_episode(env, policy, cfg.path_length, seed=int(rng.integers(2**31)), task=task, record=True,
                              progress=progress)
        finally:
            close = getattr(policy, "close", None)
            if close is not None:  # an MPC controller's threads (compute thread, the reference's rollout pool)
                close()
        o, a, n = res.transitions
        obs.append(o), act.append(a), nxt.append(n)
        pid.append(np.full(len(o), i)), step.append(np.arange(len(o)))
        task_params.append(res.task)
    return TransitionDataset(
        robot=env.name, obs=np.concatenate(obs), act=np.concatenate(act), next_obs=np.concatenate(nxt),
        path_id=np.concatenate(pid), step=np.concatenate(step), tasks=task_params,
        meta={"source": "sim", "policy": cfg.policy, "seed": cfg.seed, "paths": cfg.paths,
              "path_length": cfg.path_length},
    )


@dataclasses.dataclass(frozen=True)
class CollectJob:
    """Everything a (worker) process needs to collect paths of one collection (picklable)."""

    cfg: ExperimentConfig
    """The experiment: robot, task distribution, planner and controller of MPC collection."""
    collect: CollectConfig
    """Paths, path length, policy and seed of the collection."""
    perturbation: str | None = None
    """Perturbation family overriding ``cfg.task.perturbation``."""
    method: str = "grbal"
    """Controller of ``policy: mpc``: a learned method, or ``true_dynamics`` (the planner with the simulator
    itself as its model: offline, in simulation, it drives the robot where a good controller goes, e.g.
    a running gait, that random actions and a poor model's MPC never reach)."""
    checkpoint: str | None = None
    """Its checkpoint (default: the shipped one)."""
    threads: int | None = None
    """Torch threads of each MPC controller (default: ``cfg.controller.threads``). The dataset does
    not depend on the number of workers, but float results may depend on the thread count."""


def collect_paths(job: CollectJob, paths: Sequence[int], progress: Callable[[], None] | None = None) -> TransitionDataset:
    """Collect ``paths`` (indices into the collection) of ``job`` in this process."""
    from adaptive_control.build import build_controller, load_for_method, task_distribution
    from adaptive_control.reference import TRUE_DYNAMICS, build_reference
    from sim.robots import make_env

    cfg, c = job.cfg, job.collect
    env = make_env(cfg.robot.name)
    tasks = task_distribution(cfg.robot.name, cfg.task, job.perturbation)
    factory = None
    if c.policy == "mpc" and job.method == TRUE_DYNAMICS:
        ctrl_cfg = dataclasses.replace(cfg.controller, **({"threads": job.threads} if job.threads else {}))

        def factory(rng):
            planner = dataclasses.replace(cfg.planner, seed=int(rng.integers(2**31)))
            return build_reference(env, cfg.robot.name, planner, ctrl_cfg)
    elif c.policy == "mpc":
        ckpt = load_for_method(job.method, cfg.robot.name, job.checkpoint, device=cfg.controller.device)
        ctrl_cfg = dataclasses.replace(cfg.controller, method=job.method,
                                       **({"threads": job.threads} if job.threads else {}))
        ctrl_cfg.validate()

        def factory(rng):
            planner = dataclasses.replace(cfg.planner, seed=int(rng.integers(2**31)))
            return build_controller(ckpt, cfg.robot.name, planner, ctrl_cfg)

    return collect(env, tasks, c, factory, progress=progress, paths=paths)


def _worker(job: CollectJob, paths: list[int], shard: str, ticks) -> str:
    """A worker process: collect ``paths``, write them to ``shard``; count steps in ``ticks`` (shared)."""
    done = [0]

    def tick():
        done[0] += 1
        if done[0] % 50 == 0:
            with ticks.get_lock():
                ticks.value += 50

    collect_paths(job, paths, progress=tick).save(shard)
    with ticks.get_lock():
        ticks.value += done[0] % 50
    return shard


def merge_shards(parts: list[tuple[list[int], TransitionDataset]], total: int) -> TransitionDataset:
    """One dataset in path order from shards ``(paths, dataset)`` that together hold paths 0 .. total-1."""
    order = sorted((p, k, i) for k, (paths, _) in enumerate(parts) for i, p in enumerate(paths))
    if [p for p, _, _ in order] != list(range(total)):
        raise ValueError("shards do not hold every path exactly once")
    rows, tasks = [], []
    for p, k, i in order:
        d = parts[k][1]
        rows.append((k, np.flatnonzero(d.path_id == i), p))
        tasks.append(d.tasks[i])
    cat = lambda name: np.concatenate([getattr(parts[k][1], name)[r] for k, r, _ in rows])  # noqa: E731
    first = parts[0][1]
    return TransitionDataset(robot=first.robot, obs=cat("obs"), act=cat("act"), next_obs=cat("next_obs"),
                             path_id=np.concatenate([np.full(len(r), p) for _, r, p in rows]), step=cat("step"),
                             tasks=tasks, meta=first.meta)


def collect_parallel(job: CollectJob, out: str, workers: int = 1, progress: bool = True) -> TransitionDataset:
    """Collect ``job`` with ``workers`` processes, write the merged dataset to ``out`` (atomically) and
    return it as written.

    Path p goes to worker ``p % workers``; each worker writes its shard to a temporary folder beside
    ``out`` (removed afterwards, also on failure), and the shards are merged in path order. Every
    path is seeded from the collection seed and its index alone, so the dataset is the same for
    every ``workers``. One worker collects in this process.
    """
    from tqdm import tqdm

    c = job.collect
    bar = tqdm(total=c.paths * c.path_length, desc=f"collect {c.policy}" + (f" ({workers} workers)" if workers > 1 else ""),
               unit="step", dynamic_ncols=True, disable=None if progress else True)
    try:
        if workers <= 1:
            data = collect_paths(job, range(c.paths), progress=bar.update)
        else:
            data = _run_workers(job, out, workers, bar)
    finally:
        bar.close()
    data.save(out)
    return TransitionDataset.load(out)  # as written (float32), whatever the number of workers


def _run_workers(job: CollectJob, out: str, workers: int, bar) -> TransitionDataset:
    import time

    c = job.collect
    ctx = get_context("spawn")  # no forked torch/OpenMP/MuJoCo state in the workers
    ticks = ctx.Value("q", 0)
    shard_dir = tempfile.mkdtemp(prefix=".shards-", dir=os.path.dirname(os.path.abspath(out)))
    try:
        assignment = [list(range(w, c.paths, workers)) for w in range(workers)]
        assignment = [a for a in assignment if a]
        with ProcessPoolExecutor(len(assignment), mp_context=ctx, initializer=_init_worker,
                                 initargs=(ticks, job.threads or job.cfg.controller.threads)) as pool:
            futures = [pool.submit(_worker_entry, job, paths, os.path.join(shard_dir, f"shard{w}.npz"))
                       for w, paths in enumerate(assignment)]
            while not all(f.done() for f in futures):
                time.sleep(0.2)
                bar.update(ticks.value - bar.n)
            shards = [f.result() for f in futures]  # re-raises a worker's error here
        bar.update(ticks.value - bar.n)
        return merge_shards([(paths, TransitionDataset.load(s)) for paths, s in zip(assignment, shards)], c.paths)
    finally:
        shutil.rmtree(shard_dir, ignore_errors=True)


_TICKS = None


def _init_worker(ticks, threads: int) -> None:
    global _TICKS
    _TICKS = ticks
    import torch

    torch.set_num_threads(threads)


def _worker_entry(job: CollectJob, paths: list[int], shard: str) -> str:
    return _worker(job, paths, shard, _TICKS)
