"""The control tick: push the newest transition, adapt from the prior, plan, filter the action.

Every tick adapts afresh from the meta-learned prior on the newest M transitions (GrBAL's online
rule); the prior is never mutated. The planner sees the adapted model only through the
``dynamics`` callable.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import torch

from adaptive_control.deadline import (THREAD_PREFIX, DeadlineRunner, SampleBudget, compute_thread,
                                       release_openmp_workers)


def _as_numpy(x) -> np.ndarray:
    """A planner's tensor (torch planners) or array (CasADi) as float64 numpy on the CPU."""
    if isinstance(x, torch.Tensor):
        return x.detach().to("cpu", torch.float64).numpy()
    return np.asarray(x, dtype=np.float64)


_FLOAT32_MAX = float(np.finfo(np.float32).max)


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
        # per transition: its mean squared normalised residual under the prior (the guard's gate computes
        # it anyway), so the prior's window loss needs no model evaluation
        self.prior_sq = torch.zeros(capacity, device=device, dtype=dtype)
        self.clear()

    def clear(self) -> None:
        self.count = 0
        self._next = 0

    def push(self, obs: torch.Tensor, act: torch.Tensor, next_obs: torch.Tensor, prior_sq=0.0) -> None:
        i = self._next
        self.obs[i].copy_(obs)
        self.act[i].copy_(act)
        self.next_obs[i].copy_(next_obs)
        self.prior_sq[i] = prior_sq
        self._next = (i + 1) % self.capacity
        self.count = min(self.count + 1, self.capacity)

    def __len__(self) -> int:
        return self.count

    def window(self):
        """(obs, act, next_obs) of the stored transitions, each (m, .) with m = min(count, M)."""
        n = self.count
        return self.obs[:n], self.act[:n], self.next_obs[:n]

    def prior_loss(self) -> torch.Tensor:
        """The prior's one-step loss on the window, from the residuals stored with each transition."""
        return self.prior_sq[:self.count].mean()


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
    rejected_transitions: int = 0
    """Transitions the guard kept out of the window (implausible under the prior)."""
    rejected_adaptations: int = 0
    """Adaptation steps (ReBAL: contexts) the guard rejected (non-finite, or worse than the prior)."""
    substituted_observations: int = 0
    """Ticks planned from the prior's prediction because the reading itself was implausible."""
    late_plans_adopted: int = 0
    """Plans that missed their deadline whose remaining actions became the fallback (deadline mode)."""
    caught_up_ticks: int = 0
    """Ticks that found the previous (late) plan still running, waited for it while a typical plan still
    fit before the deadline, and planned afresh (deadline mode)."""
    skipped_adaptations: int = 0
    """Overlapped adaptation steps dropped because they were still queued behind a late plan when the
    next tick began (``overlap_adaptation`` in deadline mode)."""
    overlapped_adapt_ms: list = field(default_factory=list)
    """Adaptation steps taken after the tick's action was returned (``overlap_adaptation``): outside
    the tick's time, in the idle time before the next."""
    samples: list = field(default_factory=list)
    """Samples of each plan when they follow a time budget (``sample_budget``); empty otherwise."""

    def record(self, adapt_ms: float, plan_ms: float, total_ms: float) -> None:
        self.ticks += 1
        append_bounded(self.adapt_ms, adapt_ms)
        append_bounded(self.plan_ms, plan_ms)
        append_bounded(self.total_ms, total_ms)

    def summary(self) -> dict:
        out = {"ticks": self.ticks, "unsafe_actions": self.unsafe_actions,
               "deadline_misses": self.deadline_misses, "rejected_transitions": self.rejected_transitions,
               "rejected_adaptations": self.rejected_adaptations,
               "substituted_observations": self.substituted_observations,
               "late_plans_adopted": self.late_plans_adopted, "skipped_adaptations": self.skipped_adaptations,
               "caught_up_ticks": self.caught_up_ticks}
        for name in ("adapt_ms", "plan_ms", "total_ms", "overlapped_adapt_ms"):
            v = np.asarray(getattr(self, name), dtype=float)
            key = name[:-3]
            out[f"{key}_median_ms"] = float(np.median(v)) if v.size else float("nan")
            out[f"{key}_p99_ms"] = float(np.percentile(v, 99)) if v.size else float("nan")
        if self.samples:
            out["samples_median"] = float(np.median(self.samples))
            out["samples_min"] = int(min(self.samples))
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
            plan instead and counts a miss (:mod:`adaptive_control.deadline` has the rules for late
            plans). In this mode every torch operation of the controller (adaptation, planning, reset,
            diagnostics) runs on that one thread, so the adapt time is reported inside the plan
            time. Build such a controller on its thread too (``build_controller`` does): OpenMP
            keeps one thread team per calling thread, and two teams on 2 cores throttle each other
            (measured: plans 2.7x slower on the worker once the main thread had run kernels).
        executor: the single-thread executor to use as the compute thread (deadline mode).
        planning_dtype: precision of the model's matrix products inside plans (e.g. bfloat16).
        model_ticks: control ticks one prediction of ``model`` spans (its input is that many actions);
            the window then holds the newest M transitions over ``model_ticks`` ticks (one per tick,
            overlapping), and the planner gets the model with one action held for all of them.
        overlap_adaptation: take the adaptation step after the tick's action is returned (on the
            compute thread in deadline mode, while the robot waits for the next tick) instead of before
            planning: the plan of tick t uses the model adapted on the window ending at tick t-1. The
            newest transition is still gated before planning. Its time is reported as
            ``overlapped_adapt`` in :attr:`stats`, outside the tick's.
        guard: a ``models.guard.AdaptationGuard``: transitions implausible under the prior are kept
            out of the window (and ReBAL's context), and an adapted model (context) that is non-finite
            or worse than the prior on the window is replaced by the prior for that tick. Both are
            counted in :attr:`stats`. The prior, not the last accepted parameters: those were fitted to
            a window the rejected step says is no longer explained, and may hold the very readings
            that made it fail; the prior is the one model fitted to no online data, and keeps the
            online rule stateless (every tick adapts from the prior). ``None``: no guard.
            A reading that ends an implausible transition from a trusted start is itself suspect: that
            tick plans from the prior's prediction of it (at most ``model_ticks`` ticks in a row, after
            which readings are trusted again: a real jump in the state, e.g. a push, is believed
            within ``model_ticks`` ticks), so one spike moves neither the window nor the plan. While
            half of the last M transitions were implausible, the gate is open (the robot is
            somewhere the prior has never been, and adaptation must see it).
        sample_budget: a :class:`~adaptive_control.deadline.SampleBudget`: each plan's number of
            samples follows it (the planner's ``command(state, samples=k)``), so plans keep to its
            time while the CPU slows down and speeds up; the counts are in :attr:`stats`. ``None``:
            every plan uses the planner's K (reproducible offline runs).
    """

    def __init__(self, model, adapter, planner_factory, *, adapt_window: int, action_low, action_high,
                 safe_action=None, device: str | torch.device = "cpu", deadline_ms: float | None = None,
                 planning_dtype: torch.dtype | None = None, executor: ThreadPoolExecutor | None = None,
                 model_ticks: int = 1, guard=None, overlap_adaptation: bool = False,
                 adapted_steps: int | None = None, sample_budget: SampleBudget | None = None):
        self.model = model
        self.sample_budget = sample_budget
        self.guard = guard
        self.overlap = bool(overlap_adaptation)
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
        self._predict = None  # the planning model of self.params, folded (set by _set_params)
        # the prior on whole (multi-tick) transitions, for the guard's checks
        if self._recurrent:
            empty = model.initial_context(1)
            self._prior_predict = lambda o, a: model.predict_next_with(self.prior, o, a, empty)
        else:  # the folded fast path, over the whole (multi-tick) action input
            self._prior_predict = model.predictor(self.prior)
        # newest transitions waiting to be gated and pushed, on the compute thread (thread-safe deque)
        self._inbox: deque = deque()
        self.low = np.broadcast_to(np.asarray(action_low, dtype=np.float64), (self.nu,)).copy()
        self.high = np.broadcast_to(np.asarray(action_high, dtype=np.float64), (self.nu,)).copy()
        safe = np.zeros(self.nu) if safe_action is None else np.asarray(safe_action, dtype=np.float64)
        self.safe_action = np.clip(safe, self.low, self.high)
        self.history = TransitionHistory(adapt_window, self.nx, model.action_size, self.device)
        # plans use the adapted model for their first adapted_steps model calls, the prior after
        if adapted_steps is not None and (self._recurrent or adapted_steps < 0):
            raise ValueError(f"adapted_steps must be >= 0 and is for gradient adaptation, got {adapted_steps}")
        self.adapted_steps = adapted_steps
        self._calls = 0  # model calls so far in the current plan
        self._prior_plan = (None if adapted_steps is None else
                            model.predictor(self.prior, dtype=planning_dtype, held=self.model_ticks))
        self.planner = planner_factory(self._dynamics if adapted_steps is None else self._dynamics_first_adapted)
        self._rt = None if deadline_ms is None else DeadlineRunner(deadline_ms / 1e3, executor or compute_thread(),
                                                                   self.safe_action)
        self._kept = False  # whether a transition was kept since the last (overlapped) step
        self.stats = TickStats()
        self.reset()

    def _dynamics(self, state: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        return self._predict(state, action)

    def _dynamics_first_adapted(self, state: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """``adapted_steps``: the adapted model for a plan's first calls, the prior after."""
        self._calls += 1  # the planner calls the model in order along its horizon
        return (self._predict if self._calls <= self.adapted_steps else self._prior_plan)(state, action)

    def _command(self, state: torch.Tensor) -> torch.Tensor:
        """The planner's action for ``state``, counting this plan's model calls from zero."""
        self._calls = 0
        budget = self.sample_budget
        if budget is None:
            return self.planner.command(state)
        k = budget.samples
        t = time.perf_counter()
        action = self.planner.command(state, samples=k)
        if action.device.type == "cuda":  # the plan's time, not its launch
            torch.cuda.synchronize(action.device)
        budget.update(1e3 * (time.perf_counter() - t), k)
        append_bounded(self.stats.samples, k)
        return action

    def _set_params(self, params, context=None) -> None:
        if params is self.params and self._predict is not None and not self._recurrent:
            return  # the same parameters (mb, grbal_prior, a rejected step again): keep the folded predictor
        self.params = params
        if self._recurrent:
            ctx = self.adapter.context if context is None else context
            self._predict = self.model.predictor(params, dtype=self.planning_dtype, context=ctx)
        else:
            self._predict = self.model.predictor(params, dtype=self.planning_dtype, held=self.model_ticks)

    def _on_compute_thread(self, fn, *args):
        """Run ``fn`` on the compute thread in deadline mode (inline otherwise) and return its result."""
        return fn(*args) if self._rt is None else self._rt.on_thread(fn, *args)

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

        Runs adapt + plan on the model's mean observation on the compute thread, then resets. In
        deadline mode it also releases the calling thread's OpenMP workers (left by e.g. loading the
        checkpoint there), which would otherwise slow every tick's plan about 2x
        (:mod:`adaptive_control.deadline`); call it from the thread that will call :meth:`step`.
        """
        def run():
            obs = self.model.normalizer.obs_mean.detach().to(self.device, torch.float32).clone()
            act = torch.zeros(self.model.action_size, device=self.device)
            for _ in range(ticks):
                self._inbox.append((obs, act, obs, -1, -1))
                self._adapt()
                self._plan(obs)
            self._reset()
            if self.sample_budget is not None:  # the warm-up plans paid one-time costs: not a measure
                self.sample_budget.reset()

        self._wait_pending()
        self._on_compute_thread(run)
        if self._rt is not None and not threading.current_thread().name.startswith(THREAD_PREFIX):
            release_openmp_workers()

    def _reset(self) -> None:
        if self._recurrent:
            self.adapter.reset()
        self.history.clear()
        self._inbox.clear()
        self._tick = 0
        self._suspect: deque = deque(maxlen=4 * self.model_ticks)  # ticks whose reading is suspect
        self._suspect_run = 0
        self._gate_log: deque = deque(maxlen=self.history.capacity)  # recent gate decisions (True: rejected)
        self._replacement = None  # (tick, predicted obs (nx,)) for a suspect newest reading
        self._kept = False
        self._set_params(self.prior)
        self.planner.reset()
        if self._rt is not None:
            self._rt.fallback = None
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
        huge = np.abs(arr) > _FLOAT32_MAX  # finite here, infinite once in float32 (the model's precision)
        if np.any(huge):
            raise InvalidObservation(f"observation entries at {np.flatnonzero(huge).tolist()} exceed the float32 range")
        return arr

    def step(self, obs, fresh: bool = True) -> np.ndarray:
        """One control tick: ``obs`` (nx,) -> finite, in-bounds action (nu,).

        ``fresh=False``: ``obs`` is not a new reading (the state message of this tick was lost, and the
        last one is reused): the tick plans from it, but no transition ends or starts at it (its time
        is not this tick's)."""
        t0 = time.perf_counter()
        obs_t = torch.as_tensor(self.check_observation(obs), dtype=torch.float32, device=self.device)
        tick = self._tick
        self._tick += 1
        if fresh and len(self._recent) == self.model_ticks:
            acts = self._recent[0][1] if self.model_ticks == 1 else torch.cat([a for _, a, _ in self._recent])
            self._inbox.append((self._recent[0][0], acts, obs_t, self._recent[0][2], tick))
        if self._rt is None:
            if self.overlap:
                self._kept = self._take_inbox() or self._kept  # until a step used it
            else:
                self._adapt()
            t1 = time.perf_counter()
            action = _as_numpy(self._command(self._planning_state(obs_t, tick)))
        else:
            t1 = time.perf_counter()
            action = self._rt.tick(t0, tick, lambda: self._adapt_and_plan(obs_t, tick),
                                   self._overlapped_fit if self.overlap else None, self.stats)
        t2 = time.perf_counter()
        action = self.filter(action)
        if fresh:
            self._recent.append((obs_t, torch.as_tensor(action, dtype=torch.float32, device=self.device), tick))
        else:
            self._recent.clear()
        t3 = time.perf_counter()
        self.stats.record(1e3 * (t1 - t0), 1e3 * (t2 - t1), 1e3 * (t3 - t0))
        if self.overlap and self._rt is None:  # the same step, after the action (no thread to overlap on)
            self._overlapped_fit()
        return action

    def _take_inbox(self) -> bool:
        """Gate and push the waiting transitions (ReBAL: fold them into the context); whether any was kept."""
        kept = False
        while self._inbox:
            *tr, start_tick, end_tick = self._inbox.popleft()
            residuals = None if self.guard is None else self.guard.residuals(self._prior_predict, *tr)
            if residuals is not None and not self.guard.within(residuals):
                if sum(self._gate_log) < self._gate_log.maxlen // 2:  # else: the gate is open (see class doc)
                    self._gate_log.append(True)
                    self.stats.rejected_transitions += 1
                    if start_tick not in self._suspect and self._suspect_run < self.model_ticks:
                        self._suspect.append(end_tick)  # a trusted start: the new reading is the odd one
                        self._suspect_run += 1
                        with torch.no_grad():
                            self._replacement = (end_tick, self._prior_predict(tr[0][None], tr[1][None])[0])
                    else:
                        self._suspect_run = 0
                    continue
            self._gate_log.append(False)
            self._suspect_run = 0
            self.history.push(*tr, prior_sq=0.0 if residuals is None else residuals.square().mean())
            if self._recurrent:
                self.adapter.observe(self.prior, *tr)
            kept = True
        return kept

    def _adapt(self) -> None:
        self._fit(self._take_inbox())

    def _overlapped_fit(self) -> None:
        t = time.perf_counter()
        kept, self._kept = self._kept, False
        self._fit(kept)
        append_bounded(self.stats.overlapped_adapt_ms, 1e3 * (time.perf_counter() - t))

    def _fit(self, kept: bool) -> None:
        """The adaptation step on the current window (ReBAL: the carried context, when ``kept``)."""
        if self._recurrent:
            if kept:
                self._set_params(self.prior, self._checked_context())
            return
        window = self.history.window()
        if len(window[0]):
            params = self.adapter.adapt(self.prior, *window)
            # the check evaluates the adapted model unfolded on M rows (folding it costs more) against the
            # prior's loss kept from the gate
            if self.guard is not None and params is not self.prior and not self.guard.accept(
                    self._prior_predict, lambda o, a: self.model.predict_next(params, o, a), *window,
                    prior_loss=self.history.prior_loss()):
                self.stats.rejected_adaptations += 1
                params = self.prior
            self._set_params(params)

    def _checked_context(self):
        """ReBAL's carried context, or the empty one (the prior) when the guard rejects it for planning.
        A non-finite context is also dropped from the carry (it could never recover)."""
        ctx = self.adapter.context
        if self.guard is None:
            return ctx
        if not bool(torch.all(torch.isfinite(ctx))):
            self.stats.rejected_adaptations += 1
            self.adapter.reset()
            return self.adapter.context
        window = self.history.window()
        if not self.guard.accept(self._prior_predict,
                                 lambda o, a: self.model.predict_next_with(self.prior, o, a, ctx), *window,
                                 prior_loss=self.history.prior_loss()):
            self.stats.rejected_adaptations += 1
            return self.model.initial_context(1)
        return ctx

    def _planning_state(self, obs_t: torch.Tensor, tick: int) -> torch.Tensor:
        """The state to plan from: the reading, or the prior's prediction of it when it is suspect."""
        if self._replacement is not None and self._replacement[0] == tick:
            self.stats.substituted_observations += 1
            return self._replacement[1]
        return obs_t

    def _adapt_and_plan(self, obs_t: torch.Tensor, tick: int):
        # One thread does all torch work: adapting on another thread would leave that thread's
        # OpenMP team spinning and stealing the cores from the planning team (measured: ~3x slower).
        # The history is only touched here (the main thread queues transitions in the inbox).
        if self.overlap:  # the step itself follows as its own job (queued behind this one)
            self._kept = self._take_inbox() or self._kept  # until a step used it
        else:
            self._adapt()
        return self._plan(self._planning_state(obs_t, tick))

    def _plan(self, obs_t: torch.Tensor):
        """(action (nu,), shifted plan (T, nu) or None), as float64 numpy."""
        action = _as_numpy(self._command(obs_t))
        plan = getattr(self.planner, "next_plan", None)
        return action, (None if plan is None else _as_numpy(plan).copy())

    def wait_adapted(self, timeout_s: float) -> bool:
        """Wait at most ``timeout_s`` for the adaptation step the latest tick queued after its plan
        (``overlap_adaptation`` in deadline mode); whether none is left running. A node calls this
        after publishing the action: its own Python callbacks then run after the step instead of
        beside it, where they would contend with it for the interpreter lock (measured in simulation
        in the loop: the step took 4.4 ms instead of 1.2-2 ms and delayed the next plan)."""
        return True if self._rt is None else self._rt.wait_after(timeout_s)

    def _wait_pending(self) -> None:
        if self._rt is not None:
            self._rt.drain()

    def close(self) -> None:
        """Stop the planning worker thread (if any)."""
        if self._rt is not None:
            self._rt.close()

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
