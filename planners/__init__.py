"""MPC planners. A leaf package: planners see the model only through callables.

Every planner takes ``dynamics(state (K,nx), action (K,nu)) -> next_state (K,nx)`` and
``cost(state, action, next_state) -> (K,)`` (costs, minimised) and offers ``reset()`` and
``command(state (nx,)) -> action (nu,)``.
"""
