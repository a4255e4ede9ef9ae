"""Return per compute: our MPPI against pytorch_mppi driven by the same adapted model, at equal plan time.

    python bench/return_per_compute.py --robot half_cheetah --seeds 100 101 102 103 104 105 106 107 108 109 \
        --steps 1000 --json bench/results/return_per_compute.json

Every contender is the shipped grbal controller (checkpoint, adaptation, guard, held actions) in
float32; only the planner differs:

* ``ours``: our MPPI at the shipped K.
* ``pytorch_mppi_folded``: pytorch_mppi on the controller's own dynamics callable (the adapted
  network with its normaliser folded in), the same K: measured at the same plan time.
* ``pytorch_mppi_plain``: pytorch_mppi on the adapted model wired as a GrBAL user would (the
  parameter dict of the tick through ``torch.func.functional_call``), with K lowered until its plan
  takes our plan's time (measured here, before the episodes, interleaved).

pytorch_mppi keeps its own conventions (absolute temperature ``lambda_``, shift before planning);
it is given the same noise, bounds and running cost, shifts its nominal sequence only when a
held block of ``step_ticks`` ticks ends, and runs with ``lambda_`` = 1 (its default). Episodes run
on held-out crippled legs (the family's test range), one torch thread each, two at a time.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from multiprocessing import get_context

import numpy as np
import torch

ROBOT = "half_cheetah"


class LibraryMPPI:
    """pytorch_mppi's MPPI (:func:`adaptive_control.experiments.bench.pytorch_mppi_planner`) behind our
    planner interface (``command(state)``, ``reset()``), holding each planned action ``step_ticks``
    ticks: its nominal sequence shifts only when a block ends."""

    def __init__(self, lib, step_ticks: int, seed: int):
        self.lib, self.step_ticks, self.seed = lib, step_ticks, seed
        self.reset()

    def reset(self) -> None:
        torch.manual_seed(self.seed)  # pytorch_mppi samples from torch's global generator
        self.lib.reset()
        self.phase, self.first = 0, True

    def command(self, state):
        action = self.lib.command(state, shift_nominal_trajectory=self.phase == 0 and not self.first)
        self.first = False
        self.phase = (self.phase + 1) % self.step_ticks
        return action


def contender_controller(name: str, samples: int, robot: str = ROBOT, threads: int = 1):
    from adaptive_control.build import build_controller, experiment_config, load_for_method
    from adaptive_control.experiments.bench import functional_dynamics, pytorch_mppi_planner
    from sim.robots import make_env, planning_cost

    cfg = experiment_config(robot)
    planner = dataclasses.replace(cfg.planner, precision="float32", samples=samples)
    ctrl_cfg = dataclasses.replace(cfg.controller, method="grbal", threads=threads)
    ckpt = load_for_method("grbal", robot)
    if name == "ours":
        return build_controller(ckpt, robot, planner, ctrl_cfg)
    env, cost, held = make_env(robot), planning_cost(robot, planner.upright_weight), ckpt.ticks
    model = ckpt.model

    def factory(dynamics, params_fn):
        if name == "pytorch_mppi_plain":  # the adapted model as a user would wire it
            dynamics = functional_dynamics(model, params_fn, held)
        lib = pytorch_mppi_planner(dynamics, planner.samples, planner.horizon, env.obs_size, env.action_size,
                                   sigma=planner.noise_sigma, cost=cost, low=env.action_low, high=env.action_high)
        return LibraryMPPI(lib, planner.step_ticks, planner.seed)

    return build_controller(ckpt, robot, planner, ctrl_cfg, planner_factory=factory)


def plan_ms(name: str, samples: int, states, ticks: int = 60) -> list:
    """Per-tick plan times (ms) of a contender over recorded states (after 10 warm-up ticks)."""
    ctrl = contender_controller(name, samples, threads=2)
    with torch.no_grad():
        for i in range(10 + ticks):
            ctrl.step(states[i % len(states)].numpy())
    return list(ctrl.stats.plan_ms[-ticks:])


def episode(args) -> dict:
    name, samples, seed, steps, family = args
    from adaptive_control.experiments.evaluate import sample_task
    from robot_bridge.mujoco_backend import run_episode
    from sim.robots import make_env

    torch.set_num_threads(1)
    ctrl = contender_controller(name, samples)
    res = run_episode(make_env(ROBOT), ctrl, steps, seed=seed, task=sample_task(ROBOT, family, "test", seed))
    return {"planner": name, "samples": samples, "seed": seed, "return": res.episode_return,
            "plan_median_ms": float(np.median(ctrl.stats.plan_ms))}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", nargs="+", type=int, default=list(range(100, 110)))
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--family", default="crippled_leg")
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)

    from adaptive_control.build import experiment_config
    from adaptive_control.experiments.bench import machine_info, robot_states
    from models.dataset import atomic_write

    torch.set_num_threads(2)
    k = experiment_config(ROBOT).planner.samples
    states = robot_states(ROBOT)[0]
    # equal plan time: pytorch_mppi_plain's time at a few K, interleaved with ours; a line through them gives
    # the K at our time
    grid = [k // 2, (3 * k) // 4, k]
    times: dict = {"ours": [], **{g: [] for g in grid}}
    for _ in range(3):
        times["ours"] += plan_ms("ours", k, states)
        for g in grid:
            times[g] += plan_ms("pytorch_mppi_plain", g, states)
    ours_ms = float(np.median(times["ours"]))
    lib_ms = [float(np.median(times[g])) for g in grid]
    slope, intercept = np.polyfit(grid, lib_ms, 1)  # plan time is affine in K
    k_plain = int(np.clip(round((ours_ms - intercept) / slope), 2, k))
    print(f"plan time: ours {ours_ms:.2f} ms at K={k}; pytorch_mppi (plain wiring) "
          + ", ".join(f"{t:.2f} ms at K={g}" for g, t in zip(grid, lib_ms)) + f" -> K={k_plain}", flush=True)
    contenders = [("ours", k), ("pytorch_mppi_folded", k), ("pytorch_mppi_plain", k_plain)]
    jobs = [(name, kk, seed, args.steps, args.family) for name, kk in contenders for seed in args.seeds]
    t0 = time.perf_counter()
    with get_context("spawn").Pool(2) as pool:
        episodes = pool.map(episode, jobs)
    summary = {}
    for name, kk in contenders:
        r = np.array([e["return"] for e in episodes if e["planner"] == name])
        summary[name] = {"samples": kk, "return_mean": float(r.mean()), "return_std": float(r.std(ddof=1)) if len(r) > 1 else 0.0,
                         "plan_median_ms_in_episodes": float(np.median([e["plan_median_ms"] for e in episodes
                                                                        if e["planner"] == name]))}
        print(f"{name:20s} K={kk:4d}: return {summary[name]['return_mean']:7.0f} ± {summary[name]['return_std']:.0f}",
              flush=True)
    ours = np.array([e["return"] for e in episodes if e["planner"] == "ours"])
    for name, _ in contenders[1:]:
        other = np.array([e["return"] for e in episodes if e["planner"] == name])
        d = ours - other
        summary[name]["ours_minus_this_paired"] = {"mean": float(d.mean()), "std": float(d.std(ddof=1)) if len(d) > 1 else 0.0}
    out = {"command": "python bench/return_per_compute.py " + " ".join(argv or sys.argv[1:]), "machine": machine_info(),
           "robot": ROBOT, "family": args.family, "steps": args.steps, "seeds": args.seeds,
           "plan_ms_two_threads": {"ours": ours_ms, **{f"pytorch_mppi_plain_k{g}": t for g, t in zip(grid, lib_ms)}},
           "summary": summary, "episodes": episodes, "episode_wall_s": time.perf_counter() - t0}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
