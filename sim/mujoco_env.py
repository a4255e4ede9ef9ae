"""The shared MuJoCo environment: model loading with perturbations, reset, step and live switches.

A robot subclass (:class:`sim.spec_env.SpecEnv`: every robot is a spec) gives its MJCF
(:meth:`MujocoEnv.base_mjcf`), its observation and its reward; everything else lives here. Every
robot's model gets an inactive height-field floor slot (``terrain``, see :mod:`sim.terrain`) so
terrain can be switched on mid-episode by editing the compiled model; an inactive geom takes part in
no collision, so the nominal physics is unchanged.

Perturbations act at two moments (see :mod:`sim.perturbations`):

* ``reset(task=p)``: the model is rebuilt from MJCF with ``p.apply_mjcf`` (structural edits) and,
  for perturbations with ``reset_edits_model = True``, ``p.apply_model`` on the compiled model.
  Compiled models are cached for the last few tasks, per env and process-wide (:data:`_COMPILED`:
  every env of a process starts from a copy, so building a robot again costs a copy, not a parse and
  a compile); the compile-free families start from a copy of the nominal compiled model.
* ``switch(p)``, mid-episode: ``p.apply_model`` edits the compiled model in place; the state
  carries on, and the edited fields' originals are restored exactly by the next switch or reset.
"""
from __future__ import annotations

import copy
import logging
import threading
from collections import OrderedDict

import mujoco
import numpy as np

from sim.perturbations import NoPerturbation, Perturbation


