"""Does the online step make the model better over the plan's horizon, or only one step ahead?

Records episodes of a controller on the crippled half-cheetah (held-out actuators), then at every
``--every``-th tick takes the checkpoint's prior and its adapted parameters (one step on the window the
controller would use: the last M transitions of the model's span, learned step sizes) and rolls both
out open loop from the real state under the recorded actions, k predictions ahead. Errors are RMS
over the state entries in units of the model's state-change standard deviation; ``adapted - prior`` < 0
means the step helped at that horizon.

    python bench/adaptation_horizon.py --checkpoint results/quality/checkpoints/tick1/half_cheetah/grbal.pt \
        --config results/quality/half_cheetah_tick1.yaml --step-ticks 3 --json bench/results/adaptation_horizon_tick1.json
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

import numpy as np


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", required=True, help="a grbal checkpoint")
    p.add_argument("--config", default=None, help="experiment YAML (planner of the recorded episodes)")
    p.add_argument("--method", default="grbal", help="the controller that drives the recorded episodes")
    p.add_argument("--step-ticks", type=int, default=0, help="0: the config's")
    p.add_argument("--temperature", type=float, default=0.0, help="0: the config's")
    p.add_argument("--seeds", nargs="+", type=int, default=[100, 101, 102])
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--every", type=int, default=5)
    p.add_argument("--horizons", nargs="+", type=int, default=[1, 2, 3, 5, 10, 30])
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)

    import torch

    from adaptive_control.build import build_controller, experiment_config, load_for_method, task_distribution
    from models.adaptation import GradientAdapter
    from models.dataset import atomic_write
    from robot_bridge.mujoco_backend import run_episode
    from sim.robots import make_env

    torch.set_num_threads(1)
    cfg = experiment_config("half_cheetah", args.config)
    planner = cfg.planner
    if args.step_ticks:
        planner = dataclasses.replace(planner, step_ticks=args.step_ticks)
    if args.temperature:
        planner = dataclasses.replace(planner, temperature=args.temperature)
    ck = load_for_method("grbal", "half_cheetah", args.checkpoint)
    model, n = ck.model, ck.ticks
    prior = model.params()
    adapter = GradientAdapter(model, ck.inner_lr, online=True)
    m = cfg.controller.adapt_window
    scale = model.normalizer.delta_std
    errs = {k: {"prior": [], "adapted": []} for k in args.horizons}
    returns = []
    for seed in args.seeds:
        ctrl = build_controller(load_for_method(args.method, "half_cheetah", args.checkpoint), "half_cheetah", planner,
                                dataclasses.replace(cfg.controller, method=args.method, threads=1))
        task = task_distribution("half_cheetah", cfg.task, "crippled_leg", "test").sample(np.random.default_rng(seed))
        res = run_episode(make_env("half_cheetah"), ctrl, args.steps, seed=seed, task=task, record=True)
        ctrl.close()
        returns.append(res.episode_return)
        obs, act, nxt = (torch.as_tensor(np.asarray(x), dtype=torch.float32) for x in res.transitions)
        states = torch.cat([obs, nxt[-1:]])  # s_0 .. s_T
        T = len(act)

        def block(i):  # the model's transition starting at tick i: (s_i, a_i .. a_{i+n-1}, s_{i+n})
            return states[i], act[i:i + n].reshape(-1), states[i + n]

        kmax = max(args.horizons)
        for t in range(m + n, T - kmax * n, args.every):
            win = [block(i) for i in range(t - n - m + 1, t - n + 1)]
            o, a, nx_ = (torch.stack(x) for x in zip(*win))
            adapted = adapter.adapt(prior, o, a, nx_)
            for name, params in (("prior", prior), ("adapted", adapted)):
                s = states[t][None]
                with torch.no_grad():
                    for k in range(1, kmax + 1):
                        i = t + (k - 1) * n
                        s = model.predict_next(params, s, act[i:i + n].reshape(1, -1))
                        if k in errs:
                            e = ((s[0] - states[t + k * n]) / scale).pow(2).mean().sqrt()
                            errs[k][name].append(float(e))
        print(f"seed {seed}: return {res.episode_return:.0f}", flush=True)
    table = {}
    for k, v in errs.items():
        pr, ad = np.array(v["prior"]), np.array(v["adapted"])
        d = ad - pr
        table[k] = {"ticks_ahead": k * n, "prior": float(pr.mean()), "adapted": float(ad.mean()),
                    "adapted_minus_prior": float(d.mean()), "se": float(d.std(ddof=1) / np.sqrt(len(d))),
                    "adapted_better_fraction": float((d < 0).mean()), "points": len(d)}
        print(f"{k:3d} predictions ({k * n:3d} ticks) ahead: prior {pr.mean():7.3f}  adapted {ad.mean():7.3f}  "
              f"adapted - prior {d.mean():+.3f} ± {table[k]['se']:.3f}  (step better at {100 * (d < 0).mean():.0f}%)")
    out = {"command": "python " + " ".join([os.path.relpath(sys.argv[0])] + (argv if argv is not None else sys.argv[1:])),
           "checkpoint": args.checkpoint, "model_ticks": n, "adapt_window": m, "method": args.method,
           "planner": dataclasses.asdict(planner), "seeds": args.seeds, "returns": returns,
           "units": "RMS over state entries of the open-loop error / the model's state-change std", "horizons": table}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
