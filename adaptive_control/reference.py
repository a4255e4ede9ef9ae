"""The true-dynamics reference (method ``true_dynamics``): the same planner, settings and cost, with the
perturbed simulator itself as the model.

Every sample is rolled out from the simulator's real full state through its exact physics
(:class:`sim.true_dynamics.SimulatorDynamics`). No robot can run this controller (it reads the
simulator); it is the ceiling that says what the learned model costs: every method's return is
also reported as a fraction of this one's.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from adaptive_control.build import make_planner_factory
from adaptive_control.config import ConfigError, ControllerConfig, PlannerConfig
from adaptive_control.controller import TickStats
from sim.robots import planning_cost
from sim.true_dynamics import SimulatorDynamics

#: The method name in ``run``, ``demo`` and ``evaluate``.
TRUE_DYNAMICS = "true_dynamics"


class TrueDynamicsController:
    """Plans with ``env``'s own physics from ``env``'s full state; ``step(obs)`` ignores ``obs`` except
    for checking it, as the policy of :func:`robot_bridge.mujoco_backend.run_episode`.

    Args:
        env: the simulated robot the episode runs in (read at every tick, never stepped here).
        robot: its name (cost and action bounds).
        planner_cfg: the planner of the learned methods (``casadi`` has no batched rollout: refused).
        threads: threads of the simulator's rollout pool.
        cost: the cost on observations the learned methods plan (default: the robot's task cost).
    """

    def __init__(self, env, robot: str, planner_cfg: PlannerConfig, threads: int = 2, cost=None):
        if planner_cfg.type == "casadi":
            raise ConfigError("planner.type: the true-dynamics reference needs a sampling planner "
                              "(mppi, cem, random_shooting), not casadi")
        self.env, self.robot, self.planner_cfg = env, robot, planner_cfg
        self.sim = SimulatorDynamics(env, nthread=threads)
        self._cost = cost or planning_cost(robot, planner_cfg.upright_weight)  # the learned methods' cost
        self.low = np.broadcast_to(np.asarray(env.action_low, dtype=np.float64), (env.action_size,)).copy()
        self.high = np.broadcast_to(np.asarray(env.action_high, dtype=np.float64), (env.action_size,)).copy()
        self.planner = None
        self._planner_ns = None
        self.stats = TickStats()

    def _dynamics(self, states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self.sim.step(states.numpy(), actions.numpy()))

    def _cost_of(self, states: torch.Tensor, actions: torch.Tensor, next_states: torch.Tensor) -> torch.Tensor:
        obs = torch.from_numpy(self.sim.observe(states.numpy()))
        nxt = torch.from_numpy(self.sim.observe(next_states.numpy()))
        return self._cost(obs, actions, nxt)

    def reset(self) -> None:
        """New episode (after ``env.reset``): a planner for the current model's state size, fresh warm start."""
        ns = self.sim.state_size
        if self.planner is None or ns != self._planner_ns:  # a task with extra bodies changes the state
            factory = make_planner_factory(self.planner_cfg, self.robot, "cpu", cost=self._cost_of, state_size=ns,
                                           dtype=torch.float64)
            self.planner, self._planner_ns = factory(self._dynamics), ns
        self.planner.reset()
        self.stats = TickStats()

    def step(self, obs) -> np.ndarray:
        """The planner's action (nu,) from the simulator's state now."""
        t0 = time.perf_counter()
        if self.planner is None:
            self.reset()
        obs = np.asarray(obs, dtype=np.float64)
        if obs.shape != (self.env.obs_size,) or not np.all(np.isfinite(obs)):
            raise ValueError(f"observation must be {self.env.obs_size} finite numbers, got shape {obs.shape}")
        action = self.planner.command(torch.from_numpy(self.sim.state())).numpy()
        ms = 1e3 * (time.perf_counter() - t0)
        self.stats.record(0.0, ms, ms)
        if not np.all(np.isfinite(action)):
            self.stats.unsafe_actions += 1
            return np.zeros_like(self.low).clip(self.low, self.high)
        return np.clip(action, self.low, self.high)

    def close(self) -> None:
        self.sim.close()


def build_reference(env, robot: str, planner_cfg: PlannerConfig, ctrl_cfg: ControllerConfig,
                    cost=None) -> TrueDynamicsController:
    """The reference for ``env`` with the planner of the learned methods and ``ctrl_cfg.threads`` threads
    (``cost``: the learned methods' cost when it is not the robot's task cost)."""
    torch.set_num_threads(ctrl_cfg.threads)
    return TrueDynamicsController(env, robot, planner_cfg, threads=ctrl_cfg.threads, cost=cost)
