"""The ROS-free core of the controller node: robot state -> observation -> controller -> safe command.

The ROS 2 nodes (``controller_node``) only convert messages to plain arrays and call :class:`ControlBridge`;
everything that decides what reaches the actuators lives here, where it is tested without ROS.

Observation layout: the model's observation (nx,) is assembled from named entries, each either a
joint quantity ``<joint>.position`` / ``<joint>.velocity`` (matched by name in ``/joint_states``,
never by order) or a base quantity ``odom.<field>`` from ``/odom`` with ``<field>`` one of
``x y z qw qx qy qz roll pitch yaw vx vy vz wx wy wz wx_body wy_body wz_body`` (``w*`` in the world
frame, ``w*_body`` in the base's frame, as a free joint's MuJoCo velocity). ``roll``/``pitch``/``yaw`` are the angle of a
rotation about one axis (``2*atan2(q_axis, qw)``), exact for planar robots such as the
half-cheetah. An optional offset per entry is subtracted (e.g. the height of the base's reference
pose).
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from adaptive_control.controller import append_bounded

ODOM_FIELDS = ("x", "y", "z", "qw", "qx", "qy", "qz", "roll", "pitch", "yaw",
               "vx", "vy", "vz", "wx", "wy", "wz", "wx_body", "wy_body", "wz_body")
_PLANAR = {"roll": "qx", "pitch": "qy", "yaw": "qz"}


class LayoutError(ValueError):
    """An observation layout entry that cannot be parsed."""


def odom_fields(position, quaternion_wxyz, linear, angular) -> dict:
    """The ``odom.<field>`` values from a base pose (w, x, y, z quaternion) and twist."""
    x, y, z = (float(v) for v in position)
    qw, qx, qy, qz = (float(v) for v in quaternion_wxyz)
    out = {"x": x, "y": y, "z": z, "qw": qw, "qx": qx, "qy": qy, "qz": qz}
    for name, q in _PLANAR.items():
        out[name] = 2.0 * math.atan2(out[q], qw)
    out.update(zip(("vx", "vy", "vz"), (float(v) for v in linear)))
    out.update(zip(("wx", "wy", "wz"), (float(v) for v in angular)))
    # the angular velocity in the base's own frame (MuJoCo's free-joint convention): R^T w
    n = math.sqrt(qw * qw + qx * qx + qy * qy + qz * qz) or 1.0
    w, x, y, z = qw / n, qx / n, qy / n, qz / n
    rot = ((1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)),
           (2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)),
           (2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)))
    ang = [float(v) for v in angular]
    for i, name in enumerate(("wx_body", "wy_body", "wz_body")):
        out[name] = sum(rot[k][i] * ang[k] for k in range(3))
    return out


@dataclass(frozen=True)
class ObservationLayout:
    """Where each of the nx observation entries comes from (see the module docstring)."""

    entries: tuple[str, ...]
    offsets: tuple[float, ...] = ()

    def __post_init__(self):
        if not self.entries:
            raise LayoutError("observation layout is empty")
        if self.offsets and len(self.offsets) != len(self.entries):
            raise LayoutError(f"observation_offset has {len(self.offsets)} values for {len(self.entries)} entries")
        dup = sorted({e for e in self.entries if self.entries.count(e) > 1})
        if dup:
            raise LayoutError(f"observation layout names {', '.join(map(repr, dup))} more than once")
        if self.offsets and not all(math.isfinite(float(o)) for o in self.offsets):
            raise LayoutError(f"observation_offset must be finite numbers, got {list(self.offsets)}")
        for e in self.entries:
            if not isinstance(e, str):
                raise LayoutError(f"observation entry {e!r}: expected a string")
            src, _, what = e.rpartition(".")
            if not src:
                raise LayoutError(f"observation entry {e!r}: expected '<joint>.position', '<joint>.velocity' or 'odom.<field>'")
            if src == "odom" and what not in ODOM_FIELDS:
                raise LayoutError(f"observation entry {e!r}: unknown odom field {what!r} (known: {' '.join(ODOM_FIELDS)})")
            if src != "odom" and what not in ("position", "velocity"):
                raise LayoutError(f"observation entry {e!r}: a joint entry ends in .position or .velocity")

    @property
    def joints(self) -> tuple[str, ...]:
        """The joints the layout reads (each must be present in every ``/joint_states``)."""
        seen = []
        for e in self.entries:
            src = e.rpartition(".")[0]
            if src != "odom" and src not in seen:
                seen.append(src)
        return tuple(seen)

    @property
    def uses_odom(self) -> bool:
        return any(e.startswith("odom.") for e in self.entries)

    def build(self, positions: dict, velocities: dict, odom: dict | None) -> np.ndarray:
        """(nx,) observation; ``KeyError`` names a missing joint or a missing ``/odom``."""
        out = np.empty(len(self.entries))
        for i, e in enumerate(self.entries):
            src, _, what = e.rpartition(".")
            if src == "odom":
                if odom is None:
                    raise KeyError("no /odom received")
                if what not in odom:
                    raise KeyError(f"odom field {what!r} missing")
                out[i] = odom[what]
            else:
                table = positions if what == "position" else velocities
                if src not in table:
                    raise KeyError(f"joint {src!r} missing from /joint_states ({what})")
                out[i] = table[src]
        if self.offsets:
            out -= np.asarray(self.offsets)
        return out


@dataclass
class _Stamped:
    value: object
    received: float
    stamp: float


@dataclass
class BridgeStats:
    """Counters of the bridge (what the diagnostics topic reports)."""

    ticks: int = 0
    control_ticks: int = 0
    safe_ticks: int = 0
    troubles: int = 0
    stale_messages: int = 0
    """State messages ignored because their stamp was not newer than the latest one's (out of order, duplicates)."""
    repeated_state_ticks: int = 0
    """Ticks with no new state since the previous tick (lost or late message): planned from the last
    reading, and no transition is made from it."""
    state_age_ms: list = field(default_factory=list)
    """Age of the state used at each good tick (the latest window; see ``controller.STATS_WINDOW``)."""


