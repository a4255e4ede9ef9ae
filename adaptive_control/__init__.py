"""adaptive_control: the adaptive controller, data collection, config, composition and CLI.

Composes the leaf packages ``models`` (dynamics, adaptation), ``planners`` (MPC) and ``sim``
(robots, perturbations, costs). ``robot_bridge`` runs the controller against a robot (in-process
MuJoCo or ROS 2); ``adaptive_control.experiments`` holds the evaluation matrix, the tick
benchmark and their plots. Import submodules directly, e.g.
``from adaptive_control.controller import AdaptiveController``.

Layers (checked by ``tests/test_imports.py``): the leaves, then this package's core (``config``,
``controller``, ``build``, ``training``, ``casadi_planner``), then ``robot_bridge``, then the
entry points that drive robots (``collect``, ``experiments``, ``cli``).
"""

__version__ = "0.1.0"
