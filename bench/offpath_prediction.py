"""Why does GrBAL's online step cost return where it predicts better (issue 11, joint damping)?

The step predicts the newest transitions better than the prior on 98-99% of ticks even when each
candidate is scored on a transition it never saw (``bench/online_step_probes.py`` ``preq:16:3``), yet
on joint damping x3-5 it costs return. A plan does not follow the executed actions: MPPI ranks K
sampled actions by their predicted cost. This probe asks the simulator what each sampled action really
does, along episodes of the shipped grbal controller:

at every ``--every``-th tick, from the simulator's real full state, K actions are sampled around the
first action of the plan's warm start (sigma 0.5, clipped: MPPI's noise; sample 0 is that action
itself), each held for the model's ticks (one model call) through the exact physics
(``sim.true_dynamics.SimulatorDynamics``; the models plan in float32 here), and compared with the
prediction of the prior and of the adapted model the plan of that tick uses:

- ``error_*``: RMS normalised prediction error (units of the state-change standard deviation) over
  the K - 1 noisy samples (``off``) and at the warm start's own action (``on``: about the executed one);
- ``chosen_true_cost_*``: the physics' cost of the action sequence MPPI's update makes of the K samples
  (softmin over each model's predicted costs, the planner's temperature), and of the same samples
  weighted by their true costs (``truth``): how good a decision each model leads to;
- ``rank_*``: Spearman correlation over the K samples between the predicted and the true cost of the
  call (the robot's task cost on the start state, the action and the state after the call): what
  MPPI's softmin acts on.

``--calls N`` (> 1): K sequences of N held actions around the first N of the plan's warm start (MPPI's
noise on each), rolled out N calls open loop by each model and by the physics; the errors are of the
state after the last call, the ranks of the summed costs (the shipped plan uses the adapted model for
its first 3 calls).

    python bench/offpath_prediction.py --family joint_damping --seeds 100 101 102 \\
        --json bench/results/offpath_prediction_joint_damping.json
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

import numpy as np


def _ranks(x: np.ndarray) -> np.ndarray:
    r = np.empty(len(x))
    r[np.argsort(x)] = np.arange(len(x))
    return r


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = _ranks(a), _ranks(b)
    return float(np.corrcoef(ra, rb)[0, 1])


def _softmin_average(costs: np.ndarray, acts: np.ndarray, temperature: float) -> np.ndarray:
    """MPPI's update on these samples: the softmin-weighted average (N, nu) of ``acts`` (K, N, nu)."""
    z = (costs.min() - costs) / (temperature * costs.std() + 1e-9)
    w = np.exp(z - z.max())
    return np.tensordot(w / w.sum(), acts, 1)


def _true_cost(sim, cost, state, seqs: np.ndarray, held: int) -> np.ndarray:
    """The physics' summed cost (per model call, as a plan counts it) of sequences (S, N, nu) from ``state``."""
    import torch

    s = np.repeat(state[None], len(seqs), 0)
    total = np.zeros(len(seqs))
    for n in range(seqs.shape[1]):
        start = torch.as_tensor(sim.observe(s), dtype=torch.float32)
        for _ in range(held):
            s = sim.step(s, seqs[:, n])
        total += cost(start, torch.as_tensor(seqs[:, n], dtype=torch.float32),
                      torch.as_tensor(sim.observe(s), dtype=torch.float32)).numpy()
    return total


