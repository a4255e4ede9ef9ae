"""adaptive_control: the online adaptive control loop, data collection, evaluation, config and CLI.

Composes the leaf packages ``models`` (dynamics, adaptation), ``planners`` (MPC) and ``sim``
(robots, perturbations, costs). Import submodules directly, e.g.
``from adaptive_control.controller import AdaptiveController``.
"""

__version__ = "0.1.0"
