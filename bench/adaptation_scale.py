"""What the online step buys: the shipped GrBAL with its learned step sizes scaled (0 = the prior as it is,
1 = the shipped step), one family's held-out test range, per-seed returns to JSON (README "Perturbation
suite": on the half-cheetah's heavy joint damping the step costs return).

    python bench/adaptation_scale.py --family joint_damping --scales 0 0.5 1 2 --json out.json
    python bench/adaptation_scale.py --family crippled_leg --steps 1000 --seeds 100 ... 119 \
        --checkpoint runs/model_size/h3x256_seed1/grbal.pt --scales 0.25 0.5 --json out.json
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time

import numpy as np


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--robot", default="half_cheetah")
    p.add_argument("--family", default="joint_damping")
    p.add_argument("--scales", nargs="+", type=float, default=[0.0, 0.5, 1.0, 2.0])
    p.add_argument("--seeds", nargs="+", type=int, default=list(range(100, 110)))
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--checkpoint", default=None, help="a GrBAL checkpoint (default: the robot's shipped one)")
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)

    import torch

    from adaptive_control.build import build_controller, experiment_config, load_for_method
    from models.dataset import atomic_write
    from robot_bridge.mujoco_backend import run_episode
    from sim.robots import make_env
    from sim.tasks import make_distribution

    torch.set_num_threads(1)
    exp = experiment_config(args.robot)
    env, tasks = make_env(args.robot), make_distribution(args.robot, args.family, "test")
    out = {"command": "python bench/adaptation_scale.py " + " ".join(argv or __import__("sys").argv[1:]),
           "robot": args.robot, "checkpoint": args.checkpoint, "family": args.family, "seeds": args.seeds, "steps": args.steps, "points": []}
    for scale in args.scales:
        ckpt = load_for_method("grbal", args.robot, args.checkpoint)
        method = "grbal"
        if scale == 0:
            method = "grbal_prior"  # no step at all (a zero step would still run the guard's check)
        else:
            lr = ckpt.inner_lr
            lr = {k: v * scale for k, v in lr.items()} if isinstance(lr, dict) else lr * scale
            ckpt = dataclasses.replace(ckpt, inner_lr=lr)
        ctrl = build_controller(ckpt, args.robot, exp.planner, dataclasses.replace(exp.controller, method=method,
                                                                                   threads=1))
        t0, returns = time.time(), []
        for seed in args.seeds:
            res = run_episode(env, ctrl, args.steps, seed=seed, task=tasks.sample(np.random.default_rng(seed)))
            returns.append(res.episode_return)
        ctrl.close()
        r = np.asarray(returns)
        point = {"scale": scale, "returns": returns, "mean": float(r.mean()),
                 "stderr": float(r.std(ddof=1) / np.sqrt(len(r))), "wall_s": time.time() - t0}
        out["points"].append(point)
        print(f"step size x{scale:g}: return {point['mean']:.0f} ± {point['stderr']:.0f}", flush=True)
        atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
