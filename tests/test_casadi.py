"""CasADi MPC: the symbolic network equals the torch one; it solves a toy problem; failures fall back."""
import casadi as ca
import numpy as np
import pytest
import torch

from adaptive_control.casadi_planner import flatten_params, half_cheetah_stage_cost, mlp_step_function
from models.dynamics import MLPDynamics
from models.training import seeded_init
from planners.casadi_mpc import CasadiMPC
from sim.costs import half_cheetah_cost


@pytest.fixture
def model():
    m = MLPDynamics(17, 6, (64, 64), activation="relu").double()
    seeded_init(m, 0)
    g = torch.Generator().manual_seed(0)
    o = torch.randn(200, 17, generator=g, dtype=torch.float64) * 2 + 0.5
    a = torch.rand(200, 6, generator=g, dtype=torch.float64) * 2 - 1
    m.normalizer.fit(o, a, o + 0.1 * torch.randn(200, 17, generator=g, dtype=torch.float64))
    return m, o, a


@pytest.mark.parametrize("activation", ["relu", "tanh", "silu"])
def test_casadi_network_matches_torch(model, activation):
    m, o, a = model
    m.activation = activation
    m.net[1] = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "silu": torch.nn.SiLU}[activation]()
    m.net[3] = type(m.net[1])()
    f = mlp_step_function(m)
    params = {k: v + 0.05 * torch.randn_like(v) for k, v in m.params().items()}  # e.g. adapted weights
    w = flatten_params(params)
    want = m.predict_next(params, o[:20], a[:20]).detach().numpy()
    got = np.stack([np.asarray(f(o[i].numpy(), a[i].numpy(), w)).ravel() for i in range(20)])
    np.testing.assert_allclose(got, want, atol=1e-6, rtol=0)


def test_casadi_cost_matches_torch_cost():
    c = half_cheetah_stage_cost()
    rng = np.random.default_rng(0)
    x, u, xn = rng.normal(size=17), rng.uniform(-1, 1, 6), rng.normal(size=17)
    want = half_cheetah_cost(*(torch.tensor(v)[None] for v in (x, u, xn)))
    assert float(c(x, u, xn)) == pytest.approx(float(want), abs=1e-12)


def linear_problem():
    x, u, w = ca.MX.sym("x", 2), ca.MX.sym("u", 1), ca.MX.sym("w", 1)
    step = ca.Function("step", [x, u, w], [ca.vertcat(x[0] + 0.1 * x[1], x[1] + w * u)])
    xn = ca.MX.sym("xn", 2)
    cost = ca.Function("cost", [x, u, xn], [ca.sumsqr(xn - ca.DM([1.0, 0.0])) + 0.01 * ca.sumsqr(u)])
    return step, cost


def test_casadi_mpc_drives_a_linear_system_to_its_goal():
    step, cost = linear_problem()
    gain = np.array([0.1])
    mpc = CasadiMPC(step, cost, lambda: gain, 2, 1, horizon=15, action_low=-2, action_high=2, max_iter=50)
    x = np.array([-1.0, 0.0])
    for _ in range(60):
        u = mpc.command(x)
        assert -2 <= u[0] <= 2
        x = np.asarray(step(x, u, gain)).ravel()
    assert np.linalg.norm(x - [1.0, 0.0]) < 0.1 and mpc.failures == 0


def test_weights_enter_as_parameters_without_rebuilding():
    step, cost = linear_problem()
    gain = np.array([0.1])
    mpc = CasadiMPC(step, cost, lambda: gain, 2, 1, horizon=10, action_low=-2, action_high=2, max_iter=50)
    solver = mpc.solver
    u_weak = mpc.command(np.array([0.0, 0.0]))
    mpc.reset()
    gain[0] = 1.0  # a 10x stronger actuator ("adapted weights"): a smaller push is optimal
    u_strong = mpc.command(np.array([0.0, 0.0]))
    assert mpc.solver is solver
    assert abs(u_strong[0]) < abs(u_weak[0])


def test_failed_solve_falls_back_to_the_shifted_previous_plan():
    step, cost = linear_problem()
    gain = np.array([0.1])
    mpc = CasadiMPC(step, cost, lambda: gain, 2, 1, horizon=5, action_low=-2, action_high=2)
    mpc.command(np.array([-1.0, 0.0]))
    previous = mpc.next_plan.copy()
    gain[0] = np.nan  # the network blows up: the solve fails
    u = mpc.command(np.array([-1.0, 0.0]))
    assert mpc.failures == 1 and mpc.last_status is not None
    np.testing.assert_array_equal(u, previous[0])
    np.testing.assert_array_equal(mpc.next_plan[:-1], previous[1:])


@pytest.mark.parametrize("robot", ["half_cheetah", "ant"])
def test_every_robot_has_a_casadi_cost_equal_to_its_torch_cost(robot):
    from adaptive_control.casadi_planner import STAGE_COSTS
    from sim.costs import COSTS
    from sim.robots import make_env

    assert set(STAGE_COSTS) == set(COSTS)
    env = make_env(robot)
    c = STAGE_COSTS[robot]()
    rng = np.random.default_rng(1)
    for _ in range(5):
        x, u, xn = rng.normal(size=env.obs_size), rng.uniform(-1, 1, env.action_size), rng.normal(size=env.obs_size)
        want = COSTS[robot](*(torch.tensor(v)[None] for v in (x, u, xn)))
        assert float(c(x, u, xn)) == pytest.approx(float(want), abs=1e-12)
