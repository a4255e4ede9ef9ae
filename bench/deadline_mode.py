"""Deadline mode against inline ticks, as the ROS node builds the controller.

Each run is a fresh process that loads the shipped checkpoint on its main thread (as
``adaptive_controller_node`` does), builds the shipped controller with or without a deadline, warms
it up and times ``step`` for back-to-back ticks (no pacing: the tick itself) on real robot states.
Three modes, interleaved over ``--repeats``:

- ``inline``: no deadline, all torch work on the calling thread;
- ``deadline``: ``controller.deadline_ms`` set (the compute thread), as shipped;
- ``deadline_keep_team``: the same with the release of the calling thread's OpenMP workers in
  ``warm_up`` disabled (what deadline mode did before 2026-12-03).

Also reports the CPU time of each thread of the process over the timed ticks (Linux ``/proc``).

    python bench/deadline_mode.py --repeats 3 --json bench/results/deadline_mode.json
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

MODES = ("inline", "deadline", "deadline_keep_team")


def _thread_cpu_s() -> dict[str, float]:
    """{thread id: CPU seconds} of this process's threads (empty where /proc is missing)."""
    out = {}
    tck = os.sysconf("SC_CLK_TCK")
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[tid] = (int(fields[11]) + int(fields[12])) / tck
    return out


def worker(mode: str, robot: str, ticks: int, warmup: int) -> dict:
    """One run of ``mode`` in this process (see the module docstring)."""
    from adaptive_control import controller as controller_module
    from adaptive_control.build import build_controller, experiment_config, load_for_method
    from adaptive_control.experiments.bench import robot_states

    obs = robot_states(robot)[0].numpy()
    if mode == "deadline_keep_team":
        controller_module.release_openmp_workers = lambda: False
    cfg = experiment_config(robot)
    ckpt = load_for_method("grbal", robot)  # on the main thread, as the node does
    ctrl_cfg = dataclasses.replace(cfg.controller, method="grbal",
                                   deadline_ms=None if mode == "inline" else 1e3)  # never missed: time the tick
    ctrl = build_controller(ckpt, robot, cfg.planner, ctrl_cfg)
    ctrl.warm_up()
    ms = []
    for i in range(warmup):
        ctrl.step(obs[i % len(obs)])
    cpu0, wall0 = _thread_cpu_s(), time.perf_counter()
    for i in range(ticks):
        t = time.perf_counter()
        ctrl.step(obs[(warmup + i) % len(obs)])
        ms.append(1e3 * (time.perf_counter() - t))
    wall, cpu1 = time.perf_counter() - wall0, _thread_cpu_s()
    ctrl.close()
    busy = sorted((cpu1[t] - cpu0.get(t, 0.0) for t in cpu1), reverse=True)
    return {"mode": mode, "ticks": ticks, "tick_median_ms": float(np.median(ms)),
            "tick_p99_ms": float(np.percentile(ms, 99)), "wall_s": wall,
            "busiest_threads_cpu_s": [round(b, 3) for b in busy[:4]]}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--robot", default="half_cheetah")
    ap.add_argument("--ticks", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="write the runs and per-mode medians here")
    ap.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.robot, args.ticks, args.warmup)))
        return
    runs = []
    for r in range(args.repeats):
        for mode in MODES:
            out = subprocess.run([sys.executable, __file__, "--worker", mode, "--robot", args.robot,
                                  "--ticks", str(args.ticks), "--warmup", str(args.warmup)],
                                 capture_output=True, text=True, check=False)
            if out.returncode != 0:
                sys.exit(f"{mode} run failed:\n{out.stderr[-3000:]}")
            run = json.loads(out.stdout.strip().splitlines()[-1])
            runs.append(run)
            print(f"repeat {r + 1}/{args.repeats} {mode:20s} tick median {run['tick_median_ms']:6.2f} ms "
                  f"p99 {run['tick_p99_ms']:6.2f} ms; busiest threads (CPU s) {run['busiest_threads_cpu_s']}",
                  flush=True)
    summary = {m: {"tick_median_ms": float(np.median([x["tick_median_ms"] for x in runs if x["mode"] == m])),
                   "tick_p99_ms": float(np.median([x["tick_p99_ms"] for x in runs if x["mode"] == m]))}
               for m in MODES}
    for m, v in summary.items():
        print(f"{m:20s} median over repeats: tick median {v['tick_median_ms']:.2f} ms, p99 {v['tick_p99_ms']:.2f} ms")
    if args.json:
        from models.dataset import atomic_write

        result = {"benchmark": "deadline_mode", "command": "python " + " ".join(sys.argv),
                  "machine": {"cpus": os.cpu_count(), "processor": platform.processor()},
                  "summary": summary, "runs": runs}
        atomic_write(args.json, lambda fh: fh.write(json.dumps(result, indent=1).encode()))


if __name__ == "__main__":
    main()
