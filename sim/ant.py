"""Ant: gymnasium's MuJoCo ant model, wrapped as a gymnasium-style environment at 50 Hz.

The model is gymnasium's installed ``ant.xml`` (RK4, timestep 0.01 s, eight motors with gear 150
and ctrlrange [-1, 1]); control runs at 50 Hz (frame skip 2), the GrBAL reference rate for the
ant. Legs are numbered as in the reference code: leg k has the joints ``hip_{k+1}`` and
``ankle_{k+1}`` (0 front left, 1 front right, 2 back left, 3 back right).

Observation (nx = 27): ``qpos[2:15]`` (torso z, torso quaternion w x y z, 8 joint angles) then
``qvel[0:14]`` (torso linear velocity x y z in the world frame, angular velocity, 8 joint
velocities). The torso x velocity is at index :data:`sim.costs.ANT_VX` (13); x, y positions are
not observed. Action (nu = 8): motor commands in [-1, 1], in ``actuator_names`` order.
Reward: ``vx(next) - 0.005 * ||a||^2`` where ``vx(next)`` is the torso x velocity at the end of
the step. (With two RK4 substeps, ``dx/dt`` over the step is not a function of the next state;
the end velocity is, so the planner's cost :func:`sim.costs.ant_cost` is exactly ``-reward``.)
No contact cost, no termination: episodes have a fixed length.
"""
from __future__ import annotations

import os

import numpy as np

from sim.costs import ANT_CTRL_WEIGHT
from sim.mujoco_env import MujocoEnv


def ant_xml_path() -> str:
    """Path of gymnasium's installed ``ant.xml`` (only the file is used, not gymnasium's env)."""
    import importlib.util

    spec = importlib.util.find_spec("gymnasium")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the ant model needs gymnasium (pip install gymnasium==1.4.0)")
    return os.path.join(spec.submodule_search_locations[0], "envs", "mujoco", "assets", "ant.xml")


class AntEnv(MujocoEnv):
    """Ant with an optional perturbation, gymnasium-style (``reset``/``step``).

    Args:
        perturbation: applied to the model at every reset until replaced (``reset(task=...)``).
        seed: seed of the environment's own generator (initial-state noise).
        reset_noise: scale of the uniform qpos / normal qvel noise at reset.
    """

    name = "ant"
    obs_size = 27
    action_size = 8
    control_dt = 0.02
    action_low = -1.0
    action_high = 1.0
    actuator_names = ("hip_4", "ankle_4", "hip_1", "ankle_1", "hip_2", "ankle_2", "hip_3", "ankle_3")
    robot_nq = 15
    robot_nv = 14
    ctrl_weight = ANT_CTRL_WEIGHT

    @classmethod
    def _mjcf_source(cls) -> tuple[str, dict]:
        with open(ant_xml_path(), encoding="utf-8") as fh:
            return fh.read(), {}

    def observation_from(self, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
        """(..., 27) ``qpos[2:15]`` then ``qvel[0:14]``."""
        return np.concatenate([qpos[..., 2:15], qvel[..., :14]], axis=-1)

    def _progress(self, x_before: float) -> float:
        """The torso x velocity at the end of the step."""
        return self.forward_velocity
