"""The adaptation benchmark: robot x perturbation family x method x seed, plus mid-episode switches.

``adaptive-control evaluate --config FILE --out DIR`` runs every cell of the matrix once, in
worker processes, and appends one record per finished episode to ``DIR/results.jsonl`` as soon
as it ends, so an interrupted run resumes where it stopped (finished cells are never rerun).
From the records it writes ``DIR/results.json``, ``DIR/results.md`` (mean ± standard error per
cell) and plots (:mod:`adaptive_control.experiments.report`).
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field

import numpy as np

from adaptive_control.config import ConfigError, ExperimentConfig, _build
from adaptive_control.experiments.report import cell_id, read_records, write_reports

# ---------------------------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True)
class SwitchConfig:
    """Mid-episode switches: the perturbation starts at ``at_step`` of an unperturbed start."""

    families: tuple[str, ...] = ("crippled_leg",)
    """Families switched on mid-episode (each its own cell, with a matching unperturbed run)."""
    at_step: int = 300
    """Control step at which the perturbation starts."""


@dataclass(frozen=True)
class TestTaskMBConfig:
    """The test-task model (``test_task_mb``): an MB model trained on data collected on the test task itself."""

    paths: int = 20
    """Random-action trajectories collected on the test task."""
    path_length: int = 200
    """Steps per trajectory."""
    steps: int = 1500
    """Training steps (per round)."""
    mpc_paths: int = 0
    """Then one round of data aggregation: this many trajectories driven by the model's own MPC
    controller on the test task, and retraining on everything (0: random data only)."""
    warm_start: bool = False
    """Start training from the evaluated MB checkpoint's weights (the suite's model) instead of a
    random initialisation: the model then knows everything MB knows plus the test task's data."""


@dataclass(frozen=True)
class EvalConfig:
    """One evaluation matrix."""

    robots: tuple[str, ...] = ("half_cheetah",)
    """Robots (each needs checkpoints: ``checkpoints`` or the shipped ones)."""
    families: tuple[str, ...] = ("none", "crippled_leg")
    """Perturbation families, sampled from their held-out test ranges (a family a robot does not have,
    e.g. the ant's ``pier``, is skipped for that robot)."""
    methods: tuple[str, ...] = ("grbal", "mb", "mb_de", "rebal", "test_task_mb", "true_dynamics")
    """Online methods (``test_task_mb`` trains one MB model per test task, cached in ``DIR/test_task_mb``),
    and ``true_dynamics``: the same planner with the perturbed simulator as its model, the reference
    every other method's return is also reported as a fraction of."""
    seeds: tuple[int, ...] = (100, 101, 102, 103, 104)
    """Episode seeds (task, initial state); disjoint from the collection seeds."""
    reference_seeds: tuple[int, ...] | None = None
    """Seeds of the ``true_dynamics`` reference when fewer than ``seeds`` (it plans through the simulator,
    10-100x the time of a learned method's episode); ``None``: all of ``seeds``."""
    steps: int = 1000
    """Control steps per episode."""
    split: str = "test"
    """Which range tasks come from: ``test`` (held out) or ``train``."""
    workers: int = 2
    """Worker processes (each runs torch with one thread)."""
    switch: SwitchConfig = field(default_factory=SwitchConfig)
    test_task_mb: TestTaskMBConfig = field(default_factory=TestTaskMBConfig)
    checkpoint_dir: str | None = None
    """Folder with ``<robot>/<kind>.pt`` checkpoints, relative to this file; ``None``: the shipped ones."""
    experiment: str | None = None
    """Experiment YAML (planner, controller settings) relative to this file; ``None``: each robot's shipped one."""

    def validate(self) -> None:
        from adaptive_control.config import METHODS

        for m in self.methods:
            if m not in (*METHODS, "test_task_mb", "true_dynamics"):
                raise ConfigError(f"methods: unknown method {m!r}")
        if self.split not in ("train", "test"):
            raise ConfigError(f"split: must be 'train' or 'test', got {self.split!r}")
        if self.steps <= 0 or self.workers <= 0 or not self.seeds:
            raise ConfigError("steps and workers must be positive and seeds non-empty")
        if self.reference_seeds is not None and not set(self.reference_seeds) <= set(self.seeds):
            raise ConfigError(f"reference_seeds: {list(self.reference_seeds)} must be among seeds {list(self.seeds)}")
        from sim.tasks import FAMILIES, families

        known = set().union(*FAMILIES.values(), *(families(r) for r in self.robots))
        for f in (*self.families, *self.switch.families):
            if f not in known:
                raise ConfigError(f"families: unknown perturbation family {f!r} (known: {', '.join(sorted(known))})")
        if "pier" in self.switch.families:
            raise ConfigError("switch.families: 'pier' replaces the floor and cannot be switched on mid-episode")
        if not 0 < self.switch.at_step < self.steps:
            raise ConfigError(f"switch.at_step must be inside the episode (0, {self.steps})")


