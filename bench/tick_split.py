"""Where the shipped controller's compute goes, timed without a profiler: the plan (``MPPI.command``), its
rollout alone, one model call alone and its matrix products alone, the adaptation step with its check and
the folding of the adapted model, and a bare matrix product of the network's widest layer.

``bench/tick_profile.py`` runs under ``torch.profiler``, whose own cost per operation (a few microseconds,
about 800 operations a tick) inflates everything that is not a matrix product; this script times the
same parts with ``time.perf_counter`` only. Every part is timed in each repeat, parts interleaved call by
call, so their ratios come from the same minutes of a noisy machine.

    python bench/tick_split.py --samples 100 500 --repeats 3 --json bench/results/k_float32/tick_split.json
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from adaptive_control.experiments.bench import machine_info, robot_states, shipped_controller
from models.dataset import atomic_write
from planners.shooting import rollout_costs


def _parts(ctrl, obs) -> dict:
    """name -> zero-argument callable, each one part of a tick of ``ctrl`` (warmed up on ``obs``)."""
    p, m = ctrl.planner, ctrl.model
    k = p.K
    s = obs[5]
    x, a = s.expand(k, -1).contiguous(), torch.zeros(k, p.nu)
    predict = ctrl._predict
    window = ctrl.history.window()
    adapted = ctrl.adapter.adapt(ctrl.prior, *window)
    mats = [torch.randn(x.shape[1] + p.nu + 1, 256), torch.randn(257, 256), torch.randn(257, x.shape[1])]
    h0, h1 = torch.ones(k, x.shape[1] + p.nu + 1), torch.ones(k, 257)
    out1, out2 = torch.empty(k, 257), torch.empty(k, 257)

    def products():  # the three products of one model call, as the folded predictor runs them
        torch.mm(h0, mats[0], out=out1[:, :256])
        torch.mm(h1, mats[1], out=out2[:, :256])
        torch.addmm(x, h1, mats[2])

    return {
        "plan": lambda: p.command(s),
        "rollout": lambda: rollout_costs(p.dynamics, p.cost, x, p._actions, out=p._costs, time_major=True,
                                         calls=p.blocks.calls, first_calls=p.blocks.first_calls),
        "model_call": lambda: predict(x, a),
        "model_call_products": products,
        "fit": lambda: ctrl._fit(True),
        "adapt": lambda: ctrl.adapter.adapt(ctrl.prior, *window),
        "check": lambda: ctrl.guard.accept(ctrl._prior_predict, lambda o, u: m.predict_next(adapted, o, u), *window,
                                           prior_loss=ctrl.history.prior_loss()),
        "fold": lambda: m.predictor(adapted, dtype=ctrl.planning_dtype, held=ctrl.model_ticks),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, nargs="+", default=[100, 500])
    ap.add_argument("--calls", type=int, default=200, help="timed calls of each part per repeat")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    obs, _, _ = robot_states("half_cheetah")
    series = []
    for rep in range(args.repeats):
        for k in args.samples:
            ctrl, _, _ = shipped_controller("half_cheetah", samples=k)
            for i in range(60):
                ctrl.step(obs[i % len(obs)].numpy())
            parts = _parts(ctrl, obs)
            times: dict = {name: [] for name in parts}
            for _ in range(10):
                for f in parts.values():
                    f()
            for _ in range(args.calls):
                for name, f in parts.items():
                    t = time.perf_counter()
                    f()
                    times[name].append(time.perf_counter() - t)
            med = {name: 1e3 * float(np.median(v)) for name, v in times.items()}
            calls = ctrl.planner.T * ctrl.planner.blocks.calls
            med["plan_products"] = calls * med["model_call_products"]
            med["plan_products_share"] = med["plan_products"] / med["plan"]
            series.append({"repeat": rep, "samples": k, "model_calls_per_plan": calls, "ms": med})
            print(f"repeat {rep} K={k}: " + ", ".join(f"{n} {v:.3f}" for n, v in med.items()))
    out = {"benchmark": "tick_split", "machine": machine_info(), "calls": args.calls, "series": series,
           "date": time.strftime("%Y-%m-%d")}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=2).encode()))


if __name__ == "__main__":
    main()
