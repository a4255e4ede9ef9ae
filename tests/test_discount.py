"""``planner.discount``: planning step t's running costs weigh gamma^t in every sampling planner."""
import pytest
import torch

from adaptive_control.build import make_planner_factory
from adaptive_control.config import ConfigError, PlannerConfig, load_config
from planners.cem import CEM
from planners.mppi import MPPI
from planners.random_shooting import RandomShooting
from planners.shooting import rollout_costs


def integrator(state, action):
    return state + action


def square_cost(state, action, next_state):
    return (next_state ** 2).sum(-1)


@pytest.mark.parametrize("time_major", [False, True])
def test_discounted_costs_weigh_each_planning_step(time_major):
    # x' = x + u, cost x'^2 per call; the first action held 2 calls (the rest of its block), the next 3:
    # every call of planning step t weighs gamma^t
    g = torch.Generator().manual_seed(0)
    k, horizon, gamma = 4, 3, 0.7
    acts = torch.randn(k, horizon, 1, generator=g, dtype=torch.float64)
    total = rollout_costs(integrator, square_cost, torch.zeros(k, 1, dtype=torch.float64),
                          acts.transpose(0, 1).contiguous() if time_major else acts, time_major=time_major,
                          calls=3, first_calls=2, discount=gamma, out=torch.empty(k, dtype=torch.float64))
    x, expected = torch.zeros(k, dtype=torch.float64), torch.zeros(k, dtype=torch.float64)
    for t in range(horizon):
        for _ in range(2 if t == 0 else 3):
            x = x + acts[:, t, 0]
            expected += gamma ** t * x * x
    torch.testing.assert_close(total, expected, atol=1e-12, rtol=1e-12)


def test_discount_one_is_the_plain_sum_exactly():
    g = torch.Generator().manual_seed(1)
    acts = torch.randn(6, 5, 2, generator=g)
    x0 = torch.randn(6, 2, generator=g)
    plain = rollout_costs(integrator, square_cost, x0, acts)
    assert torch.equal(rollout_costs(integrator, square_cost, x0, acts, discount=1.0), plain)
    assert not torch.allclose(rollout_costs(integrator, square_cost, x0, acts, discount=0.9), plain)


def test_a_discount_changes_what_the_plan_prefers():
    # x' = x + u from 0, u in [-1, 1], running cost u^2 - x': effort now, a payoff at every later step.
    # d(cost)/du_0 = 2 u_0 - sum_t gamma^t: undiscounted over 6 steps u_0 = 3, clipped to 1; with
    # gamma = 0.2, u_0 = (1 - 0.2^6) / (1 - 0.2) / 2 = 0.625. MPPI's first action must follow.
    def cost(state, action, nxt):
        return action[:, 0] ** 2 - nxt[:, 0]

    first = {}
    for gamma in (1.0, 0.2):
        p = MPPI(integrator, cost, 1, 1, horizon=6, samples=2000, noise_sigma=0.3, temperature=0.02, iterations=10,
                 discount=gamma, seed=3)
        first[gamma] = float(p.command(torch.zeros(1)))
    assert first[1.0] > 0.9
    assert first[0.2] == pytest.approx((1 - 0.2 ** 6) / 0.8 / 2, abs=0.08)


@pytest.mark.parametrize("cls", [MPPI, CEM, RandomShooting])
@pytest.mark.parametrize("gamma", [0.0, 1.5, -0.1])
def test_planners_reject_a_discount_outside_0_1(cls, gamma):
    with pytest.raises(ValueError, match="discount"):
        cls(integrator, square_cost, 1, 1, discount=gamma)


def test_discount_is_validated_with_key_and_file(tmp_path):
    for bad in ("0", "1.2", "yes", "'0.9'"):
        p = tmp_path / "bad.yaml"
        p.write_text(f"planner: {{discount: {bad}}}\n")
        with pytest.raises(ConfigError, match="discount") as err:
            load_config(p)
        assert str(p) in str(err.value)
    p = tmp_path / "casadi.yaml"
    p.write_text("planner: {type: casadi, discount: 0.9}\n")
    with pytest.raises(ConfigError, match="discount.*casadi"):
        load_config(p)
    p = tmp_path / "ok.yaml"
    p.write_text("planner: {discount: 0.9}\n")
    assert load_config(p).planner.discount == 0.9


@pytest.mark.parametrize("kind", ["mppi", "cem", "random_shooting"])
def test_the_configured_discount_reaches_the_planner(kind):
    factory = make_planner_factory(PlannerConfig(type=kind, discount=0.85, samples=64), "half_cheetah", "cpu")
    assert factory(integrator).discount == 0.85
