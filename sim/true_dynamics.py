"""The simulator itself as a batched dynamics model: the true-dynamics reference's model.

A planner that rolls its samples out through this model plans with the perturbed robot's exact
physics, from the simulator's full state. No robot offers that, so it is not a controller to
deploy: it is the ceiling that tells how much return a learned model costs.

Shapes: K samples, ns the full physics state size of the env's current compiled model
(``mjSTATE_FULLPHYSICS``: time, qpos, qvel, act, plugin state), nx observation, nu action.
"""
from __future__ import annotations

import mujoco
import numpy as np
from mujoco import rollout

#: The state the planner carries: everything that determines the next step.
STATE_SPEC = mujoco.mjtState.mjSTATE_FULLPHYSICS


class SimulatorDynamics:
    """One control tick (``env.frame_skip`` physics steps) of K full states at once, in C, threaded.

    Reads ``env.model`` at every call, so mid-episode switches (compiled-model edits) and new
    models after a reset are followed; per-thread ``MjData`` are remade when the model object
    changes.

    Args:
        env: a :class:`sim.mujoco_env.MujocoEnv` (its current model and data are the truth).
        nthread: threads of the rollout pool.
    """

    def __init__(self, env, nthread: int = 2):
        if nthread < 1:
            raise ValueError(f"nthread must be >= 1, got {nthread}")
        self.env = env
        self.nthread = nthread
        self._pool = rollout.Rollout(nthread=nthread) if nthread > 1 else None
        self._model = None
        self._datas: list = []

    def _sync(self):
        model = self.env.model
        if model is not self._model:
            self._model = model
            self._datas = [mujoco.MjData(model) for _ in range(self.nthread)]
            nq, nv = model.nq, model.nv
            self._qpos = slice(1, 1 + nq)  # after time
            self._qvel = slice(1 + nq, 1 + nq + nv)
        return model

    @property
    def state_size(self) -> int:
        """ns of the env's current model."""
        return int(mujoco.mj_stateSize(self.env.model, STATE_SPEC))

    def state(self) -> np.ndarray:
        """(ns,) the env's full physics state now."""
        out = np.empty(self.state_size)
        mujoco.mj_getState(self.env.model, self.env.data, out, STATE_SPEC)
        return out

    def step(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """(K, ns) states one control tick after ``states`` (K, ns) under ``actions`` (K, nu).

        Actions are clipped to the env's bounds, as ``env.step`` does.
        """
        model = self._sync()
        states = np.ascontiguousarray(states, dtype=np.float64)
        actions = np.asarray(actions, dtype=np.float64)
        k = states.shape[0]
        if states.shape != (k, self.state_size) or actions.shape != (k, self.env.action_size):
            raise ValueError(f"states (K, {self.state_size}) and actions (K, {self.env.action_size}) expected, "
                             f"got {states.shape} and {actions.shape}")
        ctrl = self.env.ctrl_from_action(np.clip(actions, self.env.action_low, self.env.action_high))
        skip = self.env.frame_skip
        control = np.ascontiguousarray(np.broadcast_to(ctrl[:, None, :], (k, skip, ctrl.shape[1])))
        run = self._pool.rollout if self._pool is not None else rollout.rollout
        # the constraint solver starts from the robot's own warm start (not part of the state): the
        # first step from the robot's state then equals env.step bit for bit
        warm = self.env.data.qacc_warmstart[None]
        out, _ = run(model, self._datas, states, control, nstep=skip, initial_warmstart=warm)
        return out[:, -1]

    def observe(self, states: np.ndarray) -> np.ndarray:
        """(K, nx) observations of full states (K, ns)."""
        self._sync()
        return self.env.observation_from(states[..., self._qpos], states[..., self._qvel])

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
