"""Coordinate frames a dynamics model predicts in.

A floating-base robot on flat ground moves the same way whichever way it faces: its dynamics are
invariant to a rotation about the vertical axis. A model fed the world-frame state has to learn that
from data (and random data covers few headings: a robot that turns during a plan leaves the states it
was trained on). :class:`HeadingFrame` removes the heading instead: the model sees and predicts each
transition in the frame of the state it starts from, so every heading is the same to it.

Shapes: B batch, nx state size (the frame's indices address the state's entries).
"""
from __future__ import annotations

import torch


class HeadingFrame:
    """The heading frame of a floating base: the state's orientation quaternion (scalar first, w x y z,
    MuJoCo's convention) and its world-frame horizontal velocity (vx, vy) are expressed relative to the
    base's heading; every other entry (height, joints, body-frame rates, vertical velocity) is already
    heading-free and passes through.

    The heading is the twist about the world z axis of the swing-twist decomposition ``q = t ⊗ s``,
    ``t = (w, 0, 0, z) / |(w, z)|``: a yaw rotation ``r`` applied to the robot maps ``t`` to ``r ⊗ t`` and
    leaves ``s = t* ⊗ q`` and the heading-frame velocity unchanged. ``s`` always has z = 0 and w >= 0,
    so the quaternion's sign ambiguity is gone too. (Undefined only when the base is exactly upside
    down about a horizontal axis, w = z = 0: the heading is then taken as 0.)

    Args:
        quat: indices of (w, x, y, z) in the state.
        vel_xy: indices of the world-frame (vx, vy) in the state.
    """

    def __init__(self, quat, vel_xy):
        self.quat = tuple(int(i) for i in quat)
        self.vel_xy = tuple(int(i) for i in vel_xy)
        if len(self.quat) != 4 or len(self.vel_xy) != 2 or len(set(self.quat + self.vel_xy)) != 6:
            raise ValueError(f"heading frame: need 4 quaternion and 2 velocity indices, all distinct; "
                             f"got quat={self.quat}, vel_xy={self.vel_xy}")
        if min(self.quat + self.vel_xy) < 0:
            raise ValueError(f"heading frame: negative state index in quat={self.quat}, vel_xy={self.vel_xy}")
        self._idx: dict = {}

    def spec(self) -> dict:
        return {"type": "heading", "quat": list(self.quat), "vel_xy": list(self.vel_xy)}

    def check(self, nx: int) -> None:
        if max(self.quat + self.vel_xy) >= nx:
            raise ValueError(f"heading frame indices {self.spec()} do not fit a state of nx={nx}")

    def heading(self, obs: torch.Tensor) -> torch.Tensor:
        """(..., nx) -> (..., 2): the heading twist (tw, tz), a unit vector (the quaternion's (w, z) normalised)."""
        return torch.view_as_real(self._twist(self._pairs(obs)))

    @staticmethod
    def _twist(pairs: torch.Tensor) -> torch.Tensor:
        """The heading twist u = tw + i tz (...,) complex, from the complex pairs (..., 3) of :meth:`_pairs`."""
        # the tiny offset makes w = z = 0 (upside down) the zero heading; it is below float32's resolution
        # of any other (w, z) and moves a float64 heading by ~1e-12 rad
        wz = pairs[..., 0] + 1e-12
        return wz / wz.abs()

    def _pairs(self, x: torch.Tensor) -> torch.Tensor:
        """The rotated entries of ``x`` (..., nx) as complex pairs (..., 3): w + i z, x + i y, vx + i vy."""
        return torch.view_as_complex(x.index_select(-1, self._index(x.device)).unflatten(-1, (3, 2)))

    def _rotate(self, x: torch.Tensor, pairs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """``x`` (..., nx) whose pairs (..., 3) are multiplied by (u, u, u^2) (u (...,) complex, a unit)."""
        u = u[..., None]
        rotated = pairs * torch.cat([u.expand(*u.shape[:-1], 2), u * u], -1)
        return x.index_copy(-1, self._index(x.device), torch.view_as_real(rotated).flatten(-2))

    def _apply(self, x: torch.Tensor, t: torch.Tensor, inverse: bool) -> torch.Tensor:
        """``x`` (..., nx) rotated by the heading ``t`` (..., 2): into its frame (``inverse``: by t*) or out of it.

        In the heading twist u = tw + i tz, ``u ⊗ q`` multiplies both quaternion pairs w + i z and
        x + i y by u, and the yaw rotation multiplies vx + i vy by u^2 (the twist's angle is half the
        heading): a few complex operations on (..., 3) (they run twice per planning step), with no
        in-place writes, so they also run under ``torch.func`` transforms (``vmap``, ``grad``) as the
        training objectives need.
        """
        u = torch.view_as_complex(t.contiguous())
        return self._rotate(x, self._pairs(x), u.conj() if inverse else u)

    def to_local_with_heading(self, obs: torch.Tensor):
        """``(to_local(obs, u), u)``: the state in its own heading frame and that heading (..., 2) (one
        gather of the rotated entries instead of two: the planning path)."""
        pairs = self._pairs(obs)
        u = self._twist(pairs)
        return self._rotate(obs, pairs, u.conj()), torch.view_as_real(u)

    def _index(self, device) -> torch.Tensor:
        key = str(device)
        if key not in self._idx:
            w, qx, qy, qz = self.quat
            self._idx[key] = torch.tensor([w, qz, qx, qy, *self.vel_xy], device=device)
        return self._idx[key]

    def to_local(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """State(s) ``x`` (..., nx) expressed in the heading frame ``t`` (..., 2) (from :meth:`heading`)."""
        return self._apply(x, t, inverse=True)

    def to_world(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The inverse of :meth:`to_local`."""
        return self._apply(x, t, inverse=False)

    def local_pair(self, obs: torch.Tensor, next_obs: torch.Tensor):
        """A transition's two states, both in the heading frame of ``obs``: (..., nx) x 2 -> same."""
        local, t = self.to_local_with_heading(obs)
        return local, self.to_local(next_obs, t)


def frame_from_spec(spec: dict | None):
    """The frame :meth:`HeadingFrame.spec` describes (``None``: the world frame, no transformation)."""
    if spec is None:
        return None
    if spec.get("type") != "heading":
        raise ValueError(f"unknown model frame {spec.get('type')!r} (known: heading)")
    return HeadingFrame(spec["quat"], spec["vel_xy"])
