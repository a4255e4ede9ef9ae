"""The sample budget (``controller.plan_budget_ms``) under CPU load: missed deadlines, tick latency and
the samples plans got, with the budget off and on.

Each run is a fresh process that builds the shipped half-cheetah controller on its compute thread (as
the ROS node does: deadline mode, a deadline of one 10 ms period, two torch threads, K=500) and paces
it at 100 Hz over recorded states. Load: ``none``, or ``busy`` (a separate process spinning on one of
the cores for the whole run: what a simulator, another node or the hypervisor taking one core's time
does to the plan). ``--threads 1`` gives the controller one torch thread (the sil preset's choice).
Conditions are interleaved within each repeat, so drifts of the machine's speed hit all of them alike.

    python bench/sample_budget.py --budget-ms 6 [7 8 ...] --ticks 600 --repeats 3 --json bench/results/sample_budget.json
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import time

import numpy as np


def _spin(stop) -> None:  # a busy core
    while not stop.is_set():
        pass


def worker(budget_ms: float | None, ticks: int, warmup: int, threads: int | None = None, deadline_ms: float = 10.0) -> dict:
    from adaptive_control.experiments.bench import robot_states, shipped_controller

    obs, _, _ = robot_states("half_cheetah")
    overrides = {"plan_budget_ms": budget_ms, **({"threads": threads} if threads else {})}
    ctrl, planner, _ = shipped_controller("half_cheetah", deadline_ms=deadline_ms, **overrides)
    period = deadline_ms / 1e3
    ms, missed = [], 0
    start = time.perf_counter()
    for i in range(warmup + ticks):
        if i == warmup:
            ctrl.stats.samples.clear()
        before = ctrl.stats.deadline_misses
        t = time.perf_counter()
        ctrl.step(obs[i % len(obs)].numpy())
        if i >= warmup:
            ms.append(1e3 * (time.perf_counter() - t))
            missed += ctrl.stats.deadline_misses > before
        time.sleep(max(0.0, start + (i + 1) * period - time.perf_counter()))
    samples = list(ctrl.stats.samples) or [planner.samples]
    ctrl.close()
    ms = np.asarray(ms)
    return {"budget_ms": budget_ms, "ticks": ticks, "missed": int(missed), "tick_median_ms": float(np.median(ms)),
            "tick_p99_ms": float(np.percentile(ms, 99)), "samples_median": float(np.median(samples)),
            "samples_p10": float(np.percentile(samples, 10)), "samples_min": int(min(samples))}


def run(load: str, budget_ms: float | None, ticks: int, warmup: int, threads: int | None = None) -> dict:
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    hog = ctx.Process(target=_spin, args=(stop,), daemon=True) if load == "busy" else None
    if hog is not None:
        hog.start()
    try:
        with ctx.Pool(1) as pool:
            out = pool.apply(worker, (budget_ms, ticks, warmup, threads))
    finally:
        if hog is not None:
            stop.set()
            hog.join(5)
    return {"load": load, **out}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget-ms", type=float, nargs="+", default=[6.0],
                    help="budgets to compare with no budget (each one more condition, interleaved)")
    ap.add_argument("--ticks", type=int, default=600)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, help="torch threads of the controller (default: the shipped YAML's, 2)")
    ap.add_argument("--loads", nargs="+", default=["none", "busy"], choices=["none", "busy"])
    ap.add_argument("--json", required=True)
    args = ap.parse_args(argv)
    from models.dataset import atomic_write

    runs = []
    for r in range(args.repeats):
        for load in args.loads:
            for budget in (None, *args.budget_ms):
                x = run(load, budget, args.ticks, args.warmup, args.threads)
                runs.append({"repeat": r, **x})
                print(f"repeat {r + 1}/{args.repeats} load {load:5s} budget {str(budget):5s}: missed {x['missed']:3d} "
                      f"of {x['ticks']}, tick median {x['tick_median_ms']:5.2f} p99 {x['tick_p99_ms']:6.2f} ms, "
                      f"samples median {x['samples_median']:.0f} (p10 {x['samples_p10']:.0f}, min {x['samples_min']})",
                      flush=True)
    summary = {}
    for load in args.loads:
        for budget in (None, *args.budget_ms):
            rows = [x for x in runs if x["load"] == load and x["budget_ms"] == budget]
            summary[f"{load}/{'off' if budget is None else budget}"] = {
                k: float(np.median([x[k] for x in rows]))
                for k in ("missed", "tick_median_ms", "tick_p99_ms", "samples_median", "samples_p10")}
    out = {"benchmark": "sample_budget", "date": time.strftime("%Y-%m-%d %H:%M"),
           "command": "python bench/sample_budget.py " + " ".join(argv or os.sys.argv[1:]),
           "machine": {"cpus": os.cpu_count(), "platform": platform.platform()}, "threads": args.threads, "runs": runs, "median": summary}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    for k, v in summary.items():
        print(k, {a: round(b, 2) for a, b in v.items()})


if __name__ == "__main__":
    main()
