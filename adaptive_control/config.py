"""Configuration: one frozen dataclass per component, loaded from YAML and validated on load.

A YAML file holds one section per component (``robot``, ``task``, ``collect``, ``model``,
``train``, ``planner``, ``controller``); every section and key is optional and falls back to the
defaults below. Unknown or mistyped keys, wrong types and out-of-range values raise
:class:`ConfigError` naming the key and the file. A top-level ``extends:`` starts from another
experiment (a robot's shipped one, or a file) and gives only what differs (:func:`load_config`).
"""
from __future__ import annotations

import dataclasses
import math
import os
import typing
from importlib import resources
from dataclasses import dataclass, field
from typing import Any, Mapping

import yaml

from sim.spec import SpecError, load_spec
from sim.tasks import FAMILIES, families, train_range_override


class ConfigError(ValueError):
    """A configuration value is unknown, mistyped or out of range."""


#: The robots with built-in benchmark suites; any registered name or robot spec path is accepted.
ROBOTS = ("half_cheetah", "ant")
#: Every perturbation family of some robot (``sim.tasks.FAMILIES``); which robot has which is
#: checked by :meth:`ExperimentConfig.validate`.
#: ``all`` is the whole suite (every family of the robot, training ranges).
PERTURBATIONS = tuple(dict.fromkeys(f for robot in ROBOTS for f in FAMILIES[robot])) + ("all",)
METHODS = ("grbal", "grbal_prior", "mb", "mb_de", "rebal")


@dataclass(frozen=True)
class RobotConfig:
    """Which simulated robot to use."""

    name: str = "half_cheetah"
    """A registered robot (``half_cheetah``, ``ant``, ``walker``: ``sim/specs/``) or the path of a robot
    spec YAML (:mod:`sim.spec`; relative paths are taken from the config file's folder)."""

    def validate(self) -> None:
        try:
            load_spec(self.name)
        except SpecError as exc:
            raise ConfigError(f"name: {exc}") from None


@dataclass(frozen=True)
class TaskConfig:
    """The perturbation family and its ranges (tasks are sampled from a seeded generator)."""

    perturbation: str = "crippled_leg"
    """Perturbation family; one of the robot's ``sim.tasks.FAMILIES`` (``none``, ``crippled_leg``, ...).
    ``crippled_leg`` uses ``joints`` and ``strength_range`` below; every other family samples its
    training range (``sim.tasks.make_distribution(robot, family, "train")``)."""
    joints: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
    """Which may be crippled: half-cheetah actuator indices (0-2 back leg, 3-5 front leg); ant leg
    indices (0 front left, 1 front right, 2 back left, 3 back right)."""
    strength_range: tuple[float, float] = (0.0, 0.0)
    """Remaining strength of the crippled actuator, sampled uniformly in [low, high]; 0 disables it
    (the ant: must be [0, 0], a crippled leg has no torque)."""
    train_ranges: tuple[tuple[str, float, float], ...] = ()
    """Training ranges of your own, each ``[family.parameter, low, high]`` (e.g. ``[joint_damping.scale,
    0.5, 2.75]``): where that parameter is drawn from in training data (``perturbation: all`` or that
    family), instead of the suite's range (table in ``sim/tasks.py``). Must stay disjoint from the
    family's held-out test range. The crippled leg's actuators are chosen with ``joints``."""

    def validate(self) -> None:
        _one_of("perturbation", self.perturbation, PERTURBATIONS)
        if not self.joints:
            raise ConfigError("joints: must name at least one actuator")
        lo, hi = self.strength_range
        if not (0.0 <= lo <= hi <= 1.0):
            raise ConfigError(f"strength_range: need 0 <= low <= high <= 1, got {self.strength_range}")
        seen = set()
        for name, lo, hi in self.train_ranges:
            if name.count(".") != 1 or not all(name.split(".")):
                raise ConfigError(f"train_ranges: {name!r} must be family.parameter, e.g. joint_damping.scale")
            if name in seen:
                raise ConfigError(f"train_ranges: {name!r} is given twice")
            seen.add(name)

    def train_range_overrides(self) -> dict[str, dict[str, tuple[float, float]]]:
        """``train_ranges`` as ``{family: {parameter: (low, high)}}``."""
        out: dict[str, dict[str, tuple[float, float]]] = {}
        for name, lo, hi in self.train_ranges:
            family, param = name.split(".")
            out.setdefault(family, {})[param] = (lo, hi)
        return out


