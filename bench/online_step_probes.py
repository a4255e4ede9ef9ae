"""Variants of GrBAL's online step, to find where what it costs comes from (docs/control_quality.md "Where the online
step helps"). Each episode is the grbal controller of a checkpoint on the crippled half-cheetah
(held-out actuators, 1000 steps), with its adaptation changed in one way:

- ``full``: GrBAL's rule, the whole plan on the adapted model (one step on the window, learned step
  sizes; the half-cheetah's shipped tick until ``adapted_steps: 3``); ``prior``: no step;
- ``ema:B``: the step smoothed over ticks, prior + an exponential average (factor B) of adapted − prior;
- ``biases``: only the biases take the step; ``output_bias``: only the output layer's bias (a constant
  correction of the predicted state change, the same for every action);
- ``first:K``: the adapted model for the first K model calls of every plan, the prior for the rest
  (``controller.adapted_steps: K``);
- ``noact``: the step everywhere but the first layer's action columns (how actions enter the model);
- ``preq:N`` (``preq:N:L``): a prequential acceptance rule: every tick the step is taken, and before a
  transition enters the window the candidate adapted model (fitted on a window without it; with ``L``,
  the candidate of L ticks earlier, whose window ended before the transition began when L >= the
  model's ticks) and the prior each predict it; the plan uses the step only while the candidates'
  squared errors over the latest N transitions sum below the prior's, else the prior.

Variants combine with ``+`` (``first:3+preq:16`` is the shipped tick with the rule). ``--family``
picks the perturbation family (held-out test range; default the crippled leg).

    python bench/online_step_probes.py --variants full prior ema:0.9 biases output_bias first:3 \
        --checkpoint results/quality/checkpoints/tick1/half_cheetah/grbal.pt \
        --config results/quality/half_cheetah_tick1.yaml --step-ticks 3 --temperature 0.5 \
        --json bench/results/online_step_probes_tick1.json

``full`` and ``prior`` reproduce ``adaptive-control evaluate``'s grbal and grbal_prior per seed exactly
(the same controller; ``ema`` and the subsets wrap its adapter).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

import numpy as np


class _Smoothed:
    """prior + EMA_B(adapted - prior), over the ticks of one episode."""

    def __init__(self, inner, beta: float):
        self.inner, self.beta, self.delta = inner, beta, None

    def adapt(self, prior, *window):
        adapted = self.inner.adapt(prior, *window)
        d = {k: adapted[k] - prior[k] for k in prior}
        if self.delta is not None:
            d = {k: self.beta * self.delta[k] + (1.0 - self.beta) * d[k] for k in d}
        self.delta = d
        return {k: prior[k] + d[k] for k in prior}


class _Subset:
    """Only the named parameters take the step."""

    def __init__(self, inner, names):
        self.inner, self.names = inner, set(names)

    def adapt(self, prior, *window):
        adapted = self.inner.adapt(prior, *window)
        return {k: adapted[k] if k in self.names else prior[k] for k in prior}


class _KeepActionColumns:
    """The step everywhere but the first layer's action columns (the prior's there)."""

    def __init__(self, inner, nx: int):
        self.inner, self.nx = inner, nx

    def adapt(self, prior, *window):
        adapted = dict(self.inner.adapt(prior, *window))
        w = adapted["net.0.weight"].clone()
        w[:, self.nx:] = prior["net.0.weight"][:, self.nx:]
        adapted["net.0.weight"] = w
        return adapted


class _Prequential:
    """Plan with the step only while it has predicted the newest transitions better than the prior."""

    def __init__(self, ctrl, n: int, lag: int = 0):
        from collections import deque

        from models.guard import normalised_residuals

        if ctrl.guard is None:
            raise SystemExit("preq needs the guard on (it compares with the prior's residuals the gate keeps)")
        self.inner, self.cands, self.diff = ctrl.adapter, deque(maxlen=lag + 1), deque(maxlen=n)
        self.used = self.ticks = 0
        push, model = ctrl.history.push, ctrl.model

        def scored_push(obs, act, next_obs, prior_sq=0.0):
            if len(self.cands) == self.cands.maxlen:  # the candidate has not seen this transition
                cand = self.cands[0]
                cand_sq = normalised_residuals(model, lambda o, a: model.predict_next(cand, o, a),
                                               obs[None], act[None], next_obs[None]).square().mean()
                self.diff.append(float(cand_sq - prior_sq))
            push(obs, act, next_obs, prior_sq)

        ctrl.history.push = scored_push

    def adapt(self, prior, *window):
        cand = self.inner.adapt(prior, *window)
        self.cands.append(cand)
        self.ticks += 1
        if not self.diff or sum(self.diff) >= 0.0:
            return prior
        self.used += 1
        return cand


def _episode(variant: str, seed: int, cfg, planner, ck_path: str, family: str = "crippled_leg"):
    from adaptive_control.build import build_controller, load_for_method, task_distribution
    from robot_bridge.mujoco_backend import run_episode
    from sim.robots import make_env

    parts = variant.split("+")
    method = "grbal_prior" if "prior" in parts else "grbal"
    ck = load_for_method(method, "half_cheetah", ck_path)
    first = None  # controller.adapted_steps
    for part in parts:
        if part.startswith("first:"):
            first = int(part[6:])
    ctrl = build_controller(ck, "half_cheetah", planner, dataclasses.replace(cfg.controller, method=method, threads=1,
                                                                             adapted_steps=first))
    rule = None
    for part in parts:
        if part.startswith("ema:"):
            ctrl.adapter = _Smoothed(ctrl.adapter, float(part[4:]))
        elif part in ("biases", "output_bias"):
            names = [k for k in ctrl.prior if k.endswith(".bias")]
            ctrl.adapter = _Subset(ctrl.adapter, names[-1:] if part == "output_bias" else names)
        elif part == "noact":
            ctrl.adapter = _KeepActionColumns(ctrl.adapter, ctrl.nx)
        elif part.startswith("preq:"):
            ctrl.adapter = rule = _Prequential(ctrl, *(int(x) for x in part[5:].split(":")))
        elif part not in ("full", "prior") and not part.startswith("first:"):
            raise SystemExit(f"unknown variant {variant!r}")
    task = task_distribution("half_cheetah", cfg.task, family, "test").sample(np.random.default_rng(seed))
    res = run_episode(make_env("half_cheetah"), ctrl, 1000, seed=seed, task=task)
    ctrl.close()
    if rule is not None:
        print(f"  {variant} seed {seed}: {res.episode_return:.0f}, step used on {rule.used} of {rule.ticks} ticks",
              flush=True)
    return float(res.episode_return)


def _se(x) -> float:
    """Standard error of the mean (0 for a single value)."""
    x = np.asarray(x, dtype=float)
    return float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else 0.0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--variants", nargs="+", default=["full", "prior"])
    p.add_argument("--checkpoint", default=None, help="a grbal checkpoint (default: the shipped one)")
    p.add_argument("--config", default=None, help="experiment YAML (default: the shipped one)")
    p.add_argument("--step-ticks", type=int, default=0, help="0: the config's")
    p.add_argument("--temperature", type=float, default=0.0, help="0: the config's")
    p.add_argument("--seeds", nargs="+", type=int, default=list(range(100, 110)))
    p.add_argument("--family", default="crippled_leg", help="perturbation family (its held-out test range)")
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)

    import torch

    from adaptive_control.build import default_checkpoint, experiment_config
    from models.dataset import atomic_write

    torch.set_num_threads(1)
    cfg = experiment_config("half_cheetah", args.config)
    planner = cfg.planner
    if args.step_ticks:
        planner = dataclasses.replace(planner, step_ticks=args.step_ticks)
    if args.temperature:
        planner = dataclasses.replace(planner, temperature=args.temperature)
    ck_path = args.checkpoint or default_checkpoint("half_cheetah", "grbal")
    returns = {}
    for v in args.variants:
        returns[v] = [_episode(v, s, cfg, planner, ck_path, args.family) for s in args.seeds]
        print(f"{v:>12}: {np.mean(returns[v]):7.0f} ± {_se(returns[v]):.0f}", flush=True)
    paired = {}
    if "prior" in returns:
        for v, r in returns.items():
            if v != "prior":
                d = np.array(r) - np.array(returns["prior"])
                paired[f"{v} - prior"] = {"mean": float(d.mean()), "se": _se(d)}
                print(f"{v:>12} - prior: {d.mean():+.0f} ± {paired[f'{v} - prior']['se']:.0f}")
    out = {"command": "python " + " ".join([os.path.relpath(sys.argv[0])] + (argv if argv is not None else sys.argv[1:])),
           "checkpoint": ck_path, "family": args.family, "planner": dataclasses.asdict(planner), "seeds": args.seeds, "returns": returns,
           "paired": paired}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
