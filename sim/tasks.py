"""The perturbation suite: per-robot families, each with a training range and a held-out test range.

``make_distribution(robot, family, split).sample(rng)`` draws one task (a perturbation) from a
seeded ``np.random.Generator`` owned by the caller. Every family's train and test ranges are
disjoint (:meth:`TaskFamily.disjoint_from`), so test tasks are never seen in training.

======================  ==========================  ==========================  =======================
family                  train                       test                        applied (reset / switch)
======================  ==========================  ==========================  =======================
none                    nominal                     nominal                     -
crippled_leg (cheetah)  actuator 0-3, strength 0    actuator 4-5, strength 0    MJCF gear / gear
crippled_leg (ant)      leg 0-2 (2 motors, shrunk)  leg 3                       MJCF gear+geoms / gear
terrain_ramps           slope U(0.2, 0.4)           slope U(0.45, 0.6)          height field / same
tilted_floor            ±U(0.05, 0.15) rad          ±U(0.2, 0.3) rad            gravity / same
pier (cheetah only)     block damping U(0, 40)      block damping U(80, 250)    MJCF blocks / unsupported
friction                scale U(0.5, 1.5)           scale U(0.2, 0.4)           geom_friction / same
payload                 +U(0.1, 0.5) robot mass     +U(0.6, 1.0) robot mass     body_mass,inertia / same
motor_gain              scale U(0.7, 1.3)           scale U(0.35, 0.55)         actuator_gear / same
joint_damping           scale U(0.5, 2.0)           scale U(3.0, 5.0)           dof_damping / same
======================  ==========================  ==========================  =======================

An experiment's ``task.train_ranges`` can replace a family's training range (:func:`train_range_override`;
it must stay disjoint from the test range, which never changes).

A robot given as a spec (:mod:`sim.spec`: the walker, your own) has ``crippled_leg`` over its spec's
``legs`` (a leg's motors disabled; ``crippled_legs`` names the train and the held-out test legs), a
payload on its spec's ``torso``, and every common family above except the pier.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from sim.perturbations import (CrippledAntLeg, CrippledGroup, CrippledLeg, Friction, JointDamping, MotorGain, NoPerturbation,
                               Payload, Perturbation, TaskDistribution, TiltedFloor)
from sim.terrain import Pier, TerrainRamps

#: Blocks in a pier (2 m each: 60 m of pier after the start).
PIER_BLOCKS = 30


def perturbation_from_params(params: dict) -> Perturbation:
    """Inverse of ``params()``: rebuild a perturbation from its stored record."""
    p = {k: v for k, v in params.items() if k != "perturbation"}
    kind = params.get("perturbation", "none")
    if kind == "none":
        return NoPerturbation()
    if kind == "crippled_leg":
        return CrippledLeg(actuator=int(p["actuator"]), strength=float(p["strength"]))
    if kind == "pier":
        return Pier(dampings=tuple(float(d) for d in p["dampings"]))
    if kind == "crippled_group":
        return CrippledGroup(group=int(p["group"]), groups=tuple(tuple(g) for g in p["groups"]),
                             strength=float(p.get("strength", 0.0)))
    kinds = {"crippled_ant_leg": CrippledAntLeg, "friction": Friction, "payload": Payload, "motor_gain": MotorGain,
             "joint_damping": JointDamping, "tilted_floor": TiltedFloor, "terrain_ramps": TerrainRamps}
    if kind not in kinds:
        raise ValueError(f"unknown perturbation {kind!r} (known: none, crippled_leg, pier, {', '.join(kinds)})")
    return kinds[kind](**p)


@dataclass(frozen=True)
class Interval:
    """Uniform on [lo, hi]; with ``signed`` the sign is drawn too (uniform on ±[lo, hi])."""

    lo: float
    hi: float
    signed: bool = False

    def sample(self, rng: np.random.Generator) -> float:
        """One value."""
        v = float(rng.uniform(self.lo, self.hi))
        return -v if self.signed and rng.random() < 0.5 else v

    def contains(self, v: float) -> bool:
        """Whether ``v`` can be drawn."""
        return self.lo <= (abs(v) if self.signed else v) <= self.hi

    def disjoint_from(self, other: "Interval") -> bool:
        """No value can be drawn from both."""
        return self.hi < other.lo or other.hi < self.lo


@dataclass(frozen=True)
class OneOf:
    """Uniform over a finite set of values."""

    values: tuple

    def sample(self, rng: np.random.Generator) -> Any:
        """One value."""
        return self.values[int(rng.integers(len(self.values)))]

    def contains(self, v) -> bool:
        """Whether ``v`` can be drawn."""
        return v in self.values

    def disjoint_from(self, other: "OneOf") -> bool:
        """No value can be drawn from both."""
        return not set(self.values) & set(other.values)


@dataclass(frozen=True)
class EachOf:
    """A tuple of ``n`` independent draws from ``item``."""

    item: Interval
    n: int

    def sample(self, rng: np.random.Generator) -> tuple:
        """One tuple."""
        return tuple(self.item.sample(rng) for _ in range(self.n))

    def contains(self, v) -> bool:
        """Whether ``v`` can be drawn."""
        return len(v) == self.n and all(self.item.contains(x) for x in v)

    def disjoint_from(self, other: "EachOf") -> bool:
        """No tuple can be drawn from both."""
        return self.item.disjoint_from(other.item)


@dataclass(frozen=True)
class TaskFamily:
    """A seeded distribution over one family's perturbations: ``factory(**drawn ranges, **fixed)``."""

    family: str
    split: str
    factory: Callable[..., Perturbation]
    ranges: dict
    fixed: dict

    def sample(self, rng: np.random.Generator) -> Perturbation:
        """One task, drawn from ``rng`` (ranges drawn in sorted key order)."""
        return self.factory(**{k: self.ranges[k].sample(rng) for k in sorted(self.ranges)}, **self.fixed)

    def contains(self, task: Perturbation) -> bool:
        """Whether ``task`` could have been drawn from this distribution."""
        if type(task) is not self.factory:
            return False
        return all(r.contains(getattr(task, k)) for k, r in self.ranges.items()) and all(
            getattr(task, k) == v for k, v in self.fixed.items())

    def disjoint_from(self, other: "TaskFamily") -> bool:
        """No task can be drawn from both (some parameter's ranges do not overlap)."""
        return self.factory is not other.factory or any(
            r.disjoint_from(other.ranges[k]) for k, r in self.ranges.items() if k in other.ranges)


