"""The shipped half-cheetah GrBAL controller paced at 100 Hz, with a given K, deadline and torch threads.

Each run is a fresh process (so an OpenMP setting such as ``OMP_WAIT_POLICY`` in ``--omp`` applies from
the start) that builds the controller as ``adaptive-control run`` does (``--deadline-ms``: deadline mode,
as the ROS node runs it), steps it on recorded robot states for 30 warm-up and ``--ticks`` timed ticks,
sleeping to the next 10 ms boundary after each (``--no-pacing``: back to back), and reports the tick's
median and p99 and the deadline misses. Conditions are interleaved within each repeat.

    python bench/paced_tick.py --samples 250 --deadline-ms 10 --omp default ACTIVE --repeats 3 \\
        --json bench/results/k_float32/paced_k250_omp.json
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def one_run(samples: int, deadline_ms: float | None, threads: int, ticks: int, pacing: bool) -> dict:
    from adaptive_control.experiments.bench import robot_states, shipped_controller

    obs, _, _ = robot_states("half_cheetah")
    ctrl, _, _ = shipped_controller("half_cheetah", deadline_ms=deadline_ms, samples=samples, threads=threads)
    ms = []
    for i in range(30 + ticks):
        if i == 30:
            misses0 = ctrl.stats.deadline_misses
        t = time.perf_counter()
        ctrl.step(obs[i % len(obs)].numpy())
        if i >= 30:
            ms.append(1e3 * (time.perf_counter() - t))
        if pacing:
            time.sleep(max(0.0, 0.010 - (time.perf_counter() - t)))
    return {"tick_median_ms": float(np.median(ms)), "tick_p99_ms": float(np.percentile(ms, 99)),
            "misses": int(ctrl.stats.deadline_misses - misses0), "ticks": ticks}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--deadline-ms", type=float, default=None, help="deadline mode with this deadline (default: none)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ticks", type=int, default=300)
    ap.add_argument("--no-pacing", action="store_true")
    ap.add_argument("--omp", nargs="+", default=["default"], help="OMP_WAIT_POLICY of each condition (default: unset)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", default=None)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(one_run(args.samples, args.deadline_ms, args.threads, args.ticks, not args.no_pacing)))
        return
    child = [sys.executable, __file__, "--child", "--samples", str(args.samples), "--threads", str(args.threads),
             "--ticks", str(args.ticks), *(["--deadline-ms", str(args.deadline_ms)] if args.deadline_ms else []),
             *(["--no-pacing"] if args.no_pacing else [])]
    runs = []
    for r in range(args.repeats):
        for policy in args.omp:
            env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
            if policy != "default":
                env["OMP_WAIT_POLICY"] = policy
            out = subprocess.run(child, capture_output=True, text=True, env=env, check=True).stdout
            row = {"repeat": r, "omp": policy, **json.loads(out.strip().splitlines()[-1])}
            runs.append(row)
            print(f"repeat {r + 1} OMP_WAIT_POLICY={policy}: tick median {row['tick_median_ms']:.2f} ms, "
                  f"p99 {row['tick_p99_ms']:.2f} ms, misses {row['misses']} of {row['ticks']}", flush=True)
    summary = {p: {k: float(np.median([x[k] for x in runs if x["omp"] == p]))
                   for k in ("tick_median_ms", "tick_p99_ms", "misses")} for p in args.omp}
    print(json.dumps(summary))
    if args.json:
        from adaptive_control.experiments.bench import machine_info
        from models.dataset import atomic_write

        doc = {"benchmark": "paced_tick", "samples": args.samples, "deadline_ms": args.deadline_ms,
               "threads": args.threads, "pacing": not args.no_pacing, "machine": machine_info(), "runs": runs,
               "median": summary, "date": time.strftime("%Y-%m-%d %H:%M")}
        atomic_write(args.json, lambda fh: fh.write(json.dumps(doc, indent=1).encode()))


if __name__ == "__main__":
    main()
