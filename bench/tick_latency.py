"""Tick-latency benchmark: adapt + plan with the default config, on the shipped checkpoint.

Drives the real crippled half-cheetah with the ``grbal`` controller (so the states are realistic)
and records every tick's adaptation, planning and total time. Repeats the run ``--repeats``
times (the machine is noisy) and writes medians over repeats of each run's median and p99.

    python bench/tick_latency.py --json bench/results/tick_latency.json
    python bench/tick_latency.py --checkpoint runs/model_size/h3x256_seed1/grbal.pt --json ...  # another model
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
    ap.add_argument("--json", required=True)
    args = ap.parse_args()

    cfg = load_config(default_config_path("half_cheetah"))
    ckpt = load_for_method(args.method, "half_cheetah", args.checkpoint)
    env = make_env("half_cheetah")
    runs = []
    for r in range(args.repeats):
        ctrl = build_controller(ckpt, "half_cheetah", cfg.planner, dataclasses.replace(cfg.controller, method=args.method))
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
        runs.append(row)
        print(f"run {r}: total median {row['total_median_ms']:.2f} ms, p99 {row['total_p99_ms']:.2f} ms "
              f"(adapt {row['adapt_median_ms']:.2f}, plan {row['plan_median_ms']:.2f})")
    keys = [k for k in runs[0] if k.endswith("_ms")]
    out = {
        "benchmark": "tick_latency",
        "config": {"model": list(ckpt.model.hidden_sizes), "samples": cfg.planner.samples,
                   "horizon": cfg.planner.horizon, "adapt_window": cfg.controller.adapt_window,
                   "method": args.method, "checkpoint": args.checkpoint or "shipped", "ticks_per_run": args.ticks, "warmup": args.warmup,
                   "repeats": args.repeats},
        "machine": machine_info(),
        "median_over_repeats": {k: float(np.median([r[k] for r in runs])) for k in keys},
        "p99_ms": float(np.median([r["total_p99_ms"] for r in runs])),
        "runs": runs,
        "date": time.strftime("%Y-%m-%d"),
    }
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=2).encode()))
    print(json.dumps(out["median_over_repeats"], indent=2))


if __name__ == "__main__":
    main()
