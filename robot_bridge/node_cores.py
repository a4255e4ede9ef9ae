"""What the ROS 2 nodes run, without ROS: their settings, the controller bridge and the simulated robot.

The nodes (``controller_node``, ``sim_node``) read their ROS parameters into :class:`ControllerNodeConfig` /
:class:`SimNodeConfig` (validated here, so a bad parameter fails configuration with a message that
names it), then convert messages to arrays and call :class:`ControlBridge` / :class:`SimulatedRobot`.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import numpy as np

from adaptive_control.config import METHODS, PLANNERS, ConfigError
from robot_bridge.control_bridge import ControlBridge, LayoutError, ObservationLayout, odom_fields


def _fail(name: str, msg: str):
    raise ConfigError(f"parameter '{name}': {msg}")


@dataclass(frozen=True)
class ControllerNodeConfig:
    """Parameters of ``adaptive_controller_node`` (one field per ROS parameter)."""

    robot: str = "half_cheetah"
    """Robot the checkpoint was trained for."""
    method: str = "grbal"
    """Online method: grbal, grbal_prior (the ablation without the online step), mb, mb_de or rebal."""
    checkpoint: str = ""
    """Checkpoint file; empty: the one shipped for ``robot`` and ``method``."""
    config: str = ""
    """Experiment YAML (planner and controller settings); empty: the shipped one for ``robot``."""
    planner: str = ""
    """Planner type overriding the YAML's: mppi, cem, random_shooting, casadi; empty: keep it."""
    samples: int = 0
    """Planner samples K overriding the YAML's; 0: keep it."""
    horizon: int = 0
    """Planner horizon T overriding the YAML's; 0: keep it."""
    step_ticks: int = 0
    """Control ticks each planned action is held, overriding the YAML's; 0: keep it."""
    control_rate: float = 100.0
    """Hz; the control timer's rate (the robot's control rate)."""
    deadline_ms: float = 0.0
    """Plan deadline per tick; 0: 90% of the control period. Late plans fall back to the shifted plan."""
    threads: int = 1
    """torch threads of the compute thread; 1 leaves a core to the ROS callbacks (and a local simulator)."""
    plan_budget_ms: float = 0.0
    """Plan time the sample count follows (fewer samples while the CPU is slow, up to ``samples``), overriding
    the YAML's ``controller.plan_budget_ms``; 0: keep the YAML's; -1: off (every plan uses all samples)."""
    adapted_steps: int = 0
    """Model calls of each plan made with the adapted model, the prior after, overriding the YAML's
    ``controller.adapted_steps``; 0: keep the YAML's; -1: the whole plan (GrBAL's rule). The
    half-cheetah's YAML plans its first 3 calls adapted; method ``grbal_prior`` plans with the prior alone."""
    overlap_adaptation: bool = True
    """Take the adaptation step after the command is published, in the idle time before the next tick
    (the plan then uses the step of the previous tick, one transition older); false: adapt, then plan,
    inside the tick. See ``controller.overlap_adaptation`` in the experiment YAML."""
    joints: tuple[str, ...] = ()
    """Actuated joints in the order of the published command (a permutation of the model's)."""
    observation_layout: tuple[str, ...] = ()
    """Per observation entry: ``<joint>.position``, ``<joint>.velocity`` or ``odom.<field>``."""
    observation_offset: tuple[float, ...] = ()
    """Subtracted per observation entry; empty: zeros."""
    action_low: tuple[float, ...] = ()
    """Command lower limits in ``joints`` order; empty: the robot's."""
    action_high: tuple[float, ...] = ()
    """Command upper limits in ``joints`` order; empty: the robot's."""
    safe_command: tuple[float, ...] = ()
    """Published while the state is stale, incomplete or non-finite; empty: zeros."""
    stale_after: float = 0.05
    """Seconds after which state is stale."""
    record: str = ""
    """Dataset file (npz) to log every transition to; empty: no recording."""
    record_task: str = '{"perturbation": "unknown"}'
    """Task label (JSON object) stored with the recorded paths."""
    summary: str = ""
    """JSON file written at shutdown with the node's tick statistics; empty: none."""
    objective: str = "forward"
    """``forward``: run forward as fast as possible (the task reward); ``track``: follow the velocity
    commanded on ``cmd_vel`` (geometry_msgs/Twist: linear.x, linear.y, angular.z in the base frame)."""
    cmd_vel_timeout: float = 0.5
    """``track``: seconds without a ``cmd_vel`` message after which the target is zero velocity."""

    def validate(self, nx: int, nu: int) -> None:
        if self.method not in METHODS:
            _fail("method", f"{self.method!r} is not one of {', '.join(METHODS)}")
        if self.planner and self.planner not in PLANNERS:
            _fail("planner", f"{self.planner!r} is not one of {', '.join(PLANNERS)}")
        if not self.control_rate > 0:
            _fail("control_rate", f"must be > 0 Hz, got {self.control_rate}")
        for name in ("samples", "horizon", "step_ticks"):
            if getattr(self, name) < 0:
                _fail(name, "must be >= 0 (0 keeps the YAML's)")
        if self.threads < 1:
            _fail("threads", f"must be >= 1, got {self.threads}")
        if self.adapted_steps < -1:
            _fail("adapted_steps", f"must be >= 1, 0 (keep the YAML's) or -1 (the whole plan), got {self.adapted_steps}")
        if self.adapted_steps and self.method == "rebal":
            _fail("adapted_steps", "rebal adapts through its carried context, not a parameter step; leave it 0")
        if self.deadline_ms < 0:
            _fail("deadline_ms", f"must be >= 0, got {self.deadline_ms}")
        if not (self.plan_budget_ms >= 0 or self.plan_budget_ms == -1):
            _fail("plan_budget_ms", f"must be > 0, 0 (keep the YAML's) or -1 (off), got {self.plan_budget_ms}")
        if len(self.joints) != nu or len(set(self.joints)) != nu:
            _fail("joints", f"needs the {nu} distinct actuated joint names, got {list(self.joints)}")
        if len(self.observation_layout) != nx:
            _fail("observation_layout", f"needs {nx} entries (the model's observation size), got {len(self.observation_layout)}")
        try:
            ObservationLayout(tuple(self.observation_layout), tuple(self.observation_offset))
        except LayoutError as exc:
            _fail("observation_layout", str(exc))
        for name in ("action_low", "action_high", "safe_command"):
            v = getattr(self, name)
            if v and (len(v) != nu or not np.all(np.isfinite(v))):
                _fail(name, f"needs {nu} finite values (or none), got {list(v)}")
        if not self.stale_after > 0:
            _fail("stale_after", f"must be > 0 s, got {self.stale_after}")
        if self.objective not in ("forward", "track"):
            _fail("objective", f"{self.objective!r} is not one of forward, track")
        if not self.cmd_vel_timeout > 0:
            _fail("cmd_vel_timeout", f"must be > 0 s, got {self.cmd_vel_timeout}")
        try:
            task = json.loads(self.record_task)
        except json.JSONDecodeError as exc:
            _fail("record_task", f"not JSON: {exc}")
        if not isinstance(task, dict):
            _fail("record_task", "must be a JSON object")