# (factory, {split: ranges}, fixed); "both" ranges hold in both splits.
_COMMON = {
    "terrain_ramps": (TerrainRamps, {"train": {"slope": Interval(0.2, 0.4)}, "test": {"slope": Interval(0.45, 0.6)}}, {}),
    "tilted_floor": (TiltedFloor, {"train": {"angle": Interval(0.05, 0.15, signed=True)},
                                   "test": {"angle": Interval(0.2, 0.3, signed=True)}}, {}),
    "friction": (Friction, {"train": {"scale": Interval(0.5, 1.5)}, "test": {"scale": Interval(0.2, 0.4)}}, {}),
    "payload": (Payload, {"train": {"fraction": Interval(0.1, 0.5)}, "test": {"fraction": Interval(0.6, 1.0)}}, {}),
    "motor_gain": (MotorGain, {"train": {"scale": Interval(0.7, 1.3)}, "test": {"scale": Interval(0.35, 0.55)}}, {}),
    "joint_damping": (JointDamping, {"train": {"scale": Interval(0.5, 2.0)}, "test": {"scale": Interval(3.0, 5.0)}}, {}),
}
_SPECS = {
    "half_cheetah": {
        "crippled_leg": (CrippledLeg, {"train": {"actuator": OneOf((0, 1, 2, 3))}, "test": {"actuator": OneOf((4, 5))}},
                         {"strength": 0.0}),
        "pier": (Pier, {"train": {"dampings": EachOf(Interval(0.0, 40.0), PIER_BLOCKS)},
                        "test": {"dampings": EachOf(Interval(80.0, 250.0), PIER_BLOCKS)}}, {}),
        **_COMMON,
    },
    "ant": {
        "crippled_leg": (CrippledAntLeg, {"train": {"leg": OneOf((0, 1, 2))}, "test": {"leg": OneOf((3,))}}, {}),
        **_COMMON,
    },
}

