"""Probe (docs/control_quality.md "Reproducibility"): a mean-prediction ensemble of GrBAL (or MB) checkpoints,
each GrBAL member adapted by its own online step, on the crippled half-cheetah's held-out legs at the shipped tick.

Not a shipped model: the members are duck-typed into one model for the controller (parameters
prefixed ``m<i>.``; the adaptation step of a sum of the members' losses is each member's own step), to
measure whether averaging several trainings beats a single training at equal plan compute (K divided
by the number of members). Two ways to combine them (``--combine``):

- ``mean``: one rollout per sample through the members' mean next-state prediction;
- ``particles`` (as PETS's TS-inf): each member rolls every sample out from the same state along its
  own predicted path, and the sample's cost is the mean of the members' costs. The planner's state
  is the M members' states side by side (M * nx); the real observation is repeated into it. A sample
  then scores well only if every member agrees it does, so the plan cannot ride one model's error.

    python bench/ensemble_probe.py --samples 250 --json out.json a/grbal.pt b/grbal.pt
    python bench/ensemble_probe.py --combine particles --samples 250 --json out.json a/grbal.pt b/grbal.pt
    python bench/ensemble_probe.py --method mb --samples 500 --json out.json a/mb.pt b/mb.pt
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time

import numpy as np


class MeanEnsemble:
    """The mean next-state prediction of several dynamics models (what the controller needs of a model)."""

    def __init__(self, members):
        self.members = members
        self.obs_size, self.action_size = members[0].obs_size, members[0].action_size
        self.normalizer = members[0].normalizer  # the guard's residual units
        self.frame = members[0].frame  # (the members are trained in one frame)

    def to(self, device):
        return self

    def _split(self, params):
        return [{k.split(".", 1)[1]: v for k, v in params.items() if k.startswith(f"m{i}.")}
                for i in range(len(self.members))]

    def params(self):
        return {f"m{i}.{k}": v for i, m in enumerate(self.members) for k, v in m.params().items()}

    def loss(self, params, obs, act, nxt):
        return sum(m.loss(p, obs, act, nxt) for m, p in zip(self.members, self._split(params)))

    def loss_and_grad(self, params, obs, act, nxt):
        total, grads = 0.0, {}
        for i, (m, p) in enumerate(zip(self.members, self._split(params))):
            loss, g = m.loss_and_grad(p, obs, act, nxt)
            total = total + loss
            grads.update({f"m{i}.{k}": v for k, v in g.items()})
        return total, grads

    def predict_next(self, params, obs, act):
        return sum(m.predict_next(p, obs, act) for m, p in zip(self.members, self._split(params))) / len(self.members)

    def predictor(self, params, dtype=None, held=1):
        fns = [m.predictor(p, dtype=dtype, held=held) for m, p in zip(self.members, self._split(params))]
        scale = 1.0 / len(fns)

        def f(obs, act):
            s = fns[0](obs, act)
            for g in fns[1:]:
                s = s.add_(g(obs, act))
            return s.mul_(scale)

        return f


class ParticleEnsemble(MeanEnsemble):
    """The members side by side: on (K, M * nx) states each member predicts its own nx columns; on
    (K, nx) states (the controller's guard, the real observation) the mean prediction."""

    def predictor(self, params, dtype=None, held=1):
        import torch

        fns = [m.predictor(p, dtype=dtype, held=held) for m, p in zip(self.members, self._split(params))]
        mean = super().predictor(params, dtype=dtype, held=held)
        nx = self.obs_size

        def f(obs, act):
            if obs.shape[-1] == nx:
                return mean(obs, act)
            return torch.cat([g(obs[..., i * nx:(i + 1) * nx], act) for i, g in enumerate(fns)], -1)

        return f


class ParticlePlanner:
    """A sampling planner on the members' side-by-side states; the real state is repeated M times."""

    def __init__(self, inner, members: int):
        self.inner, self.m = inner, members

    def command(self, state, samples=None):
        import torch

        return self.inner.command(torch.as_tensor(state).repeat(self.m), samples)

    def reset(self):
        self.inner.reset()

    @property
    def next_plan(self):
        return self.inner.next_plan


def particle_cost(cost, members: int, nx: int):
    """The mean over members of ``cost`` on each member's nx columns of (N, M * nx) states."""

    def c(state, action, next_state):
        total = cost(state[:, :nx], action, next_state[:, :nx])
        for i in range(1, members):
            total = total + cost(state[:, i * nx:(i + 1) * nx], action, next_state[:, i * nx:(i + 1) * nx])
        return total / members

    return c


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoints", nargs="+", help="checkpoints of --method (one: that model alone)")
    p.add_argument("--method", choices=["grbal", "mb"], default="grbal", help="the controller (default: %(default)s)")
    p.add_argument("--combine", choices=["mean", "particles"], default="mean",
                   help="mean next-state prediction, or one rollout per member with the members' mean cost")
    p.add_argument("--samples", type=int, default=250, help="MPPI samples K (default: %(default)s)")
    p.add_argument("--seeds", nargs="+", type=int, default=list(range(100, 110)))
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)

    import torch

    from adaptive_control.build import build_controller, experiment_config, load_for_method, make_planner_factory
    from models.dataset import atomic_write
    from robot_bridge.mujoco_backend import run_episode
    from sim.robots import make_env, planning_cost
    from sim.tasks import make_distribution

    torch.set_num_threads(1)
    robot = "half_cheetah"
    exp = experiment_config(robot)
    ckpts = [load_for_method(args.method, robot, path) for path in args.checkpoints]
    ckpt = ckpts[0]
    if len(ckpts) > 1:
        lr = ({f"m{i}.{k}": v for i, c in enumerate(ckpts) for k, v in c.inner_lr.items()}
              if all(isinstance(c.inner_lr, dict) for c in ckpts) else ckpt.inner_lr)
        kind = ParticleEnsemble if args.combine == "particles" else MeanEnsemble
        ckpt = dataclasses.replace(ckpt, model=kind([c.model for c in ckpts]), inner_lr=lr)
    planner = dataclasses.replace(exp.planner, samples=args.samples)
    factory = None
    if args.combine == "particles" and len(ckpts) > 1:
        m, nx = len(ckpts), ckpt.model.obs_size
        wide = make_planner_factory(planner, robot, "cpu", model_ticks=ckpt.ticks, state_size=m * nx,
                                    cost=particle_cost(planning_cost(robot, planner.upright_weight), m, nx))
        factory = lambda dynamics, params_fn: ParticlePlanner(wide(dynamics), m)  # noqa: E731
    ctrl = build_controller(ckpt, robot, planner, dataclasses.replace(exp.controller, threads=1, method=args.method),
                            planner_factory=factory)
    env, tasks = make_env(robot), make_distribution(robot, "crippled_leg", "test")
    t0, returns = time.time(), []
    for seed in args.seeds:
        res = run_episode(env, ctrl, args.steps, seed=seed, task=tasks.sample(np.random.default_rng(seed)))
        returns.append(res.episode_return)
    ctrl.close()
    r = np.asarray(returns)
    out = {"checkpoints": args.checkpoints, "method": args.method, "combine": args.combine, "samples": args.samples, "seeds": args.seeds, "steps": args.steps,
           "returns": returns, "mean": float(r.mean()), "stderr": float(r.std(ddof=1) / np.sqrt(len(r))),
           "wall_s": time.time() - t0}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    print(f"{len(ckpts)} member(s), K={args.samples}: return {out['mean']:.0f} ± {out['stderr']:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
