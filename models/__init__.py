"""Dynamics models, normaliser, online adapters, the transition dataset, (meta-)training, checkpoints.

A leaf package: it imports torch and numpy only.

Shapes glossary (used in every docstring): B batch, K planner samples, T horizon, M adaptation
window (past transitions), N meta-loss window (future transitions), nx state size, nu action size.
"""