#: Perturbation families of the half-cheetah and the ant (``none`` first); :func:`families` for any robot.
FAMILIES: dict[str, tuple[str, ...]] = {robot: ("none", *specs) for robot, specs in _SPECS.items()}
SPLITS = ("train", "test")


def _spec_families(robot: str) -> dict:
    """A spec robot's families: a crippled leg (its spec's ``legs``: a leg's motors disabled, the
    ``crippled_legs`` train and test legs), a payload on its ``torso``, and the common ones."""
    from sim.spec import load_spec

    spec = load_spec(robot)
    train, test = spec.crippled_legs
    out = {"crippled_leg": (CrippledGroup, {"train": {"group": OneOf(train)}, "test": {"group": OneOf(test)}},
                            {"groups": spec.leg_actuators})}
    for name, (factory, ranges, fixed) in _COMMON.items():
        out[name] = (factory, ranges, {**fixed, **({"body": spec.torso} if factory is Payload else {})})
    return out


def _families_of(robot: str) -> dict:
    return _SPECS[robot] if robot in _SPECS else _spec_families(robot)


def families(robot: str) -> tuple[str, ...]:
    """The perturbation families of ``robot`` (a registered name or a spec path), ``none`` first."""
    return ("none", *_families_of(robot))


def make_distribution(robot: str, family: str, split: str, train_ranges: dict | None = None) -> TaskFamily:
    """The task distribution of ``family`` on ``robot`` for ``split`` (``train`` or ``test``).

    ``train_ranges``: ``{parameter: (low, high)}`` replacing the training range of the family's
    parameters (split ``train`` only; see :func:`train_range_override`)."""
    known = families(robot)
    if family not in known:
        raise ValueError(f"unknown perturbation family {family!r} for {robot} (known: {', '.join(known)})")
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if family == "none":
        if train_ranges:
            raise ValueError("family 'none' has no parameters to range over")
        return TaskFamily("none", split, NoPerturbation, {}, {})
    factory, ranges, fixed = _families_of(robot)[family]
    chosen = dict(ranges[split])
    if train_ranges:
        if split != "train":
            raise ValueError("training-range overrides apply to the train split only (the test ranges are fixed)")
        for param, (lo, hi) in train_ranges.items():
            chosen[param] = train_range_override(robot, family, param, lo, hi)
    return TaskFamily(family, split, factory, chosen, fixed)


def train_range_override(robot: str, family: str, param: str, lo: float, hi: float):
    """The training range of ``family``'s ``param`` on ``robot`` replaced by [lo, hi] (an :class:`Interval`,
    or an :class:`EachOf` of one for per-block parameters such as the pier's ``dampings``; a signed
    parameter stays signed). Raises ``ValueError`` naming what is wrong: an unknown family or parameter,
    a parameter that is not a numeric range (the crippled leg's actuators: use ``task.joints``), an
    empty range, or one that overlaps the held-out test range (test tasks are never seen in training)."""
    known = families(robot)
    if family not in known or family == "none":
        raise ValueError(f"{family!r} is not a perturbation family of {robot} with parameters "
                         f"(known: {', '.join(f for f in known if f != 'none')})")
    _, ranges, _ = _families_of(robot)[family]
    train, test = ranges["train"], ranges["test"]
    if param not in train:
        raise ValueError(f"{family} has no parameter {param!r} (its parameters: {', '.join(sorted(train))})")
    old = train[param]
    item = old.item if isinstance(old, EachOf) else old
    if not isinstance(item, Interval):
        raise ValueError(f"{family}.{param} is not a numeric range (the crippled leg's actuators or legs are "
                         f"chosen with task.joints)")
    lo, hi = float(lo), float(hi)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi):
        raise ValueError(f"{family}.{param}: need finite low <= high, got [{lo}, {hi}]")
    if item.signed and lo < 0:
        raise ValueError(f"{family}.{param} is drawn with either sign: give its magnitude, low >= 0, got {lo}")
    new_item = Interval(lo, hi, item.signed)
    t = test[param].item if isinstance(test[param], EachOf) else test[param]
    if not new_item.disjoint_from(t):
        raise ValueError(f"{family}.{param}: training range [{lo:g}, {hi:g}] overlaps the held-out test range "
                         f"[{t.lo:g}, {t.hi:g}]; test tasks must stay unseen")
    return EachOf(new_item, old.n) if isinstance(old, EachOf) else new_item


