"""Half-cheetah: dm_control's cheetah model, wrapped as a gymnasium-style environment at 100 Hz.

The model comes from the installed dm_control suite (``cheetah.xml``: timestep 0.01 s, six motors
with ctrlrange [-1, 1]); control runs at 100 Hz with a frame skip of 1, the GrBAL reference rate.
Perturbations edit the model with ``dm_control.mjcf`` before it is compiled.

Observation (nx = 17): ``qpos[1:]`` (rootz, rooty, 6 joint angles) then ``qvel`` (vx, vz, wy,
6 joint velocities). Action (nu = 6): motor commands in [-1, 1].
Reward: ``dx/dt - 0.05 * ||a||^2`` (see :func:`sim.costs.half_cheetah_cost`).
"""
from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "disable")  # nothing renders; avoids GLFW probing for a display

import mujoco
import numpy as np
from dm_control import mjcf

from sim.costs import HALF_CHEETAH_CTRL_WEIGHT
from sim.perturbations import NoPerturbation, Perturbation

_BASE_XML: tuple[str, dict] | None = None


def _base_model():
    """dm_control's cheetah MJCF as an editable ``mjcf.RootElement`` (fresh copy each call)."""
    global _BASE_XML
    if _BASE_XML is None:
        from dm_control.suite import cheetah  # heavy import, once

        xml, assets = cheetah.get_model_and_assets()
        _BASE_XML = (xml.decode() if isinstance(xml, bytes) else xml, dict(assets))
    xml, assets = _BASE_XML
    return mjcf.from_xml_string(xml, assets=assets)


def compile_mjcf(root) -> mujoco.MjModel:
    """Compile an ``mjcf.RootElement`` to a raw ``mujoco.MjModel``."""
    return mujoco.MjModel.from_xml_string(root.to_xml_string(), assets=root.get_assets())


class HalfCheetahEnv:
    """Half-cheetah with an optional perturbation, gymnasium-style (``reset``/``step``).

    Args:
        perturbation: applied to the model at every reset until replaced (``reset(task=...)``).
        seed: seed of the environment's own generator (initial-state noise).
        reset_noise: scale of the uniform qpos / normal qvel noise at reset.
    """

    name = "half_cheetah"
    obs_size = 17
    action_size = 6
    control_dt = 0.01
    action_low = -1.0
    action_high = 1.0
    actuator_names = ("bthigh", "bshin", "bfoot", "fthigh", "fshin", "ffoot")

    def __init__(self, perturbation: Perturbation | None = None, seed: int | None = None, reset_noise: float = 0.1):
        self.random = np.random.default_rng(seed)
        self.reset_noise = reset_noise
        self._models: dict = {}
        self.perturbation: Perturbation = perturbation or NoPerturbation()
        self._load(self.perturbation)

    # -- model -------------------------------------------------------------------------------
    def _load(self, perturbation: Perturbation) -> None:
        key = repr(perturbation)
        if key not in self._models:
            root = _base_model()
            perturbation.apply_mjcf(root)
            self._models[key] = compile_mjcf(root)
        self.model = self._models[key]
        self._live_originals: dict = {}
        self.data = mujoco.MjData(self.model)
        self.frame_skip = max(1, round(self.control_dt / self.model.opt.timestep))
        self.perturbation = perturbation

    def switch(self, perturbation: Perturbation) -> None:
        """Change the perturbation now, mid-episode, by editing the compiled model (no recompile).

        The state carries on; the edited fields' originals are remembered and restored by the next
        ``switch`` or ``reset``. (``reset(task=...)`` applies a task structurally instead.)
        """
        self._restore_live()
        self._live_originals = perturbation.apply_model(self.model)
        self.live_perturbation = perturbation

    def _restore_live(self) -> None:
        for name, original in self._live_originals.items():
            getattr(self.model, name)[:] = original
        self._live_originals = {}
        self.live_perturbation = None

    @property
    def task_params(self) -> dict:
        """The perturbation in force now: the mid-episode one if any, else the reset-time one."""
        live = getattr(self, "live_perturbation", None)
        return (live or self.perturbation).params()

    # -- named accessors ---------------------------------------------------------------------
    @property
    def x_position(self) -> float:
        return float(self.data.qpos[0])

    @property
    def forward_velocity(self) -> float:
        return float(self.data.qvel[0])

    def observation(self) -> np.ndarray:
        return np.concatenate([self.data.qpos[1:], self.data.qvel]).astype(np.float64)

    # -- gymnasium-style API -----------------------------------------------------------------
    def reset(self, seed: int | None = None, task: Perturbation | None = None):
        """Start an episode; ``task`` replaces the perturbation. Returns ``(obs, info)``."""
        if seed is not None:
            self.random = np.random.default_rng(seed)
        self._restore_live()
        if task is not None and task != self.perturbation:
            self._load(task)
        mujoco.mj_resetData(self.model, self.data)
        n = self.reset_noise
        self.data.qpos[:] = self.model.qpos0 + self.random.uniform(-n, n, self.model.nq)
        self.data.qvel[:] = n * self.random.standard_normal(self.model.nv)
        mujoco.mj_forward(self.model, self.data)
        return self.observation(), {"task": self.perturbation.params()}

    def step(self, action):
        """Apply ``action`` (nu,) for one control step. Returns ``(obs, reward, terminated, truncated, info)``."""
        a = np.asarray(action, dtype=np.float64).reshape(-1)
        if a.shape != (self.action_size,):
            raise ValueError(f"action must have shape ({self.action_size},), got {np.shape(action)}")
        if not np.all(np.isfinite(a)):
            raise ValueError("action contains non-finite values")
        a = np.clip(a, self.action_low, self.action_high)
        x_before = self.x_position
        self.data.ctrl[:] = a
        for _ in range(self.frame_skip):
            mujoco.mj_step(self.model, self.data)
        forward = (self.x_position - x_before) / self.control_dt
        reward = forward - HALF_CHEETAH_CTRL_WEIGHT * float(a @ a)
        info = {"forward_velocity": forward, "x_position": self.x_position}
        return self.observation(), reward, False, False, info
