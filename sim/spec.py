"""A robot from files: any MuJoCo model with actuators plus a YAML robot spec, no Python.

A spec names, in the vocabulary of the controller node's ``observation_layout``:

.. code-block:: yaml

    name: walker                      # what checkpoints record (a checkpoint for another robot is refused)
    mjcf: dm_control:suite/walker.xml # a path relative to this file, or <installed package>:<path inside it>
    control_dt: 0.01                  # seconds per control tick (a multiple of the model's timestep)
    actuators: [right_hip, ...]       # the action, in order: the joint each entry's actuator drives
    action_limits: [-1.0, 1.0]
    base: {x: rootx, z: rootz, pitch: rooty}   # a planar base (slide x, slide z, hinge about y) ...
    # base: {free: root}                       # ... or a free joint
    torso: torso                      # the body a payload is added to
    observation: [rootz.position, rooty.position, right_hip.position, ..., rootx.velocity, ...]
    legs: {right_hip: [right_hip], ...}        # actuator groups a crippled-leg task disables (joint names)
    crippled_legs: {train: [right_hip, ...], test: [left_knee, ...]}
    cost:                             # the task: reward = -(sum of the weighted terms), see sim.costs.COST_TERMS
      - {term: forward_velocity, weight: 1.0}
      - {term: control, weight: 0.001}
      - {term: height, weight: 10.0, min: -0.3}
    posture: {free_angle: 0.5}        # what planner.upright_weight penalises (radians of free tilt)
    reset_noise: 0.1

Observation entries: ``<joint>.position`` / ``<joint>.velocity`` for any hinge or slide joint (a planar
base's joints included), and for a free-joint base ``odom.<field>`` with ``<field>`` one of
``x y z qw qx qy qz vx vy vz wx_body wy_body wz_body`` (world-frame position, orientation and linear
velocity, body-frame angular velocity: MuJoCo's own free-joint coordinates). Every error names the
key and the file (:class:`SpecError`).
"""
from __future__ import annotations

import importlib.util
import math
import os
from dataclasses import dataclass

import yaml


class SpecError(ValueError):
    """A robot spec value is missing, unknown, mistyped or names something the model lacks."""


#: The odom fields a spec observation may read off a free-joint base: ``(qpos or qvel, offset)``.
FREE_FIELDS = {"x": ("qpos", 0), "y": ("qpos", 1), "z": ("qpos", 2), "qw": ("qpos", 3), "qx": ("qpos", 4),
               "qy": ("qpos", 5), "qz": ("qpos", 6), "vx": ("qvel", 0), "vy": ("qvel", 1), "vz": ("qvel", 2),
               "wx_body": ("qvel", 3), "wy_body": ("qvel", 4), "wz_body": ("qvel", 5)}
#: Each cost term's parameters and their defaults (``weight`` is required); see :mod:`sim.costs`.
TERM_PARAMS = {
    "forward_velocity": {},
    "control": {},
    "height": {"min": -math.inf, "max": math.inf},
    "upright": {"free_angle": 0.5},
    "joint_limits": {"margin": 0.9},
    "velocity_tracking": {"yaw_weight": 0.5},
}
_KEYS = ("name", "mjcf", "control_dt", "actuators", "action_limits", "base", "torso", "observation", "legs",
         "crippled_legs", "cost", "posture", "reset_noise")
_REQUIRED = ("name", "mjcf", "control_dt", "base", "observation", "cost")
#: The registered robots' specs, shipped in ``sim/specs/<name>.yaml``.
SPEC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "specs")


@dataclass(frozen=True)
class CostTerm:
    """One weighted term of the task cost (``sim.costs.COST_TERMS``)."""

    term: str
    """Which term: one of ``TERM_PARAMS``."""
    weight: float
    """Its weight (>= 0)."""
    params: tuple = ()
    """``(name, value)`` pairs of its parameters (``TERM_PARAMS``' defaults filled in)."""

    def param(self, name: str) -> float:
        return dict(self.params)[name]


