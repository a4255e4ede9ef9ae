"""Why a half-cheetah episode returns little: does the crippled cheetah flip onto its back, or stall
upright?

Runs the controllers of a checkpoint folder on held-out tasks (as ``bench/step_ticks.py`` does, the
experiment's planner) and reports per episode: the return, the mean forward speed, the fraction of
ticks the torso is pitched past vertical (|rooty| > pi/2: on its back or nose-down), the first such
tick, and the fraction of ticks slower than 0.2 m/s. Observation layout: ``sim/half_cheetah.py``
(rooty is ``obs[1]``, vx ``obs[8]``).

    python bench/stall_trace.py --checkpoints runs/hc_shipcfg_seed3/final --json bench/results/stall_trace.json
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

import numpy as np

PITCH, VX = 1, 8


def episode_posture(obs: np.ndarray, control_dt: float) -> dict:
    """Posture figures of one episode from its observations (steps, nx)."""
    flipped = np.abs(obs[:, PITCH]) > np.pi / 2
    first = int(np.argmax(flipped)) if flipped.any() else None
    return {"flipped_fraction": float(flipped.mean()),
            "first_flip_s": None if first is None else first * control_dt,
            "slow_fraction": float((obs[:, VX] < 0.2).mean())}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--family", default="crippled_leg")
    ap.add_argument("--split", default="test", choices=["train", "test"])
    ap.add_argument("--methods", nargs="+", default=["grbal"])
    ap.add_argument("--seeds", nargs="+", type=int, default=list(range(100, 110)))
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--checkpoints", help="folder of grbal.pt / mb.pt (default: the shipped ones)")
    ap.add_argument("--config", help="experiment YAML (default: the shipped one)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", required=True)
    args = ap.parse_args(argv)

    import torch

    from adaptive_control.build import CHECKPOINT_KIND, assets_dir, build_controller, experiment_config, load_for_method
    from models.dataset import atomic_write
    from robot_bridge.mujoco_backend import run_episode
    from sim.robots import make_env
    from sim.tasks import make_distribution

    robot = "half_cheetah"
    torch.set_num_threads(args.threads)
    ck_dir = args.checkpoints or os.path.join(assets_dir(), robot)
    exp = experiment_config(robot, args.config)
    env = make_env(robot)
    tasks = make_distribution(robot, args.family, args.split)
    out = {"command": "python bench/stall_trace.py " + " ".join(argv if argv is not None else sys.argv[1:]),
           "checkpoints": ck_dir, "family": args.family, "split": args.split, "steps": args.steps,
           "methods": {}}
    for method in args.methods:
        ckpt = load_for_method(method, robot, os.path.join(ck_dir, f"{CHECKPOINT_KIND[method]}.pt"))
        ctrl = build_controller(ckpt, robot, exp.planner,
                                dataclasses.replace(exp.controller, method=method, threads=args.threads))
        episodes = []
        for seed in args.seeds:
            res = run_episode(env, ctrl, args.steps, seed=seed, task=tasks.sample(np.random.default_rng(seed)),
                              record=True)
            ep = {"seed": seed, "return": res.episode_return, "speed": float(res.forward_velocity.mean()),
                  **episode_posture(np.asarray(res.transitions[0]), env.control_dt)}
            episodes.append(ep)
            flip = "never" if ep["first_flip_s"] is None else f"at {ep['first_flip_s']:.1f} s"
            print(f"{method} seed {seed}: return {ep['return']:7.0f}, {ep['speed']:.2f} m/s, flipped "
                  f"{100 * ep['flipped_fraction']:3.0f}% of ticks (first {flip}), slower than 0.2 m/s "
                  f"{100 * ep['slow_fraction']:3.0f}%", flush=True)
        ctrl.close()
        out["methods"][method] = episodes
        atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