def build_bridge(cfg: ControllerNodeConfig, log=None, realtime: bool = True) -> ControlBridge:
    """Load the checkpoint and planner, warm them up, and wrap them in a :class:`ControlBridge`.

    ``realtime=False`` builds the controller without a deadline (every plan is waited for): the
    reference for comparisons with runs over ROS 2.

    Raises ``ConfigError`` (or ``CheckpointError``) with a message naming what is wrong.
    """
    from adaptive_control.build import build_controller, experiment_config, load_for_method
    from robot_bridge.recording import TransitionRecorder
    from sim.robots import make_env

    try:
        env = make_env(cfg.robot)
    except ValueError as exc:
        _fail("robot", str(exc))
    cfg.validate(env.obs_size, env.action_size)
    exp = experiment_config(cfg.robot, cfg.config or None)
    planner = dataclasses.replace(exp.planner, type=cfg.planner or exp.planner.type,
                                  samples=cfg.samples or exp.planner.samples, horizon=cfg.horizon or exp.planner.horizon,
                                  step_ticks=cfg.step_ticks or exp.planner.step_ticks)
    try:
        planner.validate()
    except ConfigError as exc:
        _fail("planner", str(exc))
    deadline = (cfg.deadline_ms or 0.9 * 1e3 / cfg.control_rate) if realtime else None
    adapted_steps = {0: exp.controller.adapted_steps, -1: None}.get(cfg.adapted_steps, cfg.adapted_steps)
    budget = {0: exp.controller.plan_budget_ms, -1: None}.get(cfg.plan_budget_ms, cfg.plan_budget_ms)
    ctrl_cfg = dataclasses.replace(exp.controller, method=cfg.method, deadline_ms=deadline, threads=cfg.threads,
                                   overlap_adaptation=cfg.overlap_adaptation, adapted_steps=adapted_steps,
                                   plan_budget_ms=budget)  # applies with a deadline only (build_controller)
    ckpt = load_for_method(cfg.method, cfg.robot, cfg.checkpoint or None)
    cost = velocity_input = None
    if cfg.objective == "track":
        from robot_bridge.control_bridge import VelocityCommandInput
        from sim.costs import VelocityCommand
        from sim.robots import velocity_tracking_cost

        target = VelocityCommand()
        cost = velocity_tracking_cost(cfg.robot, target, planner.upright_weight)
        velocity_input = VelocityCommandInput(target, cfg.cmd_vel_timeout, log=log)
    controller = build_controller(ckpt, cfg.robot, planner, ctrl_cfg, cost=cost)
    controller.warm_up()
    nu = env.action_size
    default_low = np.broadcast_to(env.action_low, (nu,))
    default_high = np.broadcast_to(env.action_high, (nu,))
    action_joints = tuple(env.actuator_names)
    perm = [action_joints.index(j) for j in cfg.joints] if set(cfg.joints) == set(action_joints) else None
    if perm is None:
        _fail("joints", f"{list(cfg.joints)} must be a permutation of the {cfg.robot} model's actuated joints "
                        f"{list(action_joints)}")
    recorder = None
    if cfg.record:
        recorder = TransitionRecorder(cfg.robot, json.loads(cfg.record_task), env.obs_size, nu)
    return ControlBridge(
        controller, ObservationLayout(tuple(cfg.observation_layout), tuple(cfg.observation_offset)),
        action_joints, cfg.joints,
        low=cfg.action_low or default_low[perm], high=cfg.action_high or default_high[perm],
        safe_command=cfg.safe_command or np.zeros(nu), stale_after_s=cfg.stale_after, log=log, recorder=recorder,
        velocity_input=velocity_input)