def _episode(family: str, seed: int, cfg, ck_path, samples: int, every: int, start: int, steps: int,
             calls: int = 1, split: str = "test", method: str = "grbal") -> dict:
    import torch

    from adaptive_control.build import build_controller, load_for_method, task_distribution
    from robot_bridge.mujoco_backend import run_episode
    from sim.robots import cost_fn, make_env
    from sim.true_dynamics import SimulatorDynamics

    ck = load_for_method(method, "half_cheetah", ck_path)
    ctrl = build_controller(ck, "half_cheetah", cfg.planner, dataclasses.replace(cfg.controller, method=method,
                                                                                 threads=1))
    model, held, cost = ck.model, ck.ticks, cost_fn("half_cheetah")
    temperature = cfg.planner.temperature
    scale = model.normalizer.delta_std
    prior_f = model.predictor(ctrl.prior, held=held)
    env = make_env("half_cheetah")
    sim = SimulatorDynamics(env, nthread=1)
    rng = np.random.default_rng(seed)
    rows = []

    def probe(t: int) -> None:
        if t < start or t % every:
            return
        state = sim.state()
        obs = torch.as_tensor(sim.observe(state[None]), dtype=torch.float32)  # (1, nx)
        adapted_f = model.predictor(ctrl.params, held=held)
        # the actions this tick's plan starts from (its warm start); sampled around them as MPPI does
        centre = ctrl.planner.nominal[:calls].detach().double().numpy()  # (N, nu)
        acts = np.clip(centre[None] + 0.5 * rng.standard_normal((samples, *centre.shape)), env.action_low,
                       env.action_high)  # (K, N, nu)
        acts[0] = np.clip(centre, env.action_low, env.action_high)
        s = np.repeat(state[None], samples, 0)
        o = obs.expand(samples, -1)
        true_cost = np.zeros(samples)
        pred = {"prior": (o, prior_f, np.zeros(samples)), "adapted": (o, adapted_f, np.zeros(samples))}
        with torch.no_grad():
            for n in range(calls):
                a = torch.as_tensor(acts[:, n], dtype=torch.float32)
                start_obs = torch.as_tensor(sim.observe(s), dtype=torch.float32)
                for _ in range(held):
                    s = sim.step(s, acts[:, n])
                true_next = torch.as_tensor(sim.observe(s), dtype=torch.float32)
                true_cost += cost(start_obs, a, true_next).numpy()
                for name, (po, f, c) in pred.items():
                    nxt = f(po, a)
                    c += cost(po, a, nxt).numpy()
                    pred[name] = (nxt, f, c)
            row = {"tick": t}
            chosen = []
            for name, (p, _, c) in pred.items():
                err = ((p - true_next) / scale).square().mean(1).sqrt().numpy()
                row[f"error_off_{name}"] = float(np.sqrt(np.mean(err[1:] ** 2)))
                row[f"error_on_{name}"] = float(err[0])
                row[f"rank_{name}"] = _spearman(c, true_cost)
                chosen.append(_softmin_average(c, acts, temperature))
            chosen.append(_softmin_average(true_cost, acts, temperature))  # the same samples, true costs
            chosen_cost = _true_cost(sim, cost, state, np.stack(chosen), held)
            row["chosen_true_cost_prior"], row["chosen_true_cost_adapted"], row["chosen_true_cost_truth"] = (
                float(x) for x in chosen_cost)
        rows.append(row)

    task = task_distribution("half_cheetah", cfg.task, family, split).sample(np.random.default_rng(seed))
    res = run_episode(env, ctrl, steps, seed=seed, task=task, on_tick=probe)
    ctrl.close()
    sim.close()
    keys = [k for k in rows[0] if k != "tick"]
    summary = {k: float(np.mean([r[k] for r in rows])) for k in keys}
    summary["adapted_better_off_path"] = float(np.mean([r["error_off_adapted"] < r["error_off_prior"] for r in rows]))
    summary["adapted_better_on_path"] = float(np.mean([r["error_on_adapted"] < r["error_on_prior"] for r in rows]))
    summary["adapted_ranks_better"] = float(np.mean([r["rank_adapted"] > r["rank_prior"] for r in rows]))
    summary["adapted_chooses_better"] = float(np.mean([r["chosen_true_cost_adapted"] < r["chosen_true_cost_prior"]
                                                       for r in rows]))
    return {"seed": seed, "return": float(res.episode_return), "probes": len(rows), "summary": summary}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--family", default="joint_damping")
    p.add_argument("--split", default="test", choices=["train", "test"], help="the family's held-out (test) or "
                   "training range")
    p.add_argument("--seeds", nargs="+", type=int, default=[100, 101, 102])
    p.add_argument("--method", default="grbal", choices=["grbal", "mb"],
                   help="the controller whose episodes are probed (mb: its model is both 'prior' and 'adapted')")
    p.add_argument("--checkpoint", default=None, help="a checkpoint of --method (default: the shipped one)")
    p.add_argument("--config", default=None, help="experiment YAML (default: the shipped one)")
    p.add_argument("--samples", type=int, default=256, help="K sampled actions per probed tick")
    p.add_argument("--every", type=int, default=10, help="probe every this many ticks")
    p.add_argument("--start", type=int, default=50, help="first probed tick (a full adaptation window)")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--calls", type=int, default=1, help="model calls rolled out open loop (held actions each)")
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)

    import torch

    from adaptive_control.build import default_checkpoint, experiment_config
    from models.dataset import atomic_write

    torch.set_num_threads(1)
    cfg = experiment_config("half_cheetah", args.config)
    ck_path = args.checkpoint or default_checkpoint("half_cheetah", args.method)
    episodes = []
    for s in args.seeds:
        ep = _episode(args.family, s, cfg, ck_path, args.samples, args.every, args.start, args.steps,
                      args.calls, args.split, args.method)
        episodes.append(ep)
        m = ep["summary"]
        print(f"seed {s}: return {ep['return']:.0f}; error off path prior {m['error_off_prior']:.3f} adapted "
              f"{m['error_off_adapted']:.3f}; on path {m['error_on_prior']:.3f} / {m['error_on_adapted']:.3f}; "
              f"cost rank corr {m['rank_prior']:.3f} / {m['rank_adapted']:.3f}; chosen true cost {m['chosen_true_cost_prior']:.3f} / "
              f"{m['chosen_true_cost_adapted']:.3f} (truth {m['chosen_true_cost_truth']:.3f}); adapted better off/on/rank "
              f"{m['adapted_better_off_path']:.2f} / {m['adapted_better_on_path']:.2f} / {m['adapted_ranks_better']:.2f}",
              flush=True)
    keys = list(episodes[0]["summary"])
    pooled = {k: float(np.mean([e["summary"][k] for e in episodes])) for k in keys}
    print("pooled:", {k: round(v, 3) for k, v in pooled.items()})
    out = {"command": "python " + " ".join([os.path.relpath(sys.argv[0])] + (argv if argv is not None else sys.argv[1:])),
           "method": args.method, "checkpoint": ck_path, "family": args.family, "split": args.split, "samples": args.samples, "every": args.every, "calls": args.calls,
           "episodes": episodes, "pooled": pooled}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
