"""Planning step vs control tick: return of each method at several ``step_ticks`` (and K, T), with the
true-dynamics reference beside them, on a perturbation family's test range.

    python bench/step_ticks.py --robot half_cheetah --family crippled_leg --seeds 100 101 102 103 104 \
        --methods true_dynamics grbal mb --step-ticks 1 3 --json bench/results/step_ticks.json

Each (method, step_ticks, samples, horizon, noise correlation, temperature, noise sigma) point runs the
same seeded tasks and initial states.
Checkpoints: ``--checkpoints DIR`` (``DIR/{grbal,mb,rebal}.pt``; default: the shipped ones, trained
on the training ranges only, so the test range is held out). Writes JSON (atomically) after every
point, so a long run can be read while it goes on.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import time

import numpy as np


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--robot", default="half_cheetah")
    p.add_argument("--family", default="crippled_leg")
    p.add_argument("--split", default="test", choices=["train", "test"])
    p.add_argument("--methods", nargs="+", default=["true_dynamics", "grbal", "mb"])
    p.add_argument("--step-ticks", nargs="+", type=int, default=[1, 3])
    p.add_argument("--samples", nargs="+", type=int, default=[0], help="K values (0: the config's)")
    p.add_argument("--horizons", nargs="+", type=int, default=[0], help="T values (0: the config's)")
    p.add_argument("--noise-correlation", nargs="+", type=float, default=[-1.0],
                   help="MPPI noise_correlation values (colored noise; -1: the config's)")
    p.add_argument("--temperatures", nargs="+", type=float, default=[0.0],
                   help="MPPI softmin temperatures (relative to the cost spread; 0: the config's)")
    p.add_argument("--noise-sigmas", nargs="+", type=float, default=[0.0],
                   help="sampling noise standard deviations (actions in [-1, 1]; 0: the config's)")
    p.add_argument("--seeds", nargs="+", type=int, default=[100, 101, 102, 103, 104])
    p.add_argument("--steps", type=int, default=0, help="ticks per episode (0: 1000 cheetah, 600 ant)")
    p.add_argument("--checkpoints", help="folder of grbal.pt / mb.pt / rebal.pt (default: the shipped ones)")
    p.add_argument("--config", help="experiment YAML (default: the robot's shipped one)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)

    import torch

    from adaptive_control.build import (CHECKPOINT_KIND, assets_dir, build_controller, experiment_config,
                                        load_for_method)
    from adaptive_control.reference import TRUE_DYNAMICS, build_reference
    from models.dataset import atomic_write
    from robot_bridge.mujoco_backend import run_episode
    from sim.robots import make_env
    from sim.tasks import make_distribution

    ck_dir = args.checkpoints or os.path.join(assets_dir(), args.robot)
    exp = experiment_config(args.robot, args.config)
    steps = args.steps or (1000 if args.robot == "half_cheetah" else 600)
    tasks = make_distribution(args.robot, args.family, args.split)
    env = make_env(args.robot)
    ctrl_cfg = dataclasses.replace(exp.controller, threads=args.threads)
    torch.set_num_threads(args.threads)
    out = {"command": "python bench/" + os.path.basename(__file__) + " " + " ".join(argv or os.sys.argv[1:]),
           "robot": args.robot, "family": args.family, "split": args.split, "steps": steps, "seeds": args.seeds,
           "checkpoints": ck_dir, "machine": {"cpus": os.cpu_count(), "processor": platform.processor()},
           "points": []}
    for method in args.methods:
        for n in args.step_ticks:
            for k, h, rho, temp, sigma in ((k, h, rho, temp, sigma) for k in args.samples for h in args.horizons
                                           for rho in args.noise_correlation for temp in args.temperatures
                                           for sigma in args.noise_sigmas):
                planner = dataclasses.replace(exp.planner, step_ticks=n, samples=k or exp.planner.samples,
                                              horizon=h or exp.planner.horizon,
                                              noise_correlation=exp.planner.noise_correlation if rho < 0 else rho,
                                              temperature=temp or exp.planner.temperature,
                                              noise_sigma=sigma or exp.planner.noise_sigma)
                planner.validate()
                if method == TRUE_DYNAMICS:
                    ctrl = build_reference(env, args.robot, planner, ctrl_cfg)
                else:
                    ckpt = load_for_method(method, args.robot, os.path.join(ck_dir, f"{CHECKPOINT_KIND[method]}.pt"))
                    ctrl = build_controller(ckpt, args.robot, planner, dataclasses.replace(ctrl_cfg, method=method))
                rets, vels, ticks = [], [], []
                t0 = time.time()
                for seed in args.seeds:
                    task = tasks.sample(np.random.default_rng(seed))
                    res = run_episode(env, ctrl, steps, seed=seed, task=task)
                    rets.append(res.episode_return)
                    vels.append(float(res.forward_velocity.mean()))
                    ticks.append(res.latency["total_median_ms"])
                ctrl.close()
                r = np.array(rets)
                point = {"method": method, "step_ticks": n, "samples": planner.samples, "horizon": planner.horizon,
                         "noise_correlation": planner.noise_correlation, "temperature": planner.temperature,
                         "noise_sigma": planner.noise_sigma,
                         "lookahead_s": planner.horizon * n * env.control_dt, "returns": rets,
                         "mean": float(r.mean()), "stderr": float(r.std(ddof=1) / np.sqrt(len(r))) if len(r) > 1 else None,
                         "mean_forward_velocity": float(np.mean(vels)), "tick_median_ms": float(np.median(ticks)),
                         "wall_s": time.time() - t0}
                out["points"].append(point)
                print(f"{method:13s} n={n} K={planner.samples} T={planner.horizon} rho={planner.noise_correlation} "
                      f"temp={planner.temperature} sigma={planner.noise_sigma}: return {point['mean']:8.1f} "
                      f"± {point['stderr'] or 0:6.1f}, {point['mean_forward_velocity']:.2f} m/s, tick "
                      f"{point['tick_median_ms']:.1f} ms ({point['wall_s']:.0f} s)", flush=True)
                atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
