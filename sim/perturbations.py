"""Perturbations of a robot's body and world, and a seeded sampler of crippled legs.

Every perturbation is a frozen dataclass with three methods:

* ``apply_mjcf(root)``: structural edits of the (uncompiled) ``mjcf.RootElement``, at reset;
* ``apply_model(model) -> {field: original copy}``: edits of a compiled ``mujoco.MjModel`` in
  place (mid-episode switches; about a microsecond, no recompile); field names may be dotted
  (``opt.gravity``);
* ``params()``: the plain-data record stored with each trajectory and episode result
  (:func:`sim.tasks.perturbation_from_params` inverts it).

Perturbations with ``reset_edits_model = True`` have no structural edit: at reset the env applies
``apply_model`` to the freshly compiled model instead, so a task behaves the same whether it was
set at reset or switched on mid-episode. Which families do what is tabled in :mod:`sim.tasks`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol, Sequence

import mujoco
import numpy as np


class UnsupportedSwitch(ValueError):
    """The perturbation cannot be applied to a compiled model (a structural change): reset with it."""


class Perturbation(Protocol):
    """What a robot needs of a perturbation."""

    def apply_mjcf(self, root) -> None:
        """Edit the (uncompiled) ``mjcf.RootElement`` in place."""

    def params(self) -> dict:
        """Plain-data description (JSON-safe), e.g. ``{"perturbation": "crippled_leg", ...}``."""

    def apply_model(self, model) -> dict:
        """Edit a compiled ``mujoco.MjModel`` in place (mid-episode); return ``{field: original copy}``."""


class _ModelEdit:
    """Base of the compile-free perturbations: no structural edit; reset applies ``apply_model``."""

    reset_edits_model: ClassVar[bool] = True

    def apply_mjcf(self, root) -> None:
        """No structural edit (the env applies :meth:`apply_model` after compiling)."""
        return None


def _id(model, kind, name: str) -> int:
    i = mujoco.mj_name2id(model, kind, name)
    if i < 0:
        raise ValueError(f"the model has no {kind.name.removeprefix('mjOBJ_').lower()} named {name!r}")
    return i


@dataclass(frozen=True)
class NoPerturbation:
    """The nominal robot."""

    def apply_mjcf(self, root) -> None:
        """Nothing to edit."""
        return None

    def apply_model(self, model) -> dict:
        """Nothing to edit."""
        return {}

    def params(self) -> dict:
        """``{"perturbation": "none"}``."""
        return {"perturbation": "none"}


@dataclass(frozen=True)
class CrippledLeg:
    """One actuator weakened to ``strength`` of its gear (0 disables it: it produces no torque)."""

    actuator: int
    """Index of the actuator (in the model's actuator order)."""
    strength: float = 0.0
    """Remaining fraction of the actuator's gear, in [0, 1]."""

    def __post_init__(self):
        if not 0.0 <= self.strength <= 1.0:
            raise ValueError(f"CrippledLeg.strength must be in [0, 1], got {self.strength}")
        if self.actuator < 0:
            raise ValueError(f"CrippledLeg.actuator must be >= 0, got {self.actuator}")

    def apply_mjcf(self, root) -> None:
        """Scale the actuator's gear in the MJCF."""
        actuators = root.find_all("actuator")
        if self.actuator >= len(actuators):
            raise ValueError(
                f"CrippledLeg.actuator={self.actuator} but the model has {len(actuators)} actuators"
            )
        act = actuators[self.actuator]
        gear = np.asarray(act.gear if act.gear is not None else [1.0], dtype=float)
        act.gear = gear * self.strength

    def apply_model(self, model) -> dict:
        """Scale the actuator's row of ``actuator_gear``."""
        if self.actuator >= model.nu:
            raise ValueError(f"CrippledLeg.actuator={self.actuator} but the model has {model.nu} actuators")
        original = {"actuator_gear": model.actuator_gear.copy()}
        model.actuator_gear[self.actuator] *= self.strength
        return original

    def params(self) -> dict:
        """``{"perturbation": "crippled_leg", "actuator": i, "strength": s}``."""
        return {"perturbation": "crippled_leg", "actuator": int(self.actuator), "strength": float(self.strength)}


@dataclass(frozen=True)
class CrippledGroup(_ModelEdit):
    """Leg ``group`` of a spec robot crippled: its actuators' gears scaled to ``strength`` (0: no torque).

    ``groups`` holds every leg's actuator indices (the spec's ``legs``, in order), so a task record
    says which motors it disabled.
    """

    group: int
    """Index of the crippled leg in ``groups``."""
    groups: tuple
    """Per leg, the indices of its actuators (in the model's actuator order)."""
    strength: float = 0.0
    """Remaining fraction of the gears, in [0, 1]."""

    def __post_init__(self):
        object.__setattr__(self, "groups", tuple(tuple(int(a) for a in g) for g in self.groups))
        if self.group not in range(len(self.groups)):
            raise ValueError(f"CrippledGroup.group must be in 0..{len(self.groups) - 1}, got {self.group}")
        if not 0.0 <= self.strength <= 1.0:
            raise ValueError(f"CrippledGroup.strength must be in [0, 1], got {self.strength}")

    def apply_model(self, model) -> dict:
        """Scale the leg's rows of ``actuator_gear``."""
        original = {"actuator_gear": model.actuator_gear.copy()}
        for a in self.groups[self.group]:
            if a >= model.nu:
                raise ValueError(f"CrippledGroup: actuator {a} but the model has {model.nu} actuators")
            model.actuator_gear[a] *= self.strength
        return original

    def params(self) -> dict:
        """``{"perturbation": "crippled_group", "group": i, "groups": [[...], ...], "strength": s}``."""
        return {"perturbation": "crippled_group", "group": int(self.group),
                "groups": [list(g) for g in self.groups], "strength": float(self.strength)}


#: Ant leg k: (hip joint, ankle joint, upper-leg geom, lower-leg geom) in gymnasium's ant.xml.
ANT_LEGS = (
    ("hip_1", "ankle_1", "left_leg_geom", "left_ankle_geom"),
    ("hip_2", "ankle_2", "right_leg_geom", "right_ankle_geom"),
    ("hip_3", "ankle_3", "back_leg_geom", "third_ankle_geom"),
    ("hip_4", "ankle_4", "rightback_leg_geom", "fourth_ankle_geom"),
)


@dataclass(frozen=True)
class CrippledAntLeg:
    """Ant leg ``leg`` crippled: both its motors produce no torque and (at reset) the leg is shrunk.

    At reset (MJCF) the leg's upper and lower capsules and the ankle body's offset are scaled by
    ``shrink`` (length and radius, as in the reference code, which halves them). Mid-episode
    (``apply_model``) only the two gears are zeroed: a compiled model's body tree cannot be
    shortened consistently, so the leg keeps its length.
    """

    leg: int
    """0 front left, 1 front right, 2 back left, 3 back right (reference: 0-2 train, 3 test)."""
    shrink: float = 0.5
    """Scale of the crippled leg's geoms at reset."""

    def __post_init__(self):
        if self.leg not in range(len(ANT_LEGS)):
            raise ValueError(f"CrippledAntLeg.leg must be in 0..3, got {self.leg}")
        if not 0.0 < self.shrink <= 1.0:
            raise ValueError(f"CrippledAntLeg.shrink must be in (0, 1], got {self.shrink}")

    def apply_mjcf(self, root) -> None:
        """Zero both motors' gears and shrink the leg's geoms."""
        hip, ankle, upper, lower = ANT_LEGS[self.leg]
        for act in root.find_all("actuator"):
            if act.joint is not None and act.joint.name in (hip, ankle):
                act.gear = np.asarray(act.gear if act.gear is not None else [1.0], dtype=float) * 0.0
        for name in (upper, lower):
            geom = root.find("geom", name)
            geom.fromto = np.asarray(geom.fromto, dtype=float) * self.shrink
            geom.size = np.asarray(geom.size, dtype=float) * self.shrink
        ankle_body = root.find("joint", ankle).parent
        ankle_body.pos = np.asarray(ankle_body.pos, dtype=float) * self.shrink

    def apply_model(self, model) -> dict:
        """Zero the gears of the leg's two actuators (the geoms stay as they are)."""
        original = {"actuator_gear": model.actuator_gear.copy()}
        for joint in ANT_LEGS[self.leg][:2]:
            j = _id(model, mujoco.mjtObj.mjOBJ_JOINT, joint)
            for a in np.flatnonzero(model.actuator_trnid[:, 0] == j):
                model.actuator_gear[a] = 0.0
        return original

    def params(self) -> dict:
        """``{"perturbation": "crippled_ant_leg", "leg": k, "shrink": s}``."""
        return {"perturbation": "crippled_ant_leg", "leg": int(self.leg), "shrink": float(self.shrink)}


@dataclass(frozen=True)
class Friction(_ModelEdit):
    """Sliding friction of every geom (robot and floor) scaled by ``scale``."""

    scale: float

    def apply_model(self, model) -> dict:
        """Scale ``geom_friction[:, 0]``."""
        original = {"geom_friction": model.geom_friction.copy()}
        model.geom_friction[:, 0] *= self.scale
        return original

    def params(self) -> dict:
        """``{"perturbation": "friction", "scale": s}``."""
        return {"perturbation": "friction", "scale": float(self.scale)}


@dataclass(frozen=True)
class Payload(_ModelEdit):
    """A payload on the torso: its mass grows by ``fraction`` of the robot's total mass.

    The torso's inertia is scaled by the same factor as its mass (the payload is spread like
    the torso). Derived constants (``body_subtreemass``, ``dof_invweight0``) are not recomputed.
    """

    fraction: float
    body: str = "torso"

    def apply_model(self, model) -> dict:
        """Scale ``body_mass`` and ``body_inertia`` of the torso."""
        b = _id(model, mujoco.mjtObj.mjOBJ_BODY, self.body)
        original = {"body_mass": model.body_mass.copy(), "body_inertia": model.body_inertia.copy()}
        robot_mass = float(model.body_subtreemass[b])
        factor = 1.0 + self.fraction * robot_mass / float(model.body_mass[b])
        model.body_mass[b] *= factor
        model.body_inertia[b] *= factor
        return original

    def params(self) -> dict:
        """``{"perturbation": "payload", "fraction": f, "body": name}``."""
        return {"perturbation": "payload", "fraction": float(self.fraction), "body": self.body}


@dataclass(frozen=True)
class MotorGain(_ModelEdit):
    """Every actuator's gear scaled by ``scale`` (weaker or stronger motors)."""

    scale: float

    def apply_model(self, model) -> dict:
        """Scale ``actuator_gear[:, 0]``."""
        original = {"actuator_gear": model.actuator_gear.copy()}
        model.actuator_gear[:, 0] *= self.scale
        return original

    def params(self) -> dict:
        """``{"perturbation": "motor_gain", "scale": s}``."""
        return {"perturbation": "motor_gain", "scale": float(self.scale)}


@dataclass(frozen=True)
class JointDamping(_ModelEdit):
    """Damping of every actuated joint scaled by ``scale``."""

    scale: float

    def apply_model(self, model) -> dict:
        """Scale ``dof_damping`` of the actuated joints' dofs."""
        original = {"dof_damping": model.dof_damping.copy()}
        dofs = model.jnt_dofadr[model.actuator_trnid[:, 0]]
        model.dof_damping[dofs] *= self.scale
        return original

    def params(self) -> dict:
        """``{"perturbation": "joint_damping", "scale": s}``."""
        return {"perturbation": "joint_damping", "scale": float(self.scale)}


@dataclass(frozen=True)
class TiltedFloor(_ModelEdit):
    """The floor tilted by ``angle`` (rad) about the y axis: positive is uphill in +x.

    Implemented by rotating gravity into the floor's frame (``opt.gravity``), not by turning the
    floor geom: the robot is never buried, and the same edit works mid-episode. Positions and
    velocities are then measured along the slope.
    """

    angle: float

    def apply_model(self, model) -> dict:
        """Rotate ``opt.gravity`` by ``angle`` about y (magnitude kept)."""
        original = {"opt.gravity": model.opt.gravity.copy()}
        g = float(np.linalg.norm(model.opt.gravity))
        model.opt.gravity[:] = (-g * np.sin(self.angle), 0.0, -g * np.cos(self.angle))
        return original

    def params(self) -> dict:
        """``{"perturbation": "tilted_floor", "angle": rad}``."""
        return {"perturbation": "tilted_floor", "angle": float(self.angle)}


class TaskDistribution:
    """Seeded sampler of half-cheetah crippled-leg tasks (the training configs' distribution).

    Args:
        perturbation: ``"none"`` or ``"crippled_leg"``.
        joints: actuator indices that may be crippled.
        strength_range: (low, high) of the remaining strength, sampled uniformly.
    """

    def __init__(self, perturbation: str, joints: Sequence[int] = (0,), strength_range=(0.0, 0.0)):
        if perturbation not in ("none", "crippled_leg"):
            raise ValueError(f"unknown perturbation family {perturbation!r} (known: none, crippled_leg)")
        self.perturbation = perturbation
        self.joints = tuple(int(j) for j in joints)
        self.strength_range = (float(strength_range[0]), float(strength_range[1]))

    def sample(self, rng: np.random.Generator) -> Perturbation:
        """One task, drawn from ``rng`` (the caller owns the seeded generator)."""
        if self.perturbation == "none":
            return NoPerturbation()
        joint = self.joints[int(rng.integers(len(self.joints)))]
        lo, hi = self.strength_range
        strength = lo if lo == hi else float(rng.uniform(lo, hi))
        return CrippledLeg(actuator=joint, strength=strength)