def load_eval_config(path: str) -> EvalConfig:
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    cfg = _build(EvalConfig, data, path, prefix="")
    try:
        cfg.validate()
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    here = os.path.dirname(os.path.abspath(path))
    if cfg.experiment is not None and not os.path.isabs(cfg.experiment):
        cfg = dataclasses.replace(cfg, experiment=os.path.join(here, cfg.experiment))
    if cfg.checkpoint_dir is not None and not os.path.isabs(cfg.checkpoint_dir):
        cfg = dataclasses.replace(cfg, checkpoint_dir=os.path.join(here, cfg.checkpoint_dir))
    return cfg


# ---------------------------------------------------------------------------------------------
# Cells


def cells(cfg: EvalConfig) -> list[dict]:
    """Every episode of the matrix, as plain records with a stable ``id``."""
    from sim.tasks import families

    out = []
    for robot in cfg.robots:
        for seed in cfg.seeds:
            for method in cfg.methods:
                if method == "true_dynamics" and cfg.reference_seeds is not None and seed not in cfg.reference_seeds:
                    continue
                for family in (f for f in cfg.families if f in families(robot)):
                    out.append({"robot": robot, "family": family, "method": method, "seed": seed, "switch_at": None})
                for family in cfg.switch.families:
                    out.append({"robot": robot, "family": family, "method": method, "seed": seed,
                                "switch_at": cfg.switch.at_step})
                if cfg.switch.families and "none" not in cfg.families:  # the unperturbed reference run
                    out.append({"robot": robot, "family": "none", "method": method, "seed": seed, "switch_at": None})
    for c in out:
        c["id"] = cell_id(c)
    return out


def sample_task(robot: str, family: str, split: str, seed: int):
    from sim.tasks import make_distribution

    return make_distribution(robot, family, split).sample(np.random.default_rng(seed))


# ---------------------------------------------------------------------------------------------
# One episode (runs in a worker process)


def run_cell(cell: dict, cfg: EvalConfig, out_dir: str) -> dict:
    import torch

    from adaptive_control.build import (CHECKPOINT_KIND, build_controller, default_checkpoint, experiment_config,
                                        load_for_method)
    from robot_bridge.mujoco_backend import run_episode
    from sim.robots import make_env, robot_name

    torch.set_num_threads(1)
    robot, method, seed = cell["robot"], cell["method"], cell["seed"]
    exp = experiment_config(robot, cfg.experiment)
    ctrl_cfg = dataclasses.replace(exp.controller, method=method if method in CHECKPOINT_KIND else "mb", threads=1)
    task = sample_task(robot, cell["family"], cfg.split, seed)
    def checkpoint_of(kind: str) -> str:
        if not cfg.checkpoint_dir:
            return default_checkpoint(robot, kind)
        return os.path.join(cfg.checkpoint_dir, robot_name(robot), f"{kind}.pt")

    env = make_env(robot)
    if method == "true_dynamics":
        from adaptive_control.reference import build_reference

        ctrl = build_reference(env, robot, exp.planner, ctrl_cfg)
    else:
        if method == "test_task_mb":
            ckpt = load_for_method("mb", robot, test_task_checkpoint(robot, task, cfg, exp, out_dir, checkpoint_of("mb")))
        else:
            ckpt = load_for_method(method, robot, checkpoint_of(_kind(method)))
        ctrl = build_controller(ckpt, robot, exp.planner, ctrl_cfg)
    try:
        if cell["switch_at"] is None:
            res = run_episode(env, ctrl, cfg.steps, seed=seed, task=task)
        else:  # unperturbed start (the same initial state as the reference run), then the switch
            nominal = sample_task(robot, "none", cfg.split, seed)
            res = run_episode(env, ctrl, cfg.steps, seed=seed, task=nominal, switch=(cell["switch_at"], task))
    finally:
        ctrl.close()
    return {**cell, "perturbation": task.params(), "return": res.episode_return, "steps": res.steps,
            "latency": res.latency, "forward_velocity": np.round(res.forward_velocity, 4).tolist(),
            "dt": env.control_dt}


