"""Closed-loop checkpoint selection: of several trainings, keep the one whose controller does best.

A model's held-out loss does not predict how well the robot runs with it (docs/control_quality.md "Reproducibility"):
five meta-trainings of the shipped recipe on the *same* data, differing only in their seed, return
391 to 1,030 on the crippled half-cheetah's held-out legs. ``adaptive-control select`` runs every
candidate's controller (the experiment's planner and controller, as ``run`` builds them) on the same
validation episodes and keeps the candidate with the highest mean return.

What it can and cannot do (measured on those five, and five MB trainings likewise): the return on the
training range picked the best of the five GrBALs on the held-out legs, but the worst of the five
MBs. It chooses the best controller *on the validation tasks*; how that carries over to perturbations
the models never saw is not in its power to see.

Validation tasks come from the family's **training** range only (crippled half-cheetah actuators 0-3,
ant legs 0-2, ...; :func:`sim.tasks.make_distribution`), never from the held-out test range that
``demo`` and ``evaluate`` report: the choice must not see the test. Seeds 900-909 by default, disjoint
from the benchmark's episode seeds (100-139) and from the recipe's collection seeds.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil

import numpy as np

DEFAULT_SEEDS = tuple(range(900, 910))
"""Validation episode seeds (disjoint from the benchmark's 100-139)."""


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One candidate's validation episodes."""

    path: str
    returns: tuple[float, ...]

    @property
    def mean(self) -> float:
        return float(np.mean(self.returns))

    @property
    def stderr(self) -> float:
        r = np.asarray(self.returns)
        return float(r.std(ddof=1) / np.sqrt(len(r))) if len(r) > 1 else float("nan")


def check_candidates(paths, robot: str) -> str:
    """The checkpoint kind (``grbal``, ``mb``, ``rebal``) all ``paths`` share, after loading each for
    ``robot`` (a checkpoint for another robot or of another kind is refused before any episode runs)."""
    from models.checkpoint import CheckpointError, load_checkpoint
    from sim.robots import make_env

    if len(paths) < 1:
        raise CheckpointError("select needs at least one candidate checkpoint")
    env = make_env(robot)
    kinds = {}
    for path in paths:
        kinds[path] = load_checkpoint(path, robot=env.name, obs_size=env.obs_size, action_size=env.action_size).kind
    if len(set(kinds.values())) > 1:
        listing = ", ".join(f"{p} ({k})" for p, k in kinds.items())
        raise CheckpointError(f"candidates must be of one kind (the same method), got {listing}")
    return next(iter(kinds.values()))


def validation_tasks(robot: str, family: str):
    """The task sampler of the validation episodes: ``family``'s training range (``all``: the mixture of
    every family's training range), as the benchmark's suite defines them."""
    from sim.tasks import make_distribution, make_mixture

    return make_mixture(robot, "train") if family == "all" else make_distribution(robot, family, "train")


def validation_episode(path: str, kind: str, robot: str, config: str | None, family: str, seed: int,
                       steps: int) -> float:
    """The return of one validation episode of the checkpoint at ``path`` (one torch thread; what each
    worker of :func:`select` runs)."""
    from adaptive_control.build import experiment_config
    from adaptive_control.experiments.episode import run_one

    exp = experiment_config(robot, config)
    exp = dataclasses.replace(exp, controller=dataclasses.replace(exp.controller, threads=1))
    res = run_one(exp, kind, seed, steps, checkpoint=path, progress=False, tasks=validation_tasks(robot, family))
    return float(res.episode_return)


def check_inputs(paths, robot: str, family: str, seeds) -> str:
    """:func:`check_candidates` plus the family and seeds: the candidates' kind, or a clear error before any
    episode runs."""
    from adaptive_control.config import ConfigError
    from sim.tasks import families

    if family != "all" and family not in families(robot):
        raise ConfigError(f"unknown perturbation family {family!r} for {robot} (known: {', '.join(families(robot))}, all)")
    if not seeds:
        raise ConfigError("select needs at least one validation seed")
    return check_candidates(paths, robot)


def select(paths, robot: str, config: str | None = None, family: str = "crippled_leg", seeds=DEFAULT_SEEDS,
           steps: int = 1000, workers: int = 2, progress=None) -> tuple[Candidate, list[Candidate]]:
    """Run every candidate checkpoint on the validation episodes; returns (the best, all of them).

    Every candidate plays the same tasks from the same seeds. Ties go to the earlier candidate (list the
    recipe's own draw first). ``progress()`` is called after each finished episode.
    """
    import multiprocessing

    kind = check_inputs(paths, robot, family, seeds)
    jobs = [(p, kind, robot, config, family, int(s), int(steps)) for p in paths for s in seeds]
    returns = []
    if workers <= 1:  # in this process: no worker to start (a few seconds of imports), the same returns
        import torch

        threads = torch.get_num_threads()
        try:
            for job in jobs:
                returns.append(validation_episode(*job))
                if progress:
                    progress()
        finally:
            torch.set_num_threads(threads)  # each episode runs on one thread; the caller's setting is kept
    else:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(min(workers, len(jobs))) as pool:
            pending = [pool.apply_async(validation_episode, job) for job in jobs]
            for job in pending:
                returns.append(job.get())
                if progress:
                    progress()
    n = len(seeds)
    candidates = [Candidate(p, tuple(returns[i * n:(i + 1) * n])) for i, p in enumerate(paths)]
    # max keeps the first of equal means; a candidate whose robot blew up (non-finite return) ranks last
    best = max(candidates, key=lambda c: c.mean if np.isfinite(c.mean) else -np.inf)
    return best, candidates


def write_selection(best: Candidate, candidates: list[Candidate], out: str, report: str | None, *,
                    robot: str, family: str, seeds, steps: int) -> None:
    """Copy the chosen checkpoint to ``out`` (atomically; ``out`` may be one of the candidates) and write
    the validation returns of all candidates to ``report`` (JSON)."""
    from models.dataset import atomic_write

    if os.path.abspath(best.path) != os.path.abspath(out):
        def copy(fh):
            with open(best.path, "rb") as src:
                shutil.copyfileobj(src, fh)

        atomic_write(out, copy)
    if report:
        doc = {"robot": robot, "family": family, "split": "train", "seeds": list(seeds), "steps": steps,
               "chosen": best.path, "out": out,
               "candidates": [{"path": c.path, "returns": list(c.returns), "mean": c.mean, "stderr": c.stderr}
                              for c in candidates]}
        atomic_write(report, lambda fh: fh.write(json.dumps(doc, indent=2).encode()))


def table(best: Candidate, candidates: list[Candidate]) -> str:
    """The candidates' validation returns as a plain-text table, the chosen one marked."""
    width = max(len(c.path) for c in candidates)
    lines = [f"{'candidate':{width}s}  validation return (mean ± s.e.)"]
    for c in candidates:
        mark = "  <- chosen" if c is best else ""
        lines.append(f"{c.path:{width}s}  {c.mean:9.1f} ± {c.stderr:6.1f}{mark}")
    return "\n".join(lines)