class _QuietSettotalmass(logging.Filter):
    """dm_control warns at every compile that the cheetah's ``settotalmass`` is deprecated (MuJoCo
    still honours it); one such line per compiled task drowns every log. Only that line is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "settotalmass" not in record.getMessage()


logging.getLogger("absl").addFilter(_QuietSettotalmass())


_COMPILED: OrderedDict = OrderedDict()
"""Pristine compiled models shared by every env of this process, keyed by ``(robot's model_key(),
repr(perturbation))``; never handed out, only copied (an env edits its own copy in place)."""
_COMPILED_SIZE = 8
_COMPILED_LOCK = threading.Lock()


def _shared_compiled(key, build) -> mujoco.MjModel:
    """A fresh copy of the process-wide compiled model ``key``, built by ``build()`` the first time
    (least recently used dropped first). Thread-safe; two threads missing the same key may both build it."""
    with _COMPILED_LOCK:
        model = _COMPILED.pop(key, None)
        if model is not None:
            _COMPILED[key] = model  # most recently used last
    if model is None:
        model = build()
        with _COMPILED_LOCK:
            _COMPILED[key] = model
            while len(_COMPILED) > _COMPILED_SIZE:
                _COMPILED.popitem(last=False)
    return copy.deepcopy(model)


def compile_mjcf(root) -> mujoco.MjModel:
    """Compile an ``mjcf.RootElement`` to a raw ``mujoco.MjModel``."""
    return mujoco.MjModel.from_xml_string(root.to_xml_string(), assets=root.get_assets())


def _field_owner(model, name: str):
    """``(object, attribute)`` of a possibly dotted model field name such as ``opt.gravity``."""
    *path, attr = name.split(".")
    obj = model
    for part in path:
        obj = getattr(obj, part)
    return obj, attr


def restore_fields(model, originals: dict) -> None:
    """Write back ``{field: original copy}`` (as returned by ``apply_model``) into ``model``."""
    for name, original in originals.items():
        obj, attr = _field_owner(model, name)
        getattr(obj, attr)[...] = original


class MujocoEnv:
    """A MuJoCo robot with an optional perturbation, gymnasium-style (``reset``/``step``).

    Subclasses set the class attributes below and implement ``base_mjcf``, ``observation_from``
    and ``_reward`` (and the named accessors of their base). The robot's own joints must come first in the model (bodies that
    perturbations add, such as pier blocks, come after them); ``robot_nq``/``robot_nv`` count them.

    Args:
        perturbation: applied to the model at every reset until replaced (``reset(task=...)``).
        seed: seed of the environment's own generator (initial-state noise).
        reset_noise: scale of the uniform qpos / normal qvel noise at reset.
    """

    name = ""
    obs_size = 0
    action_size = 0
    control_dt = 0.01
    action_low = -1.0
    action_high = 1.0
    actuator_names: tuple[str, ...] = ()
    robot_nq = 0
    robot_nv = 0
    #: Compiled models kept per task (least recently used dropped first); tasks are continuous, so
    #: a collection over many tasks must not keep one model each.
    model_cache_size = 8

    def __init__(self, perturbation: Perturbation | None = None, seed: int | None = None, reset_noise: float = 0.1):
        self.random = np.random.default_rng(seed)
        self.reset_noise = reset_noise
        self._models: dict = {}
        self._nominal = None
        self._live_originals: dict = {}
        self.live_perturbation = None
        self.perturbation: Perturbation = perturbation or NoPerturbation()
        self._load(self.perturbation)

    # -- model -------------------------------------------------------------------------------
    @classmethod
    def base_mjcf(cls):
        """The robot's MJCF with the inactive terrain slot (:func:`sim.terrain.add_terrain_slot`), as a
        fresh editable ``mjcf.RootElement``."""
        raise NotImplementedError

    @classmethod
    def model_key(cls):
        """What names this robot's MJCF in the process-wide cache of compiled models (a spec robot:
        its file and version)."""
        return (cls.__module__, cls.__qualname__)

    def _load(self, perturbation: Perturbation) -> None:
        key = repr(perturbation)
        model = self._models.pop(key, None)
        if model is None:
            if getattr(perturbation, "reset_edits_model", False):
                # compile-free families: a copy of the nominal model with the same edit as a switch
                if self._nominal is None:
                    # the nominal robot's entry: the same compiled model as NoPerturbation's (no edit)
                    self._nominal = _shared_compiled((self.model_key(), repr(NoPerturbation())),
                                                     lambda: compile_mjcf(self.base_mjcf()))
                model = copy.deepcopy(self._nominal)
                perturbation.apply_model(model)
            else:
                def build():
                    root = self.base_mjcf()
                    perturbation.apply_mjcf(root)
                    return compile_mjcf(root)

                model = _shared_compiled((self.model_key(), key), build)
        self._models[key] = model  # most recently used last
        while len(self._models) > self.model_cache_size:
            self._models.pop(next(iter(self._models)))
        self.model = model
        self._live_originals = {}
        self.live_perturbation = None
        self.data = mujoco.MjData(self.model)
        self.frame_skip = max(1, round(self.control_dt / self.model.opt.timestep))
        self.perturbation = perturbation

    def switch(self, perturbation: Perturbation) -> None:
        """Change the perturbation now, mid-episode, by editing the compiled model (no recompile).

        The state carries on; the edited fields' originals are remembered and restored by the next
        ``switch`` or ``reset``. Perturbations laid out along the track (terrain) are first moved
        ahead of the robot (``perturbation.anchored(x)``); ``task_params`` records where.
        Perturbations that cannot be applied to a compiled model raise ``UnsupportedSwitch``.
        """
        self._restore_live()
        anchored = getattr(perturbation, "anchored", None)
        if anchored is not None:
            perturbation = anchored(self.x_position)
        self._live_originals = perturbation.apply_model(self.model)
        self.live_perturbation = perturbation

    def _restore_live(self) -> None:
        restore_fields(self.model, self._live_originals)
        self._live_originals = {}
        self.live_perturbation = None

    @property
    def task_params(self) -> dict:
        """The perturbation in force now: the mid-episode one if any, else the reset-time one."""
        return (self.live_perturbation or self.perturbation).params()

    # -- named accessors ---------------------------------------------------------------------
    @property
    def x_position(self) -> float:
        """Root x position (m)."""
        return float(self.data.qpos[0])

    @property
    def forward_velocity(self) -> float:
        """Root x velocity (m/s)."""
        return float(self.data.qvel[0])

    def observation(self) -> np.ndarray:
        """The (nx,) observation."""
        return self.observation_from(self.data.qpos, self.data.qvel).astype(np.float64)

    def observation_from(self, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
        """Observations (..., nx) of positions (..., nq) and velocities (..., nv), batched."""
        raise NotImplementedError

    # -- gymnasium-style API -----------------------------------------------------------------
    def reset(self, seed: int | None = None, task: Perturbation | None = None):
        """Start an episode; ``task`` replaces the perturbation. Returns ``(obs, info)``."""
        if seed is not None:
            self.random = np.random.default_rng(seed)
        self._restore_live()
        if task is not None and task != self.perturbation:
            self._load(task)
        mujoco.mj_resetData(self.model, self.data)
        n, nq, nv = self.reset_noise, self.robot_nq, self.robot_nv
        self.data.qpos[:nq] = self.model.qpos0[:nq] + self.random.uniform(-n, n, nq)
        self.data.qvel[:nv] = n * self.random.standard_normal(nv)
        mujoco.mj_normalizeQuat(self.model, self.data.qpos)
        mujoco.mj_forward(self.model, self.data)
        return self.observation(), {"task": self.perturbation.params()}

    def step(self, action):
        """Apply ``action`` (nu,) for one control step. Returns ``(obs, reward, terminated, truncated, info)``."""
        a = np.asarray(action, dtype=np.float64).reshape(-1)
        if a.shape != (self.action_size,):
            raise ValueError(f"action must have shape ({self.action_size},), got {np.shape(action)}")
        if not np.all(np.isfinite(a)):
            raise ValueError("action contains non-finite values")
        a = np.clip(a, self.action_low, self.action_high)
        x_before = self.x_position
        self.data.ctrl[:] = self.ctrl_from_action(a)
        for _ in range(self.frame_skip):
            mujoco.mj_step(self.model, self.data)
        reward, info = self._reward(a, x_before)
        return self.observation(), reward, False, False, info

    def ctrl_from_action(self, actions: np.ndarray) -> np.ndarray:
        """``MjData.ctrl`` rows (..., model nu) for clipped actions (..., nu): the same, by default."""
        return actions

    def _reward(self, action: np.ndarray, x_before: float) -> tuple[float, dict]:
        """``(reward, info)`` of the step just taken with ``action`` from ``x_before``."""
        raise NotImplementedError