@dataclass(frozen=True)
class CollectConfig:
    """Data collection in simulation."""

    paths: int = 60
    """Number of trajectories (each on a freshly sampled task)."""
    path_length: int = 200
    """Control steps per trajectory."""
    policy: str = "random"
    """``random`` (uniform actions) or ``mpc`` (the controller with a given checkpoint)."""
    action_smoothing: float = 0.0
    """Random policy only: a_t = s * a_{t-1} + (1 - s) * u_t, for richer random motion (0 = i.i.d.)."""
    seed: int = 0
    """Seed of the task sampler and the policy noise."""
    stratify: bool = False
    """Whole-suite data (``task.perturbation: all``) only: give every perturbation family the same number of
    paths (each run of as many paths as there are families holds each family once, in a seeded order)
    instead of drawing each path's family at random (300 random paths over 9 families drew 25-47 of
    one family). The family's parameters are drawn as before. docs/control_quality.md "Stratified task sampling"."""
    branches: int = 0
    """Counterfactual branches per branch point (0: none). At every ``branch_every``-th tick of a path the
    simulator's full state is copied and ``branches`` other action sequences are rolled out from it by
    the physics (the robot's own episode goes on untouched); each is written as a path of its own: the
    last ``branch_prefix`` real transitions, then ``branch_length`` branch ticks. Closed-loop data holds
    the actions the controller took; a plan ranks the actions it did not take, and branches show the
    model what those do where the controller drives the robot (docs/control_quality.md "Counterfactual branches")."""
    branch_every: int = 10
    """Ticks between branch points (the first is at tick ``branch_prefix``)."""
    branch_prefix: int = 18
    """Real transitions before each branch in its path: cover the adaptation window (M windows of
    ``model_ticks`` ticks: M + model_ticks - 1), so meta-training adapts on the real past and is scored
    on the branch."""
    branch_length: int = 18
    """Ticks of each branch (with the prefix, a path must hold one training window: M + N +
    model_ticks - 1 ticks in all)."""
    branch_noise: float = 0.5
    """Standard deviation of the branch actions around the last executed action (MPPI's noise)."""
    branch_hold: int = 3
    """Ticks each branch action is held (the planner's ``step_ticks``)."""

    def validate(self) -> None:
        _positive("paths", self.paths)
        _positive("path_length", self.path_length)
        _one_of("policy", self.policy, ("random", "mpc"))
        if not 0.0 <= self.action_smoothing < 1.0:
            raise ConfigError(f"action_smoothing: must be in [0, 1), got {self.action_smoothing}")
        if self.branches < 0:
            raise ConfigError(f"branches: must be >= 0, got {self.branches}")
        for name in ("branch_every", "branch_prefix", "branch_length", "branch_hold"):
            _positive(name, getattr(self, name))
        if not self.branch_noise > 0:
            raise ConfigError(f"branch_noise: must be > 0, got {self.branch_noise}")
        if self.branches and self.branch_prefix >= self.path_length:
            raise ConfigError(f"branch_prefix: {self.branch_prefix} leaves no branch point in paths of "
                              f"{self.path_length} steps (path_length)")


@dataclass(frozen=True)
class ModelConfig:
    """The dynamics network (an MLP predicting the normalised state change)."""

    hidden_sizes: tuple[int, ...] = (256, 256)
    """Widths of the hidden layers; 2x256 fits a 100 Hz tick on 2 CPU cores, 3x512 is for GPUs."""
    activation: str = "relu"
    """Hidden activation: ``relu``, ``tanh`` or ``silu``."""
    context_size: int = 64
    """ReBAL only: size of the GRU context that carries the adaptation."""
    frame: str = "world"
    """Frame the network predicts in: ``world`` (the observation as it is) or ``heading`` (each
    transition in the heading frame of the state it starts from: orientation and horizontal velocity
    relative to where the base faces, so the model is the same whichever way the robot faces; for a
    free-joint base whose observation has ``odom.qw``-``odom.qz`` and ``odom.vx``, ``odom.vy``; the
    ant ships it). Training writes it into the checkpoint; the planner still sees world-frame states."""

    def validate(self) -> None:
        _positive("context_size", self.context_size)
        _one_of("frame", self.frame, ("world", "heading"))
        if not self.hidden_sizes or any(h <= 0 for h in self.hidden_sizes):
            raise ConfigError(f"hidden_sizes: need positive widths, got {self.hidden_sizes}")
        _one_of("activation", self.activation, ("relu", "tanh", "silu"))


