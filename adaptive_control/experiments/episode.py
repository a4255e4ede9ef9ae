"""One episode of a method from an experiment config, in simulation: the unit ``run``, ``demo`` and the
tracking benchmark are made of.
"""
from __future__ import annotations

import dataclasses

import numpy as np


def _progress(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="step", dynamic_ncols=True, disable=None)


def run_one(cfg, method: str, seed: int, steps: int, checkpoint: str | None = None, perturbation: str | None = None,
            progress: bool = True, split: str = "test", command=None, tasks=None):
    """One episode of ``method`` on a task sampled from ``seed`` in ``split``'s range; returns an ``EpisodeResult``.

    ``tasks``: a task sampler (``.sample(rng)``) to draw from instead of the config's ``task:`` section
    (e.g. a family's training range as the suite defines it, :func:`sim.tasks.make_distribution`).

    ``command``: a :class:`adaptive_control.tracking.CommandSchedule`: the controller tracks it (velocity
    tracking cost) instead of running forward; the result then holds the transitions (``record``)."""
    from adaptive_control.build import build_controller, load_for_method, task_distribution
    from adaptive_control.reference import TRUE_DYNAMICS, build_reference
    from robot_bridge.mujoco_backend import run_episode
    from sim.costs import VelocityCommand
    from sim.robots import make_env, velocity_tracking_cost

    env = make_env(cfg.robot.name)
    cost, target, on_tick = None, None, None
    if command is not None:
        target = VelocityCommand(*command.at(0.0))
        cost = velocity_tracking_cost(cfg.robot.name, target, cfg.planner.upright_weight)

        def on_tick(t):
            target.set(*command.at(t * env.control_dt))

    if method == TRUE_DYNAMICS:
        ctrl = build_reference(env, cfg.robot.name, cfg.planner, cfg.controller, cost=cost)
    else:
        ckpt = load_for_method(method, cfg.robot.name, checkpoint, device=cfg.controller.device)
        ctrl = build_controller(ckpt, cfg.robot.name, cfg.planner, dataclasses.replace(cfg.controller, method=method),
                                cost=cost)
    if tasks is None:
        tasks = task_distribution(cfg.robot.name, cfg.task, perturbation, split)
    task = tasks.sample(np.random.default_rng(seed))
    bar = _progress(steps, f"{method} seed {seed}") if progress else None
    try:
        res = run_episode(env, ctrl, steps, seed=seed, task=task, progress=bar.update if bar else None,
                          on_tick=on_tick, record=command is not None)
    finally:
        ctrl.close()
    if bar:
        bar.close()
    return res


def episode_tracking(robot: str, res, command) -> dict:
    """Tracking figures (:func:`adaptive_control.tracking.tracking_figures`) of an episode recorded by
    :func:`run_one` with ``command``: the base velocities of its next observations against the command
    in force at each tick."""
    import torch

    from adaptive_control.tracking import tracking_figures
    from sim.robots import base_velocity_fn
    from sim.spec import load_spec

    spec = load_spec(robot)
    _, _, nxt = res.transitions
    vel = base_velocity_fn(robot)(torch.as_tensor(np.asarray(nxt), dtype=torch.float64)).numpy()
    return tracking_figures(vel, command.series(len(vel), spec.control_dt), spec.control_dt, planar=spec.planar)
