"""Probe: a learned terminal value at the plan's end, as potential-based shaping of the planner's cost.

A value V(s) (the discounted cost-to-go of the controller that collected ``--data``, fitted by regression
on Monte-Carlo returns of its paths) is added to every planned sequence's cost at its last predicted
state. With the planner summing running costs undiscounted, the shaped running cost
``c(s, a, s') + w (V(s') - V(s))`` telescopes to ``sum c + w V(s_T) - w V(s_0)``, and ``V(s_0)`` is the same
for every sample, so the softmin's ranking is that of ``sum c + w V(s_T)``: a terminal value without a
planner change. This script fits V, then runs the shipped controller on held-out tasks for each weight w
(0: the shipped planner), writing every return to ``--json``.

    python bench/value_probe.py --data runs/value/mpc.npz --weights 0 0.33 1 --seeds 100 ... 109 --json out.json
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time

import numpy as np


def cost_to_go(costs: np.ndarray, path_id: np.ndarray, step: np.ndarray, gamma: float, tail: int):
    """(n,) discounted sums ``G_k = c_k + gamma G_{k+1}`` along each path, and a (n,) mask that drops the last
    ``tail`` transitions of each path (their sums are cut short by the path's end)."""
    g = np.zeros_like(costs)
    keep = np.zeros(len(costs), bool)
    for p in np.unique(path_id):
        idx = np.flatnonzero(path_id == p)
        idx = idx[np.argsort(step[idx])]
        acc = 0.0
        for j in idx[::-1]:
            acc = costs[j] + gamma * acc
            g[j] = acc
        keep[idx[: max(len(idx) - tail, 0)]] = True
    return g, keep


def fit_value(obs: np.ndarray, target: np.ndarray, path_id: np.ndarray, hidden: int, steps: int, seed: int):
    import torch

    gen = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(obs, dtype=torch.float32)
    y = torch.as_tensor(target, dtype=torch.float32)
    paths = np.unique(path_id)
    rng = np.random.default_rng(seed)
    held = set(rng.choice(paths, max(1, len(paths) // 10), replace=False).tolist())
    val = torch.as_tensor(np.isin(path_id, list(held)))
    mu, sd = x[~val].mean(0), x[~val].std(0).clamp_min(1e-6)
    ym, ys = y[~val].mean(), y[~val].std().clamp_min(1e-6)
    with torch.random.fork_rng():  # seeded initialisation without touching the caller's global RNG
        torch.manual_seed(seed)
        net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], hidden), torch.nn.SiLU(),
                                  torch.nn.Linear(hidden, hidden), torch.nn.SiLU(), torch.nn.Linear(hidden, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    xt, yt = (x[~val] - mu) / sd, (y[~val] - ym) / ys
    xv, yv = (x[val] - mu) / sd, (y[val] - ym) / ys
    best, best_state = float("inf"), None
    for i in range(steps):
        b = torch.randint(len(xt), (512,), generator=gen)
        loss = torch.nn.functional.mse_loss(net(xt[b]).squeeze(-1), yt[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i % 200 == 199:
            with torch.no_grad():
                v = float(torch.nn.functional.mse_loss(net(xv).squeeze(-1), yv))
            if v < best:
                best, best_state = v, {k: t.clone() for k, t in net.state_dict().items()}
    net.load_state_dict(best_state)
    net.eval()
    for p_ in net.parameters():
        p_.requires_grad_(False)

    def value(state):
        return (net(((state.to(torch.float32) - mu) / sd)).squeeze(-1) * ys + ym).to(state.dtype)

    with torch.no_grad():
        var = float(yv.var())
    return value, {"val_mse_std_units": best, "val_target_var_std_units": var, "r2": 1 - best / var,
                   "target_mean": float(ym), "target_std": float(ys), "held_paths": len(held)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--robot", default="half_cheetah")
    p.add_argument("--data", nargs="+", required=True, help="datasets the value is fitted on (paths of one controller)")
    p.add_argument("--gamma", type=float, default=0.97, help="discount per control tick of the value's target")
    p.add_argument("--weights", nargs="+", type=float, default=[0.0, 0.33, 1.0])
    p.add_argument("--family", default="crippled_leg")
    p.add_argument("--seeds", nargs="+", type=int, default=list(range(100, 110)))
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--method", default="grbal")
    p.add_argument("--checkpoint", help="default: the shipped one")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--fit-steps", type=int, default=6000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)

    import torch

    from adaptive_control.build import build_controller, experiment_config, load_for_method
    from models.dataset import TransitionDataset, atomic_write
    from robot_bridge.mujoco_backend import run_episode
    from sim.robots import make_env, planning_cost
    from sim.tasks import make_distribution

    torch.set_num_threads(args.threads)
    exp = experiment_config(args.robot)
    data = TransitionDataset.concat([TransitionDataset.load(f) for f in args.data])
    obs, act, nxt, pid, step = data.obs, data.act, data.next_obs, data.path_id, data.step
    cost = planning_cost(args.robot, exp.planner.upright_weight)
    with torch.no_grad():
        c = cost(torch.as_tensor(obs), torch.as_tensor(act), torch.as_tensor(nxt)).numpy().astype(np.float64)
    tail = int(np.ceil(np.log(0.05) / np.log(args.gamma)))
    g, keep = cost_to_go(c, pid, step, args.gamma, tail)
    t0 = time.time()
    value, fit = fit_value(obs[keep], g[keep], pid[keep], args.hidden, args.fit_steps, seed=0)
    fit.update(transitions=int(keep.sum()), fit_s=time.time() - t0, gamma=args.gamma, tail=tail)
    print("value fit:", json.dumps(fit), flush=True)

    env = make_env(args.robot)
    tasks = make_distribution(args.robot, args.family, "test")
    out = {"command": "python bench/value_probe.py " + " ".join(argv or os.sys.argv[1:]), "fit": fit, "points": []}
    ckpt = load_for_method(args.method, args.robot, args.checkpoint)
    for w in args.weights:
        if w == 0:
            shaped = None
        else:
            def shaped(s, a, s2, w=w):
                return cost(s, a, s2) + w * (value(s2) - value(s))
        ctrl = build_controller(ckpt, args.robot, exp.planner,
                                dataclasses.replace(exp.controller, method=args.method, threads=args.threads),
                                cost=shaped)
        rets, vels, ticks = [], [], []
        for seed in args.seeds:
            task = tasks.sample(np.random.default_rng(seed))
            res = run_episode(env, ctrl, args.steps, seed=seed, task=task)
            rets.append(float(res.episode_return))
            vels.append(float(res.forward_velocity.mean()))
            ticks.append(res.latency["total_median_ms"])
        ctrl.close()
        r = np.array(rets)
        out["points"].append({"weight": w, "returns": rets, "mean": float(r.mean()),
                              "stderr": float(r.std(ddof=1) / np.sqrt(len(r))), "velocity": float(np.mean(vels)),
                              "tick_median_ms": float(np.median(ticks))})
        print(f"w={w}: {r.mean():.0f} ± {r.std(ddof=1) / np.sqrt(len(r)):.0f}, {np.mean(vels):.2f} m/s, "
              f"tick {np.median(ticks):.1f} ms; {[round(x) for x in rets]}", flush=True)
        atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
