"""The adaptation benchmark: robot x perturbation family x method x seed, plus mid-episode switches.

``adaptive-control evaluate --config FILE --out DIR`` runs every cell of the matrix once, in
worker processes, and appends one record per finished episode to ``DIR/results.jsonl`` as soon
as it ends, so an interrupted run resumes where it stopped (finished cells are never rerun).
From the records it writes ``DIR/results.json``, ``DIR/results.md`` (mean ± standard error per
cell) and plots.

Recovery after a mid-episode switch: the time from the switch until the 1-second trailing
moving average of forward velocity, having left the band of ±20% around its level at the same
step of the unperturbed episode (same method and seed), is back inside it; 0 if it never left,
``None`` ("not recovered") if it never returns before the episode ends.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field

import numpy as np

from adaptive_control.config import ConfigError, ExperimentConfig, _build

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


def cell_id(c: dict) -> str:
    sw = f"@{c['switch_at']}" if c["switch_at"] is not None else ""
    return f"{c['robot']}/{c['family']}{sw}/{c['method']}/{c['seed']}"


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


def read_records(path: str) -> list[dict]:
    """Records of finished episodes (a torn last line from an interrupted run is ignored)."""
    if not os.path.exists(path):
        return []
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return out


def parse_source(text: str) -> tuple[str, tuple[str, ...] | None]:
    """``DIR`` or ``DIR:method,method`` -> (folder, methods to take from it, ``None`` for all)."""
    folder, sep, methods = text.partition(":")
    if not folder:
        raise ConfigError(f"report source {text!r}: no folder before ':'")
    if not sep:
        return folder, None
    names = tuple(m.strip() for m in methods.split(",") if m.strip())
    if not names:
        raise ConfigError(f"report source {text!r}: no method after ':'")
    return folder, names


def merge_results(sources: list[tuple[str, tuple[str, ...] | None]]) -> tuple[list[dict], list[dict]]:
    """Finished episodes of several ``evaluate`` folders, as one matrix: (records, provenance).

    Use it to pool seed draws run apart (e.g. seeds 100-109 and 110-119) or to put a reference run
    elsewhere beside a method. A source names its folder and, optionally, the methods taken from it.
    The same cell (robot, family, switch, method, seed) from two sources is an error naming both,
    as is a folder without results or a method a folder does not hold: nothing is silently mixed.
    """
    seen: dict[str, str] = {}
    records, provenance = [], []
    for folder, methods in sources:
        log = os.path.join(folder, "results.jsonl")
        recs = read_records(log)
        if not recs:
            raise ConfigError(f"{log}: no finished episodes (is {folder!r} an evaluate --out folder?)")
        if methods is not None:
            missing = sorted(set(methods) - {r["method"] for r in recs})
            if missing:
                raise ConfigError(f"{log}: no episodes of method(s) {', '.join(missing)} "
                                  f"(it holds {', '.join(sorted({r['method'] for r in recs}))})")
            recs = [r for r in recs if r["method"] in methods]
        for r in recs:
            if r["id"] in seen:
                raise ConfigError(f"episode {r['id']} is in both {seen[r['id']]} and {folder}; "
                                  f"choose the methods taken from each (DIR:method,...)")
            seen[r["id"]] = folder
        records += recs
        provenance.append({"folder": folder, "methods": sorted({r["method"] for r in recs}),
                           "seeds": sorted({r["seed"] for r in recs}), "episodes": len(recs)})
    records.sort(key=lambda r: (r["robot"], r["family"], str(r["switch_at"]), r["method"], r["seed"]))
    return records, provenance


def report(sources: list[tuple[str, tuple[str, ...] | None]], out_dir: str) -> list[dict]:
    """Merge ``evaluate`` folders (:func:`merge_results`) and write the reports into ``out_dir``.

    Besides the usual results.json/.md and plots, ``sources.json`` records where each episode came
    from, and results.md ends with the same list.
    """
    from models.dataset import atomic_write

    records, provenance = merge_results(sources)
    os.makedirs(out_dir, exist_ok=True)
    atomic_write(os.path.join(out_dir, "sources.json"),
                 lambda fh: fh.write(json.dumps(provenance, indent=1).encode()))
    footer = "\nMerged from:\n\n" + "".join(
        f"- `{p['folder']}`: {', '.join(p['methods'])}, seeds {_ranges(p['seeds'])} ({p['episodes']} episodes)\n"
        for p in provenance)
    write_reports(records, out_dir, footer)
    return records


def _ranges(values: list[int]) -> str:
    """[100, 101, 102, 105] -> '100-102, 105'."""
    out, start = [], None
    for i, v in enumerate(values):
        if start is None:
            start = v
        if i + 1 == len(values) or values[i + 1] != v + 1:
            out.append(str(start) if start == v else f"{start}-{v}")
            start = None
    return ", ".join(out)


# ---------------------------------------------------------------------------------------------
# Metrics and reports


def moving_average(v: np.ndarray, n: int) -> np.ndarray:
    """Trailing mean over the last ``n`` samples (fewer at the start)."""
    c = np.cumsum(np.insert(np.asarray(v, float), 0, 0.0))
    i = np.arange(1, len(v) + 1)
    lo = np.maximum(i - n, 0)
    return (c[i] - c[lo]) / (i - lo)


def recovery_time(v_switch, v_reference, switch_step: int, dt: float, window_s: float = 1.0,
                  tolerance: float = 0.2) -> float | None:
    """Seconds from the switch until the velocity's 1 s moving average is back within ±20% of the reference's.

    0.0 if it never leaves the band after the switch; ``None`` if it leaves and never returns.
    """
    n = max(1, int(round(window_s / dt)))
    a, b = moving_average(v_switch, n), moving_average(v_reference, n)
    inside = np.abs(a - b) <= tolerance * np.abs(b)
    after = inside[switch_step:]
    left = np.flatnonzero(~after)
    if not len(left):
        return 0.0
    back = np.flatnonzero(after[left[0]:])
    return None if not len(back) else float((left[0] + back[0]) * dt)


#: An episode "stalled" when its forward velocity over the last STALL_WINDOW_S seconds (at most the
#: second half of the episode) averages below STALL_SPEED m/s: the robot fell, reared up or stopped.
#: A mean return can hide such episodes; the tables count them.
STALL_SPEED = 0.3
STALL_WINDOW_S = 3.0


def stalled(forward_velocity, dt: float) -> bool:
    """Whether an episode ended stalled (see :data:`STALL_SPEED`)."""
    v = np.asarray(forward_velocity, float)
    if not len(v):
        return False
    n = max(1, min(int(round(STALL_WINDOW_S / dt)), len(v) // 2))
    return bool(v[-n:].mean() < STALL_SPEED)


def summarize(records: list[dict]) -> list[dict]:
    """Mean ± standard error of the return (and recovery) per (robot, family, switch, method)."""
    groups: dict = {}
    for r in records:
        groups.setdefault((r["robot"], r["family"], r["switch_at"], r["method"]), []).append(r)
    refs = {(r["robot"], r["method"], r["seed"]): r for r in records if r["family"] == "none" and r["switch_at"] is None}
    rows = []
    for (robot, family, switch_at, method), rs in sorted(groups.items(), key=lambda kv: tuple(map(str, kv[0]))):
        ret = np.array([r["return"] for r in rs])
        row = {"robot": robot, "family": family, "switch_at": switch_at, "method": method, "n": len(rs),
               "mean": float(ret.mean()), "stderr": float(ret.std(ddof=1) / np.sqrt(len(rs))) if len(rs) > 1 else None,
               "tick_median_ms": float(np.median([r["latency"]["total_median_ms"] for r in rs])),
               "stalled": sorted(r["seed"] for r in rs if "dt" in r and stalled(r.get("forward_velocity", ()), r["dt"]))}
        if switch_at is not None:
            times = []
            for r in rs:
                ref = refs.get((robot, method, r["seed"]))
                if ref is not None:
                    times.append(recovery_time(r["forward_velocity"], ref["forward_velocity"], switch_at, r["dt"]))
            row["recovery_s"] = times
        rows.append(row)
    ref_mean = {(r["robot"], r["family"], r["switch_at"]): r["mean"] for r in rows if r["method"] == "true_dynamics"}
    for row in rows:
        ref = ref_mean.get((row["robot"], row["family"], row["switch_at"]))
        row["fraction_of_true_dynamics"] = row["mean"] / ref if ref else None
    return rows


def write_reports(records: list[dict], out_dir: str, footer: str = "") -> None:
    from models.dataset import atomic_write

    slim = [{k: v for k, v in r.items() if k != "forward_velocity"} for r in records]
    atomic_write(os.path.join(out_dir, "results.json"), lambda fh: fh.write(json.dumps(slim, indent=1).encode()))
    rows = summarize(records)
    atomic_write(os.path.join(out_dir, "results.md"), lambda fh: fh.write((markdown_table(rows) + footer).encode()))
    if records:
        from adaptive_control.experiments.plots import plot_returns, plot_switch

        plot_returns(rows, os.path.join(out_dir, "returns.png"))
        plot_switch(records, os.path.join(out_dir, "switch_velocity.png"))


METHOD_ORDER = ("grbal", "rebal", "mb_de", "mb", "test_task_mb", "true_dynamics")


def markdown_table(rows: list[dict]) -> str:
    methods = sorted({r["method"] for r in rows}, key=lambda m: METHOD_ORDER.index(m) if m in METHOD_ORDER else 9)
    cellmap = {(r["robot"], r["family"], r["switch_at"], r["method"]): r for r in rows}
    keys = sorted({(r["robot"], r["family"], r["switch_at"]) for r in rows}, key=lambda k: tuple(map(str, k)))
    lines = ["# Episode return, mean ± standard error over seeds (test ranges)", "",
             "In brackets: the fraction of the true-dynamics reference's mean return (the same planner with the "
             "perturbed simulator as its model) where it was run; \"k/n stalled\": k of the n episodes ended "
             f"below {STALL_SPEED} m/s (mean of the last {STALL_WINDOW_S:.0f} s: fallen, reared up or stopped).", "",
             "| robot | perturbation | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
    for robot, family, switch_at in keys:
        label = family + (f" (switched on at step {switch_at})" if switch_at is not None else "")
        vals = []
        for m in methods:
            r = cellmap.get((robot, family, switch_at, m))
            if r is None:
                vals.append("")
            elif r["stderr"] is None:
                vals.append(f"{r['mean']:.0f} (n=1)")
            else:
                vals.append(f"{r['mean']:.0f} ± {r['stderr']:.0f}")
            frac = r.get("fraction_of_true_dynamics") if r is not None else None
            if frac is not None and m != "true_dynamics":
                vals[-1] += f" ({frac:.2f})"
            if r is not None and r.get("stalled"):
                vals[-1] += f", {len(r['stalled'])}/{r['n']} stalled"
        lines.append(f"| {robot} | {label} | " + " | ".join(vals) + " |")
    rec = [r for r in rows if r.get("recovery_s")]
    if rec:
        lines += ["", "# Recovery after a mid-episode switch", "",
                  "Seconds until the 1 s moving average of forward velocity is back within 20% of the unperturbed "
                  "episode's (same method and seed); 0: never left the band; -: not recovered.", "",
                  "| robot | perturbation | method | median recovery [s] | per seed |", "|---|---|---|---|---|"]
        for r in rec:
            t = r["recovery_s"]
            finite = [x for x in t if x is not None]
            med = f"{np.median(finite):.2f}" if len(finite) == len(t) else ("-" if not finite else
                                                                           f"≥{np.median(finite):.2f}")
            per = ", ".join("-" if x is None else f"{x:.2f}" for x in t)
            lines.append(f"| {r['robot']} | {r['family']} @ {r['switch_at']} | {r['method']} | {med} | {per} |")
    return "\n".join(lines) + "\n"
