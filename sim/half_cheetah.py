"""Half-cheetah: dm_control's cheetah model, wrapped as a gymnasium-style environment at 100 Hz.

The model comes from the installed dm_control suite (``cheetah.xml``: timestep 0.01 s, six motors
with ctrlrange [-1, 1]); control runs at 100 Hz with a frame skip of 1, the GrBAL reference rate.
Perturbations edit the model with ``dm_control.mjcf`` before it is compiled, or the compiled
model mid-episode (see :class:`sim.mujoco_env.MujocoEnv`).

Observation (nx = 17): ``qpos[1:9]`` (rootz, rooty, 6 joint angles) then ``qvel[0:9]`` (vx, vz,
wy, 6 joint velocities); joints that perturbations add (pier blocks) are not observed.
Action (nu = 6): motor commands in [-1, 1].
Reward: ``vx(next) - 0.05 * ||a||^2`` (see :func:`sim.costs.half_cheetah_cost`); with the semi-implicit
Euler step ``vx(next)`` is ``dx/dt`` over the step.

The robot is defined by its spec, ``sim/specs/half_cheetah.yaml`` (:mod:`sim.spec`); this class names it.
"""
from __future__ import annotations

from sim.mujoco_env import compile_mjcf  # noqa: F401  (compile_mjcf: public re-export)
from sim.spec import load_spec
from sim.spec_env import spec_env_class


class HalfCheetahEnv(spec_env_class(load_spec("half_cheetah"))):
    """Half-cheetah with an optional perturbation, gymnasium-style (``reset``/``step``): the robot of
    ``sim/specs/half_cheetah.yaml``.

    Args:
        perturbation: applied to the model at every reset until replaced (``reset(task=...)``).
        seed: seed of the environment's own generator (initial-state noise).
        reset_noise: scale of the uniform qpos / normal qvel noise at reset.
    """
