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


def path_family(collect_seed: int, path: int, families: int) -> int:
    """Stratified sampling (``collect.stratify``): the family index of path ``path``.

    Paths are taken in runs of ``families``; each run holds every family once, in an order seeded from
    the collection seed and the run's index alone (so, like :func:`path_seed`, independent of which
    worker collects which path)."""
    run, slot = divmod(path, families)
    order = np.random.default_rng(np.random.SeedSequence([collect_seed, run, 0x57A7])).permutation(families)
    return int(order[slot])


def sample_path_task(tasks, cfg: CollectConfig, path: int, rng: np.random.Generator):
    """The task of path ``path``: drawn from ``tasks`` with the path's ``rng``, its family fixed by
    :func:`path_family` when ``cfg.stratify``. Raises ``ValueError`` when stratifying a distribution that is
    not a mixture of families."""
    if not cfg.stratify:
        return tasks.sample(rng)
    families = getattr(tasks, "families", None)
    if families is None:
        raise ValueError("collect.stratify needs the whole perturbation suite (task.perturbation: all); "
                         f"this collection samples one family ({type(tasks).__name__})")
    return tasks.sample(rng, family=path_family(cfg.seed, path, len(families)))


class Branching:
    """Wrap a policy; at branch points roll counterfactual action sequences out from the simulator's
    full state (the episode itself is untouched) and keep them as paths (``CollectConfig.branches``).

    Each branch path (``branch_prefix + branch_length`` transitions): the real transitions of the last
    ``branch_prefix`` ticks, then ``branch_length`` ticks of actions drawn around the last executed one
    (``branch_noise``, each held ``branch_hold`` ticks, clipped to the bounds) through the physics
    (:class:`sim.true_dynamics.SimulatorDynamics`, the same physics as ``env.step``).
    """

    def __init__(self, policy, env, cfg: CollectConfig, rng: np.random.Generator):
        from sim.true_dynamics import SimulatorDynamics

        self.policy, self.env, self.cfg, self.rng = policy, env, cfg, rng
        self._act = policy.step if hasattr(policy, "step") else policy
        self.sim = SimulatorDynamics(env, nthread=1)
        self.paths: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._obs: list[np.ndarray] = []
        self._acts: list[np.ndarray] = []

    @property
    def stats(self):
        return getattr(self.policy, "stats", None)

    def reset(self) -> None:
        reset = getattr(self.policy, "reset", None)
        if reset is not None:
            reset()
        self._obs, self._acts = [], []

    def step(self, obs) -> np.ndarray:
        c = self.cfg
        t = len(self._acts)
        if t >= c.branch_prefix and (t - c.branch_prefix) % c.branch_every == 0:
            self._branch(np.asarray(obs, dtype=np.float64))
        action = np.asarray(self._act(obs), dtype=np.float64)
        self._obs.append(np.asarray(obs, dtype=np.float64))
        self._acts.append(action)
        return action

    def _branch(self, obs: np.ndarray) -> None:
        c, env = self.cfg, self.env
        p = c.branch_prefix
        pre_o = np.array(self._obs[-p:])
        pre_a = np.array(self._acts[-p:])
        pre_n = np.concatenate([pre_o[1:], obs[None]])
        b, nu = c.branches, env.action_size
        holds = -(-c.branch_length // c.branch_hold)
        u = self._acts[-1] + c.branch_noise * self.rng.standard_normal((b, holds, nu))
        u = np.clip(u, env.action_low, env.action_high)
        acts = np.repeat(u, c.branch_hold, axis=1)[:, :c.branch_length]  # (branches, length, nu)
        state = np.repeat(self.sim.state()[None], b, 0)
        o = np.empty((b, c.branch_length + 1, len(obs)))
        o[:, 0] = obs
        for k in range(c.branch_length):
            state = self.sim.step(state, acts[:, k])
            o[:, k + 1] = self.sim.observe(state)
        for i in range(b):
            self.paths.append((np.concatenate([pre_o, o[i, :-1]]), np.concatenate([pre_a, acts[i]]),
                               np.concatenate([pre_n, o[i, 1:]])))

    def close(self) -> None:
        self.sim.close()
        close = getattr(self.policy, "close", None)
        if close is not None:
            close()


def collect(env, tasks, cfg: CollectConfig, policy_factory: Callable | None = None,
            progress: Callable[[], None] | None = None, paths: Sequence[int] | None = None,
            with_branches: bool = False, provenance: dict | None = None):
    """Collect ``cfg.paths`` trajectories of ``cfg.path_length`` steps, each on a freshly sampled task.

    Args:
        env: a ``sim`` environment.
        tasks: a ``sim.perturbations.TaskDistribution``.
        policy_factory: ``factory(rng) -> policy`` for MPC collection; ``None``: random actions.
        progress: called once per step.
        paths: the path indices to collect (default: all ``cfg.paths``); the dataset's ``path_id``
            are then positions in this list (``tasks[i]`` is path ``paths[i]``'s task).
        with_branches: also return the counterfactual branches (``cfg.branches`` per branch point,
            :class:`Branching`): ``(data, branches)``; ``branches.meta["source_paths"]`` names each
            branch path's collection path index.
        provenance: more entries for the dataset's ``meta`` (MPC collection: the method, checkpoint and
            planner that drove the robot).

    Returns:
        the dataset (and, ``with_branches``, the branches' dataset, ``None`` when ``cfg.branches`` is 0).
    """
    obs, act, nxt, pid, step, task_params = [], [], [], [], [], []
    branch_parts, sources = [], []
    for i, p in enumerate(range(cfg.paths) if paths is None else paths):
        rng = np.random.default_rng(path_seed(cfg.seed, p))
        task = sample_path_task(tasks, cfg, p, rng)
        if policy_factory is None:
            policy = RandomPolicy(env.action_size, env.action_low, env.action_high, cfg.action_smoothing, rng)
        else:
            policy = policy_factory(rng)
        if cfg.branches:  # its own stream: the episode is the same with and without branches
            policy = Branching(policy, env, cfg, np.random.default_rng(path_seed(cfg.seed, p).spawn(1)[0]))
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
        if cfg.branches:
            branch_parts += [(bo, ba, bn, res.task) for bo, ba, bn in policy.paths]
            sources += [p] * len(policy.paths)
    meta = {"source": "sim", "policy": cfg.policy, "seed": cfg.seed, "paths": cfg.paths,
            "path_length": cfg.path_length, **(provenance or {})}
    data = TransitionDataset(
        robot=env.name, obs=np.concatenate(obs), act=np.concatenate(act), next_obs=np.concatenate(nxt),
        path_id=np.concatenate(pid), step=np.concatenate(step), tasks=task_params, meta=meta)
    if not with_branches:
        return data
    if not branch_parts:
        return data, None
    branches = TransitionDataset(
        robot=env.name, obs=np.concatenate([b[0] for b in branch_parts]),
        act=np.concatenate([b[1] for b in branch_parts]), next_obs=np.concatenate([b[2] for b in branch_parts]),
        path_id=np.concatenate([np.full(len(b[0]), j) for j, b in enumerate(branch_parts)]),
        step=np.concatenate([np.arange(len(b[0])) for b in branch_parts]), tasks=[b[3] for b in branch_parts],
        meta={**meta, "branches": {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)
                                     if f.name.startswith("branch")}, "source_paths": sources})
    return data, branches



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


