"""Every sampling planner on toy problems with a known optimum; CEM's per-state top-k."""
import math

import pytest
import torch

from planners.cem import CEM
from planners.mppi import MPPI
from planners.random_shooting import RandomShooting


def integrator(state, action):
    return state + action


def make_goal_cost(goal):
    def cost(state, action, next_state):
        return ((next_state - goal) ** 2).sum(-1)

    return cost


PLANNERS = {
    "mppi": lambda d, c, **kw: MPPI(d, c, 1, 1, noise_sigma=0.3, temperature=0.02, iterations=10, **kw),
    "cem": lambda d, c, **kw: CEM(d, c, 1, 1, elites=20, iterations=5, **kw),
    "random_shooting": lambda d, c, **kw: RandomShooting(d, c, 1, 1, **kw),
}


@pytest.mark.parametrize("name", sorted(PLANNERS))
@pytest.mark.parametrize("goal", [0.3, -0.7])
def test_planner_finds_known_optimum(name, goal):
    # x' = x + u from x = 0, cost (x' - g)^2 summed over T steps: the optimal first action is u = g.
    # Random shooting keeps one sample, so over 3 steps its first action wanders (later actions
    # compensate); at horizon 1 its best of 1000 uniform samples must sit on the optimum.
    horizon = 1 if name == "random_shooting" else 3
    p = PLANNERS[name](integrator, make_goal_cost(goal), horizon=horizon, samples=1000, seed=1)
    u = p.command(torch.zeros(1))
    assert u.shape == (1,)
    assert abs(float(u) - goal) < 0.02


@pytest.mark.parametrize("name", sorted(PLANNERS))
def test_planner_respects_bounds_beyond_reach(name):
    # the goal (3.0) is out of reach in one step: the optimum saturates at the bound 0.5
    p = PLANNERS[name](integrator, make_goal_cost(3.0), horizon=2, samples=500, action_low=-0.5, action_high=0.5)
    u = float(p.command(torch.zeros(1)))
    assert 0.45 <= u <= 0.5


def test_cem_selects_the_true_top_k_per_state():
    p = CEM(integrator, make_goal_cost(0.0), 1, 1, samples=8, elites=3)
    costs = torch.tensor([[5.0, 1.0, 7.0, 0.5, 3.0, 9.0, 2.0, 8.0],
                          [0.1, 9.0, 0.2, 8.0, 0.3, 7.0, 6.0, 5.0]])
    idx = p.select_elites(costs)
    assert [sorted(r) for r in idx.tolist()] == [[1, 3, 6], [0, 2, 4]]
    assert torch.equal(idx.sort(1).values, costs.argsort(1)[:, :3].sort(1).values)


def test_cem_batch_plans_each_state_separately():
    # Two states with opposite optima in one batch: mixing elites across states would average them.
    p = CEM(integrator, make_goal_cost(torch.zeros(1)), 1, 1, horizon=2, samples=400, elites=20, iterations=4)
    plans = p.plan_batch(torch.tensor([[-0.6], [0.6]]))
    assert plans.shape == (2, 2, 1)
    assert abs(float(plans[0, 0]) - 0.6) < 0.05 and abs(float(plans[1, 0]) + 0.6) < 0.05


def test_cem_returns_elite_mean_not_best_sample():
    # With one iteration and many elites, the command is the mean of the elites, which differs from
    # the single best sample.
    p = CEM(integrator, make_goal_cost(0.3), 1, 1, horizon=1, samples=200, elites=50, iterations=1,
            init_sigma=0.5, momentum=0.0, seed=0)
    u = float(p.command(torch.zeros(1)))
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(1, 200, 1, 1, generator=g)
    acts = torch.clamp(0.5 * noise, -1, 1)
    acts[:, 0] = 0.0
    costs = ((acts[0, :, 0, 0] - 0.3) ** 2)
    elite_mean = acts[0, costs.argsort()[:50], 0, 0].mean()
    assert u == pytest.approx(float(elite_mean), abs=1e-6)
    assert u != pytest.approx(float(acts[0, costs.argmin(), 0, 0]), abs=1e-4)


def test_mppi_correlated_noise_has_target_marginal_and_correlation():
    p = MPPI(integrator, make_goal_cost(0.0), 1, 1, horizon=12, samples=20000, noise_sigma=1.0, noise_correlation=0.8)
    p._sample_noise(p._noise)
    e = p._noise[:, :, 0]  # (T, K): time-major
    assert e.std(1).sub(1.0).abs().max() < 0.05  # unit marginal at every step
    corr = torch.corrcoef(torch.stack([e[5], e[6]]))[0, 1]
    assert abs(float(corr) - 0.8) < 0.03
    white = MPPI(integrator, make_goal_cost(0.0), 1, 1, horizon=12, samples=20000)
    white._sample_noise(white._noise)
    assert abs(float(torch.corrcoef(white._noise[5:7, :, 0])[0, 1])) < 0.03


def test_random_shooting_keeps_best_sequence():
    p = RandomShooting(integrator, make_goal_cost(0.2), 1, 1, horizon=4, samples=300, seed=2)
    p.command(torch.zeros(1))
    assert p.best.shape == (4, 1) and math.isfinite(float(p.best.sum()))


