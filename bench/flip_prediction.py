"""Does the model see the fall coming? On episodes where a controller turns a free-base robot upside down,
roll the checkpoint's prior open loop from the real state some time before the first upside-down tick,
under the actions the controller actually took, and compare the predicted uprightness at that tick
(world z of the torso's up axis: 1 upright, < 0 upside down) with the true one.

    python bench/flip_prediction.py --robot ant --method grbal --seeds 100 101 102 103 104 105 106 107 108 109 \
        --json bench/results/ant_flip_prediction.json

A planner penalising tilt (``planner.upright_weight``) can only steer away from a fall its model
predicts within the plan's lookahead (``--leads`` model calls before it).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os

import numpy as np


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--robot", default="ant")
    p.add_argument("--family", default="crippled_leg")
    p.add_argument("--method", default="grbal", help="the controller that drives the episodes")
    p.add_argument("--checkpoint", help="its checkpoint (default: the shipped one); its prior is rolled out")
    p.add_argument("--seeds", nargs="+", type=int, default=[100, 101, 102, 103, 104])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--leads", nargs="+", type=int, default=[10, 5, 2], help="model calls before the fall")
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)

    import torch

    from adaptive_control.build import build_controller, experiment_config, load_for_method
    from models.dataset import atomic_write
    from robot_bridge.mujoco_backend import run_episode
    from sim.robots import make_env
    from sim.spec import load_spec
    from sim.tasks import make_distribution

    torch.set_num_threads(1)
    quat = load_spec(args.robot).base_entries().get("quat")
    if quat is None:
        raise SystemExit(f"{args.robot}: no observed base quaternion (a free-joint base is needed)")
    exp = experiment_config(args.robot, None)
    env = make_env(args.robot)
    tasks = make_distribution(args.robot, args.family, "test")
    ckpt = load_for_method(args.method, args.robot, args.checkpoint)
    model, prior, n = ckpt.model, ckpt.model.params(), ckpt.ticks

    def up(o):
        return 1.0 - 2.0 * (o[..., quat[1]] ** 2 + o[..., quat[2]] ** 2)

    out = {"command": "python bench/" + os.path.basename(__file__) + " " + " ".join(argv or os.sys.argv[1:]),
           "robot": args.robot, "family": args.family, "method": args.method, "ticks_per_call": n,
           "control_dt": env.control_dt, "episodes": []}
    for seed in args.seeds:
        ctrl = build_controller(ckpt, args.robot, exp.planner, dataclasses.replace(exp.controller, method=args.method,
                                                                                  threads=1))
        res = run_episode(env, ctrl, args.steps, seed=seed, task=tasks.sample(np.random.default_rng(seed)),
                          record=True)
        ctrl.close()
        o, a, no = res.transitions
        u = up(no)
        row = {"seed": seed, "fall_tick": None, "leads": []}
        if (u < 0).any():
            tf = int(np.argmax(u < 0))
            row["fall_tick"] = tf
            for lead in args.leads:
                t0 = tf + 1 - lead * n
                if t0 < 0:
                    continue
                s = torch.tensor(o[t0][None], dtype=torch.float32)
                with torch.no_grad():
                    for k in range(lead):
                        acts = np.concatenate([a[t0 + k * n + j] for j in range(n)])[None]
                        s = model.predict_next(prior, s, torch.tensor(acts, dtype=torch.float32))
                row["leads"].append({"before_s": lead * n * env.control_dt, "up_then": float(up(o[t0])),
                                     "up_predicted_at_fall": float(up(s[0].numpy())), "up_true_at_fall": float(u[tf])})
        out["episodes"].append(row)
        print(f"seed {seed}: " + ("never upside down" if row["fall_tick"] is None else
                                  f"upside down at tick {row['fall_tick']}; " + "; ".join(
                                      f"from {r['before_s']:.2f} s before: up {r['up_then']:.2f} then, predicted "
                                      f"{r['up_predicted_at_fall']:.2f} at the fall (true {r['up_true_at_fall']:.2f})"
                                      for r in row["leads"])), flush=True)
    summary = {}
    for lead in args.leads:
        preds = [r["up_predicted_at_fall"] for e in out["episodes"] for r in e["leads"]
                 if abs(r["before_s"] - lead * n * env.control_dt) < 1e-9]
        if preds:
            summary[f"{lead * n * env.control_dt:.2f}"] = {"falls": len(preds), "median_up_predicted": float(np.median(preds)),
                                                           "predicted_upside_down": int(np.sum(np.array(preds) < 0))}
    out["summary_by_seconds_before"] = summary
    print(json.dumps(summary))
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
