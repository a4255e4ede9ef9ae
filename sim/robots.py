"""Registry of simulated robots and their planner costs, by name."""
from __future__ import annotations

from sim.costs import COSTS


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


ROBOTS = tuple(COSTS)
