"""Tick benchmark: adapt + plan for a grid of model sizes, K and T, against this machine's matmul floor.

For each grid point it times whole control ticks (adaptation on the last M transitions, then an
MPPI plan) over realistic states of the robot (a random-action run; the half-cheetah by default), interleaved in blocks with ``pytorch_mppi`` (the
public MPPI library) planning on the same network, K and T, so ratios are measured in one run on a
noisy machine. The float32 matmul rate is measured in the same run; the plan floor is
``K * T * flops_per_sample / rate``.
"""
from __future__ import annotations

import dataclasses
import os
import platform
import time

import numpy as np
import torch

from adaptive_control.build import (build_controller, default_checkpoint, experiment_config, load_for_method,
                                    make_planner_factory, planning_dtype)
from adaptive_control.collect import RandomPolicy
from adaptive_control.config import PlannerConfig
from adaptive_control.controller import AdaptiveController
from robot_bridge.mujoco_backend import run_episode
from models.adaptation import GradientAdapter
from models.dynamics import MLPDynamics
from models.training import seeded_init
from sim.robots import cost_fn, make_env

DEFAULT = {"hidden": (256, 256), "samples": 500, "horizon": 10}
GRID_HIDDEN = [(256, 256), (512, 512, 512)]
GRID_SAMPLES = [250, 500, 1000, 2000]
GRID_HORIZON = [10, 20]


def machine_info() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
            "python": platform.python_version(), "platform": platform.platform()}


def matmul_rate(dtype=torch.float32, n: int = 1024, repeats: int = 15) -> float:
    """Median GFLOP/s of an n x n x n matmul on this machine (the compute floor's rate)."""
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    out = torch.empty(n, n, dtype=dtype)
    for _ in range(3):
        torch.mm(a, b, out=out)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        torch.mm(a, b, out=out)
        times.append(time.perf_counter() - t)
    return 2 * n ** 3 / float(np.median(times)) / 1e9


def robot_states(robot: str = "half_cheetah", steps: int = 400, seed: int = 0):
    """Observations, actions and next observations of a real random-action run of ``robot``."""
    env = make_env(robot)
    rng = np.random.default_rng(seed)
    res = run_episode(env, RandomPolicy(env.action_size, env.action_low, env.action_high, 0.5, rng), steps, seed=seed,
                      record=True)
    return [torch.as_tensor(x, dtype=torch.float32) for x in res.transitions]


def make_model(hidden, obs, act, nxt) -> MLPDynamics:
    m = MLPDynamics(obs.shape[1], act.shape[1], hidden)
    seeded_init(m, 0)
    m.normalizer.fit(obs, act, nxt)
    return m.eval()


def pytorch_mppi_planner(dynamics, samples: int, horizon: int, nx: int, nu: int, robot: str = "half_cheetah",
                         sigma: float = 0.5, cost=None, low=-1.0, high=1.0):
    """pytorch_mppi's MPPI (its default ``lambda_`` = 1) with the robot's task cost, or ``cost``
    (its running cost sees the post-step state, which is all our costs read besides the action),
    actions within ``low``, ``high`` (scalars or (nu,))."""
    from pytorch_mppi import MPPI as LibMPPI

    cost = cost or cost_fn(robot)

    def running_cost(state, action):
        return cost(state, action, state)

    low, high = (torch.as_tensor(v, dtype=torch.float32).expand(nu).clone() for v in (low, high))
    return LibMPPI(dynamics, running_cost, nx, noise_sigma=torch.eye(nu) * sigma ** 2, num_samples=samples,
                   horizon=horizon, lambda_=1.0, u_min=low, u_max=high, device="cpu")


def functional_dynamics(model, params_fn, held: int = 1):
    """``f(state (K,nx), action (K,nu)) -> next state``: ``model`` under the parameter dict ``params_fn()``
    through ``torch.func.functional_call``, as a user wires an adapted model into another planner
    (the parameters change every tick); ``held`` > 1: one action held for a block model's ticks."""
    from torch.func import functional_call

    def f(s, a):
        a = a.repeat(1, held) if held > 1 else a
        return s + model.normalizer.denormalize_delta(functional_call(model, params_fn(), (s, a)))

    return f


