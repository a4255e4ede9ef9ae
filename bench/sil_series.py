"""Simulation in the loop over ROS 2 for a series of seeds: missed deadlines and return against the same
episodes in process.

For each seed: ``adaptive-control sil`` (``mujoco_sim_node`` and ``adaptive_controller_node`` as
processes on loopback with the shipped node YAML and the sil preset, the leg crippled ``--switch-at``
seconds in), then the same episode in process with the same controller settings and no deadline.
Writes one JSON with every episode and a summary: missed deadlines over all ticks, the return over
ROS 2 and in process (mean, standard error, paired difference), tick and round-trip latencies.

    python bench/sil_series.py --seeds 100-109 --json bench/results/sil_series.json
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np


def seed_range(text: str) -> list[int]:
    """``100-109`` or ``100,103,107``."""
    if "-" in text:
        lo, hi = (int(v) for v in text.split("-", 1))
        if hi < lo:
            raise argparse.ArgumentTypeError(f"empty seed range {text!r}")
        return list(range(lo, hi + 1))
    return [int(v) for v in text.split(",")]


def summarize(episodes: list[dict]) -> dict:
    ros = np.array([e["return"] for e in episodes])
    local = np.array([e["in_process"]["return"] for e in episodes])
    n = len(episodes)
    se = (lambda v: float(v.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan"))
    diff = ros - local
    misses = sum(e["missed_deadlines"] or 0 for e in episodes)
    ticks = sum(e["control_ticks"] or 0 for e in episodes)
    return {
        "episodes": n,
        "missed_deadlines": int(misses), "control_ticks": int(ticks),
        "missed_fraction": misses / ticks if ticks else float("nan"),
        "missed_per_episode": [e["missed_deadlines"] for e in episodes],
        "repeated_state_ticks": int(sum(e.get("repeated_state_ticks") or 0 for e in episodes)),
        "cpu_stolen_fraction_per_episode": [e.get("cpu_stolen_fraction") for e in episodes],
        "ros_return_mean": float(ros.mean()), "ros_return_stderr": se(ros),
        "in_process_return_mean": float(local.mean()), "in_process_return_stderr": se(local),
        "ratio_of_means": float(ros.mean() / local.mean()) if local.mean() else float("nan"),
        "paired_diff_mean": float(diff.mean()), "paired_diff_stderr": se(diff),
        "tick_median_ms": float(np.median([e["tick_median_ms"] for e in episodes])),
        "tick_p99_ms_median": float(np.median([e["tick_p99_ms"] for e in episodes])),
        "round_trip_median_ms": float(np.median([e["round_trip_median_ms"] for e in episodes])),
        "round_trip_p99_ms_median": float(np.median([e["round_trip_p99_ms"] for e in episodes])),
    }


def main(argv=None) -> int:
    from models.dataset import atomic_write
    from robot_bridge import sil
    from sim.tasks import make_distribution

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--robot", default="half_cheetah")
    p.add_argument("--perturbation", default="crippled_leg")
    p.add_argument("--method", default="grbal", choices=["grbal", "mb", "mb_de", "rebal"])
    p.add_argument("--seeds", type=seed_range, default=seed_range("100-109"), help="e.g. 100-109 (default)")
    p.add_argument("--duration", type=float, default=20.0, help="simulated seconds per episode")
    p.add_argument("--switch-at", type=float, default=5.0, help="seconds after which the perturbation starts")
    p.add_argument("--params", nargs="*", default=[], help="extra controller parameter YAML files (applied last)")
    p.add_argument("--json", required=True, help="output file")
    args = p.parse_args(argv)

    episodes = []
    for seed in args.seeds:
        task = make_distribution(args.robot, args.perturbation, "test").sample(np.random.default_rng(seed)).params()
        work = sil.temp_work_dir()
        t0 = time.monotonic()
        out = sil.run_sil(robot=args.robot, task=task, method=args.method, seed=seed, duration=args.duration,
                          switch_at=args.switch_at, work_dir=work, controller_params=args.params)
        rate = out["control_rate"]
        out["in_process"] = sil.in_process_episode(
            robot=args.robot, task=task, method=args.method, seed=seed, steps=out["steps"],
            switch_step=int(round(args.switch_at * rate)), controller_params=args.params, work_dir=work)
        episodes.append(out)
        print(f"seed {seed}: over ROS 2 return {out['return']:.0f}, missed {out['missed_deadlines']} of "
              f"{out['control_ticks']} ticks, tick median {out['tick_median_ms']:.1f} ms, CPU stolen "
              f"{100 * (out['cpu_stolen_fraction'] or 0):.1f}%; in process "
              f"{out['in_process']['return']:.0f} ({time.monotonic() - t0:.0f} s)", flush=True)
    summary = summarize(episodes)
    result = {"benchmark": "sil_series", "command": "python " + " ".join([sys.argv[0], *(argv or sys.argv[1:])]),
              "machine": {"cpus": os.cpu_count(), "processor": platform.processor()},
              "summary": summary, "episodes": episodes}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(result, indent=1).encode()))
    s = summary
    print(f"{s['episodes']} episodes: missed {s['missed_deadlines']} of {s['control_ticks']} ticks "
          f"({100 * s['missed_fraction']:.2f}%); return over ROS 2 {s['ros_return_mean']:.0f} ± "
          f"{s['ros_return_stderr']:.0f}, in process {s['in_process_return_mean']:.0f} ± "
          f"{s['in_process_return_stderr']:.0f} (paired difference {s['paired_diff_mean']:.0f} ± "
          f"{s['paired_diff_stderr']:.0f}); wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
