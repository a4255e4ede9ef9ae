"""ROS 2 node parameters derived from a robot spec (:mod:`sim.spec`): what ``adaptive-control ros-params``
writes for a robot of your own, and what ``sil`` uses for a robot without shipped YAML.

The controller node's ``observation_layout`` names the spec's observation in the node's vocabulary:
non-base joints as they are (``<joint>.position``/``.velocity`` from ``/joint_states``), a planar base's
joints as the ``/odom`` fields they are (``x`` slide: ``odom.x``/``odom.vx``, ``z`` slide:
``odom.z``/``odom.vz``, ``pitch`` hinge: ``odom.pitch``/``odom.wy``) with the base body's origin as the
offset of positions, and a free base's ``odom.<field>`` entries unchanged.
"""
from __future__ import annotations

import json
import os


def observation_layout(spec) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """``(entries, offsets)`` of the controller node's layout for ``spec``'s observation."""
    base = dict(spec.base)
    planar = {} if not spec.planar else {
        f"{base['x']}.position": ("odom.x", spec.base_origin[0]), f"{base['x']}.velocity": ("odom.vx", 0.0),
        f"{base['z']}.position": ("odom.z", spec.base_origin[2]), f"{base['z']}.velocity": ("odom.vz", 0.0),
        f"{base['pitch']}.position": ("odom.pitch", 0.0), f"{base['pitch']}.velocity": ("odom.wy", 0.0)}
    entries, offsets = [], []
    for e in spec.observation:
        name, off = planar.get(e, (e, 0.0))
        entries.append(name)
        offsets.append(float(off))
    return tuple(entries), tuple(offsets)


def controller_params(spec, robot: str) -> dict:
    """The ``adaptive_controller`` node's parameters for ``spec`` (``robot``: how the node names it)."""
    entries, offsets = observation_layout(spec)
    nu = len(spec.actuators)
    lo, hi = spec.action_limits
    return {"adaptive_controller": {"ros__parameters": {
        "robot": robot, "method": "grbal", "checkpoint": "", "config": "",
        "control_rate": round(1.0 / spec.control_dt, 6),
        "joints": list(spec.actuators), "observation_layout": list(entries), "observation_offset": list(offsets),
        "action_low": [lo] * nu, "action_high": [hi] * nu, "safe_command": [0.0] * nu,
        "stale_after": round(5 * spec.control_dt, 6), "objective": "forward", "cmd_vel_timeout": 0.5}}}


def sim_params(spec, robot: str) -> dict:
    """The ``mujoco_sim`` node's parameters for ``spec``: the nominal robot, lockstep with the controller."""
    return {"mujoco_sim": {"ros__parameters": {
        "robot": robot, "perturbation": json.dumps({"perturbation": "none"}), "seed": 100, "control_rate": 0.0,
        "step_on_command": True, "joints": list(spec.actuators), "duration": 0.0, "switch_at": -1.0,
        "command_topic": "adaptive_controller/commands"}}}


def write_node_params(robot: str, out_dir: str) -> tuple[str, str]:
    """Write ``<name>_controller.yaml`` and ``<name>_sim.yaml`` for ``robot`` (a registered name or a spec
    path) into ``out_dir``, atomically; returns their paths (controller, sim)."""
    import yaml

    from models.dataset import atomic_write
    from sim.spec import load_spec

    spec = load_spec(robot)
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for kind, params in (("controller", controller_params(spec, robot)), ("sim", sim_params(spec, robot))):
        path = os.path.join(out_dir, f"{spec.name}_{kind}.yaml")
        text = f"# {kind} node parameters for {spec.name}, from {spec.source}\n" + yaml.safe_dump(params, sort_keys=False)
        atomic_write(path, lambda fh, t=text: fh.write(t.encode()))
        paths.append(path)
    return paths[0], paths[1]
