"""Ground perturbations: height-field ramps and the half-cheetah's pier of floating blocks.

Every robot's model carries an inactive height-field geom (:func:`add_terrain_slot`): a strip
along x (from ``X_MIN`` to ``X_MAX``, ``2 * Y_HALF`` wide, constant along y) that collides with
nothing until :class:`TerrainRamps` fills its elevation data (``model.hfield_data``), copies the
floor's contact settings onto it and switches the flat floor off. This is an edit of the compiled
model, so terrain works at reset and mid-episode alike.

:class:`Pier` replaces the floor by blocks that bob on damped, sprung slide joints. It adds
bodies and joints, so it is applied at reset (MJCF); mid-episode it can only change the blocks'
damping of a model that already has the pier, and otherwise raises ``UnsupportedSwitch``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import mujoco
import numpy as np

from sim.perturbations import UnsupportedSwitch

#: Name of the terrain height field (asset) and of its geom.
TERRAIN = "terrain"
X_MIN, X_MAX, Y_HALF = -20.0, 200.0, 50.0
#: Columns of the height field along x (5 cm apart); two rows (the profile is constant along y).
NCOL = 4401
#: Highest elevation the height field can hold (m) and the depth of its base box (m).
H_MAX, BASE = 1.0, 0.5
#: Collision bit of the inactive slot: a bit no robot geom has, so it touches nothing, yet the compiler
#: keeps it in the world body's collision hierarchy (a geom with no bits at all is left out of it and
#: could never collide, whatever its fields are later set to).
SLOT_BIT = 1 << 7
#: How far ahead of the robot's root a terrain switched on mid-episode starts (m).
ANCHOR_AHEAD = 1.0


def add_terrain_slot(root) -> None:
    """Add the inactive height field (all zero, no contacts) to an ``mjcf.RootElement``."""
    half = (X_MAX - X_MIN) / 2
    root.asset.add("hfield", name=TERRAIN, nrow=2, ncol=NCOL, size=[half, Y_HALF, H_MAX, BASE])
    root.worldbody.add("geom", name=TERRAIN, type="hfield", hfield=TERRAIN, pos=[X_MIN + half, 0.0, 0.0],
                       contype=0, conaffinity=SLOT_BIT, rgba=[0.6, 0.5, 0.4, 1.0])


def floor_geom(model) -> int:
    """Index of the flat floor: the first plane geom of the world body."""
    planes = np.flatnonzero((model.geom_type == mujoco.mjtGeom.mjGEOM_PLANE) & (model.geom_bodyid == 0))
    if not len(planes):
        raise ValueError("the model has no floor plane")
    return int(planes[0])


def _floor_mjcf(root):
    for geom in root.worldbody.find_all("geom", immediate_children_only=True):
        if geom.type == "plane":
            return geom
    raise ValueError("the model has no floor plane")


@dataclass(frozen=True)
class TerrainRamps:
    """Ramps along x of slope ``slope``: flat until ``start``, then up, flat, down, flat, repeated.

    Each ramp rises (or falls) ``slope * ramp`` metres over ``ramp`` metres, so the robot meets
    slopes of both signs. Applied through the compiled model at reset and mid-episode (a switch
    first moves ``start`` to ``ANCHOR_AHEAD`` m ahead of the robot, see :meth:`anchored`).
    """

    slope: float
    start: float = 2.0
    ramp: float = 0.5
    flat: float = 1.0
    reset_edits_model: ClassVar[bool] = True

    def __post_init__(self):
        if not 0.0 <= self.slope * self.ramp <= H_MAX:
            raise ValueError(f"TerrainRamps: ramps must rise between 0 and {H_MAX} m, got {self.slope * self.ramp}")
        if self.ramp <= 0 or self.flat < 0:
            raise ValueError("TerrainRamps: ramp must be positive and flat non-negative")

    def height(self, x: np.ndarray) -> np.ndarray:
        """Terrain height (m) at positions ``x`` (any shape)."""
        u = np.asarray(x, dtype=float) - self.start
        period = 2 * (self.ramp + self.flat)
        ph = np.mod(u, period)
        top = self.slope * self.ramp
        h = np.select(
            [ph < self.ramp, ph < self.ramp + self.flat, ph < 2 * self.ramp + self.flat],
            [self.slope * ph, top, top - self.slope * (ph - self.ramp - self.flat)],
            0.0,
        )
        return np.where(u < 0, 0.0, h)

    def anchored(self, x: float) -> "TerrainRamps":
        """The same terrain starting ``ANCHOR_AHEAD`` m ahead of root position ``x``."""
        return dataclasses.replace(self, start=round(float(x) + ANCHOR_AHEAD, 6))

    def apply_mjcf(self, root) -> None:
        """No structural edit (the terrain slot is in every model; reset applies :meth:`apply_model`)."""
        return None

    def apply_model(self, model) -> dict:
        """Fill the height field, give it the floor's contacts and friction, switch the floor off."""
        hf = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_HFIELD, TERRAIN)
        g = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, TERRAIN)
        if hf < 0 or g < 0:
            raise ValueError("the model has no terrain slot (build it with sim.terrain.add_terrain_slot)")
        floor = floor_geom(model)
        original = {name: getattr(model, name).copy()
                    for name in ("hfield_data", "geom_contype", "geom_conaffinity", "geom_friction")}
        nrow, ncol, adr = model.hfield_nrow[hf], model.hfield_ncol[hf], model.hfield_adr[hf]
        rx, _, top, _ = model.hfield_size[hf]
        xs = model.geom_pos[g, 0] + np.linspace(-rx, rx, ncol)
        model.hfield_data[adr:adr + nrow * ncol] = np.tile(self.height(xs) / top, nrow)
        model.geom_contype[g], model.geom_conaffinity[g] = model.geom_contype[floor], model.geom_conaffinity[floor]
        model.geom_friction[g] = model.geom_friction[floor]
        model.geom_contype[floor] = model.geom_conaffinity[floor] = 0
        return original

    def params(self) -> dict:
        """``{"perturbation": "terrain_ramps", "slope", "start", "ramp", "flat"}``."""
        return {"perturbation": "terrain_ramps", "slope": float(self.slope), "start": float(self.start),
                "ramp": float(self.ramp), "flat": float(self.flat)}


