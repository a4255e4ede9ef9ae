"""Where the shipped controller's tick goes at a given K: ``torch.profiler`` over ``--ticks`` ticks of the
half-cheetah GrBAL controller (adapt + plan, no deadline) on recorded states, after 30 warm-up ticks.
Writes the time per tick, the share of the matrix products (``mm``, ``addmm``) and the top ops by self time.

    python bench/tick_profile.py --samples 100 --json bench/results/k_float32/tick_profile_k100.json
"""
from __future__ import annotations

import argparse
import json
import time

import torch
from torch.profiler import ProfilerActivity, profile

from adaptive_control.experiments.bench import machine_info, robot_states, shipped_controller
from models.dataset import atomic_write


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--ticks", type=int, default=100)
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    obs, _, _ = robot_states("half_cheetah")
    ctrl, _, _ = shipped_controller("half_cheetah", samples=args.samples)
    for i in range(30):
        ctrl.step(obs[i % len(obs)].numpy())
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for i in range(args.ticks):
            ctrl.step(obs[i % len(obs)].numpy())
    rows = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total_us = sum(e.self_cpu_time_total for e in rows)
    products_us = sum(e.self_cpu_time_total for e in rows if e.key in ("aten::mm", "aten::addmm"))
    out = {"benchmark": "tick_profile", "samples": args.samples, "ticks": args.ticks, "machine": machine_info(),
           "ms_per_tick": total_us / 1e3 / args.ticks, "products_share": products_us / total_us,
           "ops_per_tick": sum(e.count for e in rows if e.key.startswith("aten::")) / args.ticks,
           "top": [{"op": e.key, "self_ms_per_tick": e.self_cpu_time_total / 1e3 / args.ticks,
                    "calls_per_tick": e.count / args.ticks} for e in rows[:15]],
           "date": time.strftime("%Y-%m-%d")}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=2).encode()))
    print(f"{out['ms_per_tick']:.2f} ms a tick, products {100 * out['products_share']:.0f}%, "
          f"{out['ops_per_tick']:.0f} aten ops a tick")


if __name__ == "__main__":
    main()