class _Ticker:
    """Runs ticks of one planner over the recorded states; keeps per-tick milliseconds."""

    def __init__(self, step, obs):
        self.step, self.obs, self.i, self.ms = step, obs, 0, []

    def run(self, n: int, keep: bool = True) -> None:
        for _ in range(n):
            o = self.obs[self.i % len(self.obs)]
            self.i += 1
            t = time.perf_counter()
            self.step(o)
            if keep:
                self.ms.append(1e3 * (time.perf_counter() - t))


def bench_point(hidden, samples: int, horizon: int, data, rate: float, ticks: int, warmup: int, block: int = 25,
                precision: str = "float32", compare: bool = True, robot: str = "half_cheetah") -> dict:
    """Time our tick (adapt + MPPI plan) on a seeded network of ``hidden`` sizes and pytorch_mppi on the
    same network, K and T, interleaved in blocks."""
    obs, act, nxt = data
    model = make_model(hidden, obs, act, nxt)
    cfg = PlannerConfig(samples=samples, horizon=horizon, precision=precision)
    ctrl = AdaptiveController(model, GradientAdapter(model, 0.01, online=True), make_planner_factory(cfg, robot, "cpu"),
                              adapt_window=16, action_low=-1.0, action_high=1.0,
                              planning_dtype=planning_dtype(precision, "cpu"))
    row = _time_controller(ctrl, model, samples, horizon, data, rate, ticks, warmup, block, compare, robot)
    return {"model": "x".join(map(str, hidden)), "samples": samples, "horizon": horizon, "precision": precision,
            **row}


def shipped_controller(robot: str, precision: str | None = None, deadline_ms: float | None = None,
                       samples: int | None = None, **controller):
    """(controller, experiment config) of the shipped experiment as ``adaptive-control run`` builds it: the
    shipped grbal checkpoint (learned step sizes, guard calibration, block model) and planner;
    ``precision`` and ``samples`` override ``planner.precision`` and ``planner.samples``, ``deadline_ms``
    sets the controller's deadline, and ``controller`` overrides other ``ControllerConfig`` fields (e.g.
    ``threads``, ``plan_budget_ms``)."""
    cfg = experiment_config(robot)
    planner = cfg.planner if precision is None else dataclasses.replace(cfg.planner, precision=precision)
    planner = planner if samples is None else dataclasses.replace(planner, samples=samples)
    ctrl_cfg = dataclasses.replace(cfg.controller, method="grbal", deadline_ms=deadline_ms, **controller)
    ckpt = load_for_method("grbal", robot)
    return build_controller(ckpt, robot, planner, ctrl_cfg), planner, ckpt


def shipped_point(data, rate: float, ticks: int, warmup: int, block: int = 25, robot: str = "half_cheetah",
                  precision: str | None = None, bf16_rate: float | None = None) -> dict:
    """The shipped tick (:func:`shipped_controller`), with pytorch_mppi planning on the same network (its
    prior, in float32) at the same K and T, interleaved in blocks. The plan floor is at ``rate``, or
    at ``bf16_rate`` when the tick plans in bfloat16."""
    ctrl, planner, ckpt = shipped_controller(robot, precision)
    torch.set_num_threads(min(2, os.cpu_count() or 1))  # as the other points (the experiment may say otherwise)
    dtype = ctrl.planning_dtype or torch.float32
    if dtype == torch.bfloat16 and bf16_rate:
        rate = bf16_rate
    row = _time_controller(ctrl, ckpt.model, planner.samples, planner.horizon, data, rate, ticks, warmup, block,
                           True, robot, held=ckpt.ticks, alone=True)
    return {"model": "shipped " + "x".join(map(str, ckpt.model.hidden_sizes)), "samples": planner.samples,
            "horizon": planner.horizon, "step_ticks": planner.step_ticks, "model_ticks": ckpt.ticks,
            "precision": str(dtype).removeprefix("torch."), "guard": ctrl.guard is not None, **row}


