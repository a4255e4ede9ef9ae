"""Does ``torch.compile`` of the plan's rollout close the gap to the 0.7x plan-time target (issue 15)?

Our MPPI at the default point (float32, a seeded 2x256 network, K=500, T=10) plans eagerly, and with its
rollout (``planners.shooting.rollout_costs``: the T folded-model calls and the cost, in one graph whose
weights are inputs, so a new adapted parameter set each tick does not recompile) compiled by
``torch.compile`` in each ``--modes``, interleaved in blocks with ``pytorch_mppi`` on the same network
through ``torch.func.functional_call`` (as ``adaptive-control bench``'s plan ratio). Reports each planner's
median plan time, the ratios to pytorch_mppi, the compile time, the first plan after new parameters and
the largest action difference to the eager plan (the same products: rounding only).

    python bench/compile_probe.py --modes default --json bench/results/compile_probe.json
    TORCHINDUCTOR_FORCE_DISABLE_CACHES=1 python bench/compile_probe.py --modes max-autotune-no-cudagraphs \
        --json bench/results/compile_probe_autotune.json

One mode per process: a second ``torch.compile`` of the same function in a process may reuse the first
one's graph (it then "compiles" in 0.2 s).
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

import planners.mppi as mppi_mod
from adaptive_control.build import make_planner_factory
from adaptive_control.config import PlannerConfig
from adaptive_control.experiments.bench import (DEFAULT, functional_dynamics, machine_info, make_model,
                                                matmul_rate, pytorch_mppi_planner, robot_states)
from models.dataset import atomic_write
from planners.shooting import rollout_costs


class _CompiledRollout:
    """A planner whose ``command`` runs with a compiled ``rollout_costs`` (swapped in for the call only)."""

    def __init__(self, planner, compiled):
        self.planner, self.compiled = planner, compiled

    def command(self, state):
        mppi_mod.rollout_costs = self.compiled
        try:
            return self.planner.command(state)
        finally:
            mppi_mod.rollout_costs = rollout_costs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modes", nargs="+", default=["default", "max-autotune-no-cudagraphs"])
    ap.add_argument("--blocks", type=int, default=8, help="interleaved blocks of 25 plans per planner")
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    torch.set_num_threads(2)
    obs, act, nxt = robot_states()
    model = make_model(DEFAULT["hidden"], obs, act, nxt)
    nx, nu = obs.shape[1], act.shape[1]
    factory = make_planner_factory(PlannerConfig(samples=DEFAULT["samples"], horizon=DEFAULT["horizon"],
                                                 precision="float32"), "half_cheetah", "cpu")
    prior = model.params()
    planners = {"eager": factory(model.predictor(prior)),
                "pytorch_mppi": pytorch_mppi_planner(functional_dynamics(model, lambda: prior), DEFAULT["samples"],
                                                     DEFAULT["horizon"], nx, nu)}
    info = {}
    other = {k: v + 1e-3 for k, v in prior.items()}  # an adapted parameter set
    with torch.no_grad():
        for mode in args.modes:
            inner = factory(model.predictor(prior))
            p = _CompiledRollout(inner, torch.compile(rollout_costs, mode=None if mode == "default" else mode,
                                                      dynamic=False))
            t = time.perf_counter()
            for i in range(3):
                p.command(obs[i])
            compile_s = time.perf_counter() - t
            inner.dynamics = model.predictor(other)
            t = time.perf_counter()
            p.command(obs[0])
            new_params_ms = 1e3 * (time.perf_counter() - t)
            a, b = factory(model.predictor(other)), _CompiledRollout(factory(model.predictor(other)), p.compiled)
            diff = float((a.command(obs[5]) - b.command(obs[5])).abs().max())
            info[mode] = {"compile_s": compile_s, "first_plan_with_new_parameters_ms": new_params_ms,
                          "max_action_difference_to_eager": diff}
            planners[f"compiled_{mode}"] = p
            print(f"{mode}: compiled in {compile_s:.1f} s; new parameters {new_params_ms:.1f} ms; action diff {diff:.1e}",
                  flush=True)
        times = {k: [] for k in planners}
        for p in planners.values():
            for i in range(20):
                p.command(obs[i])
        for rep in range(args.blocks):
            for name, p in planners.items():
                for i in range(25):
                    t = time.perf_counter()
                    p.command(obs[(rep * 25 + i) % len(obs)])
                    times[name].append(1e3 * (time.perf_counter() - t))
    med = {k: float(np.median(v)) for k, v in times.items()}
    ratios = {k: med[k] / med["pytorch_mppi"] for k in med if k != "pytorch_mppi"}
    print("median plan ms:", {k: round(v, 2) for k, v in med.items()})
    print("ratio to pytorch_mppi:", {k: round(v, 3) for k, v in ratios.items()})
    out = {"benchmark": "compile_probe", "date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine_info(),
           "matmul_gflops_float32": matmul_rate(), "model": {"hidden": list(DEFAULT["hidden"]),
                                                             "samples": DEFAULT["samples"], "horizon": DEFAULT["horizon"]},
           "modes": info, "plan_median_ms": med, "ratio_vs_pytorch_mppi": ratios}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))


if __name__ == "__main__":
    main()
