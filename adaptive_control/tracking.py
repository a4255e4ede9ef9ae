"""Commanded-velocity tracking: command schedules and tracking figures (RMS error, settling time).

A schedule is ``"t0:vx[:vy:yaw_rate],t1:..."`` (seconds from the episode start, m/s, rad/s), e.g.
``"0:1.0,5:2.0"``: 1 m/s forward from 0 s, 2 m/s from 5 s.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class ScheduleError(ValueError):
    """A command schedule that cannot be parsed."""


@dataclass(frozen=True)
class CommandSchedule:
    """Piecewise-constant velocity commands: ``times`` (s, increasing, first 0) and ``values`` (n, 3)."""

    times: tuple
    values: tuple

    @classmethod
    def parse(cls, text: str) -> "CommandSchedule":
        times, values = [], []
        for item in (p.strip() for p in str(text).split(",")):
            parts = item.split(":")
            if len(parts) not in (2, 4):
                raise ScheduleError(f"command {item!r}: expected t:vx or t:vx:vy:yaw_rate")
            try:
                nums = [float(x) for x in parts]
            except ValueError:
                raise ScheduleError(f"command {item!r}: not numbers") from None
            if not np.all(np.isfinite(nums)):
                raise ScheduleError(f"command {item!r}: not finite")
            times.append(nums[0])
            values.append(tuple(nums[1:]) + (0.0, 0.0) if len(nums) == 2 else tuple(nums[1:]))
        if times[0] != 0.0 or any(b <= a for a, b in zip(times, times[1:])):
            raise ScheduleError(f"command times must start at 0 and increase, got {times}")
        return cls(tuple(times), tuple(values))

    def at(self, t: float) -> tuple:
        """The command in force at time ``t`` (s)."""
        i = int(np.searchsorted(np.asarray(self.times), t, side="right")) - 1
        return self.values[max(i, 0)]

    def series(self, steps: int, dt: float) -> np.ndarray:
        """(steps, 3) the command at every tick."""
        return np.array([self.at(k * dt) for k in range(steps)])


def tracking_figures(velocity: np.ndarray, command: np.ndarray, dt: float, planar: bool = False,
                     band: float = 0.2, hold_s: float = 0.5, smooth_s: float = 0.3) -> dict:
    """Tracking error of measured base velocities (steps, 3) against the commands (steps, 3).

    Returns RMS errors (forward, lateral, yaw rate; forward only when ``planar``) over the episode,
    and for every step in the command the settling time: from the step until the velocity, averaged
    over ``smooth_s`` (a running gait oscillates within a stride), enters and then stays for
    ``hold_s`` within ``band`` times the step size (at least 0.1 m/s) of the new command; ``None``
    when it never settles before the next step or the episode's end.
    """
    err = velocity - command
    comps = ("vx",) if planar else ("vx", "vy", "yaw_rate")
    out = {f"rms_{c}": float(np.sqrt(np.mean(err[:, i] ** 2))) for i, c in enumerate(comps)}
    k = max(1, int(round(smooth_s / dt)))
    smooth = np.stack([np.convolve(velocity[:, i], np.ones(k) / k, mode="full")[:len(velocity)]
                       for i in range(3)], 1)
    changes = [0] + [i for i in range(1, len(command)) if np.any(command[i] != command[i - 1])]
    hold = max(1, int(round(hold_s / dt)))
    steps = []
    for j, start in enumerate(changes):
        end = changes[j + 1] if j + 1 < len(changes) else len(command)
        prev = command[start - 1] if start else np.zeros(3)
        size = np.abs(command[start] - prev)
        tol = np.maximum(band * size, 0.1)
        idx = range(1) if planar else range(3)
        inside = np.all(np.abs(smooth[start:end][:, list(idx)] - command[start][list(idx)]) <= tol[list(idx)], axis=1)
        settle = None
        for i in range(len(inside) - hold + 1):
            if inside[i:i + hold].all():
                settle = i * dt
                break
        steps.append({"at_s": start * dt, "command": command[start].tolist(), "settling_s": settle})
    out["steps"] = steps
    return out
