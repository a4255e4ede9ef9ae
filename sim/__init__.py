"""Simulated robots (MuJoCo, edited with dm_control.mjcf), perturbations and batched planner costs.

A leaf package: it imports mujoco, dm_control, numpy and torch, and nothing else of this project.
"""
