"""Commanded-velocity tracking on a crippled robot: RMS error and settling time after each step of the
command, for several methods on the same seeded tasks (the shipped checkpoints and planner).

    python bench/tracking.py --robot half_cheetah --methods grbal mb --seeds 100 101 102 \
        --command "0:1.0,5:2.0,10:0.5" --steps 1500 --json bench/results/tracking.json

Each episode is ``adaptive-control run --task track`` (the same code path): a task from the family's
held-out test range, the planner's cost the squared velocity error against the command in force.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--robot", default="half_cheetah")
    p.add_argument("--family", default="crippled_leg")
    p.add_argument("--methods", nargs="+", default=["grbal", "mb"])
    p.add_argument("--seeds", nargs="+", type=int, default=[100, 101, 102])
    p.add_argument("--command", default="0:1.0,5:2.0,10:0.5")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)

    import dataclasses

    import torch

    from adaptive_control.build import experiment_config
    from adaptive_control.experiments.episode import episode_tracking, run_one
    from adaptive_control.experiments.bench import machine_info
    from adaptive_control.tracking import CommandSchedule
    from models.dataset import atomic_write

    torch.set_num_threads(args.threads)
    cfg = experiment_config(args.robot)
    cfg = dataclasses.replace(cfg, controller=dataclasses.replace(cfg.controller, threads=args.threads))
    schedule = CommandSchedule.parse(args.command)
    out = {"command": "python bench/tracking.py " + " ".join(argv or sys.argv[1:]), "machine": machine_info(),
           "robot": args.robot, "family": args.family, "schedule": args.command, "steps": args.steps,
           "planner": dataclasses.asdict(cfg.planner), "episodes": [], "summary": {}}
    for method in args.methods:
        for seed in args.seeds:
            res = run_one(cfg, method, seed, args.steps, perturbation=args.family, progress=False, command=schedule)
            t = episode_tracking(args.robot, res, schedule)
            out["episodes"].append({"method": method, "seed": seed, "task": res.task, **t})
            settle = [s["settling_s"] for s in t["steps"][1:]]
            print(f"{method:6s} seed {seed}: RMS vx {t['rms_vx']:.3f} m/s; settling after the steps "
                  + ", ".join("never" if s is None else f"{s:.2f} s" for s in settle), flush=True)
            atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
        eps = [e for e in out["episodes"] if e["method"] == method]
        settles = [s["settling_s"] for e in eps for s in e["steps"][1:]]
        done = [s for s in settles if s is not None]
        out["summary"][method] = {
            "rms_vx_mean": float(np.mean([e["rms_vx"] for e in eps])),
            "rms_vx_stderr": float(np.std([e["rms_vx"] for e in eps], ddof=1) / np.sqrt(len(eps))) if len(eps) > 1 else None,
            "settled_fraction": len(done) / max(len(settles), 1),
            "settling_median_s": float(np.median(done)) if done else None}
        print(f"{method}: {out['summary'][method]}", flush=True)
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