@dataclass(frozen=True)
class Mixture:
    """The whole suite: a family drawn uniformly (``none`` included), then a task from its range."""

    families: tuple

    def sample(self, rng: np.random.Generator, family: int | None = None) -> Perturbation:
        """One task, drawn from ``rng``; ``family`` (an index into :attr:`families`) fixes the family
        (the uniform draw is still taken from ``rng``, so the rest of its stream is the same either way)."""
        drawn = int(rng.integers(len(self.families)))
        if family is not None and not 0 <= family < len(self.families):
            raise ValueError(f"family index {family} out of range for a mixture of {len(self.families)} families")
        return self.families[drawn if family is None else family].sample(rng)


#: Name of the whole-suite mixture in configs (``task.perturbation: all``).
ALL = "all"


def make_mixture(robot: str, split: str = "train", train_ranges: dict | None = None) -> Mixture:
    """Every family of ``robot`` (``none`` included) with equal weight, in ``split``'s ranges: the data
    to meta-train a model for the whole perturbation suite. ``train_ranges``: ``{family: {parameter:
    (low, high)}}`` overriding training ranges (:func:`train_range_override`); the draws of the other
    families are unchanged (each family draws the same number of values from the generator)."""
    train_ranges = train_ranges or {}
    unknown = set(train_ranges) - set(families(robot))
    if unknown:
        raise ValueError(f"{', '.join(sorted(unknown))}: not a perturbation family of {robot}")
    return Mixture(tuple(make_distribution(robot, f, split, train_ranges.get(f)) for f in families(robot)))


def config_distribution(robot: str, perturbation: str, indices=(0,), strength_range=(0.0, 0.0)):
    """The sampler a training config (``task:`` section) describes, per robot.

    Half-cheetah: :class:`sim.perturbations.TaskDistribution` over the actuators ``indices``
    (unchanged, so seeded collections stay reproducible). Ant: the legs ``indices`` crippled as in
    :class:`sim.perturbations.CrippledAntLeg` (``strength_range`` must be (0, 0): a crippled ant
    leg has no torque). ``perturbation`` is ``none`` or ``crippled_leg``.
    """
    if robot == "half_cheetah" or perturbation == "none":
        return TaskDistribution(perturbation, indices, strength_range)
    if perturbation != "crippled_leg":
        raise ValueError(f"unknown perturbation family {perturbation!r} (known: none, crippled_leg)")
    if robot != "ant":  # a spec robot: its legs' actuator groups
        from sim.spec import load_spec

        lo, hi = (float(v) for v in strength_range)
        ranges = {"group": OneOf(tuple(int(i) for i in indices))}
        fixed = {"groups": load_spec(robot).leg_actuators}
        if lo == hi:
            fixed["strength"] = lo
        else:
            ranges["strength"] = Interval(lo, hi)
        return TaskFamily("crippled_leg", "config", CrippledGroup, ranges, fixed)
    if tuple(strength_range) != (0.0, 0.0):
        raise ValueError("the ant's crippled legs have no torque: strength_range must be [0, 0]")
    return TaskFamily("crippled_leg", "config", CrippledAntLeg, {"leg": OneOf(tuple(int(i) for i in indices))}, {})