def collect_paths(job: CollectJob, paths: Sequence[int], progress: Callable[[], None] | None = None):
    """Collect ``paths`` (indices into the collection) of ``job`` in this process: ``(data, branches)``
    (``branches`` is ``None`` without ``job.collect.branches``)."""
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

    provenance = {} if c.policy != "mpc" else {
        "method": job.method, "checkpoint": None if job.method == TRUE_DYNAMICS else (job.checkpoint or "shipped"),
        "planner": {"type": cfg.planner.type, "samples": cfg.planner.samples, "horizon": cfg.planner.horizon,
                    "step_ticks": cfg.planner.step_ticks}}
    return collect(env, tasks, c, factory, progress=progress, paths=paths, with_branches=True, provenance=provenance)


def _worker(job: CollectJob, paths: list[int], shard: str, ticks) -> str:
    """A worker process: collect ``paths``, write them to ``shard`` (and the branches to
    ``shard.branches.npz``); count steps in ``ticks`` (shared)."""
    done = [0]

    def tick():
        done[0] += 1
        if done[0] % 50 == 0:
            with ticks.get_lock():
                ticks.value += 50

    data, branches = collect_paths(job, paths, progress=tick)
    data.save(shard)
    if branches is not None:
        branches.save(branch_file(shard))
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