@dataclass(frozen=True)
class RobotSpec:
    """A validated robot spec (see the module docstring for the YAML)."""

    name: str
    """The robot's name; checkpoints record it."""
    source: str
    """The spec file (for error messages)."""
    mjcf_path: str
    """Resolved path of the MJCF file."""
    control_dt: float
    """Seconds per control tick."""
    actuators: tuple[str, ...]
    """The action: per entry, the joint its actuator drives."""
    action_limits: tuple[float, float]
    """Lower and upper bound of every action entry."""
    base: tuple = ()
    """``(role, joint)`` pairs: ``free`` or ``x``/``z``/``pitch`` (a planar base)."""
    torso: str = "torso"
    """The body that carries a payload."""
    observation: tuple[str, ...] = ()
    """The observation entries, in order."""
    legs: tuple = ()
    """``(name, (joint, ...))`` actuator groups, in order (their index is a ``task.joints`` index)."""
    crippled_legs: tuple = ((), ())
    """Indices of the legs a crippled-leg task may disable in training and in the held-out test."""
    cost: tuple[CostTerm, ...] = ()
    """The task cost's terms (reward = -cost)."""
    posture_free_angle: float = 0.5
    """Tilt (radians) the planner's posture penalty leaves free (``planner.upright_weight``)."""
    reset_noise: float = 0.1
    """Scale of the uniform qpos / normal qvel noise at reset."""
    joint_limits: tuple = ()
    """``(joint, low, high)`` of each actuated joint with a limited range (radians or metres)."""
    leg_actuators: tuple = ()
    """Per leg, the model's indices of its actuators (what a crippled-leg task disables)."""
    base_origin: tuple = (0.0, 0.0, 0.0)
    """The base body's position in its parent frame: where a planar base's slides measure from (a
    reading of the world-frame base position, e.g. ``/odom``, is this plus the slide)."""

    @property
    def planar(self) -> bool:
        """A planar base (slide x, slide z, hinge pitch) rather than a free joint."""
        return dict(self.base).get("free") is None

    def base_joint(self, role: str) -> str:
        return dict(self.base)[role]

    def index(self, entry: str) -> int:
        """Position of ``entry`` in the observation."""
        return self.observation.index(entry)

    def base_entries(self) -> dict:
        """The observation entries the cost terms read: ``vx``, ``height`` and ``pitch`` (planar) or
        ``z``, ``quat`` (w, x, y, z), ``vxy``, ``omega_body`` (a free base); absent ones are omitted."""
        if self.planar:
            want = {"vx": f"{self.base_joint('x')}.velocity", "height": f"{self.base_joint('z')}.position",
                    "pitch": f"{self.base_joint('pitch')}.position"}
        else:
            want = {"vx": "odom.vx", "height": "odom.z", "quat": ("odom.qw", "odom.qx", "odom.qy", "odom.qz"),
                    "vxy": ("odom.vx", "odom.vy"), "omega_body": ("odom.wx_body", "odom.wy_body", "odom.wz_body")}
        out = {}
        for k, e in want.items():
            names = e if isinstance(e, tuple) else (e,)
            if all(n in self.observation for n in names):
                idx = tuple(self.index(n) for n in names)
                out[k] = idx if isinstance(e, tuple) else idx[0]
        return out

    def control_weight(self) -> float:
        """The weight of the control term (0 without one)."""
        return sum(t.weight for t in self.cost if t.term == "control")


def nominal_model(mjcf_path: str):
    """The compiled, unperturbed model of an MJCF file (parsed with ``dm_control.mjcf``, as the
    environments do: includes and assets resolved beside the file). Read-only; cached per file."""
    from dm_control import mjcf

    from sim.mujoco_env import compile_mjcf

    key = (mjcf_path, os.stat(mjcf_path).st_mtime_ns)
    if key not in _MODELS:
        _MODELS[key] = compile_mjcf(mjcf.from_path(mjcf_path))
    return _MODELS[key]


_MODELS: dict = {}


def _fail(source: str, key: str, msg: str):
    raise SpecError(f"{source}: {key}: {msg}")


