"""Half-cheetah: dm_control's cheetah model, wrapped as a gymnasium-style environment at 100 Hz.

The model comes from the installed dm_control suite (``cheetah.xml``: timestep 0.01 s, six motors
with ctrlrange [-1, 1]); control runs at 100 Hz with a frame skip of 1, the GrBAL reference rate.
Perturbations edit the model with ``dm_control.mjcf`` before it is compiled, or the compiled
model mid-episode (see :class:`sim.mujoco_env.MujocoEnv`).

Observation (nx = 17): ``qpos[1:9]`` (rootz, rooty, 6 joint angles) then ``qvel[0:9]`` (vx, vz,
wy, 6 joint velocities); joints that perturbations add (pier blocks) are not observed.
Action (nu = 6): motor commands in [-1, 1].
Reward: ``dx/dt - 0.05 * ||a||^2`` (see :func:`sim.costs.half_cheetah_cost`).
"""
from __future__ import annotations

import numpy as np

from sim.costs import HALF_CHEETAH_CTRL_WEIGHT
from sim.mujoco_env import MujocoEnv, compile_mjcf  # noqa: F401  (compile_mjcf: public re-export)


class HalfCheetahEnv(MujocoEnv):
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
    robot_nq = 9
    robot_nv = 9
    ctrl_weight = HALF_CHEETAH_CTRL_WEIGHT

    @classmethod
    def _mjcf_source(cls) -> tuple[str, dict]:
        from dm_control.suite import cheetah  # heavy import, once

        xml, assets = cheetah.get_model_and_assets()
        return (xml.decode() if isinstance(xml, bytes) else xml, dict(assets))

    def observation_from(self, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
        """(..., 17) ``qpos[1:9]`` then ``qvel[0:9]``."""
        return np.concatenate([qpos[..., 1:9], qvel[..., :9]], axis=-1)

    def _progress(self, x_before: float) -> float:
        """``dx/dt`` over the step (equal to the next ``vx`` with the semi-implicit Euler step)."""
        return (self.x_position - x_before) / self.control_dt
