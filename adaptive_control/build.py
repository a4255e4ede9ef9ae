"""Compose the leaves: checkpoints + config -> controller; robot + task config -> env and tasks."""
from __future__ import annotations

import os

import torch

from adaptive_control.config import ConfigError, ControllerConfig, GuardConfig, PlannerConfig, TaskConfig, assets_dir
from adaptive_control.controller import AdaptiveController
from adaptive_control.deadline import SampleBudget, compute_thread
from models.adaptation import GradientAdapter, NoAdaptation
from models.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from models.guard import AdaptationGuard
from models.recurrent import RecurrentAdapter
from planners.cem import CEM
from planners.mppi import MPPI
from planners.random_shooting import RandomShooting
from sim.robots import make_env, planning_cost
from sim.tasks import config_distribution, families, make_distribution

#: Which checkpoint kind each online method runs on.
CHECKPOINT_KIND = {"grbal": "grbal", "grbal_prior": "grbal", "mb": "mb", "mb_de": "mb", "rebal": "rebal"}


def default_config_path(robot: str = "half_cheetah") -> str | None:
    """The shipped experiment of ``robot`` (``assets/<name>.yaml``); None for a robot without one (a spec
    of your own: the library's defaults apply, see :func:`experiment_config`)."""
    from sim.robots import robot_name

    path = os.path.join(assets_dir(), f"{robot_name(robot)}.yaml")
    return path if os.path.isfile(path) else None


def experiment_config(robot: str, path: str | None = None):
    """The experiment at ``path``, else ``robot``'s shipped one, else the library's defaults for ``robot``."""
    from adaptive_control.config import config_from_dict, load_config

    path = path or default_config_path(robot)
    if path is not None:
        return load_config(path)
    from sim.spec import load_spec

    train_legs = list(load_spec(robot).crippled_legs[0]) or [0]  # the spec's training legs, not the cheetah's 0-5
    return config_from_dict({"robot": {"name": robot}, "task": {"joints": train_legs}}, source=f"<defaults for {robot}>")


def default_checkpoint(robot: str, method: str) -> str:
    """The shipped checkpoint for ``method`` on ``robot`` (``assets/<name>/<kind>.pt``)."""
    from sim.robots import robot_name

    return os.path.join(assets_dir(), robot_name(robot), f"{CHECKPOINT_KIND[method]}.pt")


def task_distribution(robot: str, cfg: TaskConfig, perturbation: str | None = None, split: str = "train"):
    """The seeded task sampler (``.sample(rng)``) that ``robot``'s config ``task:`` section describes.

    ``perturbation`` (e.g. a command-line override) replaces ``cfg.perturbation``.
    ``split="train"`` (what training data come from): ``none`` and ``crippled_leg`` follow the config's
    ``joints`` (half-cheetah actuators, ant legs) and ``strength_range``
    (:func:`sim.tasks.config_distribution`); every other family samples its training range
    (:func:`sim.tasks.make_distribution`), ``all`` the mixture of every family's.
    ``split="test"``: the family's held-out test range (``all``: the mixture of every test range),
    what ``run``, ``demo`` and ``evaluate`` measure on. The config's ``train_ranges`` replace training
    ranges (split ``train`` only).
    Raises :class:`ConfigError` for a family the robot does not have or a range it cannot take.
    """
    family = perturbation or cfg.perturbation
    try:
        known = families(robot)
    except ValueError as exc:  # an unknown robot or a bad spec
        raise ConfigError(str(exc)) from None
    if split not in ("train", "test"):
        raise ConfigError(f"split must be 'train' or 'test', got {split!r}")
    if family != "all" and family not in known:
        raise ConfigError(f"perturbation: {family!r} is not a perturbation family of {robot} "
                          f"(known: {', '.join(known)}, all)")
    overrides = cfg.train_range_overrides() if split == "train" else {}
    try:
        if family == "all":  # the whole suite, for meta-training across every family
            from sim.tasks import make_mixture

            return make_mixture(robot, split, overrides)
        if split == "test" or family not in ("none", "crippled_leg"):
            return make_distribution(robot, family, split, overrides.get(family))
    except ValueError as exc:  # a training range the robot's suite cannot take
        raise ConfigError(f"task.train_ranges: {exc}") from None
    try:
        return config_distribution(robot, family, cfg.joints, cfg.strength_range)
    except ValueError as exc:
        raise ConfigError(f"task: {exc}") from None


def load_for_method(method: str, robot: str, path: str | None = None, device="cpu") -> Checkpoint:
    """Load the checkpoint ``method`` runs on (the shipped one when ``path`` is None) and check its kind."""
    if method not in CHECKPOINT_KIND:
        raise ValueError(f"unknown method {method!r} (known: {', '.join(CHECKPOINT_KIND)})")
    env = make_env(robot)
    ckpt = load_checkpoint(path or default_checkpoint(robot, method), robot=env.name, obs_size=env.obs_size,
                           action_size=env.action_size, device=device)
    want = CHECKPOINT_KIND[method]
    if ckpt.kind != want:
        raise CheckpointError(f"method '{method}' needs a '{want}' checkpoint, got a '{ckpt.kind}' one "
                              f"({path or default_checkpoint(robot, method)})")
    return ckpt