@dataclass(frozen=True)
class TrainConfig:
    """Offline training: GrBAL meta-training, or plain supervised training for the MB baseline."""

    method: str = "grbal"
    """``grbal`` (MAML through one inner SGD step), ``mb`` (plain regression on all tasks) or
    ``rebal`` (recurrent model, truncated BPTT over the M + N windows; each transition is predicted
    from a context up to N transitions old, as plans hold the context fixed)."""
    adapt_window: int = 16
    """M: past transitions the inner step adapts on."""
    future_window: int = 16
    """N: future transitions the adapted model is scored on (the meta-loss)."""
    inner_lr: float = 0.001
    """alpha: step size of the inner SGD step (initial value when learned)."""
    learn_inner_lr: bool = False
    """Learn one step size per parameter tensor entry (Meta-SGD style) instead of a fixed alpha."""
    first_order: bool = False
    """First-order MAML (no second derivatives); second order is the default."""
    meta_batch_size: int = 32
    """Windows per meta-step (each from one trajectory, i.e. one task); plain batch size for ``mb``."""
    steps: int = 3000
    """Optimiser steps."""
    lr: float = 0.001
    """Adam learning rate of the outer loop."""
    weight_decay: float = 0.0
    """Decoupled weight decay (AdamW) of the network's weight matrices (not biases, not GrBAL's learned step
    sizes): each step shrinks them by ``lr * weight_decay`` of themselves, so what the data leaves
    undetermined (the rest of the random initialisation) decays over ``1 / (lr * weight_decay)`` steps.
    0: plain Adam. A training started from another checkpoint (``--init``) starts from that one's weights and
    decays them towards zero all the same."""
    prior_weight: float = 0.0
    """grbal: weight w of the prior's own one-step loss in the meta-loss (w times MB's regression loss on each
    whole window, added to the adapted model's loss on its future part). The controller plans with the
    prior past ``controller.adapted_steps`` model calls; MAML's meta-loss alone scores only the adapted
    model. 0: off. mb and rebal train without it (a YAML setting it still trains their checkpoints)."""
    input_noise: float = 0.0
    """grbal and mb (one-step loss): Gaussian noise of this many standard deviations (each state entry's)
    added to every training transition's state input, fresh each step, while the target stays the clean
    transition's change: the network learns to predict the true change from nearby states, a smoother
    function where a plan leaves the data (noise-injection regularisation). GrBAL's adaptation step and
    validation see clean transitions. 0: off. Not with ``rollout_horizon`` > 1; rebal trains without it (a
    YAML setting it still trains its checkpoints)."""
    inner_parameters: str = "all"
    """grbal: which parameters take the adaptation step, in meta-training and online: ``all`` (GrBAL),
    ``biases`` (every layer's bias only: a shift of each unit, CAVIA-like context), or ``last_layer`` (the
    output layer's weights and bias only, ANIL-like). The others keep the prior's values (their step sizes
    are 0 in the checkpoint, so any controller runs it unchanged). mb and rebal ignore it."""
    validation_fraction: float = 0.1
    """Fraction of trajectories held out to report validation loss."""
    rollout_horizon: int = 1
    """H: 1 trains on one-step predictions; H > 1 on open-loop predictions over H steps (the model fed its
    own predictions, as a plan feeds it): grbal scores the adapted model so on the N future
    transitions (H divides N), mb the whole window (H divides M + N). The online adaptation step
    stays one-step. rebal ignores it (it trains on sequences, with contexts up to N steps old)."""
    cost_weight: float = 1.0
    """Weight of the squared error of the state entries the task cost reads (the forward velocity of the
    half-cheetah and the ant, a spec robot's ``vx``), against 1 for every other entry, in every loss the
    model trains and adapts on. It is set through the normaliser (that entry's change is normalised by
    its std over sqrt(cost_weight)), so the checkpoint carries it and the online step uses it too; a
    training started from another checkpoint (``--init``) keeps that checkpoint's. Its reported losses are in
    the weighted units (compare them only between runs of one weight). 1: off."""
    model_ticks: int = 1
    """Control ticks one prediction spans: 1 (a one-tick model, applied ``planner.step_ticks`` times per
    planning step), or n: a model of n ticks whose input is the n actions, planned with each action
    held n ticks in one call (``planner.step_ticks`` a multiple of n). Not for rebal."""
    keep_best: bool = False
    """Early stopping: keep the weights of the evaluation (every 100 steps, on a fixed set of held-out
    windows) with the lowest validation loss (adapted for grbal/rebal, prior for mb), not the last."""
    validation_trim: float = 0.05
    """Early stopping's score leaves out this fraction of the worst held-out windows (grbal, mb; 0: the
    plain mean). A held-out path where the robot lay on its back is predicted up to a million times worse
    than the rest; with the plain mean, whether such a path lands in validation decides which step is
    kept (docs/control_quality.md "Counterfactual branches"). The reported ``val_loss_*`` stay plain means."""
    weight_average: float = 0.0
    """Decay d in [0, 1) of an exponential moving average of the trained weights (and GrBAL's learned
    step sizes), updated every step (``avg = d avg + (1 - d) current``, d warmed up as (1 + t) / (10 + t));
    validation, early stopping and the saved model use the average. 0: off (the last or best weights)."""
    snapshot_every: int = 0
    """k > 0: at the start (step 0: the initial weights, for grbal from ``--init`` with the initial step sizes
    ``inner_lr``), every k steps and at the last, the training's live weights are also written as a checkpoint
    ``<out without .pt>.step<k>.pt`` (grbal, mb; not its early-stopping best), so ``adaptive-control
    select`` can choose among one training's steps by what its controller returns (docs/control_quality.md
    "Choosing among a training's steps"). 0: only the finished checkpoint."""
    save_every: int = 200
    """Every this many steps the whole training state is written atomically beside the output
    (``<out>.train_state.pt``; removed when the run ends): ``meta-train --resume`` continues a killed
    run from it, losing at most this many steps. 0: never."""
    device: str = "cpu"
    """Torch device of training: ``cpu`` or ``cuda`` (under ``torchrun`` each process of a machine
    takes the GPU of its local rank; gloo connects CPU processes, NCCL GPU ones)."""
    seed: int = 0
    """Seed of initialisation and window sampling, and of the train/validation split of the paths
    unless ``split_seed`` is set."""
    split_seed: int | None = None
    """Seed of the train/validation split alone (null: ``seed``'s). Set it to compare trainings that
    differ only in initialisation and window order on the same training paths."""

    def validate(self) -> None:
        _one_of("method", self.method, ("grbal", "mb", "rebal"))
        _one_of("device", self.device, ("cpu", "cuda"))
        if not isinstance(self.snapshot_every, int) or isinstance(self.snapshot_every, bool) or self.snapshot_every < 0:
            raise ConfigError(f"snapshot_every: must be a whole number of steps >= 0, got {self.snapshot_every!r}")
        if self.snapshot_every and self.method == "rebal":
            raise ConfigError("snapshot_every: not for rebal (grbal and mb only)")
        if self.save_every < 0:
            raise ConfigError(f"save_every: must be >= 0, got {self.save_every}")
        _positive("model_ticks", self.model_ticks)
        _positive("rollout_horizon", self.rollout_horizon)
        if not (isinstance(self.cost_weight, (int, float)) and math.isfinite(self.cost_weight) and self.cost_weight > 0):
            raise ConfigError(f"cost_weight: must be a positive finite number, got {self.cost_weight!r}")
        if self.rollout_horizon > 1:
            span = self.future_window if self.method == "grbal" else self.adapt_window + self.future_window
            if self.method != "rebal" and span % self.rollout_horizon:
                raise ConfigError(f"rollout_horizon: {self.rollout_horizon} must divide "
                                  f"{'future_window' if self.method == 'grbal' else 'adapt_window + future_window'}"
                                  f" ({span})")
        for name in ("adapt_window", "future_window", "meta_batch_size", "steps"):
            _positive(name, getattr(self, name))
        for name in ("weight_decay", "prior_weight", "input_noise"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0):
                raise ConfigError(f"{name}: must be a finite number >= 0, got {v!r}")
        if self.input_noise and self.rollout_horizon > 1 and self.method != "rebal":
            raise ConfigError("input_noise: for the one-step loss (rollout_horizon 1)")
        if self.inner_lr <= 0 or self.lr <= 0:
            raise ConfigError(f"inner_lr and lr: must be positive, got {self.inner_lr}, {self.lr}")
        if self.inner_parameters not in INNER_PARAMETERS:
            raise ConfigError(f"inner_parameters: must be one of {', '.join(INNER_PARAMETERS)}, got {self.inner_parameters!r}")
        if not 0.0 <= self.weight_average < 1.0:
            raise ConfigError(f"weight_average: must be in [0, 1), got {self.weight_average}")
        if not 0.0 <= self.validation_trim < 0.5:
            raise ConfigError(f"validation_trim: must be in [0, 0.5), got {self.validation_trim}")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ConfigError(f"validation_fraction: must be in [0, 1), got {self.validation_fraction}")


