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

The robot is defined by its spec, ``sim/specs/ant.yaml`` (:mod:`sim.spec`); this class names it.
"""
from __future__ import annotations

from sim.spec import load_spec
from sim.spec_env import spec_env_class


class AntEnv(spec_env_class(load_spec("ant"))):
    """Ant with an optional perturbation, gymnasium-style (``reset``/``step``): the robot of
    ``sim/specs/ant.yaml``.

    Args:
        perturbation: applied to the model at every reset until replaced (``reset(task=...)``).
        seed: seed of the environment's own generator (initial-state noise).
        reset_noise: scale of the uniform qpos / normal qvel noise at reset.
    """