def build_controller(ckpt: Checkpoint, robot: str, planner_cfg: PlannerConfig, ctrl_cfg: ControllerConfig,
                     cost=None, planner_factory=None) -> AdaptiveController:
    """An :class:`AdaptiveController` for ``ctrl_cfg.method`` on ``robot`` with the planner of ``planner_cfg``.

    ``cost`` replaces the robot's task cost in plans (e.g. :func:`sim.robots.velocity_tracking_cost`).
    ``planner_factory``: ``factory(dynamics, params_fn) -> planner`` replaces the planner of
    ``planner_cfg`` (e.g. another library's MPPI in a benchmark); ``params_fn()`` gives the adapted
    parameters of the current tick.

    With ``ctrl_cfg.deadline_ms`` set, the controller is constructed on its own compute thread,
    where all its torch work then runs (see :class:`AdaptiveController`).
    """
    if ctrl_cfg.deadline_ms is None:
        return _build_controller(ckpt, robot, planner_cfg, ctrl_cfg, None, cost, planner_factory)
    executor = compute_thread()
    ctrl = executor.submit(_build_controller, ckpt, robot, planner_cfg, ctrl_cfg, executor, cost,
                           planner_factory).result()
    ctrl.warm_up()  # a real-time controller pays its one-time costs before the first tick
    return ctrl


def _build_controller(ckpt, robot, planner_cfg, ctrl_cfg, executor, cost=None, custom_factory=None) -> AdaptiveController:
    device = torch.device(ctrl_cfg.device)
    if device.type == "cpu":
        torch.set_num_threads(ctrl_cfg.threads)
    env = make_env(robot)
    model = ckpt.model.to(device)
    if ctrl_cfg.method in ("mb", "grbal_prior"):  # grbal_prior: the meta-learned prior, never adapted
        adapter = NoAdaptation()
    elif ctrl_cfg.method == "rebal":
        adapter = RecurrentAdapter(model)
    else:
        lr = ctrl_cfg.inner_lr if ctrl_cfg.inner_lr is not None else ckpt.inner_lr
        if not isinstance(lr, dict) and ctrl_cfg.method == "mb_de" and ctrl_cfg.inner_lr is None:
            lr = float(ckpt.config.get("train", {}).get("inner_lr", 1e-3))
        adapter = GradientAdapter(model, lr, online=True)
    ticks = ckpt.ticks
    if ticks > 1 and (planner_cfg.type == "casadi" or planner_cfg.step_ticks % ticks):
        raise ConfigError(f"planner.step_ticks: the checkpoint's model predicts {ticks} ticks at once; the "
                          f"planner must hold each action a multiple of {ticks} ticks (got {planner_cfg.step_ticks}"
                          f"{', casadi' if planner_cfg.type == 'casadi' else ''})")
    late = {}  # the CasADi planner reads the controller's current (adapted) weights each tick
    if custom_factory is not None:
        planner_factory = lambda dynamics: custom_factory(dynamics, lambda: late["controller"].params)  # noqa: E731
    else:
        planner_factory = make_planner_factory(planner_cfg, robot, device, model=model,
                                               params_fn=lambda: late["controller"].params, model_ticks=ticks,
                                               cost=cost)
    ctrl = AdaptiveController(model, adapter, planner_factory, adapt_window=ctrl_cfg.adapt_window,
                              action_low=env.action_low, action_high=env.action_high, device=device,
                              deadline_ms=ctrl_cfg.deadline_ms,
                              planning_dtype=planning_dtype(planner_cfg.precision, device),
                              executor=executor, model_ticks=ticks, guard=make_guard(ckpt, ctrl_cfg.guard),
                              overlap_adaptation=ctrl_cfg.overlap_adaptation,
                              adapted_steps=_adapted_steps(ctrl_cfg, planner_cfg),
                              sample_budget=_sample_budget(ctrl_cfg, planner_cfg, custom_factory is None))
    late["controller"] = ctrl
    return ctrl


