"""The control tick: push the newest transition, adapt from the prior, plan, filter the action.

Every tick adapts afresh from the meta-learned prior on the newest M transitions (GrBAL's online
rule); the prior is never mutated. The planner sees the adapted model only through the
``dynamics`` callable.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import torch


def _as_numpy(x) -> np.ndarray:
    """A planner's tensor (torch planners) or array (CasADi) as float64 numpy on the CPU."""
    if isinstance(x, torch.Tensor):
        return x.detach().to("cpu", torch.float64).numpy()
    return np.asarray(x, dtype=np.float64)


class InvalidObservation(ValueError):
    """An observation of the wrong size or with non-finite values reached the controller."""


class TransitionHistory:
    """The newest M transitions in preallocated ring buffers: obs (M, nx), act (M, nu), next_obs (M, nx).

    Order inside the ring is irrelevant to the (mean) adaptation loss, so no reordering is done.
    """

    def __init__(self, capacity: int, nx: int, nu: int, device, dtype=torch.float32):
        self.capacity = capacity
        self.obs = torch.zeros(capacity, nx, device=device, dtype=dtype)
        self.act = torch.zeros(capacity, nu, device=device, dtype=dtype)
        self.next_obs = torch.zeros(capacity, nx, device=device, dtype=dtype)
        self.clear()

    def clear(self) -> None:
        self.count = 0
        self._next = 0

    def push(self, obs: torch.Tensor, act: torch.Tensor, next_obs: torch.Tensor) -> None:
        i = self._next
        self.obs[i].copy_(obs)
        self.act[i].copy_(act)
        self.next_obs[i].copy_(next_obs)
        self._next = (i + 1) % self.capacity
        self.count = min(self.count + 1, self.capacity)

    def __len__(self) -> int:
        return self.count

    def window(self):
        """(obs, act, next_obs) of the stored transitions, each (m, .) with m = min(count, M)."""
        n = self.count
        return self.obs[:n], self.act[:n], self.next_obs[:n]


#: Timings kept per series: the latest ten minutes at 100 Hz (a node that runs for days keeps bounded memory).
STATS_WINDOW = 60_000


def append_bounded(values: list, value: float, window: int = STATS_WINDOW) -> None:
    """Append, then drop the oldest half once the list holds two windows (amortised O(1))."""
    values.append(value)
    if len(values) > 2 * window:
        del values[:-window]


@dataclass
class TickStats:
    """Per-tick timings in milliseconds (the latest ``STATS_WINDOW`` or more ticks) and counters."""

    adapt_ms: list = field(default_factory=list)
    plan_ms: list = field(default_factory=list)
    total_ms: list = field(default_factory=list)
    unsafe_actions: int = 0
    deadline_misses: int = 0
    ticks: int = 0

    def record(self, adapt_ms: float, plan_ms: float, total_ms: float) -> None:
        self.ticks += 1
        append_bounded(self.adapt_ms, adapt_ms)
        append_bounded(self.plan_ms, plan_ms)
        append_bounded(self.total_ms, total_ms)

    def summary(self) -> dict:
        out = {"ticks": self.ticks, "unsafe_actions": self.unsafe_actions,
               "deadline_misses": self.deadline_misses}
        for name in ("adapt_ms", "plan_ms", "total_ms"):
            v = np.asarray(getattr(self, name), dtype=float)
            key = name[:-3]
            out[f"{key}_median_ms"] = float(np.median(v)) if v.size else float("nan")
            out[f"{key}_p99_ms"] = float(np.percentile(v, 99)) if v.size else float("nan")
        return out


