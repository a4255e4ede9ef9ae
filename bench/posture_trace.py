"""Does the robot end up on its back? Per episode: the return, the first time the torso is upside down
(a free base: its up axis pointing below the horizon; a planar base: pitched past vertical), the
fraction of the episode spent so, how many times it turned over (upright to upside down) and the
fraction of ticks slower than 0.2 m/s (stalled), for each method, on a perturbation family's test range.

    python bench/posture_trace.py --robot ant --methods grbal mb --seeds 100 101 102 103 104 105 106 107 108 109 \
        --json bench/results/ant_posture.json
    python bench/posture_trace.py --robot ant --methods true_dynamics --seeds 100 --json ...   # the reference
    python bench/posture_trace.py --robot half_cheetah --seeds 100 101 102 103 104 105 106 107 108 109 \
        --threads 2 --json ...

``--config`` takes another experiment YAML (e.g. with ``planner.upright_weight``), ``--checkpoints`` another
folder of ``grbal.pt`` / ``mb.pt``. JSON is written (atomically) after every episode.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os

import numpy as np


def upside_down(obs: np.ndarray, quat_idx) -> np.ndarray:
    """(S,) True where the torso's up axis points below the horizon: world z of the body z axis
    ``1 - 2 (qx² + qy²)`` < 0, from the observed base quaternion (w, x, y, z)."""
    q = obs[:, list(quat_idx)]
    return 1.0 - 2.0 * (q[:, 1] ** 2 + q[:, 2] ** 2) < 0.0


def pitched_over(obs: np.ndarray, pitch_idx: int) -> np.ndarray:
    """(S,) True where a planar torso is pitched past vertical (on its back or nose-down)."""
    return np.abs(obs[:, pitch_idx]) > np.pi / 2


#: Forward speed (m/s) below which a tick counts as stalled.
SLOW = 0.2


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--robot", default="ant")
    p.add_argument("--family", default="crippled_leg")
    p.add_argument("--split", default="test", choices=["train", "test"])
    p.add_argument("--methods", nargs="+", default=["grbal", "mb"])
    p.add_argument("--seeds", nargs="+", type=int, default=[100, 101, 102, 103, 104])
    p.add_argument("--steps", type=int, help="ticks per episode (default: 1000 on the half-cheetah, else 600)")
    p.add_argument("--checkpoints", help="folder of grbal.pt / mb.pt (default: the shipped ones)")
    p.add_argument("--config", help="experiment YAML (default: the robot's shipped one)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)

    import torch

    from adaptive_control.build import (CHECKPOINT_KIND, assets_dir, build_controller, experiment_config,
                                        load_for_method)
    from adaptive_control.reference import TRUE_DYNAMICS, build_reference
    from models.dataset import atomic_write
    from robot_bridge.mujoco_backend import run_episode
    from sim.robots import make_env
    from sim.spec import load_spec
    from sim.tasks import make_distribution

    entries = load_spec(args.robot).base_entries()
    if "quat" in entries:
        down_fn = lambda o: upside_down(o, entries["quat"])  # noqa: E731
    elif "pitch" in entries:
        down_fn = lambda o: pitched_over(o, entries["pitch"])  # noqa: E731
    else:
        raise SystemExit(f"{args.robot}: neither a base quaternion nor a base pitch is observed")
    steps = args.steps or (1000 if args.robot == "half_cheetah" else 600)
    ck_dir = args.checkpoints or os.path.join(assets_dir(), args.robot)
    exp = experiment_config(args.robot, args.config)
    tasks = make_distribution(args.robot, args.family, args.split)
    env = make_env(args.robot)
    ctrl_cfg = dataclasses.replace(exp.controller, threads=args.threads)
    torch.set_num_threads(args.threads)
    out = {"command": "python bench/" + os.path.basename(__file__) + " " + " ".join(argv or os.sys.argv[1:]),
           "robot": args.robot, "family": args.family, "split": args.split, "steps": steps,
           "checkpoints": ck_dir, "config": args.config, "upright_weight": exp.planner.upright_weight,
           "control_dt": env.control_dt, "methods": {}}
    for method in args.methods:
        if method == TRUE_DYNAMICS:
            ctrl = build_reference(env, args.robot, exp.planner, ctrl_cfg)
        else:
            ckpt = load_for_method(method, args.robot, os.path.join(ck_dir, f"{CHECKPOINT_KIND[method]}.pt"))
            ctrl = build_controller(ckpt, args.robot, exp.planner, dataclasses.replace(ctrl_cfg, method=method))
        rows = out["methods"][method] = []
        for seed in args.seeds:
            task = tasks.sample(np.random.default_rng(seed))
            res = run_episode(env, ctrl, steps, seed=seed, task=task, record=True)
            down = down_fn(res.transitions[2])
            first = int(np.argmax(down)) if down.any() else None
            rows.append({"seed": seed, "return": res.episode_return,
                         "first_upside_down_s": None if first is None else (first + 1) * env.control_dt,
                         "fraction_upside_down": float(down.mean()),
                         "turns_over": int(np.sum(down[1:] & ~down[:-1]) + down[0]),
                         "mean_forward_velocity": float(res.forward_velocity.mean()),
                         "slow_fraction": float((res.forward_velocity < SLOW).mean())})
            print(f"{method:13s} seed {seed}: return {res.episode_return:7.1f}, upside down "
                  + (f"from {rows[-1]['first_upside_down_s']:.2f} s ({100 * down.mean():.0f}% of the episode, "
                     f"turned over {rows[-1]['turns_over']} times)"
                     if first is not None else "never")
                  + f", slower than {SLOW} m/s {100 * rows[-1]['slow_fraction']:.0f}% of the ticks", flush=True)
            atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
        ctrl.close()
        flipped = [r for r in rows if r["first_upside_down_s"] is not None]
        summary = {"episodes": len(rows), "upside_down_episodes": len(flipped),
                   "median_first_upside_down_s": float(np.median([r["first_upside_down_s"] for r in flipped]))
                   if flipped else None,
                   "mean_fraction_upside_down": float(np.mean([r["fraction_upside_down"] for r in rows])),
                   "mean_turns_over": float(np.mean([r["turns_over"] for r in rows])),
                   "mean_slow_fraction": float(np.mean([r["slow_fraction"] for r in rows])),
                   "mean_return": float(np.mean([r["return"] for r in rows]))}
        out.setdefault("summary", {})[method] = summary
        print(f"{method}: {summary}", flush=True)
        atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