def _kind(method: str) -> str:
    from adaptive_control.build import CHECKPOINT_KIND

    return CHECKPOINT_KIND[method]


def test_task_checkpoint(robot: str, task, cfg: EvalConfig, exp: ExperimentConfig, out_dir: str, mb_path: str) -> str:
    """An MB model trained on the test task's own data, cached by task (``DIR/test_task_mb/...``)."""
    import hashlib

    from adaptive_control.build import build_controller, load_for_method
    from adaptive_control.collect import collect
    from adaptive_control.config import CollectConfig
    from adaptive_control.training import train_checkpoint
    from models.dataset import TransitionDataset
    from sim.robots import make_env

    o = cfg.test_task_mb
    init = mb_path if o.warm_start else None
    # the cache key covers the task and how the model is made (changed settings retrain)
    recipe = {"task": task.params(), "test_task_mb": dataclasses.asdict(o), "init": init}
    key = hashlib.sha1(json.dumps(recipe, sort_keys=True, default=str).encode()).hexdigest()[:12]
    path = os.path.join(out_dir, "test_task_mb", f"{robot}_{key}.pt")
    if os.path.exists(path):
        return path

    class OneTask:
        def sample(self, rng):
            return task

    env = make_env(robot)
    exp = dataclasses.replace(exp, train=dataclasses.replace(exp.train, method="mb", steps=o.steps))
    data = collect(env, OneTask(), CollectConfig(paths=o.paths, path_length=o.path_length, action_smoothing=0.5,
                                                 seed=1))
    train_checkpoint(exp, data, path, show_progress=False, init=init)
    if o.mpc_paths > 0:  # one round of data aggregation with the model's own controller
        ckpt = load_for_method("mb", robot, path)
        ctrl_cfg = dataclasses.replace(exp.controller, method="mb", threads=1)

        def factory(rng):
            return build_controller(ckpt, robot, dataclasses.replace(exp.planner, seed=int(rng.integers(2**31))),
                                    ctrl_cfg)

        on_policy = collect(env, OneTask(), CollectConfig(paths=o.mpc_paths, path_length=o.path_length,
                                                          policy="mpc", seed=2), factory)
        train_checkpoint(exp, TransitionDataset.concat([data, on_policy]), path, show_progress=False, init=init)
    return path


# ---------------------------------------------------------------------------------------------
# The matrix


def evaluate(cfg: EvalConfig, out_dir: str, progress=None) -> list[dict]:
    """Run every unfinished cell (in ``cfg.workers`` processes) and write the reports. Returns all records."""
    import multiprocessing

    os.makedirs(out_dir, exist_ok=True)
    log = os.path.join(out_dir, "results.jsonl")
    done = {r["id"]: r for r in read_records(log)}
    todo = [c for c in cells(cfg) if c["id"] not in done]
    # test_task_mb cells train (and cache) a model per task: run them after the others so a crash in
    # one does not hold back the cheap cells
    todo.sort(key=lambda c: c["method"] == "test_task_mb")
    if todo:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(min(cfg.workers, len(todo))) as pool, open(log, "a", encoding="utf-8") as fh:
            jobs = [pool.apply_async(run_cell, (c, cfg, out_dir)) for c in todo]
            for job in jobs:
                rec = job.get()
                fh.write(json.dumps(rec) + "\n")
                fh.flush()
                done[rec["id"]] = rec
                if progress:
                    progress(rec)
    records = [done[c["id"]] for c in cells(cfg) if c["id"] in done]
    write_reports(records, out_dir)
    return records