class AdaptiveController:
    """Adapt-then-plan controller, the same object under every backend.

    Args:
        model: the dynamics model (a ``models.dynamics.DynamicsModel``), used functionally.
        adapter: ``adapt(params, obs (M,nx), act (M,nu), next_obs (M,nx)) -> params`` (pure).
        planner_factory: ``factory(dynamics) -> planner`` with ``command(state)`` and ``reset()``;
            called once here with the controller's adapted-model dynamics callable.
        adapt_window: M.
        action_low, action_high: (nu,) bounds; returned actions always lie within them.
        safe_action: (nu,) action returned when the planner produces a non-finite one.
        device: torch device of model, history and planner.
        deadline_ms: when set, planning runs on the controller's compute thread; a tick whose plan is not done
            ``deadline_ms`` after the tick began applies the next action of the previous (shifted)
            plan instead and counts a miss. The late plan finishes in the background and is
            discarded (it was for an old state); no new plan or adaptation starts until it has.
            In this mode every torch operation of the controller (adaptation, planning, reset,
            diagnostics) runs on that one thread, so the adapt time is reported inside the plan
            time. Build such a controller on its thread too (``build_controller`` does): OpenMP
            keeps one thread team per calling thread, and two teams on 2 cores throttle each other
            (measured: plans 2.7x slower on the worker once the main thread had run kernels).
        executor: the single-thread executor to use as the compute thread (deadline mode).
        planning_dtype: precision of the model's matrix products inside plans (e.g. bfloat16).
        model_ticks: control ticks one prediction of ``model`` spans (its input is that many actions);
            the window then holds the newest M transitions over ``model_ticks`` ticks (one per tick,
            overlapping), and the planner gets the model with one action held for all of them.
    """

    def __init__(self, model, adapter, planner_factory, *, adapt_window: int, action_low, action_high,
                 safe_action=None, device: str | torch.device = "cpu", deadline_ms: float | None = None,
                 planning_dtype: torch.dtype | None = None, executor: ThreadPoolExecutor | None = None,
                 model_ticks: int = 1):
        self.model = model
        if model_ticks < 1 or model.action_size % model_ticks:
            raise ValueError(f"model_ticks {model_ticks} does not divide the model's {model.action_size} action inputs")
        self.model_ticks = int(model_ticks)
        self.adapter = adapter
        # Stateful adapters (ReBAL) fold each newest transition into a carried context instead of
        # taking a gradient step on the window.
        self._recurrent = hasattr(adapter, "observe")
        self.planning_dtype = planning_dtype
        self.device = torch.device(device)
        self.nx, self.nu = model.obs_size, model.action_size // self.model_ticks
        self.prior = model.params()  # detached; never modified
        self.params = self.prior
        self.low = np.broadcast_to(np.asarray(action_low, dtype=np.float64), (self.nu,)).copy()
        self.high = np.broadcast_to(np.asarray(action_high, dtype=np.float64), (self.nu,)).copy()
        safe = np.zeros(self.nu) if safe_action is None else np.asarray(safe_action, dtype=np.float64)
        self.safe_action = np.clip(safe, self.low, self.high)
        self.history = TransitionHistory(adapt_window, self.nx, model.action_size, self.device)
        self.planner = planner_factory(self._dynamics)
        self.deadline_s = None if deadline_ms is None else deadline_ms / 1e3
        if deadline_ms is None:
            self._worker = None
        else:
            self._worker = executor or ThreadPoolExecutor(1, thread_name_prefix="controller")
        self._pending: Future | None = None
        self.stats = TickStats()
        self.reset()

    def _dynamics(self, state: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        return self._predict(state, action)

    def _set_params(self, params) -> None:
        self.params = params
        if self._recurrent:
            self._predict = self.model.predictor(params, dtype=self.planning_dtype, context=self.adapter.context)
        else:
            self._predict = self.model.predictor(params, dtype=self.planning_dtype, held=self.model_ticks)

    def _on_compute_thread(self, fn, *args):
        """Run ``fn`` on the compute thread in deadline mode (inline otherwise) and return its result."""
        if self._worker is None or threading.current_thread().name.startswith("controller"):
            return fn(*args)
        return self._worker.submit(fn, *args).result()

    def reset(self) -> None:
        """Start a new episode: empty history, prior parameters, fresh planner warm start."""
        self._wait_pending()
        self._on_compute_thread(self._reset)

    def interrupt(self) -> None:
        """The state stream broke (stale or bad state at the bridge): the next tick starts a new chain of
        transitions, so no transition spans the gap. History, adaptation and warm start are kept."""
        self._recent.clear()

    def warm_up(self, ticks: int = 5) -> None:
        """Pay one-time costs (lazy torch initialisation, first kernels: ~1 s) before the first real tick.

        Runs adapt + plan on the model's mean observation on the compute thread, then resets.
        """
        def run():
            obs = self.model.normalizer.obs_mean.detach().to(self.device, torch.float32).clone()
            act = torch.zeros(self.model.action_size, device=self.device)
            for _ in range(ticks):
                self.history.push(obs, act, obs)
                self._adapt(newest=(obs, act, obs))
                self._plan(obs)
            self._reset()

        self._wait_pending()
        self._on_compute_thread(run)

    def _reset(self) -> None:
        if self._recurrent:
            self.adapter.reset()
        self.history.clear()
        self._set_params(self.prior)
        self.planner.reset()
        self._fallback = None  # (T, nu) shifted previous plan, used when a plan misses the deadline
        # (obs, action) of the latest ticks, consecutive: the start of the newest model_ticks transition
        self._recent: deque = deque(maxlen=self.model_ticks)
        self.stats = TickStats()

    def check_observation(self, obs) -> np.ndarray:
        """The observation as a finite (nx,) float array, or :class:`InvalidObservation`."""
        arr = np.asarray(obs, dtype=np.float64)
        if arr.shape != (self.nx,):
            raise InvalidObservation(f"observation must have shape ({self.nx},), got {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise InvalidObservation(f"observation has non-finite entries at {np.flatnonzero(~np.isfinite(arr)).tolist()}")
        return arr

    def step(self, obs) -> np.ndarray:
        """One control tick: ``obs`` (nx,) -> finite, in-bounds action (nu,)."""
        t0 = time.perf_counter()
        obs_t = torch.as_tensor(self.check_observation(obs), dtype=torch.float32, device=self.device)
        newest = None
        if len(self._recent) == self.model_ticks:
            acts = self._recent[0][1] if self.model_ticks == 1 else torch.cat([a for _, a in self._recent])
            newest = (self._recent[0][0], acts, obs_t)
            self.history.push(*newest)
        if self._worker is None:
            self._adapt(newest=newest)
            t1 = time.perf_counter()
            action, self._fallback = self._plan(obs_t)
        else:
            t1 = time.perf_counter()
            action = self._plan_with_deadline(obs_t, t0, newest)
        t2 = time.perf_counter()
        action = self.filter(action)
        self._recent.append((obs_t, torch.as_tensor(action, dtype=torch.float32, device=self.device)))
        t3 = time.perf_counter()
        self.stats.record(1e3 * (t1 - t0), 1e3 * (t2 - t1), 1e3 * (t3 - t0))
        return action

    def _adapt(self, window=None, newest=None) -> None:
        if self._recurrent:
            if newest is not None:
                self.adapter.observe(self.prior, *newest)
                self._set_params(self.prior)
            return
        window = self.history.window() if window is None else window
        if len(window[0]):
            self._set_params(self.adapter.adapt(self.prior, *window))

    def _adapt_and_plan(self, obs_t: torch.Tensor, window, newest):
        # One thread does all torch work: adapting on another thread would leave that thread's
        # OpenMP team spinning and stealing the cores from the planning team (measured: ~3x slower).
        self._adapt(window, newest)
        return self._plan(obs_t)

    def _plan(self, obs_t: torch.Tensor):
        """(action (nu,), shifted plan (T, nu) or None), as float64 numpy."""
        action = _as_numpy(self.planner.command(obs_t))
        plan = getattr(self.planner, "next_plan", None)
        return action, (None if plan is None else _as_numpy(plan).copy())

    def _plan_with_deadline(self, obs_t: torch.Tensor, t0: float, newest=None) -> np.ndarray:
        busy = self._pending is not None and not self._pending.done()
        if not busy:
            if self._pending is not None:  # a late plan finished since: its result is stale
                self._pending.exception()
            window = tuple(t.clone() for t in self.history.window())  # the ring changes under the worker
            self._pending = self._worker.submit(self._adapt_and_plan, obs_t, window, newest)
            remaining = self.deadline_s - (time.perf_counter() - t0)
            try:
                action, self._fallback = self._pending.result(timeout=max(remaining, 0.0))
                self._pending = None
                return action
            except TimeoutError:
                pass
        self.stats.deadline_misses += 1
        return self._next_fallback_action()

    def _next_fallback_action(self) -> np.ndarray:
        """The next action of the shifted previous plan (the safe action when there is none)."""
        if self._fallback is None or not len(self._fallback):
            return self.safe_action.copy()
        action = self._fallback[0].copy()
        self._fallback = np.concatenate([self._fallback[1:], self._fallback[-1:]], 0)
        return action

    def _wait_pending(self) -> None:
        if getattr(self, "_pending", None) is not None:
            self._pending.exception()  # wait for it; its result is not used
            self._pending = None

    def close(self) -> None:
        """Stop the planning worker thread (if any)."""
        self._wait_pending()
        if self._worker is not None:
            self._worker.shutdown(wait=True)

    def filter(self, action: np.ndarray) -> np.ndarray:
        """Safety filter: a non-finite or wrong-sized action becomes the safe action; clip to bounds."""
        if action.shape != (self.nu,) or not np.all(np.isfinite(action)):
            self.stats.unsafe_actions += 1
            return self.safe_action.copy()
        return np.clip(action, self.low, self.high)

    def adaptation_loss(self) -> float:
        """Loss of the current (adapted) parameters on the current window (diagnostics; not on the hot path)."""
        self._wait_pending()
        return self._on_compute_thread(self._adaptation_loss)

    @torch.no_grad()
    def _adaptation_loss(self) -> float:
        if not len(self.history):
            return float("nan")
        return float(self.model.loss(self.params, *self.history.window()))
