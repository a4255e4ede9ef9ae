"""Nonlinear MPC with CasADi + IPOPT: the NLP is built once; each tick only its parameters change.

Single shooting over horizon T: decision variables are the T actions; the state is propagated
symbolically through ``step(x, u, w)`` whose weights ``w`` are an NLP **parameter** (a vector), so
an adapted network enters every tick without rebuilding anything. The start state and the warm
start (the previous solution, shifted) are set per tick too. A failed solve (IPOPT status not
successful, or a non-finite plan) falls back to the shifted previous plan instead of raising.
"""
from __future__ import annotations

from typing import Callable

import casadi as ca
import numpy as np


class CasadiMPC:
    """NLP MPC planner.

    Args:
        step: ``casadi.Function`` (x (nx,), u (nu,), w (nw,)) -> x_next (nx,).
        stage_cost: ``casadi.Function`` (x, u, x_next) -> scalar cost (minimised).
        weights_fn: returns the current weight vector (nw,) as numpy (e.g. the adapted network's).
        nx, nu: sizes. horizon: T.
        action_low, action_high: bounds (scalars or (nu,)).
        max_iter: IPOPT iteration limit per solve.
        hessian: ``limited-memory`` (L-BFGS; fast) or ``exact`` (slow for networks).
    """

    def __init__(self, step: ca.Function, stage_cost: ca.Function, weights_fn: Callable[[], np.ndarray], nx: int,
                 nu: int, *, horizon: int = 15, action_low=-1.0, action_high=1.0, max_iter: int = 30,
                 hessian: str = "limited-memory", tol: float = 1e-4):
        if hessian not in ("limited-memory", "exact"):
            raise ValueError(f"hessian must be 'limited-memory' or 'exact', got {hessian!r}")
        self.nx, self.nu, self.T = nx, nu, horizon
        self.weights_fn = weights_fn
        self.low = np.broadcast_to(np.asarray(action_low, float), (nu,)).copy()
        self.high = np.broadcast_to(np.asarray(action_high, float), (nu,)).copy()
        nw = step.size1_in(2)
        x0 = ca.MX.sym("x0", nx)
        w = ca.MX.sym("w", nw)
        u = ca.MX.sym("u", nu * horizon)
        x, total = x0, 0
        for t in range(horizon):
            ut = u[t * nu:(t + 1) * nu]
            xn = step(x, ut, w)
            total = total + stage_cost(x, ut, xn)
            x = xn
        opts = {"ipopt.print_level": 0, "print_time": False, "ipopt.max_iter": max_iter, "ipopt.tol": tol,
                "ipopt.hessian_approximation": hessian, "ipopt.warm_start_init_point": "yes",
                "ipopt.sb": "yes"}
        self.solver = ca.nlpsol("mpc", "ipopt", {"x": u, "p": ca.vertcat(x0, w), "f": total}, opts)
        self._lbx = np.tile(self.low, horizon)
        self._ubx = np.tile(self.high, horizon)
        self.failures = 0
        self.last_status = None
        self.reset()

    def reset(self) -> None:
        self.next_plan = np.tile((self.low + self.high) / 2, (self.T, 1))

    def command(self, state) -> np.ndarray:
        """First action (nu,) of the solved plan from ``state`` (nx,); shifts the plan for warm start."""
        state = np.asarray(state, dtype=float).reshape(-1)
        if state.shape != (self.nx,):
            raise ValueError(f"state must have shape ({self.nx},), got {state.shape}")
        p = np.concatenate([state, np.asarray(self.weights_fn(), dtype=float).reshape(-1)])
        try:
            sol = self.solver(x0=self.next_plan.reshape(-1), p=p, lbx=self._lbx, ubx=self._ubx)
            stats = self.solver.stats()
            self.last_status = stats.get("return_status")
            plan = np.asarray(sol["x"]).reshape(self.T, self.nu)
            ok = bool(stats.get("success")) or self.last_status in ("Maximum_Iterations_Exceeded",)
            ok = ok and np.all(np.isfinite(plan))
        except RuntimeError as exc:  # CasADi raises on evaluation errors (NaN in the network, ...)
            self.last_status, ok = f"error: {exc}", False
        if not ok:
            self.failures += 1
            plan = self.next_plan  # fall back to the shifted previous plan
        plan = np.clip(plan, self.low, self.high)
        action = plan[0].copy()
        self.next_plan = np.concatenate([plan[1:], plan[-1:]], 0)
        return action
