"""Where a plan's time goes: our MPPI against pytorch_mppi at the default point (float32, 2x256, K=500,
T=10), per aten op under ``torch.profiler``, and the bound that puts on the plan-time ratio (issue 15).

Both planners run the same matrix products (three ``addmm`` per model call). If ours did nothing but
those products (their profiled time), its plan would take that long; divided by pytorch_mppi's whole plan
(wall time), that is the lowest ratio that trimming everything else could reach on this CPU. Also
reported: how much of our plan is not those products (bias copies, activations, noise, costs, softmin,
Python).

    python bench/plan_profile.py --plans 60 --repeats 3 --json bench/results/plan_profile.json
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from torch.profiler import ProfilerActivity, profile

from adaptive_control.build import make_planner_factory
from adaptive_control.config import PlannerConfig
from adaptive_control.experiments.bench import (DEFAULT, functional_dynamics, machine_info, make_model,
                                                pytorch_mppi_planner, robot_states)
from models.dataset import atomic_write


def _profile(command, obs, plans: int) -> dict:
    """Per-plan milliseconds: wall time (median, unprofiled), and the profiled self time of every op."""
    for i in range(20):
        command(obs[i])
    wall = []
    for i in range(plans):
        t = time.perf_counter()
        command(obs[i % len(obs)])
        wall.append(time.perf_counter() - t)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for i in range(plans):
            command(obs[i % len(obs)])
    ops = {e.key: e.self_cpu_time_total / 1e3 / plans for e in prof.key_averages()}
    total = sum(ops.values())
    return {"wall_median_ms": 1e3 * float(np.median(wall)), "profiled_ms": total,
            "addmm_ms": ops.get("aten::addmm", 0.0), "addmm_share": ops.get("aten::addmm", 0.0) / total,
            "top_ops_ms": dict(sorted(ops.items(), key=lambda kv: -kv[1])[:8])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plans", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    torch.set_num_threads(2)
    obs, act, nxt = robot_states()
    model = make_model(DEFAULT["hidden"], obs, act, nxt)
    nx, nu = obs.shape[1], act.shape[1]
    ours = make_planner_factory(PlannerConfig(samples=DEFAULT["samples"], horizon=DEFAULT["horizon"],
                                              precision="float32"), "half_cheetah", "cpu")(model.predictor(model.params()))
    prior = model.params()
    lib = pytorch_mppi_planner(functional_dynamics(model, lambda: prior), DEFAULT["samples"], DEFAULT["horizon"], nx, nu)
    runs = []
    with torch.no_grad():
        for r in range(args.repeats):  # interleaved: both planners see the same minute of the machine
            o, p = _profile(ours.command, obs, args.plans), _profile(lib.command, obs, args.plans)
            row = {"ours": o, "pytorch_mppi": p, "wall_ratio": o["wall_median_ms"] / p["wall_median_ms"],
                   "profiled_ratio": o["profiled_ms"] / p["profiled_ms"],
                   "bound_if_ours_were_only_its_products": o["addmm_ms"] / p["wall_median_ms"],
                   "ours_besides_products_ms": o["wall_median_ms"] - o["addmm_ms"]}
            runs.append(row)
            print(f"repeat {r}: ours {o['wall_median_ms']:.2f} ms, pytorch_mppi {p['wall_median_ms']:.2f} ms "
                  f"(ratio {row['wall_ratio']:.3f}); profiled: addmm {o['addmm_ms']:.2f} / {o['profiled_ms']:.2f} ms "
                  f"ours, {p['addmm_ms']:.2f} / {p['profiled_ms']:.2f} ms pytorch_mppi; bound "
                  f"{row['bound_if_ours_were_only_its_products']:.3f}; ours besides the products {row['ours_besides_products_ms']:.2f} ms")
    med = {k: float(np.median([r[k] for r in runs]))
           for k in ("wall_ratio", "profiled_ratio", "bound_if_ours_were_only_its_products", "ours_besides_products_ms")}
    out = {"benchmark": "plan_profile", "date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine_info(),
           "model": DEFAULT, "plans": args.plans, "runs": runs, "median": med}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    print("medians:", {k: round(v, 3) for k, v in med.items()})


if __name__ == "__main__":
    main()
