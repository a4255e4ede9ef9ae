"""A finite sensor spike: one observation entry off by ``size`` for one tick, the simulator untouched.

For every (seed, entry, size) the same seeded episode runs four ways: clean and spiked, each with
the adaptation guard off and on (``controller.guard``). Reported per case: the spiked return as a
fraction of the clean one, over the second after the spike and over the whole episode, how far
the next 20 commands moved from the clean episode's, and the guard's counters. A "null" spike
(``--null-size``, 0.001) measures how far two episodes drift apart by chaos alone: on the
crippled half-cheetah it moves whole-episode returns by tens of percent, so the whole-episode
ratio is only meaningful pooled over many cases. Episodes run in ``--workers`` processes (one
torch thread each); JSON written atomically.

    python bench/spike.py --seeds 100 101 102 --entries 8 10 13 --sizes 20 50 \
        --json bench/results/spike.json
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing as mp
import os
import platform
import time

import numpy as np


def _episode(job: dict) -> dict:
    import torch

    torch.set_num_threads(1)
    from adaptive_control.build import build_controller, experiment_config, load_for_method, task_distribution
    from robot_bridge.mujoco_backend import run_episode
    from sim.robots import make_env

    robot = job["robot"]
    cfg = experiment_config(robot, job["config"])
    ctrl_cfg = dataclasses.replace(cfg.controller, method=job["method"], threads=1,
                                   guard=dataclasses.replace(cfg.controller.guard, enabled=job["guard"]))
    ckpt = load_for_method(job["method"], robot, job["checkpoint"])
    ctrl = build_controller(ckpt, robot, cfg.planner, ctrl_cfg)
    env = make_env(robot)
    task = task_distribution(robot, cfg.task, job["family"], "test").sample(np.random.default_rng(job["seed"]))
    tick, entry, size = job["tick"], job["entry"], job["size"]
    commands = []

    class Spiked:  # the controller behind a sensor that spikes once
        stats = property(lambda self: ctrl.stats)

        def __init__(self):
            self.t = 0

        def reset(self):
            self.t = 0
            ctrl.reset()

        def step(self, obs):
            obs = np.array(obs, dtype=np.float64)
            if size and self.t == tick:
                obs[entry] += size
            self.t += 1
            u = ctrl.step(obs)
            commands.append(u)
            return u

    try:
        res = run_episode(env, Spiked(), job["steps"], seed=job["seed"], task=task)
    finally:
        ctrl.close()
    return {**job, "return": res.episode_return, "commands_after": np.asarray(commands[tick:tick + 20]).tolist(),
            "return_after_1s": float(res.rewards[tick:tick + 100].sum()),
            "substituted_observations": res.latency["substituted_observations"],
            "rejected_transitions": res.latency["rejected_transitions"],
            "rejected_adaptations": res.latency["rejected_adaptations"], "task": res.task}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--robot", default="half_cheetah")
    p.add_argument("--family", default="crippled_leg")
    p.add_argument("--method", default="grbal")
    p.add_argument("--checkpoint", help="(default: the shipped one)")
    p.add_argument("--config", help="experiment YAML (default: the robot's shipped one)")
    p.add_argument("--seeds", nargs="+", type=int, default=[100, 101, 102])
    p.add_argument("--entries", nargs="+", type=int, default=[8, 10, 13],
                   help="observation entries to spike (half-cheetah: 8 torso x velocity, 10 pitch rate, "
                        "13 back-foot joint velocity)")
    p.add_argument("--sizes", nargs="+", type=float, default=[20.0, 50.0])
    p.add_argument("--tick", type=int, default=300, help="tick of the spike")
    p.add_argument("--null-size", type=float, default=1e-3,
                   help="a spike this small (first entry) measures how far two episodes drift apart by chaos alone")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)
    from models.dataset import atomic_write

    base = dict(robot=args.robot, family=args.family, method=args.method, checkpoint=args.checkpoint,
                config=args.config, tick=args.tick, steps=args.steps)
    jobs = []
    for seed in args.seeds:
        for guard in (False, True):
            jobs.append({**base, "seed": seed, "guard": guard, "entry": 0, "size": 0.0})
            if args.null_size:
                jobs.append({**base, "seed": seed, "guard": guard, "entry": args.entries[0], "size": args.null_size})
            for entry in args.entries:
                for size in args.sizes:
                    jobs.append({**base, "seed": seed, "guard": guard, "entry": entry, "size": size})
    t0 = time.time()
    ctx = mp.get_context("spawn")
    with ctx.Pool(args.workers) as pool:
        done = []
        for r in pool.imap_unordered(_episode, jobs):
            done.append(r)
            print(f"[{len(done)}/{len(jobs)}] seed {r['seed']} guard {r['guard']} entry {r['entry']} size "
                  f"{r['size']:g}: return {r['return']:.1f}, rejected "
                  f"{r['rejected_transitions']} transitions, {r['rejected_adaptations']} steps", flush=True)
    clean = {(r["seed"], r["guard"]): r for r in done if r["size"] == 0}
    cases = []
    for r in sorted(done, key=lambda r: (r["seed"], r["entry"], r["size"], r["guard"])):
        if r["size"] == 0:
            continue
        c = clean[(r["seed"], r["guard"])]
        # how far the commands of the 20 ticks from the spike on moved away from the clean episode's
        dev = float(np.mean(np.abs(np.asarray(r["commands_after"]) - np.asarray(c["commands_after"]))))
        cases.append({**{k: v for k, v in r.items() if k != "commands_after"}, "clean_return": c["return"],
                      "clean_return_after_1s": c["return_after_1s"],
                      "ratio_to_clean": r["return"] / c["return"] if c["return"] else float("nan"),
                      "command_deviation_20": dev})

    def agg(guard, null):
        sel = [c for c in cases if c["guard"] == guard and (c["size"] == args.null_size) == null]
        if not sel:
            return {}
        rs = np.array([c["ratio_to_clean"] for c in sel])
        return {"ratio_median": float(np.median(rs)), "ratio_mean": float(np.mean(rs)), "ratio_min": float(rs.min()),
                "pooled_ratio": float(sum(c["return"] for c in sel) / sum(c["clean_return"] for c in sel)),
                # the second after the spike, before chaos has moved the episodes apart (see the null rows)
                "pooled_ratio_1s": float(sum(c["return_after_1s"] for c in sel)
                                         / sum(c["clean_return_after_1s"] for c in sel)),
                "ratio_1s_min": float(min(c["return_after_1s"] / c["clean_return_after_1s"] for c in sel)),
                "within_5pct": int(np.sum(np.abs(rs - 1) <= 0.05)), "cases": len(rs),
                "command_deviation_20": float(np.mean([c["command_deviation_20"] for c in sel])),
                "rejected_transitions": int(sum(c["rejected_transitions"] for c in sel)),
                "rejected_adaptations": int(sum(c["rejected_adaptations"] for c in sel))}

    out = {"command": "python bench/spike.py " + " ".join(argv if argv is not None else __import__("sys").argv[1:]),
           "machine": {"cpus": os.cpu_count(), "processor": platform.processor()}, "wall_s": time.time() - t0,
           "clean": [{"seed": s, "guard": g, "return": v["return"], "rejected_transitions": v["rejected_transitions"],
                      "rejected_adaptations": v["rejected_adaptations"]} for (s, g), v in sorted(clean.items())],
           "summary": {"guard_off": agg(False, False), "guard_on": agg(True, False),
                       "null_guard_off": agg(False, True), "null_guard_on": agg(True, True)}, "cases": cases}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    for name, s in out["summary"].items():
        if s:
            print(f"{name}: spiked/clean return over the second after the spike pooled {s['pooled_ratio_1s']:.3f} "
                  f"(min {s['ratio_1s_min']:.3f}); whole episode pooled {s['pooled_ratio']:.3f}, median {s['ratio_median']:.3f}, min "
                  f"{s['ratio_min']:.3f}; within 5%: {s['within_5pct']}/{s['cases']}; command deviation (20 ticks) "
                  f"{s['command_deviation_20']:.3f}")
    print(f"wrote {args.json} ({out['wall_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
