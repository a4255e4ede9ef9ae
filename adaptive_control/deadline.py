"""Deadline mode of the control tick: the controller's compute thread, late plans and the fallback.

A real-time controller (ROS 2, hardware) runs every torch operation on one compute thread and
bounds each tick by a deadline. A tick whose plan is not done by then applies the next action of
the previous (shifted) plan instead and counts a miss; the late plan finishes in the background
and is not applied (its first action was for an old state), but the rest of it, shifted to the
current tick, becomes the fallback. No new plan starts until it is done, except that a tick
finding it still running waits for it while a typical plan still fits before the deadline (a stall
of a few ms then costs one miss, not two). Work queued after a plan (the overlapped adaptation
step) runs while the robot executes the action, and is dropped if it is still queued behind a
late plan when the next tick begins.

The thread that calls the ticks must not keep an OpenMP team of its own: GNU OpenMP (torch's on
Linux) counts every team's threads in the process, and once they outnumber the cores its idle
workers stop spinning, so the compute thread's worker sleeps between the planner's many short
parallel regions and each one pays a wake-up (measured on 2 cores: a 5.4 ms tick became 11.7 ms
after the checkpoint was loaded on the calling thread). :func:`release_openmp_workers` drops the
calling thread's team; the controller calls it in ``warm_up``.
"""
from __future__ import annotations

import ctypes
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Callable

import numpy as np

#: Name prefix of compute threads (work submitted from one of them runs inline).
THREAD_PREFIX = "controller"


def release_openmp_workers() -> bool:
    """Release the calling thread's OpenMP worker threads (OpenMP 5 ``omp_pause_resource_all`` with
    ``omp_pause_soft``); torch recreates them if this thread runs a parallel operation again.

    Returns whether they were released (False where the process has no OpenMP runtime with that
    call, or when called inside a parallel region).
    """
    try:
        pause = ctypes.CDLL(None).omp_pause_resource_all
    except (AttributeError, OSError):
        return False
    pause.argtypes = [ctypes.c_int]
    pause.restype = ctypes.c_int
    return pause(1) == 0  # 1: omp_pause_soft


def compute_thread() -> ThreadPoolExecutor:
    """A new single-thread executor to serve as a controller's compute thread."""
    return ThreadPoolExecutor(1, thread_name_prefix=THREAD_PREFIX)


