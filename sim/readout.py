"""What a robot's sensors would report, read off a simulated robot by name.

A ROS 2 robot reports its joints (``sensor_msgs/JointState``: name, position, velocity) and its
floating base (``nav_msgs/Odometry``: pose and twist). These helpers give the same quantities for
any MuJoCo robot, derived from the compiled model: the *base* joints are those of the root body
(the body whose parent is the world: the cheetah's ``rootx``/``rootz``/``rooty`` slides and hinge,
an ant's free joint); every other hinge or slide joint is a *joint* and is reported by its name.

Conventions (the ones :class:`robot_bridge.control_bridge.ObservationLayout` reads back):
base position in the world frame; orientation as a unit quaternion (w, x, y, z); linear velocity
in the world frame; angular velocity in the world frame. A planar robot's rotation about y by
``theta`` becomes ``(cos(theta/2), 0, sin(theta/2), 0)``, so ``2*atan2(qy, qw)`` recovers
``theta`` exactly for |theta| < 2*pi.
"""
from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

_HINGE_OR_SLIDE = (int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE))


@dataclass(frozen=True)
class BaseState:
    """The floating base: ``position`` (3,), ``quaternion`` (4,) as w, x, y, z, ``linear`` (3,) and
    ``angular`` (3,) velocities, all in the world frame."""

    position: np.ndarray
    quaternion: np.ndarray
    linear: np.ndarray
    angular: np.ndarray


def _robot_root(model) -> int:
    """The robot's root body: the top-level ancestor of the body of the first joint (bodies of the
    scenery, e.g. the pier's floating blocks, come later in the model)."""
    return int(model.body_rootid[model.jnt_bodyid[0]])


def _root_joints(model) -> list[int]:
    root = _robot_root(model)
    return [j for j in range(model.njnt) if model.jnt_bodyid[j] == root]


def joint_names(model) -> tuple[str, ...]:
    """Names of the robot's non-base hinge and slide joints, in model order (scenery joints excluded)."""
    root = _robot_root(model)
    roots = set(_root_joints(model))
    return tuple(mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, j) for j in range(model.njnt)
                 if j not in roots and model.body_rootid[model.jnt_bodyid[j]] == root
                 and int(model.jnt_type[j]) in _HINGE_OR_SLIDE)


def actuator_joint_names(model) -> tuple[str, ...]:
    """Per actuator (in actuator order), the name of the joint it drives."""
    names = []
    for a in range(model.nu):
        if int(model.actuator_trntype[a]) != int(mujoco.mjtTrn.mjTRN_JOINT):
            raise ValueError(f"actuator {a} does not drive a joint")
        names.append(mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, int(model.actuator_trnid[a, 0])))
    return tuple(names)


def joint_state(model, data) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """``(names, positions, velocities)`` of the non-base joints."""
    names = joint_names(model)
    ids = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, n) for n in names]
    pos = np.array([data.qpos[model.jnt_qposadr[j]] for j in ids], dtype=np.float64)
    vel = np.array([data.qvel[model.jnt_dofadr[j]] for j in ids], dtype=np.float64)
    return names, pos, vel


def _axis_index(axis: np.ndarray, name: str) -> int:
    idx = int(np.argmax(np.abs(axis)))
    if not np.isclose(abs(axis[idx]), 1.0) or axis[idx] < 0:
        raise ValueError(f"base joint {name!r} has axis {axis.tolist()}; only +x, +y, +z axes are supported")
    return idx


def base_state(model, data) -> BaseState:
    """The root body's pose and twist (see the module docstring for the conventions)."""
    pos, lin, ang = np.zeros(3), np.zeros(3), np.zeros(3)
    rotvec = np.zeros(3)  # planar robots: rotation angle per hinge axis
    quat = None
    for j in _root_joints(model):
        qa, da, kind = model.jnt_qposadr[j], model.jnt_dofadr[j], int(model.jnt_type[j])
        name = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, j)
        if kind == int(mujoco.mjtJoint.mjJNT_FREE):
            pos[:] = data.qpos[qa:qa + 3]
            quat = np.array(data.qpos[qa + 3:qa + 7], dtype=np.float64)
            lin[:] = data.qvel[da:da + 3]
            # MuJoCo's free-joint angular velocity is in the body frame: rotate it to the world
            rot = np.zeros(9)
            mujoco.mju_quat2Mat(rot, quat)
            ang[:] = rot.reshape(3, 3) @ data.qvel[da + 3:da + 6]
        elif kind == int(mujoco.mjtJoint.mjJNT_SLIDE):
            i = _axis_index(model.jnt_axis[j], name)
            pos[i] += data.qpos[qa] + model.body_pos[model.jnt_bodyid[j]][i]
            lin[i] += data.qvel[da]
        elif kind == int(mujoco.mjtJoint.mjJNT_HINGE):
            i = _axis_index(model.jnt_axis[j], name)
            rotvec[i] += data.qpos[qa]
            ang[i] += data.qvel[da]
    if quat is None:
        nonzero = np.flatnonzero(rotvec)
        if len(nonzero) > 1:
            raise ValueError("a base with hinges about more than one axis is not supported")
        quat = np.array([1.0, 0.0, 0.0, 0.0])
        if len(nonzero):
            i = int(nonzero[0])
            quat[0] = np.cos(rotvec[i] / 2)
            quat[1 + i] = np.sin(rotvec[i] / 2)
    return BaseState(position=pos, quaternion=quat, linear=lin, angular=ang)
