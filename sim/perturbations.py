"""Perturbations of a robot's body, and seeded task distributions over them.

A perturbation edits the robot's MJCF model with ``dm_control.mjcf`` before it is compiled
(structural edits, applied at reset). Every perturbation is a frozen dataclass whose
:meth:`params` is the plain-data record stored with each trajectory and episode result.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np


class Perturbation(Protocol):
    """What a robot needs of a perturbation."""

    def apply_mjcf(self, root) -> None:
        """Edit the (uncompiled) ``mjcf.RootElement`` in place."""

    def params(self) -> dict:
        """Plain-data description (JSON-safe), e.g. ``{"perturbation": "crippled_leg", ...}``."""

    def apply_model(self, model) -> dict:
        """Edit a compiled ``mujoco.MjModel`` in place (mid-episode); return ``{field: original copy}``."""


@dataclass(frozen=True)
class NoPerturbation:
    """The nominal robot."""

    def apply_mjcf(self, root) -> None:
        return None

    def apply_model(self, model) -> dict:
        return {}

    def params(self) -> dict:
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
        actuators = root.find_all("actuator")
        if self.actuator >= len(actuators):
            raise ValueError(
                f"CrippledLeg.actuator={self.actuator} but the model has {len(actuators)} actuators"
            )
        act = actuators[self.actuator]
        gear = np.asarray(act.gear if act.gear is not None else [1.0], dtype=float)
        act.gear = gear * self.strength

    def apply_model(self, model) -> dict:
        if self.actuator >= model.nu:
            raise ValueError(f"CrippledLeg.actuator={self.actuator} but the model has {model.nu} actuators")
        original = {"actuator_gear": model.actuator_gear.copy()}
        model.actuator_gear[self.actuator] *= self.strength
        return original

    def params(self) -> dict:
        return {"perturbation": "crippled_leg", "actuator": int(self.actuator), "strength": float(self.strength)}


def perturbation_from_params(params: dict) -> Perturbation:
    """Inverse of ``params()``: rebuild a perturbation from its stored record."""
    kind = params.get("perturbation", "none")
    if kind == "none":
        return NoPerturbation()
    if kind == "crippled_leg":
        return CrippledLeg(actuator=int(params["actuator"]), strength=float(params["strength"]))
    raise ValueError(f"unknown perturbation {kind!r} (known: none, crippled_leg)")


class TaskDistribution:
    """Seeded sampler of perturbations of one family.

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