class SampleBudget:
    """The number of samples per plan that fits a time budget (a plan's time scales with its samples).

    After each plan the controller reports its time and sample count; the next plan gets
    ``budget_ms`` divided by the median time per sample of the last ``window`` plans, rounded down
    to a multiple of ``granularity`` and kept within [``min_samples``, ``max_samples``]. The median
    ignores a single preempted plan; a CPU that stays slower (another process, a hypervisor taking
    its share) lowers the count within a few ticks, and it comes back as the CPU does. With a fixed
    cost per plan besides the samples (noise, softmin, Python), the time per sample grows as the
    count falls, so the count settles where a plan takes the budget, never above it. Multiples of
    ``granularity`` keep the number of distinct batch shapes (and cached matmul kernels) small.
    """

    def __init__(self, budget_ms: float, max_samples: int, min_samples: int, window: int = 9,
                 granularity: int = 25):
        if not budget_ms > 0:
            raise ValueError(f"budget_ms must be positive, got {budget_ms}")
        if not 2 <= min_samples <= max_samples:
            raise ValueError(f"need 2 <= min_samples <= max_samples, got {min_samples} and {max_samples}")
        if window < 1 or granularity < 1:
            raise ValueError(f"window and granularity must be >= 1, got {window} and {granularity}")
        self.budget_ms, self.max_samples, self.min_samples = float(budget_ms), int(max_samples), int(min_samples)
        self.granularity = int(granularity)
        self._per_sample: deque = deque(maxlen=window)
        self.samples = self.max_samples

    def reset(self) -> None:
        """Forget the measured plans (start again from ``max_samples``)."""
        self._per_sample.clear()
        self.samples = self.max_samples

    def update(self, plan_ms: float, samples: int) -> int:
        """Record a plan of ``samples`` that took ``plan_ms``; the sample count for the next plan."""
        if samples > 0 and plan_ms > 0 and np.isfinite(plan_ms):
            self._per_sample.append(plan_ms / samples)
        if self._per_sample:
            fit = self.budget_ms / float(np.median(self._per_sample))
            k = int(fit // self.granularity) * self.granularity
            self.samples = min(self.max_samples, max(self.min_samples, k))
        return self.samples


class DeadlineRunner:
    """One controller's compute thread and its deadline (see the module docstring).

    Args:
        deadline_s: seconds from the start of a tick by which its plan must be done.
        executor: the single-thread executor that is the compute thread (named with ``THREAD_PREFIX``).
        safe_action: (nu,) action applied on a miss when there is no previous plan.
    """

    def __init__(self, deadline_s: float, executor: ThreadPoolExecutor, safe_action: np.ndarray):
        self.deadline_s = float(deadline_s)
        self.executor = executor
        self.safe_action = safe_action
        self.fallback: np.ndarray | None = None  # (rows, nu) the shifted previous plan, for a miss
        self._plan: Future | None = None  # the latest plan job (None once its result was used)
        self._plan_tick = 0
        self._after: Future | None = None  # the job queued after the latest plan
        self._plan_s: float | None = None  # running mean of on-time plan durations

    def on_thread(self, fn: Callable, *args):
        """Run ``fn`` on the compute thread (inline when already on it) and return its result."""
        if threading.current_thread().name.startswith(THREAD_PREFIX):
            return fn(*args)
        return self.executor.submit(fn, *args).result()

    def tick(self, t0: float, tick: int, plan: Callable, after: Callable | None, stats) -> np.ndarray:
        """The action (nu,) of tick ``tick`` begun at ``t0`` (``time.perf_counter``).

        ``plan()`` -> (action (nu,), shifted plan (rows, nu) or None) runs on the compute thread;
        ``after()`` (or None) is queued behind it. Misses, catch-ups, dropped ``after`` jobs and
        adopted late plans are counted in ``stats`` (a ``TickStats``).
        """
        if self._after is not None and self._after.cancel():  # still queued behind a late plan: the
            stats.skipped_adaptations += 1  # plans catch up first; the next step fits the newer window
        busy = self._plan is not None and not self._plan.done()
        if busy and self._plan_s is not None:
            # the late plan may end within this tick with time left for a fresh plan: wait for it as
            # long as a typical plan still fits
            slack = self.deadline_s - (time.perf_counter() - t0) - self._plan_s
            if slack > 0 and wait([self._plan], timeout=slack).done:
                busy = False
                stats.caught_up_ticks += 1
        if not busy:
            if self._plan is not None:  # a late plan finished since: its first action is stale, but
                self._adopt_late_plan(tick, stats)  # the rest of it is the freshest plan there is
            submitted = time.perf_counter()
            self._plan = self.executor.submit(plan)
            self._plan_tick = tick
            if after is not None:  # runs once the plan is done, while the robot executes its action
                self._after = self.executor.submit(after)
            try:
                action, self.fallback = self._plan.result(timeout=max(self.deadline_s - (submitted - t0), 0.0))
                self._plan = None
                took = time.perf_counter() - submitted
                self._plan_s = took if self._plan_s is None else 0.9 * self._plan_s + 0.1 * took
                return action
            except TimeoutError:
                pass
        stats.deadline_misses += 1
        return self._next_fallback_action()

    def wait_after(self, timeout_s: float) -> bool:
        """Wait at most ``timeout_s`` for the job queued after the latest plan; whether none is left running."""
        job = self._after
        if job is None or job.done():
            return True
        return bool(wait([job], timeout=max(timeout_s, 0.0)).done)

    def _adopt_late_plan(self, tick: int, stats) -> None:
        """Make the finished late plan (submitted at ``self._plan_tick``) the fallback from ``tick`` on:
        under sustained overload the robot then follows plans that are a few ticks old instead of the
        safe action."""
        if self._plan.exception() is not None:
            return
        _, plan = self._plan.result()
        skip = tick - self._plan_tick - 1  # rows of the plan for ticks already past
        if plan is not None and 0 <= skip < len(plan):
            self.fallback = np.concatenate([plan[skip:], np.repeat(plan[-1:], skip, 0)], 0)
            stats.late_plans_adopted += 1

    def _next_fallback_action(self) -> np.ndarray:
        """The next action of the shifted previous plan (the safe action when there is none)."""
        if self.fallback is None or not len(self.fallback):
            return self.safe_action.copy()
        action = self.fallback[0].copy()
        self.fallback = np.concatenate([self.fallback[1:], self.fallback[-1:]], 0)
        return action

    def drain(self) -> None:
        """Wait for the queued jobs (their results, errors or cancellations are not used)."""
        for name in ("_plan", "_after"):
            job = getattr(self, name)
            if job is not None:
                wait([job])
                setattr(self, name, None)

    def close(self) -> None:
        """Drain, then stop the compute thread."""
        self.drain()
        self.executor.shutdown(wait=True)