#: Pier layout: blocks from ``PIER_START`` along x, each ``BLOCK_LENGTH`` long; a fixed platform
#: before the first and after the last. Blocks: mass (kg), spring stiffness (N/m), travel (m).
PIER_START, BLOCK_LENGTH, BLOCK_GAP = -1.0, 2.0, 0.02
BLOCK_MASS, BLOCK_STIFFNESS, BLOCK_TRAVEL, BLOCK_THICKNESS = 10.0, 1500.0, 0.15, 0.1


def _unscaled_mass(root, mass: float, count: int) -> float:
    """The MJCF mass to give each of ``count`` new bodies so they compile to ``mass`` kg each.

    A model with ``compiler settotalmass=T`` (dm_control's cheetah) has every body's mass scaled
    to total T. Raising T by ``count * mass`` and giving the new bodies ``mass * R / T`` (R: the
    robot's mass before scaling) keeps both the robot's masses and the new bodies' at their values.
    """
    total = root.compiler.settotalmass
    if total is None:
        return mass
    root.compiler.settotalmass = None
    robot = mujoco.MjModel.from_xml_string(root.to_xml_string(), assets=root.get_assets())
    root.compiler.settotalmass = float(total) + count * mass
    return mass * float(robot.body_mass.sum()) / float(total)


@dataclass(frozen=True)
class Pier:
    """The floor replaced by floating blocks (one per entry of ``dampings``, in N·s/m).

    Each block is a box on a vertical slide joint with a spring that holds it level (top at
    z = 0) under its own weight, a travel of ±``BLOCK_TRAVEL`` and its own damping: the robot
    sinks in and is bounced by the blocks it stands on. The robot starts on the first block.
    """

    dampings: tuple[float, ...]

    def __post_init__(self):
        if not self.dampings or any(d < 0 for d in self.dampings):
            raise ValueError("Pier.dampings must be a non-empty tuple of non-negative dampings")

    def _joint(self, i: int) -> str:
        return f"pier_z_{i}"

    def apply_mjcf(self, root) -> None:
        """Switch the floor off; add the start platform, the blocks and the end platform."""
        floor = _floor_mjcf(root)
        floor.contype, floor.conaffinity = 0, 0
        mass = _unscaled_mass(root, BLOCK_MASS, len(self.dampings))
        t = BLOCK_THICKNESS / 2
        end = PIER_START + len(self.dampings) * BLOCK_LENGTH
        for name, lo, hi in (("pier_start", X_MIN, PIER_START - BLOCK_GAP), ("pier_end", end + BLOCK_GAP, X_MAX)):
            root.worldbody.add("geom", name=name, type="box", pos=[(lo + hi) / 2, 0, -t],
                               size=[(hi - lo) / 2, Y_HALF, t], contype=0, conaffinity=1)
        for i, d in enumerate(self.dampings):
            body = root.worldbody.add("body", name=f"pier_block_{i}",
                                      pos=[PIER_START + (i + 0.5) * BLOCK_LENGTH, 0, -t])
            body.add("joint", name=self._joint(i), type="slide", axis=[0, 0, 1], limited=True,
                     range=[-BLOCK_TRAVEL, BLOCK_TRAVEL], stiffness=BLOCK_STIFFNESS, damping=float(d),
                     springref=BLOCK_MASS * 9.81 / BLOCK_STIFFNESS)
            body.add("geom", type="box", size=[BLOCK_LENGTH / 2 - BLOCK_GAP / 2, Y_HALF, t], mass=mass,
                     contype=0, conaffinity=1, rgba=[0.64, 0.5 - 0.4 * min(d, 250.0) / 250.0, 0.3, 1.0])

    def apply_model(self, model) -> dict:
        """Set the blocks' damping, if ``model`` already has this pier; else ``UnsupportedSwitch``."""
        ids = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, self._joint(i)) for i in range(len(self.dampings))]
        if min(ids) < 0 or mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, self._joint(len(ids))) >= 0:
            raise UnsupportedSwitch(
                "pier adds jointed blocks to the model (a structural change) and cannot be switched on "
                "mid-episode: reset with it (env.reset(task=Pier(...))); a switch between piers of the "
                "same length changes the blocks' damping")
        original = {"dof_damping": model.dof_damping.copy()}
        model.dof_damping[model.jnt_dofadr[ids]] = self.dampings
        return original

    def params(self) -> dict:
        """``{"perturbation": "pier", "dampings": [...]}``."""
        return {"perturbation": "pier", "dampings": [float(d) for d in self.dampings]}