def _resolve_mjcf(value, source: str) -> str:
    if not isinstance(value, str) or not value:
        _fail(source, "mjcf", f"expected a file path or <package>:<path>, got {value!r}")
    pkg, sep, rest = value.partition(":")
    if sep and pkg and "/" not in pkg and not os.path.isabs(value):
        spec = importlib.util.find_spec(pkg)
        if spec is None or not spec.submodule_search_locations:
            _fail(source, "mjcf", f"package {pkg!r} is not installed")
        path = os.path.join(spec.submodule_search_locations[0], rest)
    else:
        path = value if os.path.isabs(value) else os.path.join(os.path.dirname(os.path.abspath(source)), value)
    if not os.path.isfile(path):
        _fail(source, "mjcf", f"no such file: {path}")
    return path


def registered_names() -> tuple[str, ...]:
    """The robots shipped as specs (``sim/specs/*.yaml``), by name."""
    return tuple(sorted(f[:-5] for f in os.listdir(SPEC_DIR) if f.endswith(".yaml")))


def spec_path(robot: str) -> str:
    """The spec file of ``robot``: a registered name or a path to a ``.yaml`` spec."""
    if robot.endswith((".yaml", ".yml")) or os.sep in robot:
        if not os.path.isfile(robot):
            raise SpecError(f"robot spec not found: {robot}")
        return os.path.abspath(robot)
    path = os.path.join(SPEC_DIR, f"{robot}.yaml")
    if not os.path.isfile(path):
        raise SpecError(f"unknown robot {robot!r} (registered: {', '.join(registered_names())}; "
                        f"or give the path of a robot spec .yaml)")
    return path


_CACHE: dict = {}


def load_spec(robot: str) -> RobotSpec:
    """The validated :class:`RobotSpec` of ``robot`` (a registered name or a spec path), cached per file."""
    path = spec_path(robot)
    stamp = os.stat(path).st_mtime_ns
    hit = _CACHE.get(path)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML: {exc}") from None
    spec = parse_spec(data, path)
    _CACHE[path] = (stamp, spec)
    return spec