def _time_controller(ctrl, model, samples: int, horizon: int, data, rate: float, ticks: int, warmup: int,
                     block: int, compare: bool, robot: str, held: int = 1, alone: bool = False) -> dict:
    """Our ticks interleaved in blocks with pytorch_mppi's (``compare``); ``alone``: then as many of ours
    back to back, as on a robot (no other planner evicting the caches between blocks)."""
    obs, act, nxt = data
    ctrl.reset()
    ours = _Ticker(lambda o: ctrl.step(o.numpy()), obs)
    tickers = {"ours": ours}
    if compare:
        # pytorch_mppi on the same network, wired three ways: with the (adapted) parameters as a dict
        # through torch.func.functional_call, as a GrBAL user must (the parameters change every tick);
        # as the module's own forward (only right for parameters loaded into the module); our folded
        # fast function (the remaining difference is the planner itself)
        prior = model.params()

        def module(s, a):
            return s + model.normalizer.denormalize_delta(model(s, a.repeat(1, held) if held > 1 else a))

        nx, nu = obs.shape[1], act.shape[1]
        for name, fn in (("pytorch_mppi", functional_dynamics(model, lambda: prior, held)),
                         ("pytorch_mppi_module_forward", module),
                         ("pytorch_mppi_folded_model", model.predictor(prior, held=held))):
            tickers[name] = _Ticker(pytorch_mppi_planner(fn, samples, horizon, nx, nu, robot).command, obs)
    # pytorch_mppi's command runs under no_grad itself; ours needs no autograd either
    with torch.no_grad():
        for t in tickers.values():
            t.run(warmup, keep=False)
        while len(ours.ms) < ticks:  # interleave blocks so contention bursts hit every contender alike
            for t in tickers.values():
                t.run(min(block, ticks - len(t.ms)))
    s = ctrl.stats
    # with overlapped adaptation the step follows the action inside step(): the tick (wall time of
    # step) still includes it, the time to the action does not
    adapt = np.asarray((s.overlapped_adapt_ms if ctrl.overlap else s.adapt_ms)[-ticks:])
    plan = np.asarray(s.plan_ms[-ticks:])
    to_action = np.asarray(s.total_ms[-ticks:])
    total = np.asarray(ours.ms)
    flops = samples * horizon * model.flops_per_sample()
    floor_ms = flops / (rate * 1e9) * 1e3
    row = {
        "ticks": len(total),
        "tick_median_ms": float(np.median(total)), "tick_p99_ms": float(np.percentile(total, 99)),
        "adapt_median_ms": float(np.median(adapt)), "adapt_p99_ms": float(np.percentile(adapt, 99)),
        "plan_median_ms": float(np.median(plan)), "plan_p99_ms": float(np.percentile(plan, 99)),
        "overlapped_adaptation": bool(ctrl.overlap),
        "to_action_median_ms": float(np.median(to_action)), "to_action_p99_ms": float(np.percentile(to_action, 99)),
        "plan_floor_ms": floor_ms, "plan_over_floor": float(np.median(plan)) / floor_ms,
        "fraction_of_matmul_rate": floor_ms / float(np.median(plan)),
    }
    if alone:
        solo = _Ticker(ours.step, obs)
        with torch.no_grad():
            solo.run(ticks)
        row["tick_alone_median_ms"] = float(np.median(solo.ms))
        row["tick_alone_p99_ms"] = float(np.percentile(solo.ms, 99))
    if compare:
        for name in ("pytorch_mppi", "pytorch_mppi_module_forward", "pytorch_mppi_folded_model"):
            lib = float(np.median(tickers[name].ms))
            row[f"{name}_median_ms"] = lib
            row[f"plan_ratio_vs_{name}"] = float(np.median(plan)) / lib
    return row


def deadline_misses(deadline_ms: float, ticks: int, warmup: int = 30, robot: str = "half_cheetah",
                    precision: str | None = None) -> dict:
    """The shipped controller (:func:`shipped_controller`), ticks paced at the control period with a
    deadline of one period.

    Runs in a fresh process whose controller is built, warmed up and run on its own compute
    thread, as a deployed controller is (a process whose main thread already ran torch kernels
    would measure OpenMP contention, not the controller). Returns how many ticks fell back to the
    shifted previous plan, and the latency distribution of the on-time ticks (misses apart).
    """
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_deadline_worker, (deadline_ms, ticks, warmup, robot, precision))


