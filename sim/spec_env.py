"""The environment of a robot given as a spec (:mod:`sim.spec`): MJCF + YAML, no Python.

:func:`spec_env_class` makes one :class:`sim.mujoco_env.MujocoEnv` subclass per spec file, so the
shared machinery (perturbations at reset and mid-episode, the terrain slot, the model cache) is the
same as for every robot. The reward is computed from the simulator's own state (joint coordinates
read by name, ``MjData.ctrl``), independently of the observation vector, as minus the spec's
weighted cost terms; :func:`sim.costs.spec_cost` is the planner's view of the same terms on
observations, and the tests check that the two agree term by term.
"""
from __future__ import annotations

import math
import os

import mujoco
import numpy as np
from dm_control import mjcf

from sim.costs import VelocityCommand
from sim.mujoco_env import MujocoEnv
from sim.spec import FREE_FIELDS, RobotSpec, nominal_model
from sim.terrain import add_terrain_slot


def _joint(model, name: str) -> int:
    return mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, name)


class SpecEnv(MujocoEnv):
    """A MuJoCo robot defined by a :class:`sim.spec.RobotSpec` (made by :func:`spec_env_class`).

    Args:
        perturbation: applied to the model at every reset until replaced (``reset(task=...)``).
        seed: seed of the environment's own generator (initial-state noise).
        reset_noise: scale of the uniform qpos / normal qvel noise at reset (default: the spec's).
    """

    spec: RobotSpec

    def __init__(self, perturbation=None, seed: int | None = None, reset_noise: float | None = None):
        self._tables(nominal_model(self.spec.mjcf_path))
        #: What a ``velocity_tracking`` reward term tracks (zero until set).
        self.command = VelocityCommand()
        super().__init__(perturbation=perturbation, seed=seed,
                         reset_noise=self.spec.reset_noise if reset_noise is None else reset_noise)

    # -- model -------------------------------------------------------------------------------
    @classmethod
    def base_mjcf(cls):
        """The spec's MJCF (includes and assets resolved beside the file) with the terrain slot."""
        root = mjcf.from_path(cls.spec.mjcf_path)
        add_terrain_slot(root)
        return root

    @classmethod
    def model_key(cls):
        """The spec's MJCF file and its version (a file edited while the process runs compiles anew)."""
        return ("spec", cls.spec.mjcf_path, os.stat(cls.spec.mjcf_path).st_mtime_ns)

    def _tables(self, m) -> None:
        """Index tables from the nominal compiled model (the robot's joints come first in every
        perturbed model, so their addresses hold for all of them)."""
        spec = self.spec
        base = dict(spec.base)
        self._free = None if spec.planar else _joint(m, base["free"])
        self._x = None if self._free is not None else _joint(m, base["x"])
        self._z = None if self._free is not None else _joint(m, base["z"])
        self._pitch = None if self._free is not None else _joint(m, base["pitch"])
        pos_cols, vel_cols, order = [], [], []
        for e in spec.observation:
            src, _, what = e.rpartition(".")
            if src == "odom":
                kind, off = FREE_FIELDS[what]
                col = (m.jnt_qposadr if kind == "qpos" else m.jnt_dofadr)[self._free] + off
            else:
                kind = "qpos" if what == "position" else "qvel"
                j = _joint(m, src)
                col = (m.jnt_qposadr if kind == "qpos" else m.jnt_dofadr)[j]
            cols = pos_cols if kind == "qpos" else vel_cols
            order.append((kind, len(cols)))
            cols.append(int(col))
        self._pos_cols, self._vel_cols = np.array(pos_cols, dtype=int), np.array(vel_cols, dtype=int)
        self._perm = np.array([i if k == "qpos" else len(pos_cols) + i for k, i in order], dtype=int)
        drive = {}
        for a in range(m.nu):
            if int(m.actuator_trntype[a]) == int(mujoco.mjtTrn.mjTRN_JOINT):
                drive.setdefault(int(m.actuator_trnid[a, 0]), a)
        self._ctrl_idx = np.array([drive[_joint(m, j)] for j in spec.actuators], dtype=int)
        self._limit_q = np.array([m.jnt_qposadr[_joint(m, j)] for j, _, _ in spec.joint_limits], dtype=int)
        self._limit_lo = np.array([lo for _, lo, _ in spec.joint_limits])
        self._limit_hi = np.array([hi for _, _, hi in spec.joint_limits])

    # -- named accessors ---------------------------------------------------------------------
    @property
    def x_position(self) -> float:
        """Base x position (m)."""
        if self._free is not None:
            return float(self.data.qpos[self.model.jnt_qposadr[self._free]])
        return float(self.data.qpos[self.model.jnt_qposadr[self._x]])

    @property
    def forward_velocity(self) -> float:
        """Base world-frame x velocity (m/s)."""
        if self._free is not None:
            return float(self.data.qvel[self.model.jnt_dofadr[self._free]])
        return float(self.data.qvel[self.model.jnt_dofadr[self._x]])

    @property
    def base_height(self) -> float:
        """Base height coordinate (the free joint's z, or the planar base's z slide)."""
        if self._free is not None:
            return float(self.data.qpos[self.model.jnt_qposadr[self._free] + 2])
        return float(self.data.qpos[self.model.jnt_qposadr[self._z]])

    def base_velocity(self) -> np.ndarray:
        """(3,) ``(vx, vy)`` in the heading frame and the yaw rate (planar: ``(vx, 0, 0)``)."""
        if self._free is None:
            return np.array([self.forward_velocity, 0.0, 0.0])
        qa, da = self.model.jnt_qposadr[self._free], self.model.jnt_dofadr[self._free]
        quat = np.array(self.data.qpos[qa + 3:qa + 7])
        rot = np.zeros(9)
        mujoco.mju_quat2Mat(rot, quat)
        rot = rot.reshape(3, 3)
        heading = math.atan2(rot[1, 0], rot[0, 0])
        c, s = math.cos(heading), math.sin(heading)
        v = self.data.qvel[da:da + 3]
        omega_world = rot @ self.data.qvel[da + 3:da + 6]
        return np.array([c * v[0] + s * v[1], -s * v[0] + c * v[1], omega_world[2]])

    def tilt_cos(self) -> float:
        """Cosine of the angle between the base's up axis and the world's z axis (free base)."""
        rot = np.zeros(9)
        qa = self.model.jnt_qposadr[self._free]
        mujoco.mju_quat2Mat(rot, np.array(self.data.qpos[qa + 3:qa + 7]))
        return float(rot[8])

    def observation_from(self, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
        """Observations (..., nx) of positions (..., nq) and velocities (..., nv), batched."""
        return np.concatenate([qpos[..., self._pos_cols], qvel[..., self._vel_cols]], axis=-1)[..., self._perm]

    def ctrl_from_action(self, actions: np.ndarray) -> np.ndarray:
        """``MjData.ctrl`` rows (..., model nu) for actions (..., nu): each action entry to its joint's
        actuator, actuators outside the spec's ``actuators`` at zero."""
        ctrl = np.zeros(actions.shape[:-1] + (self.model.nu,))
        ctrl[..., self._ctrl_idx] = actions
        return ctrl

    # -- reward ------------------------------------------------------------------------------
    def reward_terms(self, action: np.ndarray) -> dict:
        """Each cost term of the spec, ``{term index: weighted cost}``, on the simulator's state now (the
        end of the step) and the applied ``action``; the reward is minus their sum."""
        out = {}
        for i, t in enumerate(self.spec.cost):
            w = float(t.weight)
            if t.term == "forward_velocity":
                c = -self.forward_velocity
            elif t.term == "control":
                c = float(action @ action)
            elif t.term == "height":
                h = self.base_height
                c = max(t.param("min") - h, 0.0) ** 2 + max(h - t.param("max"), 0.0) ** 2
            elif t.term == "upright":
                a = t.param("free_angle")
                if self._free is None:
                    pitch = float(self.data.qpos[self.model.jnt_qposadr[self._pitch]])
                    c = max(abs(pitch) - a, 0.0) ** 2
                else:
                    c = max(math.cos(a) - self.tilt_cos(), 0.0) ** 2
            elif t.term == "joint_limits":
                q = self.data.qpos[self._limit_q]
                half = (self._limit_hi - self._limit_lo) / 2
                u = np.maximum(np.abs(q - (self._limit_hi + self._limit_lo) / 2) / half - t.param("margin"), 0.0)
                c = float(u @ u)
            elif t.term == "velocity_tracking":
                err = self.base_velocity() - np.array(self.command.value())
                c = err[0] ** 2
                if self._free is not None:
                    c += err[1] ** 2 + t.param("yaw_weight") * err[2] ** 2
            else:  # parse_spec admits only the known terms
                raise AssertionError(t.term)
            out[i] = w * c
        return out

    def _reward(self, action: np.ndarray, x_before: float) -> tuple[float, dict]:
        """Minus the sum of the spec's cost terms (:meth:`reward_terms`), and each term in ``info``."""
        terms = self.reward_terms(action)
        info = {"forward_velocity": self.forward_velocity, "x_position": self.x_position,
                "cost_terms": {self.spec.cost[i].term: v for i, v in terms.items()}}
        return -sum(terms.values()), info


_CLASSES: dict = {}


def spec_env_class(spec: RobotSpec) -> type:
    """The :class:`SpecEnv` subclass of ``spec`` (one per spec file and version)."""
    key = (spec.source, spec)
    cls = _CLASSES.get(key)
    if cls is None:
        m = nominal_model(spec.mjcf_path)
        base_joint = _joint(m, dict(spec.base).get("free") or dict(spec.base)["x"])
        root = int(m.body_rootid[m.jnt_bodyid[base_joint]])
        robot = [j for j in range(m.njnt) if int(m.body_rootid[m.jnt_bodyid[j]]) == root]
        nq = max(int(m.jnt_qposadr[j]) for j in robot) + 1
        nv = max(int(m.jnt_dofadr[j]) for j in robot) + 1
        last = max(robot, key=lambda j: int(m.jnt_qposadr[j]))
        nq += {int(mujoco.mjtJoint.mjJNT_FREE): 6, int(mujoco.mjtJoint.mjJNT_BALL): 3}.get(int(m.jnt_type[last]), 0)
        nv += {int(mujoco.mjtJoint.mjJNT_FREE): 5, int(mujoco.mjtJoint.mjJNT_BALL): 2}.get(int(m.jnt_type[last]), 0)
        attrs = dict(spec=spec, name=spec.name, obs_size=len(spec.observation), action_size=len(spec.actuators),
                     control_dt=spec.control_dt, action_low=spec.action_limits[0], action_high=spec.action_limits[1],
                     actuator_names=spec.actuators, robot_nq=nq, robot_nv=nv,
                     __doc__=f"{spec.name}: the robot of {spec.source}.")
        cls = type(f"SpecEnv_{spec.name}", (SpecEnv,), attrs)
        _CLASSES[key] = cls
    return cls