def _number(source, key, v, lo=None, positive=False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(float(v)):
        _fail(source, key, f"expected a number, got {v!r}")
    v = float(v)
    if positive and not v > 0:
        _fail(source, key, f"must be > 0, got {v}")
    if lo is not None and v < lo:
        _fail(source, key, f"must be >= {lo}, got {v}")
    return v


def _names(source, key, v) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
        _fail(source, key, f"expected a list of names, got {v!r}")
    dup = sorted({x for x in v if v.count(x) > 1})
    if dup:
        _fail(source, key, f"names {', '.join(dup)} more than once")
    return tuple(v)


def parse_spec(data, source: str) -> RobotSpec:
    """Validate a spec's YAML data (``source``: its file, for messages) against its compiled model."""
    import mujoco

    if not isinstance(data, dict):
        raise SpecError(f"{source}: expected a mapping of spec keys ({', '.join(_KEYS)})")
    unknown = [k for k in data if k not in _KEYS]
    if unknown:
        _fail(source, unknown[0], f"unknown key (known: {', '.join(_KEYS)})")
    for k in _REQUIRED:
        if k not in data:
            _fail(source, k, "missing (required)")
    name = data["name"]
    if not isinstance(name, str) or not name.replace("_", "").isalnum():
        _fail(source, "name", f"expected a name of letters, digits and _, got {name!r}")
    mjcf_path = _resolve_mjcf(data["mjcf"], source)
    try:
        model = nominal_model(mjcf_path)
    except Exception as exc:  # noqa: BLE001  (MuJoCo's own parse error, passed on with the key)
        _fail(source, "mjcf", f"MuJoCo cannot load {mjcf_path}: {exc}")
    if model.nu == 0:
        _fail(source, "mjcf", f"{mjcf_path} has no actuators")

    def joint_id(key, jname):
        j = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, jname)
        if j < 0:
            _fail(source, key, f"the model has no joint named {jname!r}")
        return j

    dt = _number(source, "control_dt", data["control_dt"], positive=True)
    skip = dt / model.opt.timestep
    if abs(skip - round(skip)) > 1e-6 or round(skip) < 1:
        _fail(source, "control_dt", f"{dt} s is not a multiple of the model's timestep {model.opt.timestep} s")

    # the action: the actuator driving each named joint
    driven = {}
    for a in range(model.nu):
        if int(model.actuator_trntype[a]) == int(mujoco.mjtTrn.mjTRN_JOINT):
            driven.setdefault(mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, int(model.actuator_trnid[a, 0])), a)
    if "actuators" in data:
        actuators = _names(source, "actuators", data["actuators"])
        for j in actuators:
            joint_id("actuators", j)
            if j not in driven:
                _fail(source, "actuators", f"no actuator drives joint {j!r}")
    else:
        if len(driven) != model.nu:
            _fail(source, "actuators", "required: the model has actuators that drive no joint")
        actuators = tuple(sorted(driven, key=driven.get))
    limits = data.get("action_limits", [-1.0, 1.0])
    if not isinstance(limits, list) or len(limits) != 2:
        _fail(source, "action_limits", f"expected [low, high], got {limits!r}")
    lo, hi = (_number(source, "action_limits", v) for v in limits)
    if not lo < hi:
        _fail(source, "action_limits", f"need low < high, got {limits}")

    base = data["base"]
    if not isinstance(base, dict) or set(base) not in ({"free"}, {"x", "z", "pitch"}):
        _fail(source, "base", f"expected {{free: <joint>}} or {{x: <slide>, z: <slide>, pitch: <hinge>}}, got {base!r}")
    kinds = {"free": mujoco.mjtJoint.mjJNT_FREE, "x": mujoco.mjtJoint.mjJNT_SLIDE, "z": mujoco.mjtJoint.mjJNT_SLIDE,
             "pitch": mujoco.mjtJoint.mjJNT_HINGE}
    axes = {"x": (1, 0, 0), "z": (0, 0, 1), "pitch": (0, 1, 0)}
    for role, jname in base.items():
        j = joint_id(f"base.{role}", jname)
        if int(model.jnt_type[j]) != int(kinds[role]):
            _fail(source, f"base.{role}", f"joint {jname!r} is not a {kinds[role].name.removeprefix('mjJNT_').lower()} joint")
        if role in axes and not all(abs(abs(float(model.jnt_axis[j][i])) - abs(axes[role][i])) < 1e-9 for i in range(3)):
            _fail(source, f"base.{role}", f"joint {jname!r} has axis {model.jnt_axis[j].tolist()}, expected ±{list(axes[role])}")
    torso = data.get("torso", "torso")
    if mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, str(torso)) < 0:
        _fail(source, "torso", f"the model has no body named {torso!r}")

    # the observation
    obs = _names(source, "observation", data["observation"])
    free = base.get("free")
    for e in obs:
        src, _, what = e.rpartition(".")
        if src == "odom":
            if free is None:
                _fail(source, "observation", f"{e!r}: odom fields need a free-joint base (base: {{free: ...}}); "
                                             f"name a planar base's joints instead")
            if what not in FREE_FIELDS:
                _fail(source, "observation", f"{e!r}: unknown odom field (known: {' '.join(FREE_FIELDS)})")
            continue
        if what not in ("position", "velocity") or not src:
            _fail(source, "observation", f"{e!r}: expected '<joint>.position', '<joint>.velocity' or 'odom.<field>'")
        j = joint_id("observation", src)
        if int(model.jnt_type[j]) not in (int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE)):
            _fail(source, "observation", f"{e!r}: only hinge and slide joints have one position and velocity")

    # legs
    legs_raw = data.get("legs", {j: [j] for j in actuators})
    if not isinstance(legs_raw, dict) or not legs_raw:
        _fail(source, "legs", f"expected a mapping leg name -> [joint, ...], got {legs_raw!r}")
    legs = []
    for leg, joints in legs_raw.items():
        joints = _names(source, f"legs.{leg}", joints)
        for j in joints:
            if j not in actuators:
                _fail(source, f"legs.{leg}", f"{j!r} is not one of the actuators ({', '.join(actuators)})")
        legs.append((str(leg), joints))
    leg_names = [n for n, _ in legs]
    crippled = data.get("crippled_legs", {"train": leg_names, "test": leg_names})
    if not isinstance(crippled, dict) or set(crippled) != {"train", "test"}:
        _fail(source, "crippled_legs", f"expected {{train: [leg, ...], test: [leg, ...]}}, got {crippled!r}")
    split_idx = []
    for split in ("train", "test"):
        names = _names(source, f"crippled_legs.{split}", crippled[split])
        for n in names:
            if n not in leg_names:
                _fail(source, f"crippled_legs.{split}", f"{n!r} is not a leg (legs: {', '.join(leg_names)})")
        split_idx.append(tuple(leg_names.index(n) for n in names))

    # cost terms
    if not isinstance(data["cost"], list) or not data["cost"]:
        _fail(source, "cost", "expected a list of {term: ..., weight: ...}")
    terms = []
    for i, t in enumerate(data["cost"]):
        key = f"cost[{i}]"
        if not isinstance(t, dict) or "term" not in t or "weight" not in t:
            _fail(source, key, f"expected {{term: <name>, weight: <number>, ...}}, got {t!r}")
        if t["term"] not in TERM_PARAMS:
            _fail(source, f"{key}.term", f"unknown term {t['term']!r} (known: {', '.join(TERM_PARAMS)})")
        defaults = TERM_PARAMS[t["term"]]
        extra = [k for k in t if k not in ("term", "weight", *defaults)]
        if extra:
            _fail(source, f"{key}.{extra[0]}", f"unknown parameter of {t['term']} "
                                              f"(known: weight{''.join(', ' + k for k in defaults)})")
        params = tuple((k, _number(source, f"{key}.{k}", t.get(k, d))) for k, d in defaults.items())
        terms.append(CostTerm(t["term"], _number(source, f"{key}.weight", t["weight"], lo=0.0), params))
    posture = data.get("posture", {})
    if not isinstance(posture, dict) or set(posture) - {"free_angle"}:
        _fail(source, "posture", f"expected {{free_angle: <radians>}}, got {posture!r}")
    spec = RobotSpec(
        name=name, source=source, mjcf_path=mjcf_path, control_dt=dt, actuators=actuators, action_limits=(lo, hi),
        base=tuple(sorted(base.items())), torso=str(torso), observation=obs, legs=tuple(legs),
        crippled_legs=tuple(split_idx), cost=tuple(terms),
        posture_free_angle=_number(source, "posture.free_angle", posture.get("free_angle", 0.5), lo=0.0),
        reset_noise=_number(source, "reset_noise", data.get("reset_noise", 0.1), lo=0.0),
        leg_actuators=tuple(tuple(driven[j] for j in joints) for _, joints in legs),
        base_origin=tuple(float(v) for v in model.body_pos[model.jnt_bodyid[joint_id("base", next(iter(base.values())))]]),
        joint_limits=tuple((j, float(model.jnt_range[joint_id("actuators", j)][0]),
                            float(model.jnt_range[joint_id("actuators", j)][1]))
                           for j in actuators if model.jnt_limited[joint_id("actuators", j)]))
    # every term must find its entries in the observation
    if any(t.term == "joint_limits" for t in terms):
        lacking = [j for j in actuators if model.jnt_limited[joint_id("actuators", j)] and f"{j}.position" not in obs]
        if lacking:
            _fail(source, "cost", f"term joint_limits reads the actuated joints' positions; the observation lacks "
                                  f"{', '.join(j + '.position' for j in lacking)}")
    have = spec.base_entries()
    need = {"forward_velocity": ("vx",), "height": ("height",), "upright": ("pitch",) if spec.planar else ("quat",),
            "velocity_tracking": ("vx",) if spec.planar else ("quat", "vxy", "omega_body")}
    for i, t in enumerate(terms):
        missing = [k for k in need.get(t.term, ()) if k not in have]
        if missing:
            _fail(source, f"cost[{i}]", f"term {t.term} reads the base's {', '.join(missing)}, which the observation "
                                       f"lacks (see sim.spec: the base joints' entries or odom fields)")
    return spec