def _deadline_worker(deadline_ms: float, ticks: int, warmup: int, robot: str = "half_cheetah",
                     precision: str | None = None) -> dict:
    obs, _, _ = robot_states(robot)
    ctrl, _, _ = shipped_controller(robot, precision, deadline_ms)  # built and warmed up on its compute thread
    period = deadline_ms / 1e3
    on_time, misses = [], 0
    start = time.perf_counter()
    for i in range(warmup + ticks):
        before = ctrl.stats.deadline_misses
        t = time.perf_counter()
        ctrl.step(obs[i % len(obs)].numpy())
        if i >= warmup:
            if ctrl.stats.deadline_misses > before:
                misses += 1
            else:
                on_time.append(1e3 * (time.perf_counter() - t))
        time.sleep(max(0.0, start + (i + 1) * period - time.perf_counter()))  # real-time pacing
    ctrl.close()
    on_time = np.asarray(on_time) if on_time else np.asarray([np.nan])
    return {"deadline_ms": deadline_ms, "ticks": ticks, "misses": misses,
            "on_time_median_ms": float(np.median(on_time)), "on_time_p99_ms": float(np.percentile(on_time, 99))}


def casadi_point(hidden, horizon: int, data, ticks: int = 60, warmup: int = 5, max_iter: int = 10,
                 robot: str = "half_cheetah") -> dict:
    """The CasADi NLP planner (L-BFGS IPOPT, warm-started) on a real-state sequence: per-tick solve time."""
    from adaptive_control.casadi_planner import casadi_planner_factory

    obs, act, nxt = data
    model = make_model(hidden, obs, act, nxt)
    params = model.params()
    cfg = PlannerConfig(type="casadi", horizon=horizon, max_solver_iterations=max_iter)
    planner = casadi_planner_factory(cfg, robot, model, make_env(robot), lambda: params)(None)
    ms = []
    for i in range(warmup + ticks):
        t = time.perf_counter()
        planner.command(obs[i % len(obs)].numpy())
        if i >= warmup:
            ms.append(1e3 * (time.perf_counter() - t))
    return {"model": "x".join(map(str, hidden)), "horizon": horizon, "max_iter": max_iter, "ticks": ticks,
            "median_ms": float(np.median(ms)), "p99_ms": float(np.percentile(ms, 99)),
            "failed_solves": planner.failures}


