"""Every robot and perturbation family as a real ``gymnasium.Env``.

    import gymnasium
    import sim.gym_env  # noqa: F401  (registers the ids)
    env = gymnasium.make("adaptive_control/HalfCheetah-v0", perturbation="crippled_leg", split="test")
    obs, info = env.reset(seed=0)          # a task drawn from the family's test range (info["task"])

or, without the import, ``gymnasium.make("sim.gym_env:adaptive_control/HalfCheetah-v0", ...)`` (gymnasium
imports the module named before the colon). Importing this module registers the ids
(:func:`register_envs`; gymnasium 1.x has no plugin entry points). Each
``reset`` draws a task from the family (``none``, a family name, or ``all``: the whole suite) with
the env's seeded ``np_random``; ``reset(options={"task": perturbation})`` sets one explicitly.
Episodes end by truncation only (``max_episode_steps``: 1000 half-cheetah, 600 ant).
``render_mode="rgb_array"`` renders with MuJoCo's offscreen renderer where an OpenGL backend is
available (``MUJOCO_GL=egl`` or ``osmesa``).
"""
from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from sim.robots import make_env
from sim.tasks import ALL, families, make_distribution, make_mixture

#: gymnasium id of each robot, and its episode length in control ticks.
ENV_IDS = {"half_cheetah": ("adaptive_control/HalfCheetah-v0", 1000), "ant": ("adaptive_control/Ant-v0", 600),
           "walker": ("adaptive_control/Walker-v0", 500)}


class AdaptiveControlEnv(gym.Env):
    """A ``sim`` robot with a perturbation family, as a gymnasium environment.

    Args:
        robot: a registered robot (``half_cheetah``, ``ant``, ``walker``) or a robot spec path (:mod:`sim.spec`).
        perturbation: a family of the robot (``sim.tasks.families``), or ``all`` (the whole suite).
        split: ``train`` or ``test``: which of the family's ranges tasks come from.
        render_mode: ``None`` or ``rgb_array``.
        width, height: rendered image size.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 100}

    def __init__(self, robot: str = "half_cheetah", perturbation: str = "none", split: str = "train",
                 render_mode: str | None = None, width: int = 480, height: int = 480):
        known = families(robot)  # an unknown robot raises sim.spec.SpecError (a ValueError)
        if perturbation != ALL and perturbation not in known:
            raise ValueError(f"unknown perturbation {perturbation!r} for {robot} "
                             f"(known: {', '.join((*known, ALL))})")
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.robot, self.perturbation, self.split = robot, perturbation, split
        self.tasks = make_mixture(robot, split) if perturbation == ALL else make_distribution(robot, perturbation, split)
        self.sim = make_env(robot)
        self.render_mode, self.width, self.height = render_mode, int(width), int(height)
        self.metadata = {**self.metadata, "render_fps": int(round(1.0 / self.sim.control_dt))}
        self.observation_space = spaces.Box(-np.inf, np.inf, (self.sim.obs_size,), np.float64)
        self.action_space = spaces.Box(self.sim.action_low, self.sim.action_high, (self.sim.action_size,), np.float32)
        self._renderer = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Start an episode on a task drawn from the family (or ``options["task"]``); ``(obs, info)``."""
        super().reset(seed=seed)
        options = options or {}
        unknown = set(options) - {"task"}
        if unknown:
            raise ValueError(f"unknown reset option(s) {sorted(unknown)} (known: task)")
        task = options.get("task")
        if task is None:
            task = self.tasks.sample(self.np_random)
        obs, info = self.sim.reset(seed=int(self.np_random.integers(2**31)), task=task)
        return obs.astype(np.float64), info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.sim.step(action)
        return obs.astype(np.float64), float(reward), terminated, truncated, info

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        import mujoco

        if self._renderer is None:
            try:
                self._renderer = mujoco.Renderer(self.sim.model, self.height, self.width)
            except Exception as exc:  # no OpenGL backend (MUJOCO_GL) on this machine
                raise RuntimeError(f"MuJoCo cannot render here ({type(exc).__name__}: {exc}); set MUJOCO_GL=egl "
                                   f"or osmesa with that library installed") from None
        self._renderer.update_scene(self.sim.data)
        return self._renderer.render()

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


def register_envs() -> None:
    """Register ``adaptive_control/<Robot>-v0`` for every robot (idempotent; runs when this module is imported)."""
    for robot, (env_id, steps) in ENV_IDS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point="sim.gym_env:AdaptiveControlEnv", max_episode_steps=steps,
                         kwargs={"robot": robot})


register_envs()