@dataclass(frozen=True)
class SimNodeConfig:
    """Parameters of ``mujoco_sim_node``."""

    robot: str = "half_cheetah"
    """Simulated robot."""
    perturbation: str = '{"perturbation": "none"}'
    """Perturbation at reset (JSON, as stored in results); setting it while running switches live."""
    seed: int = 0
    """Episode seed (initial-state noise)."""
    control_rate: float = 0.0
    """Hz; 0: the robot's reference rate."""
    step_on_command: bool = True
    """True: step once per command received (lockstep with the controller, deterministic for tests);
    False: step at the control rate with the latest command, like hardware."""
    joints: tuple[str, ...] = ()
    """Joint order of the commands; empty: the model's actuator order."""
    duration: float = 0.0
    """Seconds of simulated time after which the episode ends and the summary is written; 0: run on."""
    switch_at: float = -1.0
    """Simulated seconds after which ``switch_perturbation`` switches on; < 0: never."""
    switch_perturbation: str = ""
    """Perturbation (JSON) switched on at ``switch_at``."""
    summary: str = ""
    """JSON file written when the episode ends: return, steps, velocity, latency."""


def parse_perturbation(name: str, text: str):
    """A perturbation from its JSON record; ``ConfigError`` naming the parameter otherwise."""
    from sim.tasks import perturbation_from_params

    try:
        params = json.loads(text) if text else {"perturbation": "none"}
        if not isinstance(params, dict):
            raise ValueError("must be a JSON object")
        return perturbation_from_params(params)
    except (ValueError, KeyError, TypeError) as exc:
        _fail(name, f"{text!r}: {exc}")