def branch_file(path: str) -> str:
    """Where the counterfactual branches of dataset ``path`` go: ``data.npz`` -> ``data.branches.npz``."""
    root, ext = os.path.splitext(path)
    return root + ".branches" + (ext or ".npz")


def collect_parallel(job: CollectJob, out: str, workers: int = 1, progress: bool = True) -> TransitionDataset:
    """Collect ``job`` with ``workers`` processes, write the merged dataset to ``out`` (atomically) and
    return it as written.

    Path p goes to worker ``p % workers``; each worker writes its shard to a temporary folder beside
    ``out`` (removed afterwards, also on failure), and the shards are merged in path order. Every
    path is seeded from the collection seed and its index alone, so the dataset is the same for
    every ``workers``. One worker collects in this process. With ``job.collect.branches`` the
    counterfactual branches go to their own dataset beside ``out`` (:func:`branch_file`,
    ``data.branches.npz``), in the order of their source paths, also the same for every ``workers``.
    """
    from tqdm import tqdm

    c = job.collect
    bar = tqdm(total=c.paths * c.path_length, desc=f"collect {c.policy}" + (f" ({workers} workers)" if workers > 1 else ""),
               unit="step", dynamic_ncols=True, disable=None if progress else True)
    try:
        if workers <= 1:
            data, branches = collect_paths(job, range(c.paths), progress=bar.update)
        else:
            data, branches = _run_workers(job, out, workers, bar)
    finally:
        bar.close()
    if branches is not None:
        branches.save(branch_file(out))
    data.save(out)
    return TransitionDataset.load(out)  # as written (float32), whatever the number of workers


def _run_workers(job: CollectJob, out: str, workers: int, bar):
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
        data = merge_shards([(paths, TransitionDataset.load(s)) for paths, s in zip(assignment, shards)], c.paths)
        if not c.branches:
            return data, None
        parts = [TransitionDataset.load(branch_file(s)) for s in shards if os.path.exists(branch_file(s))]
        return data, _merge_branches(parts)
    finally:
        shutil.rmtree(shard_dir, ignore_errors=True)


def _merge_branches(parts: list[TransitionDataset]) -> TransitionDataset | None:
    """The workers' branch datasets as one, ordered by source path (each source's branches keep their order)."""
    if not parts:
        return None
    keys = sorted((src, j, k) for k, d in enumerate(parts) for j, src in enumerate(d.meta["source_paths"]))
    rank = {(k, j): r for r, (_, j, k) in enumerate(keys)}
    merged = merge_shards([([rank[(k, j)] for j in range(d.num_paths)], d) for k, d in enumerate(parts)], len(keys))
    merged.meta = {**merged.meta, "source_paths": [src for src, _, _ in keys]}
    return merged


_TICKS = None


def _init_worker(ticks, threads: int) -> None:
    global _TICKS
    _TICKS = ticks
    import torch

    torch.set_num_threads(threads)


def _worker_entry(job: CollectJob, paths: list[int], shard: str) -> str:
    return _worker(job, paths, shard, _TICKS)
