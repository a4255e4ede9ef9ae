"""Simulated robots (MuJoCo, edited with dm_control.mjcf), perturbations and batched planner costs.

A leaf package: it imports mujoco, dm_control, numpy and torch, and nothing else of this project.
"""
import os

# Nothing in this package renders by default. Without a display, dm_control (imported by any robot
# module) would otherwise probe GLFW and print two X11 warnings per process. A user who renders
# (gymnasium's render_mode="rgb_array") sets MUJOCO_GL=egl or osmesa, which this leaves alone.
os.environ.setdefault("MUJOCO_GL", "disable")