class SimulatedRobot:
    """A MuJoCo robot driven by commands in ``joints`` order, read out as joint states and odometry."""

    def __init__(self, cfg: SimNodeConfig):
        from sim import readout
        from sim.robots import make_env

        try:
            self.env = make_env(cfg.robot)
        except ValueError as exc:
            _fail("robot", str(exc))
        self._readout = readout
        self.cfg = cfg
        self.rate = cfg.control_rate or 1.0 / self.env.control_dt
        if not self.rate > 0:
            _fail("control_rate", f"must be > 0, got {cfg.control_rate}")
        model_joints = readout.actuator_joint_names(self.env.model)
        joints = tuple(cfg.joints) or model_joints
        if sorted(joints) != sorted(model_joints):
            _fail("joints", f"{list(joints)} must be a permutation of {list(model_joints)}")
        self.joints = joints
        self.action_index = np.array([joints.index(j) for j in model_joints])  # action[i] = command[idx[i]]
        task = parse_perturbation("perturbation", cfg.perturbation)
        self.switch_task = parse_perturbation("switch_perturbation", cfg.switch_perturbation) if cfg.switch_at >= 0 else None
        self.env.reset(seed=cfg.seed, task=task)
        self.steps, self.episode_return, self.velocity, self.switched_at = 0, 0.0, [], None
        self.held = np.zeros(self.env.action_size)

    @property
    def time(self) -> float:
        return self.steps / self.rate

    @property
    def done(self) -> bool:
        return self.cfg.duration > 0 and self.time >= self.cfg.duration - 1e-9

    def step(self, command=None) -> None:
        """Apply ``command`` (nu,) in ``joints`` order (None or bad: hold the last good one) for one tick."""
        if command is not None:
            c = np.asarray(command, dtype=np.float64).reshape(-1)
            if c.shape == self.held.shape and np.all(np.isfinite(c)):
                self.held = c[self.action_index]
        if self.switch_task is not None and self.switched_at is None and self.time >= self.cfg.switch_at - 1e-9:
            self.env.switch(self.switch_task)
            self.switched_at = self.steps
        _, reward, _, _, info = self.env.step(self.held)
        self.steps += 1
        self.episode_return += reward
        self.velocity.append(info["forward_velocity"])

    def switch(self, text: str) -> None:
        """Switch to the perturbation described by ``text`` (JSON) now, mid-episode."""
        self.env.switch(parse_perturbation("perturbation", text))

    def joint_state(self):
        """``(names, positions, velocities)``."""
        return self._readout.joint_state(self.env.model, self.env.data)

    def base(self):
        """The base as :class:`sim.readout.BaseState`."""
        return self._readout.base_state(self.env.model, self.env.data)

    def summary(self) -> dict:
        return {"robot": self.cfg.robot, "seed": self.cfg.seed, "return": self.episode_return, "steps": self.steps,
                "control_rate": self.rate, "task": self.env.task_params, "switched_at_step": self.switched_at,
                "forward_velocity": np.round(self.velocity, 4).tolist()}


__all__ = ["ControllerNodeConfig", "SimNodeConfig", "SimulatedRobot", "build_bridge", "odom_fields", "parse_perturbation"]