class VelocityCommandInput:
    """``cmd_vel`` (``geometry_msgs/Twist``: linear x, y and angular z) into a velocity command the
    tracking cost reads, with a timeout: when no valid message arrived for ``timeout_s``, the target
    is zero velocity (the robot stops, as teleop and nav2 expect of a base). Non-finite messages are
    ignored and counted.

    Args:
        command: the :class:`sim.costs.VelocityCommand` the controller's cost reads.
        timeout_s: seconds without a valid message after which the target is zero.
        log: ``log(level, message)``.
    """

    def __init__(self, command, timeout_s: float, log: Callable[[str, str], None] | None = None):
        if not timeout_s > 0:
            raise ValueError(f"cmd_vel_timeout must be > 0 s, got {timeout_s}")
        self.command, self.timeout_s = command, float(timeout_s)
        self.log = log or (lambda level, msg: None)
        self.received = self.rejected = self.timeouts = 0
        self._last: float | None = None
        self._timed_out = True
        command.set(0.0, 0.0, 0.0)

    def on_cmd_vel(self, vx: float, vy: float, yaw_rate: float, received: float) -> None:
        values = (float(vx), float(vy), float(yaw_rate))
        if not all(math.isfinite(v) for v in values):
            self.rejected += 1
            return
        self.received += 1
        self.command.set(*values)
        self._last, self._timed_out = received, False

    def update(self, now: float) -> None:
        """Before a tick: zero the target once the latest command is older than the timeout."""
        if not self._timed_out and (self._last is None or now - self._last > self.timeout_s):
            self._timed_out = True
            self.timeouts += 1
            self.command.set(0.0, 0.0, 0.0)
            self.log("warn", f"no cmd_vel for {self.timeout_s:g} s: tracking zero velocity")

    def summary(self) -> dict:
        return {"cmd_vel_received": self.received, "cmd_vel_rejected": self.rejected,
                "cmd_vel_timeouts": self.timeouts, "cmd_vel_target": list(self.command.value())}