# -- planning step != control tick (step_ticks) ------------------------------------------------

def test_rollout_costs_hold_each_action_for_step_ticks():
    from planners.shooting import rollout_costs

    # x' = x + u, cost x'^2 per tick: the first action held 2 ticks (first_ticks), the next ones 3
    acts = torch.tensor([[[0.1], [-0.2], [0.3]]])  # (K=1, T=3, nu=1)
    total = rollout_costs(integrator, make_goal_cost(0.0), torch.zeros(1, 1), acts, calls=3, first_calls=2)
    x, expected = 0.0, 0.0
    for a, n in ((0.1, 2), (-0.2, 3), (0.3, 3)):
        for _ in range(n):
            x += a
            expected += x * x
    assert float(total) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("time_major", [False, True])
def test_rollout_costs_score_every_call_on_its_own_rows(time_major):
    # the running costs are evaluated in one batch after the rollout: each sample's (state, action,
    # next state) of each call must line up, checked against a call-by-call loop with a cost that
    # reads all three
    from planners.shooting import rollout_costs

    g = torch.Generator().manual_seed(3)
    k, horizon = 5, 3
    x0 = torch.randn(k, 2, generator=g, dtype=torch.float64)
    acts = torch.randn(k, horizon, 1, generator=g, dtype=torch.float64)

    def dyn(x, u):
        return 0.9 * x + torch.cat([u, u * u], 1)

    def cost(x, u, nxt):
        return x[:, 0] * u[:, 0] + (nxt[:, 1] - x[:, 0]) ** 2 + 0.1 * nxt[:, 0]

    total = rollout_costs(dyn, cost, x0, acts.transpose(0, 1).contiguous() if time_major else acts,
                          time_major=time_major, calls=2, first_calls=1)
    x, expected = x0, torch.zeros(k, dtype=torch.float64)
    for t in range(horizon):
        for _ in range(1 if t == 0 else 2):
            nxt = dyn(x, acts[:, t])
            expected += cost(x, acts[:, t], nxt)
            x = nxt
    torch.testing.assert_close(total, expected, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(PLANNERS))
@pytest.mark.parametrize("model_ticks, calls", [(1, [12, 11, 10, 12, 11, 10, 12]), (3, [4] * 7)])
def test_step_ticks_model_calls_follow_the_blocks(name, model_ticks, calls):
    # T=4 planning steps of n=3 ticks. A one-tick model: a command at phase p of its block rolls out
    # (3 - p) + 3*3 ticks. A block model (model_ticks 3): one call per planning step whatever the phase.
    seen = []

    def counting(state, action):
        seen.append(1)
        return state + action

    p = PLANNERS[name](counting, make_goal_cost(0.0), horizon=4, samples=32, step_ticks=3, model_ticks=model_ticks)
    per_command = []
    for _ in range(7):
        seen.clear()
        p.command(torch.zeros(1))
        per_command.append(len(seen) // getattr(p, "iterations", 1))
    assert per_command == calls
    # the fallback plan, tick by tick: after 7 commands the robot is 1 tick into a block
    assert p.next_plan.shape == (2 + 3 * 3, 1)
    assert torch.equal(p.next_plan[0], p.next_plan[1])


def test_mppi_step_ticks_holds_actions_and_shifts_the_warm_start_per_block():
    # The nominal sequence (sample 0, noise-free) is made far cheaper than every noisy sample, so
    # MPPI returns it unchanged: the commands then show the warm start tick by tick.
    def nominal_wins(state, action, next_state):
        c = torch.zeros(action.shape[0], dtype=action.dtype)
        c[1:] = 1e6
        return c

    p = MPPI(integrator, nominal_wins, 1, 1, horizon=4, samples=8, noise_sigma=0.1, step_ticks=3,
             action_low=-1.0, action_high=1.0)
    p.nominal = torch.tensor([[0.1], [0.2], [0.3], [0.4]])
    out = [round(float(p.command(torch.zeros(1))), 6) for _ in range(8)]
    assert out == [0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.3, 0.3]
    # after 8 ticks: one tick left of the 0.3 block, then 0.4 (and the last row repeated) for 3 ticks each
    assert [round(float(v), 6) for v in p.next_plan[:, 0]] == [0.3] + [0.4] * 3 + [0.4] * 3 + [0.4] * 3
    # step_ticks=1 keeps the old behaviour: a shift per command
    p1 = MPPI(integrator, nominal_wins, 1, 1, horizon=4, samples=8, noise_sigma=0.1)
    p1.nominal = torch.tensor([[0.1], [0.2], [0.3], [0.4]])
    assert [round(float(p1.command(torch.zeros(1))), 6) for _ in range(4)] == [0.1, 0.2, 0.3, 0.4]


def test_step_ticks_must_be_a_positive_integer_and_a_multiple_of_model_ticks():
    with pytest.raises(ValueError, match="step_ticks"):
        MPPI(integrator, make_goal_cost(0.0), 1, 1, step_ticks=0)
    with pytest.raises(ValueError, match="multiple"):
        MPPI(integrator, make_goal_cost(0.0), 1, 1, step_ticks=4, model_ticks=3)