def run_bench(quick: bool = False, ticks: int = 200, warmup: int = 30, progress=print, robot: str = "half_cheetah",
              precision: str | None = None) -> dict:
    """The whole benchmark on ``robot``'s states and cost; ``quick``: the shipped tick, the default point
    and the paced run only (well under a minute).

    Rows: ``shipped`` is the tick ``adaptive-control run`` builds (the shipped grbal checkpoint and
    planner, guard on; ``precision`` overrides the experiment's ``planner.precision``), the figure
    for the real-time budget; ``default`` is a seeded 256x256 network at the default K and T in
    float32 against pytorch_mppi in float32 (the like-for-like planner comparison); the paced run
    is the shipped controller with a 10 ms deadline. Robots without shipped checkpoints get the
    default point only. The CasADi rows need a hand-written CasADi cost (the half-cheetah and the ant)."""
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    data = robot_states(robot)
    rate = matmul_rate()
    bf16_rate = matmul_rate(torch.bfloat16)
    out = {"benchmark": "tick", "robot": robot, "date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine_info(),
           "matmul_gflops_float32": rate, "matmul_gflops_bfloat16": bf16_rate, "ticks_per_point": ticks,
           "warmup": warmup, "adapt_window": 16}
    progress(f"float32 matmul {rate:.0f} GFLOP/s, bfloat16 {bf16_rate:.0f} GFLOP/s")
    shipped = os.path.isfile(default_checkpoint(robot, "grbal"))
    if shipped:
        out["shipped"] = shipped_point(data, rate, ticks, warmup, robot=robot, precision=precision,
                                       bf16_rate=bf16_rate)
        progress(_fmt(out["shipped"]))
        out["p99_ms"] = out["shipped"]["tick_p99_ms"]
        out["median_ms"] = out["shipped"]["tick_median_ms"]
    default = bench_point(DEFAULT["hidden"], DEFAULT["samples"], DEFAULT["horizon"], data, rate, ticks, warmup,
                          robot=robot)
    out["default"] = default
    out["ratio_vs_pytorch_mppi"] = default["plan_ratio_vs_pytorch_mppi"]
    out["ratio_vs_pytorch_mppi_module_forward"] = default["plan_ratio_vs_pytorch_mppi_module_forward"]
    out["ratio_vs_pytorch_mppi_folded_model"] = default["plan_ratio_vs_pytorch_mppi_folded_model"]
    progress(_fmt(default))
    if shipped:
        out["deadline"] = deadline_misses(10.0, max(ticks, 300), robot=robot, precision=precision)
        d = out["deadline"]
        progress(f"shipped tick paced at 100 Hz with a 10 ms deadline: {d['misses']} misses in {d['ticks']} ticks; "
                 f"on-time ticks median {d['on_time_median_ms']:.2f} ms, p99 {d['on_time_p99_ms']:.2f} ms")
    else:
        out["p99_ms"], out["median_ms"] = default["tick_p99_ms"], default["tick_median_ms"]
    if quick:
        return out
    grid = []
    for hidden in GRID_HIDDEN:
        for horizon in GRID_HORIZON:
            for samples in GRID_SAMPLES:
                row = bench_point(hidden, samples, horizon, data, rate, ticks, warmup, robot=robot)
                grid.append(row)
                progress(_fmt(row))
    out["grid"] = grid
    bf16 = [bench_point(DEFAULT["hidden"], k, DEFAULT["horizon"], data, rate, ticks, warmup, precision="bfloat16",
                        compare=False, robot=robot) for k in (500, 1000)]
    for row in bf16:
        progress(_fmt(row))
    out["bfloat16"] = bf16
    # the planner's default of 10 IPOPT iterations per tick, and 30 for comparison
    from adaptive_control.casadi_planner import STAGE_COSTS

    out["casadi"] = [casadi_point(h, t, data, max_iter=it, robot=robot)
                     for h, t, it in (((64, 64), 15, 10), ((64, 64), 15, 30), ((64, 64), 10, 10), ((128, 128), 15, 10))
                     ] if robot in STAGE_COSTS else []
    for row in out["casadi"]:
        progress(f"casadi {row['model']} T={row['horizon']} max_iter={row['max_iter']}: median {row['median_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms, "
                 f"{row['failed_solves']} failed solves")
    return out


def _fmt(row: dict) -> str:
    s = (f"{row['model']:>11s} K={row['samples']:<5d} T={row['horizon']:<3d} {row['precision']:8s} tick "
         f"{row['tick_median_ms']:7.2f} ms (p99 {row['tick_p99_ms']:7.2f}) plan {row['plan_median_ms']:7.2f} ms = "
         f"{row['plan_over_floor']:.2f}x floor")
    if "tick_alone_p99_ms" in row:
        s += f"; alone: tick {row['tick_alone_median_ms']:.2f} ms (p99 {row['tick_alone_p99_ms']:.2f})"
    if row.get("overlapped_adaptation"):
        s += (f"; adaptation overlapped ({row['adapt_median_ms']:.2f} ms after the action): action after "
              f"{row['to_action_median_ms']:.2f} ms (p99 {row['to_action_p99_ms']:.2f})")
    if "plan_ratio_vs_pytorch_mppi" in row:
        s += (f"; vs pytorch_mppi {row['plan_ratio_vs_pytorch_mppi']:.2f}x (module forward: "
              f"{row['plan_ratio_vs_pytorch_mppi_module_forward']:.2f}x, same folded model: "
              f"{row['plan_ratio_vs_pytorch_mppi_folded_model']:.2f}x)")
    return s