PLANNERS = ("mppi", "cem", "random_shooting", "casadi")
INNER_PARAMETERS = ("all", "biases", "last_layer")
PRECISIONS = ("auto", "float32", "bfloat16")


@dataclass(frozen=True)
class PlannerConfig:
    """The MPC planner (MPPI by default); costs are minimised."""

    type: str = "mppi"
    """``mppi``, ``cem`` (elite mean), ``random_shooting`` (GrBAL's reference planner) or ``casadi`` (NLP MPC)."""
    horizon: int = 10
    """T: planning horizon in planning steps (the lookahead is ``horizon * step_ticks`` control ticks)."""
    step_ticks: int = 1
    """n: control ticks each planned action is held. The model is applied n times per planning step
    (every tick's cost counted); the controller still adapts and replans every tick, and the warm
    start shifts when a block of n ticks ends. Not for ``casadi`` (must be 1)."""
    samples: int = 500
    """K: sampled action sequences per plan."""
    noise_sigma: float = 0.5
    """Standard deviation of the action noise (actions are in [-1, 1]); CEM's initial sigma."""
    noise_correlation: float = 0.0
    """MPPI: AR(1) time correlation of the noise in [0, 1) (smoother action sequences); 0 = white."""
    upright_weight: float = 0.0
    """Weight of a posture penalty added to the task cost inside plans (``sim.costs.POSTURES``:
    half-cheetah ``relu(|pitch| - 0.5)^2``, ant ``relu(0.5 - cos tilt)^2``), steering plans away from
    flips the robot cannot recover from; returns stay the task reward. 0 = the task cost alone.
    The sampling planners and the true-dynamics reference use it; ``casadi`` plans the task cost."""
    elites: int = 50
    """CEM: number of lowest-cost samples refitted each iteration."""
    reuse_elites: int = 0
    """MPPI: E, the lowest-cost sequences of each plan rolled out again (shifted with the warm start)
    in the next plan, in place of E of its K fresh samples (iCEM's elite reuse); 0 = none."""
    discount: float = 1.0
    """gamma in (0, 1]: the sampling planners weigh planning step t's running costs gamma^t, so the far
    end of the plan, where the learned model's error has compounded most, counts less; 1 = a plain sum.
    Not for ``casadi`` (must be 1)."""
    precision: str = "auto"
    """Matrix products of the planning rollouts: ``float32``, ``bfloat16`` (weights and hidden activations
    in bfloat16, accumulation inside each product and the states in float32), or ``auto``: bfloat16 on a CPU with native
    bfloat16 matrix units (AMX or AVX512-BF16: about 2x the float32 rate there, same returns
    measured), float32 elsewhere (on AVX2-only CPUs bfloat16 is emulated and ~100x slower) and on CUDA."""
    temperature: float = 0.05
    """lambda: softmin temperature, relative to the cost spread of each plan (scale-free)."""
    iterations: int = 1
    """Refinement iterations per tick (warm start makes 1 enough at 100 Hz for MPPI; CEM uses more)."""
    max_solver_iterations: int = 10
    """CasADi: IPOPT iteration limit per tick (warm-started; 10 keeps a 2x64 model at T=15 near 22 ms)."""
    seed: int = 0
    """Seed of the planner's own torch.Generator."""

    def validate(self) -> None:
        _one_of("type", self.type, PLANNERS)
        _one_of("precision", self.precision, PRECISIONS)
        for name in ("horizon", "samples", "iterations", "elites", "max_solver_iterations", "step_ticks"):
            _positive(name, getattr(self, name))
        if self.noise_sigma <= 0 or self.temperature <= 0:
            raise ConfigError(f"noise_sigma and temperature: must be positive, got {self.noise_sigma}, {self.temperature}")
        if not self.upright_weight >= 0:
            raise ConfigError(f"upright_weight: must be >= 0, got {self.upright_weight}")
        if not 0.0 <= self.noise_correlation < 1.0:
            raise ConfigError(f"noise_correlation: must be in [0, 1), got {self.noise_correlation}")
        if not (isinstance(self.discount, (int, float)) and not isinstance(self.discount, bool)
                and 0.0 < self.discount <= 1.0):
            raise ConfigError(f"discount: must be a number in (0, 1], got {self.discount!r}")
        if self.type == "casadi" and self.discount != 1:
            raise ConfigError(f"discount: the casadi planner plans the plain sum (1), got {self.discount}")
        if self.type == "casadi" and self.step_ticks != 1:
            raise ConfigError(f"step_ticks: the casadi planner plans tick by tick (1), got {self.step_ticks}")
        if not 0 <= self.reuse_elites < self.samples - 1:
            raise ConfigError(f"reuse_elites: must be in [0, samples - 1) = [0, {self.samples - 1}), "
                              f"got {self.reuse_elites}")
        if self.reuse_elites and self.type != "mppi":
            raise ConfigError(f"reuse_elites: only the mppi planner reuses elites, not {self.type!r}")
        if self.type == "cem" and self.elites > self.samples:
            raise ConfigError(f"elites: {self.elites} is more than samples ({self.samples})")


