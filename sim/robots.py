"""Registry of simulated robots and their planner costs, by name."""
from __future__ import annotations

from sim.costs import (ANT_CTRL_WEIGHT, BASE_VELOCITY, COSTS, HALF_CHEETAH_CTRL_WEIGHT, POSTURES,
                       tracking_cost)


def make_env(robot: str, perturbation=None, seed: int | None = None):
    """Build the named robot's environment (``half_cheetah`` or ``ant``)."""
    if robot == "half_cheetah":
        from sim.half_cheetah import HalfCheetahEnv

        return HalfCheetahEnv(perturbation=perturbation, seed=seed)
    if robot == "ant":
        from sim.ant import AntEnv

        return AntEnv(perturbation=perturbation, seed=seed)
    raise ValueError(f"unknown robot {robot!r} (known: {', '.join(ROBOTS)})")


def cost_fn(robot: str):
    """The robot's batched torch cost ``cost(state (K,nx), action (K,nu), next_state (K,nx)) -> (K,)``."""
    try:
        return COSTS[robot]
    except KeyError:
        raise ValueError(f"unknown robot {robot!r} (known: {', '.join(ROBOTS)})") from None


def planning_cost(robot: str, upright_weight: float = 0.0):
    """The cost a planner minimises: the robot's task cost (:func:`cost_fn`), plus ``upright_weight``
    times its posture penalty (:data:`sim.costs.POSTURES`) of the next state when positive. The
    penalty only shapes plans; returns are always the task reward."""
    return _with_posture(robot, cost_fn(robot), upright_weight)


def _with_posture(robot: str, cost, upright_weight: float):
    """``cost`` plus ``upright_weight`` times the robot's posture penalty of the next state (when > 0)."""
    if upright_weight < 0:
        raise ValueError(f"upright_weight must be >= 0, got {upright_weight}")
    if upright_weight == 0:
        return cost
    posture, w = POSTURES[robot], float(upright_weight)

    def shaped(state, action, next_state):
        return cost(state, action, next_state) + w * posture(next_state)

    return shaped


def velocity_tracking_cost(robot: str, command, upright_weight: float = 0.0):
    """The cost of tracking ``command`` (a :class:`sim.costs.VelocityCommand`, read at every plan): the
    squared error of the robot's base velocity (:data:`sim.costs.BASE_VELOCITY`; the half-cheetah
    tracks forward velocity only) plus the control cost of its task reward, plus the posture penalty
    when ``upright_weight`` > 0."""
    if robot not in COSTS:
        raise ValueError(f"unknown robot {robot!r} (known: {', '.join(ROBOTS)})")
    weight = HALF_CHEETAH_CTRL_WEIGHT if robot == "half_cheetah" else ANT_CTRL_WEIGHT
    cost = tracking_cost(BASE_VELOCITY[robot], weight, command, planar=robot == "half_cheetah")
    return _with_posture(robot, cost, upright_weight)


ROBOTS = tuple(COSTS)
