"""The in-process MuJoCo backend: one episode of a controller (or any policy) in a simulated robot.

The same controller object runs here and in the ROS 2 controller node; this loop has no transport
(every observation is fresh and exact), which makes it the reference the ROS 2 runs are compared with.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class EpisodeResult:
    """What one episode produced."""

    episode_return: float
    steps: int
    task: dict
    rewards: np.ndarray
    forward_velocity: np.ndarray
    latency: dict = field(default_factory=dict)
    transitions: tuple | None = None
    """(obs (S,nx), act (S,nu), next_obs (S,nx)) when recorded."""

    def summary(self) -> dict:
        return {"return": self.episode_return, "steps": self.steps, "task": self.task, "latency": self.latency}


def run_episode(env, policy, steps: int, *, seed: int, task=None, record: bool = False, progress=None,
                switch=None, on_tick=None) -> EpisodeResult:
    """Reset ``env`` (with ``task``), then run ``policy(obs) -> action`` for ``steps`` ticks.

    ``switch=(step, perturbation)`` switches the perturbation on mid-episode, just before ``step``
    (through the compiled model; ``env.switch``); the result's ``task`` is then the switched one.

    ``policy`` may be an ``AdaptiveController`` (its ``reset`` is called and its tick timings are
    reported) or any callable. ``progress`` is called once per step when given; ``on_tick(t)`` before
    the policy acts at tick ``t`` (e.g. to update a velocity command).
    """
    obs, info = env.reset(seed=seed, task=task)
    reset = getattr(policy, "reset", None)
    if reset is not None:
        reset()
    act_fn = policy.step if hasattr(policy, "step") else policy
    rewards, vel = np.zeros(steps), np.zeros(steps)
    rec_o, rec_a, rec_n = [], [], []
    for t in range(steps):
        if on_tick is not None:
            on_tick(t)
        if switch is not None and t == switch[0]:
            env.switch(switch[1])
            info = {"task": env.task_params}
        action = act_fn(obs)
        nxt, reward, terminated, truncated, step_info = env.step(action)
        rewards[t], vel[t] = reward, step_info["forward_velocity"]
        if record:
            rec_o.append(obs)
            rec_a.append(np.asarray(action, dtype=np.float64))
            rec_n.append(nxt)
        obs = nxt
        if progress is not None:
            progress()
        if terminated or truncated:
            rewards, vel = rewards[: t + 1], vel[: t + 1]
            break
    stats = getattr(policy, "stats", None)
    return EpisodeResult(
        episode_return=float(rewards.sum()),
        steps=len(rewards),
        task=info["task"],
        rewards=rewards,
        forward_velocity=vel,
        latency=stats.summary() if stats is not None else {},
        transitions=(np.array(rec_o), np.array(rec_a), np.array(rec_n)) if record else None,
    )