@dataclass(frozen=True)
class GuardConfig:
    """The adaptation guard (``models.guard``): spikes and bad steps kept away from the adapted model."""

    enabled: bool = True
    """Gate transitions and check adaptation steps. ``false``: every transition enters the window and
    every step is used (the unguarded online rule)."""
    residual_factor: float = 3.0
    """A transition is implausible (kept out of the window and ReBAL's context, and counted) when, in
    some state entry, its normalised residual under the prior exceeds this many times the largest the
    prior showed on its own training data in that entry (the checkpoint's ``residual_max``)."""
    residual_bound: float = 15.0
    """The bound, in state-change standard deviations, for checkpoints without ``residual_max``."""

    def validate(self) -> None:
        for name in ("residual_factor", "residual_bound"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise ConfigError(f"guard.{name}: must be positive and finite, got {v}")


@dataclass(frozen=True)
class ControllerConfig:
    """The online loop: adapt the prior on the last M transitions, then plan."""

    method: str = "grbal"
    """``grbal`` (meta-learned prior + one gradient step), ``grbal_prior`` (the same checkpoint without the
    online step: the ablation that tells what adapting buys), ``mb`` (no adaptation), ``mb_de`` (MB + the
    same step), ``rebal`` (recurrent model; its carried hidden state is the adaptation)."""
    adapt_window: int = 16
    """M: newest transitions used by the online adaptation step."""
    inner_lr: float | None = None
    """Online step size; ``None`` takes the checkpoint's (learned or fixed) step size."""
    device: str = "cpu"
    """Torch device for adaptation and planning (``cpu`` or ``cuda``)."""
    threads: int = 2
    """torch intra-op threads on CPU (the machine's cores)."""
    deadline_ms: float | None = None
    """Tick deadline: a plan not done by then is replaced by the shifted previous plan and counted
    as a miss (real-time use: ROS 2, hardware). ``None``: always wait (reproducible offline runs)."""
    guard: GuardConfig = field(default_factory=GuardConfig)
    """The adaptation guard."""
    overlap_adaptation: bool = False
    """Take the adaptation step after the tick's action is returned, in the idle time before the next
    tick, instead of before planning. The plan of tick t then uses the model adapted on the window
    ending at tick t-1 (one transition older); the newest transition is still gated before planning
    (a suspect reading is replaced as usual). Shortens the tick by the adaptation step."""
    adapted_steps: int | None = None
    """Plan with the adapted model for the first ``adapted_steps`` model calls of each plan and with the
    prior for the rest (``None``: the adapted model for the whole plan, GrBAL's rule). The step is fitted
    to the newest transitions; compounded over a long plan its correction costs return (docs/control_quality.md "Where
    the online step helps": on the half-cheetah's block model, 3 of 10 adapted returned 1,741 ± 48 over
    40 seeds against 1,596 ± 75 for the whole plan and 1,598 ± 60 for the prior; the half-cheetah ships
    3, the ant the whole plan). Gradient methods with a sampling planner: a YAML naming it with
    ``rebal`` or ``casadi`` is refused; a method or planner chosen over the YAML drops it."""
    plan_budget_ms: float | None = None
    """Real-time use: the number of samples of each plan follows the CPU so that a plan takes about this
    long (the median time per sample of the last 9 plans), between ``min_samples`` and the planner's K
    (``planner.samples``). When another process or the hypervisor takes CPU time, plans get fewer
    samples instead of missing their deadline. It applies with ``deadline_ms`` set (real-time use);
    without one, and with ``None``, every plan uses K (reproducible runs). MPPI only: a YAML naming it
    with another planner is refused; a planner chosen over the YAML drops it."""
    min_samples: int = 100
    """The fewest samples a plan gets under ``plan_budget_ms`` (at most ``planner.samples``)."""

    def validate(self) -> None:
        self.guard.validate()
        if self.adapted_steps is not None and self.adapted_steps < 0:
            raise ConfigError(f"adapted_steps: must be >= 0 or null, got {self.adapted_steps}")
        if self.adapted_steps is not None and self.method == "rebal":
            raise ConfigError("adapted_steps: rebal adapts through its carried context, not a parameter step; "
                              "leave adapted_steps null")
        _one_of("method", self.method, METHODS)
        if self.deadline_ms is not None and self.deadline_ms <= 0:
            raise ConfigError(f"deadline_ms: must be positive, got {self.deadline_ms}")
        _positive("adapt_window", self.adapt_window)
        _positive("threads", self.threads)
        if self.inner_lr is not None and self.inner_lr <= 0:
            raise ConfigError(f"inner_lr: must be positive, got {self.inner_lr}")
        if self.plan_budget_ms is not None and not self.plan_budget_ms > 0:
            raise ConfigError(f"plan_budget_ms: must be positive or null, got {self.plan_budget_ms}")
        if self.min_samples < 2:
            raise ConfigError(f"min_samples: must be >= 2, got {self.min_samples}")


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything one experiment needs; each section is its component's config."""

    robot: RobotConfig = field(default_factory=RobotConfig)
    task: TaskConfig = field(default_factory=TaskConfig)
    collect: CollectConfig = field(default_factory=CollectConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    planner: PlannerConfig = field(default_factory=PlannerConfig)
    controller: ControllerConfig = field(default_factory=ControllerConfig)

    def validate(self) -> None:
        for f in dataclasses.fields(self):
            try:
                getattr(self, f.name).validate()
            except ConfigError as exc:  # name the section: adapt_window is in train and controller
                raise ConfigError(f"{f.name}.{exc}") from None
        robot, task = self.robot.name, self.task
        known = families(robot)
        if task.perturbation not in (*known, "all"):
            raise ConfigError(f"task.perturbation: {task.perturbation!r} is not a perturbation family of {robot} "
                              f"(known: {', '.join(known)})")
        n = len(load_spec(robot).legs)
        bad = [j for j in task.joints if not 0 <= j < n]
        if bad:
            what = "actuator" if robot == "half_cheetah" else "leg"
            raise ConfigError(f"task.joints: {bad} out of range: {robot} {what} indices are 0-{n - 1}")
        for family, params in task.train_range_overrides().items():
            for param, (lo, hi) in params.items():
                try:
                    train_range_override(robot, family, param, lo, hi)
                except ValueError as exc:
                    raise ConfigError(f"task.train_ranges: {exc}") from None
        if self.model.frame == "heading":
            heading_indices(robot)
        if self.controller.plan_budget_ms is not None:
            if self.planner.type != "mppi":
                raise ConfigError(f"controller.plan_budget_ms: fits MPPI's sample count to a time budget; planner "
                                  f"{self.planner.type!r} has no such count: leave plan_budget_ms null")
            if self.controller.min_samples > self.planner.samples:
                raise ConfigError(f"controller.min_samples: {self.controller.min_samples} is more than "
                                  f"planner.samples ({self.planner.samples})")
        if self.controller.adapted_steps is not None and self.planner.type == "casadi":
            raise ConfigError("controller.adapted_steps: the casadi planner optimises one model over its "
                              "horizon; leave adapted_steps null")
        if robot == "ant" and task.perturbation == "crippled_leg" and tuple(task.strength_range) != (0.0, 0.0):
            raise ConfigError(f"task.strength_range: the ant's crippled leg has no torque, need [0, 0], "
                              f"got {list(task.strength_range)}")


def cost_indices(robot: str) -> tuple[int, ...]:
    """Observation indices of the state the task cost reads, which ``train.cost_weight`` weighs: the
    base's forward velocity ``vx``. A :class:`ConfigError` naming the key and the robot spec when the
    robot's observation has none."""
    spec = load_spec(robot)
    entries = spec.base_entries()
    if "vx" not in entries:
        raise ConfigError(f"train.cost_weight needs the base's forward velocity in the observation; robot "
                          f"{spec.name!r} ({spec.source}) has none: leave cost_weight at 1")
    return (entries["vx"],)


def heading_indices(robot: str) -> tuple[tuple[int, ...], tuple[int, int]]:
    """Observation indices of the base's quaternion (w, x, y, z) and world-frame (vx, vy): what
    ``model.frame: heading`` rotates. A :class:`ConfigError` naming the key and the robot spec when the
    robot's observation does not have them (or has a world position, which no heading frame fixes)."""
    spec = load_spec(robot)
    entries = spec.base_entries()
    if spec.planar or "quat" not in entries or "vxy" not in entries:
        raise ConfigError(f"model.frame: 'heading' needs a free-joint base whose observation has odom.qw, odom.qx, "
                          f"odom.qy, odom.qz, odom.vx and odom.vy; robot {spec.name!r} ({spec.source}) has not: "
                          f"use frame: world")
    pos = [e for e in ("odom.x", "odom.y") if e in spec.observation]
    if pos:
        raise ConfigError(f"model.frame: 'heading' cannot rotate world positions, and robot {spec.name!r} "
                          f"({spec.source}) observes {', '.join(pos)}: use frame: world")
    return entries["quat"], entries["vxy"]


# ---------------------------------------------------------------------------------------------
# Loading


def load_config(path: str | os.PathLike | None = None) -> ExperimentConfig:
    """Load an :class:`ExperimentConfig` from YAML (``None``: the defaults), validated.

    A file may start from another experiment with a top-level ``extends:`` key and give only what
    differs: ``extends: half_cheetah`` (a registered robot's shipped experiment) or ``extends:
    base.yaml`` (a path relative to the file). Sections merge key by key, the extending file's values
    win; a list (e.g. ``model.hidden_sizes``) is replaced whole. Each file's keys are checked against
    the config before merging, so an error names the file the bad key is in.
    """
    if path is None:
        cfg = ExperimentConfig()
        cfg.validate()
        return cfg
    path = os.fspath(path)
    data, chain = _read_experiment(path, ())
    source = " <- ".join(chain) if len(chain) > 1 else path
    return config_from_dict(data, source=source)


def _read_yaml(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


EXTENDS_KEY = "extends"


def assets_dir() -> str:
    """Folder of the configs and checkpoints that ship with the package."""
    return str(resources.files("adaptive_control") / "assets")


def _read_experiment(path: str, seen: tuple[str, ...]) -> tuple[dict, tuple[str, ...]]:
    """The raw mapping of the experiment at ``path`` with its ``extends`` chain merged in, and the
    chain of files (``path`` first)."""
    real = os.path.realpath(path)
    if real in seen:
        raise ConfigError(f"{path}: extends: a cycle ({' -> '.join((*seen, real))})")
    data = _read_yaml(path)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    data = _with_robot_path(dict(data), path)
    base = data.pop(EXTENDS_KEY, None)
    _build(ExperimentConfig, data, path, prefix="")  # this file's own keys and types, named with its path
    if base is None:
        return data, (path,)
    base_path = _extends_path(base, path)
    base_data, chain = _read_experiment(base_path, (*seen, real))
    return _merged(base_data, data), (path, *chain)


def _extends_path(base: Any, source: str) -> str:
    """The file ``extends: base`` in ``source`` names: a path relative to ``source``, or a robot's shipped
    experiment."""
    if not isinstance(base, str) or not base:
        raise ConfigError(f"{source}: key 'extends' expects a YAML path or a robot name, got {base!r}")
    if base.endswith((".yaml", ".yml")):
        return base if os.path.isabs(base) else os.path.join(os.path.dirname(os.path.abspath(source)), base)
    shipped = os.path.join(assets_dir(), f"{base}.yaml")
    if not os.path.isfile(shipped):
        known = sorted(f[:-5] for f in os.listdir(os.path.dirname(shipped)) if f.endswith(".yaml"))
        raise ConfigError(f"{source}: extends: no shipped experiment for robot {base!r} (shipped: "
                          f"{', '.join(known)}; or give a .yaml path)")
    return shipped


def _merged(base: Mapping, over: Mapping) -> dict:
    """``base`` with ``over``'s keys set, mappings merged key by key, anything else replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def _with_robot_path(data: dict, source: str) -> dict:
    """``data`` with a robot spec named relative to the file ``source`` made absolute."""
    robot = data.get("robot")
    name = robot.get("name") if isinstance(robot, Mapping) else None
    if isinstance(name, str) and name.endswith((".yaml", ".yml")) and not os.path.isabs(name) and os.path.isfile(source):
        data = {**data, "robot": {**robot, "name": os.path.join(os.path.dirname(os.path.abspath(source)), name)}}
    return data


def config_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> ExperimentConfig:
    """Build and validate an :class:`ExperimentConfig` from nested mappings (YAML's shape)."""
    if isinstance(data, Mapping):
        if EXTENDS_KEY in data:
            raise ConfigError(f"{source}: 'extends' is read from files only (load_config)")
        data = _with_robot_path(dict(data), source)
    cfg = _build(ExperimentConfig, data, source, prefix="")
    try:
        cfg.validate()
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return cfg


def to_dict(cfg: Any) -> dict:
    """The plain-data form of a config dataclass (tuples as lists), for YAML, JSON and checkpoints."""
    out = {}
    for f in dataclasses.fields(cfg):
        v = getattr(cfg, f.name)
        if dataclasses.is_dataclass(v):
            v = to_dict(v)
        elif isinstance(v, tuple):
            v = list(v)
        out[f.name] = v
    return out


def _build(cls: type, data: Any, source: str, prefix: str) -> Any:
    where = prefix.rstrip(".") or "top level"
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: {where} must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        if key not in fields:
            raise ConfigError(
                f"{source}: unknown key '{prefix}{key}' (valid keys in {where}: {', '.join(fields)})"
            )
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            kwargs[key] = _build(hint, value, source, prefix=f"{prefix}{key}.")
        else:
            kwargs[key] = _coerce(value, hint, f"{prefix}{key}", source)
    return cls(**kwargs)


def _coerce(value: Any, hint: Any, key: str, source: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    bad = ConfigError(f"{source}: key '{key}' expects {_type_name(hint)}, got {value!r}")
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], key, source)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise bad
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], key, source) for v in value)
        if len(value) != len(args):
            raise bad
        return tuple(_coerce(v, a, key, source) for v, a in zip(value, args))
    if hint is bool:
        if not isinstance(value, bool):
            raise bad
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        if not math.isfinite(value):
            raise ConfigError(f"{source}: key '{key}' must be a finite number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise bad
        return value
    raise bad


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def _one_of(name: str, value: Any, allowed: tuple) -> None:
    if value not in allowed:
        raise ConfigError(f"{name}: {value!r} is not one of {', '.join(map(str, allowed))}")


def _positive(name: str, value: int) -> None:
    if value <= 0:
        raise ConfigError(f"{name}: must be positive, got {value}")
