"""Tick-latency benchmark: adapt + plan with the default config, on the shipped checkpoint.

Drives the real crippled half-cheetah with the ``grbal`` controller (so the states are realistic)
and records every tick's adaptation, planning and total time. Repeats the run ``--repeats``
times (the machine is noisy) and writes medians over repeats of each run's median and p99.

    python bench/tick_latency.py --json bench/results/tick_latency.json
    python bench/tick_latency.py --checkpoint runs/model_size/h3x256_seed1/grbal.pt --json ...  # another model
    python bench/tick_latency.py --samples 500 400 350 --precision float32 --json ...  # K interleaved

With several ``--samples`` the K values are interleaved within each repeat (K1, K2, ... then the next
repeat), so their ratios are measured under the same machine drift.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time

import numpy as np

from adaptive_control.build import build_controller, default_config_path, load_for_method, task_distribution
from adaptive_control.config import load_config
from adaptive_control.experiments.bench import machine_info
from robot_bridge.mujoco_backend import run_episode
from models.dataset import atomic_write
from sim.robots import make_env


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", default="grbal", choices=["grbal", "mb", "mb_de"])
    ap.add_argument("--ticks", type=int, default=300, help="ticks per run after warm-up")
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--checkpoint", default=None,
                    help="checkpoint of --method to time (default: the shipped one), e.g. a model of another size")
    ap.add_argument("--samples", type=int, nargs="+", default=None,
                    help="K values to time, interleaved per repeat (default: the shipped planner.samples)")
    ap.add_argument("--precision", default=None, choices=["auto", "float32", "bfloat16"],
                    help="planner.precision (default: the shipped one)")
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    if args.samples is not None and min(args.samples) < 1:
        ap.error(f"--samples: every K must be positive, got {args.samples}")

    cfg = load_config(default_config_path("half_cheetah"))
    planner = cfg.planner if args.precision is None else dataclasses.replace(cfg.planner, precision=args.precision)
    samples = args.samples or [planner.samples]
    ckpt = load_for_method(args.method, "half_cheetah", args.checkpoint)
    env = make_env("half_cheetah")
    by_k = {k: [] for k in samples}
    for r in range(args.repeats):
        for k in samples:
            by_k[k].append(_timed_run(env, ckpt, cfg, dataclasses.replace(planner, samples=k), args, r))
    out = {
        "benchmark": "tick_latency",
        "config": {"model": list(ckpt.model.hidden_sizes), "samples": samples, "precision": planner.precision,
                   "horizon": planner.horizon, "step_ticks": planner.step_ticks,
                   "adapt_window": cfg.controller.adapt_window,
                   "method": args.method, "checkpoint": args.checkpoint or "shipped", "ticks_per_run": args.ticks,
                   "warmup": args.warmup, "repeats": args.repeats},
        "machine": machine_info(),
        "date": time.strftime("%Y-%m-%d"),
    }
    summaries = {k: _summary(runs) for k, runs in by_k.items()}
    if len(samples) == 1:
        out.update(summaries[samples[0]])
    else:
        out["by_samples"] = {str(k): v for k, v in summaries.items()}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=2).encode()))
    for k, v in summaries.items():
        print(f"K={k}: " + json.dumps(v["median_over_repeats"]))


def _timed_run(env, ckpt, cfg, planner, args, r: int) -> dict:
    """One episode of ``args.warmup + args.ticks`` ticks; medians and p99 of the timed ticks."""
    ctrl = build_controller(ckpt, "half_cheetah", planner, dataclasses.replace(cfg.controller, method=args.method))
    task = task_distribution(cfg.robot.name, cfg.task).sample(np.random.default_rng(1000 + r))
    # warm-up ticks are part of the same episode but dropped from the statistics
    res = run_episode(env, ctrl, args.warmup + args.ticks, seed=1000 + r, task=task)
    s = ctrl.stats
    row = {}
    for name in ("adapt_ms", "plan_ms", "total_ms"):
        v = np.asarray(getattr(s, name)[args.warmup:])
        row[name.replace("_ms", "_median_ms")] = float(np.median(v))
        row[name.replace("_ms", "_p99_ms")] = float(np.percentile(v, 99))
    row["over_10ms"] = int(np.sum(np.asarray(s.total_ms[args.warmup:]) > 10.0))
    row["return"] = res.episode_return
    print(f"run {r}, K={planner.samples}: total median {row['total_median_ms']:.2f} ms, "
          f"p99 {row['total_p99_ms']:.2f} ms (adapt {row['adapt_median_ms']:.2f}, plan {row['plan_median_ms']:.2f})")
    return row


def _summary(runs: list[dict]) -> dict:
    """Medians over repeats of each run's timing figures, and the runs themselves."""
    keys = [k for k in runs[0] if k.endswith("_ms")]
    return {"median_over_repeats": {k: float(np.median([r[k] for r in runs])) for k in keys},
            "p99_ms": float(np.median([r["total_p99_ms"] for r in runs])),
            "runs": runs}


if __name__ == "__main__":
    main()
