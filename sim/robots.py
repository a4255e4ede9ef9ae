"""Registry of simulated robots and their planner costs, by name or by spec file.

A robot is a MuJoCo model plus a YAML robot spec (:mod:`sim.spec`). The registered robots
(``half_cheetah``, ``ant``, ``walker``) are the specs shipped in ``sim/specs/``; any other spec is
named by its path (``--robot path/to/my_robot.yaml``), and works everywhere a name does.
"""
from __future__ import annotations

from sim.costs import COSTS, POSTURES, spec_base_velocity, spec_cost, spec_posture, tracking_cost
from sim.spec import load_spec, registered_names


def robot_name(robot: str) -> str:
    """The name a robot's checkpoints and records carry (a spec path gives the spec's ``name``)."""
    return load_spec(robot).name


def make_env(robot: str, perturbation=None, seed: int | None = None):
    """Build the robot's environment: a registered name (``half_cheetah``, ``ant``, ...) or a spec path."""
    if robot == "half_cheetah":
        from sim.half_cheetah import HalfCheetahEnv

        return HalfCheetahEnv(perturbation=perturbation, seed=seed)
    if robot == "ant":
        from sim.ant import AntEnv

        return AntEnv(perturbation=perturbation, seed=seed)
    from sim.spec_env import spec_env_class

    return spec_env_class(load_spec(robot))(perturbation=perturbation, seed=seed)


def cost_fn(robot: str):
    """The robot's batched torch cost ``cost(state (K,nx), action (K,nu), next_state (K,nx)) -> (K,)``:
    minus its reward. The half-cheetah's and the ant's are the hand-written :data:`sim.costs.COSTS`
    (their specs' terms compute the same; tests/test_spec.py checks it), every other robot's is its
    spec's weighted terms (:func:`sim.costs.spec_cost`)."""
    if robot in COSTS:
        return COSTS[robot]
    return spec_cost(load_spec(robot))


def posture_fn(robot: str):
    """The robot's posture penalty ``posture(next_state (K,nx)) -> (K,)`` (``planner.upright_weight``)."""
    if robot in POSTURES:
        return POSTURES[robot]
    return spec_posture(load_spec(robot))


def base_velocity_fn(robot: str):
    """``base_velocity(state (..., nx)) -> (..., 3)``: the base's heading-frame ``(vx, vy)`` and yaw rate."""
    return spec_base_velocity(load_spec(robot))


def planning_cost(robot: str, upright_weight: float = 0.0):
    """The cost a planner minimises: the robot's task cost (:func:`cost_fn`), plus ``upright_weight``
    times its posture penalty (:func:`posture_fn`) of the next state when positive. The penalty only
    shapes plans; returns are always the task reward."""
    return _with_posture(robot, cost_fn(robot), upright_weight)


def _with_posture(robot: str, cost, upright_weight: float):
    """``cost`` plus ``upright_weight`` times the robot's posture penalty of the next state (when > 0)."""
    if upright_weight < 0:
        raise ValueError(f"upright_weight must be >= 0, got {upright_weight}")
    if upright_weight == 0:
        return cost
    posture, w = posture_fn(robot), float(upright_weight)

    def shaped(state, action, next_state):
        return cost(state, action, next_state) + w * posture(next_state)

    return shaped


def velocity_tracking_cost(robot: str, command, upright_weight: float = 0.0):
    """The cost of tracking ``command`` (a :class:`sim.costs.VelocityCommand`, read at every plan): the
    squared error of the robot's base velocity (:func:`base_velocity_fn`; a planar robot tracks forward
    velocity only) plus the control term of its task cost, plus the posture penalty when
    ``upright_weight`` > 0."""
    spec = load_spec(robot)
    cost = tracking_cost(spec_base_velocity(spec), spec.control_weight(), command, planar=spec.planar)
    return _with_posture(robot, cost, upright_weight)


def registered_robots() -> tuple[str, ...]:
    """The registered robots' names."""
    return registered_names()