def _sample_budget(ctrl_cfg: ControllerConfig, planner_cfg: PlannerConfig, own_planner: bool) -> SampleBudget | None:
    """``controller.plan_budget_ms`` where it applies: a real-time controller (``deadline_ms`` set; offline
    runs stay reproducible) with our MPPI (a YAML naming it with another planner is refused on load; a
    planner chosen over the YAML, or another library's in a benchmark, drops it)."""
    if (ctrl_cfg.plan_budget_ms is None or ctrl_cfg.deadline_ms is None or planner_cfg.type != "mppi"
            or not own_planner):
        return None
    if ctrl_cfg.min_samples > planner_cfg.samples:
        raise ConfigError(f"controller.min_samples: {ctrl_cfg.min_samples} is more than planner.samples "
                          f"({planner_cfg.samples})")
    return SampleBudget(ctrl_cfg.plan_budget_ms, planner_cfg.samples, ctrl_cfg.min_samples)


def _adapted_steps(ctrl_cfg: ControllerConfig, planner_cfg: PlannerConfig) -> int | None:
    """``controller.adapted_steps`` where it applies: a YAML naming it with rebal or casadi is refused on
    load; a method or planner chosen over the YAML (``--method rebal``, the node's ``planner: casadi``)
    drops it, as rebal has no parameter step and casadi's NLP holds one set of weights for the horizon."""
    if ctrl_cfg.method == "rebal" or planner_cfg.type == "casadi":
        return None
    return ctrl_cfg.adapted_steps


def native_bfloat16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (AMX or AVX512-BF16 in /proc/cpuinfo's
    flags; False where that file is missing). Without them torch emulates bfloat16 products, ~100x
    slower than float32 (measured 1 GFLOP/s on an AVX2 EPYC)."""
    try:
        with open(cpuinfo) as fh:
            flags = next((line.split(":", 1)[1].split() for line in fh if line.startswith("flags")), [])
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def planning_dtype(precision: str, device) -> torch.dtype | None:
    """The dtype of the planning rollouts' matrix products for ``planner.precision`` on ``device``
    (``None``: float32). ``auto``: bfloat16 on a CPU with native bfloat16 matrix units, else float32."""
    if precision == "bfloat16":
        return torch.bfloat16
    if precision == "auto" and torch.device(device).type == "cpu" and native_bfloat16():
        return torch.bfloat16
    return None


def make_guard(ckpt: Checkpoint, cfg: GuardConfig) -> AdaptationGuard | None:
    """The adaptation guard ``cfg`` describes for ``ckpt``'s model (``None`` when disabled): bound
    ``residual_factor * residual_max`` from the checkpoint's calibration, else ``residual_bound``."""
    if not cfg.enabled:
        return None
    if ckpt.residual_max is not None:
        bound = cfg.residual_factor * ckpt.residual_max.clamp_min(1.0)  # never tighter than 1 std
    else:
        bound = cfg.residual_bound
    return AdaptationGuard(ckpt.model, bound)


def make_planner_factory(cfg: PlannerConfig, robot: str, device, model=None, params_fn=None, *, cost=None,
                         state_size: int | None = None, dtype: torch.dtype = torch.float32, model_ticks: int = 1):
    """``factory(dynamics) -> planner`` for ``cfg.type`` with the robot's cost and action bounds.

    The CasADi planner embeds the network symbolically, so it needs ``model`` and ``params_fn()``
    (the current parameter dict) too. ``cost``, ``state_size`` and ``dtype`` replace the robot's
    cost on observations, nx and float32 (the true-dynamics reference plans on full simulator
    states in float64). ``model_ticks``: ticks the dynamics advances per call (a block model).
    """
    env = make_env(robot)
    custom_cost = cost is not None
    cost = cost or planning_cost(robot, cfg.upright_weight)
    common = dict(horizon=cfg.horizon, action_low=env.action_low, action_high=env.action_high, seed=cfg.seed,
                  device=device, step_ticks=cfg.step_ticks, model_ticks=model_ticks, dtype=dtype)
    nx, nu = state_size or env.obs_size, env.action_size
    if cfg.type != "casadi":
        common["discount"] = cfg.discount
    if cfg.type == "mppi":
        return lambda dyn: MPPI(dyn, cost, nx, nu, samples=cfg.samples, noise_sigma=cfg.noise_sigma,
                                noise_correlation=cfg.noise_correlation, temperature=cfg.temperature,
                                iterations=cfg.iterations, reuse_elites=cfg.reuse_elites, **common)
    if cfg.type == "cem":
        return lambda dyn: CEM(dyn, cost, nx, nu, samples=cfg.samples, elites=cfg.elites, init_sigma=cfg.noise_sigma,
                               iterations=cfg.iterations, **common)
    if cfg.type == "random_shooting":
        return lambda dyn: RandomShooting(dyn, cost, nx, nu, samples=cfg.samples, **common)
    if cfg.type == "casadi":
        from adaptive_control.casadi_planner import casadi_planner_factory

        if custom_cost:
            raise ConfigError("planner.type casadi plans the robot's task cost only (symbolic); use a sampling "
                              "planner for other costs such as velocity tracking")
        return casadi_planner_factory(cfg, robot, model, env, params_fn)
    raise ValueError(f"unknown planner type {cfg.type!r}")