class ControlBridge:
    """State in, command out, with the robot-safety rules of the bridge.

    Args:
        controller: object with ``step(obs (nx,)) -> action (nu,)`` (an ``AdaptiveController``) and
            optionally ``interrupt()`` (called when state goes bad, so no transition spans the gap).
        layout: how the observation is assembled.
        action_joints: (nu,) joint names of the controller's action entries, in its order.
        command_joints: joint names in the order of the published command (the ``joints`` parameter);
            must be a permutation of ``action_joints``.
        low, high: (nu,) command limits in ``command_joints`` order.
        safe_command: (nu,) command published while the state is bad (``command_joints`` order).
        stale_after_s: state older than this (by receive time) is bad.
        log: ``log(level, message)``; trouble is logged once per episode of trouble.
        recorder: optional :class:`robot_bridge.recording.TransitionRecorder`.
        velocity_input: optional :class:`VelocityCommandInput` (a controller tracking ``cmd_vel``),
            brought up to date at every tick.
    """

    def __init__(self, controller, layout: ObservationLayout, action_joints: Sequence[str],
                 command_joints: Sequence[str], low, high, safe_command, stale_after_s: float,
                 log: Callable[[str, str], None] | None = None, recorder=None, velocity_input=None):
        action_joints, command_joints = tuple(action_joints), tuple(command_joints)
        if sorted(action_joints) != sorted(command_joints):
            raise ValueError(f"joints {list(command_joints)} must be a permutation of the model's action joints "
                             f"{list(action_joints)}")
        nu = len(command_joints)
        self.low = np.asarray(low, dtype=np.float64).reshape(-1)
        self.high = np.asarray(high, dtype=np.float64).reshape(-1)
        self.safe = np.asarray(safe_command, dtype=np.float64).reshape(-1)
        for name, arr in (("action_low", self.low), ("action_high", self.high), ("safe_command", self.safe)):
            if arr.shape != (nu,) or not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} must be {nu} finite numbers (one per joint), got {arr.tolist()}")
        if np.any(self.low > self.high):
            raise ValueError(f"action_low must be <= action_high, got {self.low.tolist()} > {self.high.tolist()}")
        if np.any(self.safe < self.low) or np.any(self.safe > self.high):
            raise ValueError(f"safe_command {self.safe.tolist()} lies outside the action limits")
        if not stale_after_s > 0:
            raise ValueError(f"stale_after must be > 0 s, got {stale_after_s}")
        self.controller = controller
        try:  # controllers that can be told a reading is a repeat (AdaptiveController can)
            self._fresh_kw = "fresh" in inspect.signature(controller.step).parameters
        except (TypeError, ValueError):
            self._fresh_kw = False
        self.layout = layout
        self.command_joints = command_joints
        # command[k] = action[perm[k]]
        self.perm = np.array([action_joints.index(j) for j in command_joints])
        self.stale_after_s = float(stale_after_s)
        self.log = log or (lambda level, msg: None)
        self.recorder = recorder
        self.velocity_input = velocity_input
        self.stats = BridgeStats()
        self.trouble: str | None = None
        self._joints: _Stamped | None = None
        self._odom: _Stamped | None = None
        self._prev: tuple | None = None  # (obs, action in model order, stamp) of the last good tick
        self._last_stamp: float | None = None  # stamp of the state the last tick used

    # -- inputs (called from the state callbacks) ------------------------------------------------
    def on_joint_state(self, names: Sequence[str], positions: Sequence[float], velocities: Sequence[float],
                       received: float, stamp: float) -> None:
        """A ``/joint_states`` message: names with positions and velocities (velocities may be empty)."""
        if self._joints is not None and not stamp > self._joints.stamp:
            self.stats.stale_messages += 1  # older than (or the same as) what we have: out of order or a duplicate
            return
        names = list(names)
        if len(set(names)) != len(names):  # which of two readings is the joint's? neither: the state is bad
            dup = sorted({n for n in names if names.count(n) > 1})
            self._joints = _Stamped(f"/joint_states names {', '.join(map(repr, dup))} more than once", received, stamp)
            return
        pos = dict(zip(names, (float(p) for p in positions))) if len(positions) == len(names) else {}
        vel = dict(zip(names, (float(v) for v in velocities))) if len(velocities) == len(names) else {}
        self._joints = _Stamped((pos, vel), received, stamp)

    def on_cmd_vel(self, vx: float, vy: float, yaw_rate: float, received: float) -> None:
        """A ``cmd_vel`` message (ignored unless the controller tracks velocity commands)."""
        if self.velocity_input is not None:
            self.velocity_input.on_cmd_vel(vx, vy, yaw_rate, received)

    def on_odom(self, fields: dict, received: float, stamp: float) -> None:
        """An ``/odom`` message as :func:`odom_fields`."""
        if self._odom is not None and not stamp > self._odom.stamp:
            self.stats.stale_messages += 1
            return
        self._odom = _Stamped(fields, received, stamp)

    # -- the tick --------------------------------------------------------------------------------
    def observation(self, now: float) -> tuple[np.ndarray | None, str | None, float]:
        """``(obs, None, stamp)`` when the state is good, else ``(None, reason, nan)``."""
        if self._joints is None and self.layout.joints:
            return None, "no /joint_states received yet", math.nan
        sources = [s for s in (self._joints if self.layout.joints else None,
                               self._odom if self.layout.uses_odom else None) if s is not None]
        if self.layout.uses_odom and self._odom is None:
            return None, "no /odom received yet", math.nan
        oldest = min(s.received for s in sources)
        if now - oldest > self.stale_after_s:
            return None, f"state is stale ({1e3 * (now - oldest):.0f} ms old > {1e3 * self.stale_after_s:.0f} ms)", math.nan
        if self._joints is not None and isinstance(self._joints.value, str):
            return None, self._joints.value, math.nan
        pos, vel = self._joints.value if self._joints is not None else ({}, {})
        try:
            obs = self.layout.build(pos, vel, self._odom.value if self._odom is not None else None)
        except KeyError as exc:
            return None, str(exc.args[0]), math.nan
        bad = np.flatnonzero(~np.isfinite(obs))
        if bad.size:
            return None, f"non-finite observation entries {[self.layout.entries[i] for i in bad]}", math.nan
        append_bounded(self.stats.state_age_ms, 1e3 * (now - oldest))
        return obs, None, max(s.stamp for s in sources)

    def tick(self, now: float) -> np.ndarray:
        """One control tick at time ``now`` (s, the clock the receive times use): the command to publish,
        in ``command_joints`` order, always finite and within the limits."""
        self.stats.ticks += 1
        if self.velocity_input is not None:
            self.velocity_input.update(now)
        obs, reason, stamp = self.observation(now)
        if obs is None:
            return self._safe(reason)
        if self.trouble is not None:
            self.log("info", f"state is good again ({self.trouble} before): control resumes")
            self.trouble = None
        fresh = self._last_stamp is None or stamp > self._last_stamp
        self._last_stamp = stamp
        if not fresh:
            self.stats.repeated_state_ticks += 1
        try:
            if fresh or not self._fresh_kw:
                action = np.asarray(self.controller.step(obs), dtype=np.float64)
            else:
                action = np.asarray(self.controller.step(obs, fresh=False), dtype=np.float64)
        except Exception as exc:  # noqa: BLE001 - never let a controller fault reach the actuators
            return self._safe(f"controller failed: {exc}")
        if self.recorder is not None and self._prev is not None and fresh:
            p_obs, p_act, p_stamp = self._prev
            self.recorder.add(p_obs, p_act, obs, p_stamp, stamp)
        if fresh:
            self._prev = (obs, action, stamp)
        else:  # a repeated reading: the recording's path breaks here too (no transition spans it)
            self._prev = None
            if self.recorder is not None:
                self.recorder.break_path()
        command = action[self.perm] if action.shape == (len(self.perm),) else np.full(len(self.perm), np.nan)
        if not np.all(np.isfinite(command)):
            return self._safe("controller returned a non-finite action")
        self.stats.control_ticks += 1
        return np.clip(command, self.low, self.high)

    def settle(self, timeout_s: float) -> None:
        """After the command is published: give the controller up to ``timeout_s`` to finish the work it
        does after a tick (an overlapped adaptation step) before the node handles its next messages."""
        wait_adapted = getattr(self.controller, "wait_adapted", None)
        if wait_adapted is not None:
            wait_adapted(timeout_s)

    def _safe(self, reason: str) -> np.ndarray:
        self.stats.safe_ticks += 1
        if self.trouble is None:  # a new episode of trouble: log it once, cut the transition chain
            self.stats.troubles += 1
            interrupt = getattr(self.controller, "interrupt", None)
            if interrupt is not None:
                interrupt()
            if self.recorder is not None:
                self.recorder.break_path()
            self.log("warn", f"publishing the safe command until the state is good again: {reason}")
        self.trouble = reason
        self._prev = None
        return self.safe.copy()
