import pytest
import torch

from planners.mppi import MPPI

A = torch.tensor([[1.0, 0.1], [0.0, 1.0]])  # double integrator, dt = 0.1
B = torch.tensor([[0.005], [0.1]])
GOAL = torch.tensor([1.0, 0.0])


def linear(state, action):
    return state @ A.T + action @ B.T


def goal_cost(state, action, next_state):
    return ((next_state - GOAL) ** 2).sum(-1) + 0.01 * (action ** 2).sum(-1)


def drive(planner, steps=80):
    x = torch.tensor([-1.0, 0.0])
    actions = []
    for _ in range(steps):
        u = planner.command(x)
        actions.append(u)
        x = linear(x[None], u[None])[0]
    return x, torch.stack(actions)


def test_mppi_drives_linear_system_to_goal():
    p = MPPI(linear, goal_cost, 2, 1, horizon=20, samples=256, noise_sigma=1.0, temperature=0.1,
             action_low=-2.0, action_high=2.0, seed=0)
    x, actions = drive(p)
    assert torch.linalg.norm(x - GOAL) < 0.05
    assert actions.min() >= -2.0 and actions.max() <= 2.0


def test_actions_respect_bounds():
    p = MPPI(linear, goal_cost, 2, 1, horizon=10, samples=64, noise_sigma=5.0, action_low=-0.3, action_high=0.3)
    _, actions = drive(p, steps=20)
    assert actions.abs().max() <= 0.3 + 1e-7 and actions.abs().max() > 0.29  # saturates, never exceeds


def test_seeded_and_reset_reproducible():
    p = MPPI(linear, goal_cost, 2, 1, horizon=10, samples=64, seed=3)
    a1 = drive(p, 5)[1]
    p.reset()
    a2 = drive(p, 5)[1]
    q = MPPI(linear, goal_cost, 2, 1, horizon=10, samples=64, seed=4)
    assert torch.equal(a1, a2) and not torch.equal(a1, drive(q, 5)[1])


def test_warm_start_shifts_nominal():
    # With (almost) no noise the plan is the nominal sequence itself: the command is its first
    # action and the next nominal is the sequence shifted by one, last action repeated.
    p = MPPI(linear, goal_cost, 2, 1, horizon=4, samples=8, noise_sigma=1e-12)
    seq = torch.tensor([[0.1], [0.2], [0.3], [0.4]])
    p.nominal = seq.clone()
    u = p.command(torch.tensor([-1.0, 0.0]))
    torch.testing.assert_close(u, seq[0])
    torch.testing.assert_close(p.nominal, torch.tensor([[0.2], [0.3], [0.4], [0.4]]))


def test_shape_errors():
    p = MPPI(linear, goal_cost, 2, 1, horizon=5, samples=16)
    with pytest.raises(ValueError, match="shape"):
        p.command(torch.zeros(3))
    with pytest.raises(ValueError):
        MPPI(linear, goal_cost, 2, 1, action_low=1.0, action_high=-1.0)


def test_all_diverged_rollouts_keep_the_nominal():
    p = MPPI(lambda s, a: s * float("nan"), goal_cost, 2, 1, horizon=5, samples=16)
    u = p.command(torch.zeros(2))
    assert torch.isfinite(u).all()


def test_diverged_rollouts_get_no_weight():
    # Rollouts whose first action is positive diverge (+inf cost); the rest are finite. The new plan
    # must average the finite ones only: every planned action stays non-positive, and finite.
    def half_diverging(state, action):
        blow = torch.where(action[:, :1] > 0, float("inf"), 0.0)
        return linear(state, action) + blow
    p = MPPI(half_diverging, goal_cost, 2, 1, horizon=5, samples=64, noise_sigma=1.0, temperature=0.5, seed=1)
    p.command(torch.tensor([-1.0, 0.0]))
    # the nominal was all zeros: the sample with zero noise and every negative one are finite
    assert torch.isfinite(p.nominal).all()
    assert p.nominal[:-1].max() <= 0.0 and p.nominal.min() < 0.0


def test_per_entry_bounds_and_noise():
    # different bounds and noise per action entry take the tensor path; every action within its own bounds
    low, high = torch.tensor([-0.1, -2.0]), torch.tensor([0.2, 2.0])
    p = MPPI(lambda s, a: s + 0.1 * a, lambda s, a, n: -(n * torch.tensor([1.0, -1.0])).sum(-1), 2, 2, horizon=5,
             samples=64, noise_sigma=torch.tensor([0.5, 3.0]), action_low=low, action_high=high, seed=0)
    assert p._clamp == p._clamp_tensor
    for _ in range(20):
        u = p.command(torch.zeros(2))
        assert torch.all(u >= low) and torch.all(u <= high)
    assert u[0] > 0.1 and u[1] < -1.5  # pushed towards the corner (0.2, -2) the cost rewards


def test_fewer_samples_per_command():
    rows = []

    def counting(state, action):
        rows.append(state.shape[0])
        return linear(state, action)

    p = MPPI(counting, goal_cost, 2, 1, horizon=4, samples=300, noise_sigma=1.0, seed=3)
    whole = MPPI(linear, goal_cost, 2, 1, horizon=4, samples=300, noise_sigma=1.0, seed=3)
    x = torch.tensor([-1.0, 0.0])
    assert torch.equal(p.command(x, samples=None), whole.command(x))  # None: all K, the same draw as before
    rows.clear()
    u = p.command(x, samples=120)
    assert rows == [120] * 4 and u.shape == (1,) and bool(torch.isfinite(u).all())
    # fewer samples still drive the system to the goal
    q = MPPI(linear, goal_cost, 2, 1, horizon=20, samples=256, noise_sigma=1.0, temperature=0.1, seed=0)
    y = torch.tensor([-1.0, 0.0])
    for i in range(80):
        y = linear(y[None], q.command(y, samples=64 + (i % 3) * 50)[None])[0]
    assert (y - GOAL).abs().max() < 0.1
    for bad in (1, 301):
        with pytest.raises(ValueError, match="samples must be in"):
            p.command(x, samples=bad)


class RecordingCost:
    """The goal cost, keeping each plan's (T, K, nu) actions and (K,) total costs (one cost call per plan)."""

    def __init__(self, horizon, samples, calls=1):
        self.T, self.K, self.calls = horizon, samples, calls
        self.actions, self.totals = [], []

    def __call__(self, state, action, next_state):
        c = goal_cost(state, action, next_state)
        n = action.shape[0] // self.K
        first = n - (self.T - 1) * self.calls  # model calls of the first (maybe partly done) block
        steps = [0] + [first + (t - 1) * self.calls for t in range(1, self.T)]
        self.actions.append(action.view(n, self.K, -1)[steps].clone())
        self.totals.append(c.view(n, self.K).sum(0))
        return c


def _rows(seqs):
    """(T, E, nu) sequences as a set of rows, order-free."""
    return sorted(tuple(round(v, 6) for v in seqs[:, i].flatten().tolist()) for i in range(seqs.shape[1]))


@pytest.mark.parametrize("step_ticks", [1, 2])
def test_elite_reuse_samples_the_last_plans_best_sequences_again(step_ticks):
    T, K, E = 5, 32, 4
    rec = RecordingCost(T, K, calls=step_ticks)
    p = MPPI(linear, rec, 2, 1, horizon=T, samples=K, reuse_elites=E, step_ticks=step_ticks, seed=1)
    x = torch.tensor([-1.0, 0.0])
    for tick in range(4):
        p.command(x)
        x = linear(x[None], p.nominal[:1])[0]
    for tick in range(1, 4):
        prev, now = rec.actions[tick - 1], rec.actions[tick]
        best = prev[:, torch.topk(rec.totals[tick - 1], E, largest=False).indices]
        if tick % step_ticks == 0:  # a block ended before this plan: shifted one step, last repeated
            best = torch.cat([best[1:], best[-1:]], 0)
        assert _rows(now[:, 1:1 + E]) == _rows(best)
        assert _rows(now[:, 1 + E:]) != _rows(best)  # the rest are fresh samples


def test_elite_reuse_leaves_the_first_plan_and_the_random_stream_alone():
    a = MPPI(linear, goal_cost, 2, 1, horizon=8, samples=64, seed=2)
    b = MPPI(linear, goal_cost, 2, 1, horizon=8, samples=64, reuse_elites=8, seed=2)
    x = torch.tensor([-1.0, 0.0])
    assert torch.equal(a.command(x), b.command(x))  # no elites yet: the same plan
    assert torch.equal(a.generator.get_state(), b.generator.get_state())
    b.reset()
    assert torch.equal(b.command(x), a.reset() or a.command(x))  # reset forgets the elites


def test_elite_reuse_drives_to_goal_with_fewer_samples():
    p = MPPI(linear, goal_cost, 2, 1, horizon=20, samples=64, noise_sigma=1.0, temperature=0.1, reuse_elites=8,
             action_low=-2.0, action_high=2.0, seed=0)
    x, actions = drive(p)
    assert torch.linalg.norm(x - GOAL) < 0.05
    assert actions.min() >= -2.0 and actions.max() <= 2.0


def test_elite_reuse_with_fewer_samples_per_command():
    p = MPPI(linear, goal_cost, 2, 1, horizon=6, samples=32, reuse_elites=10, seed=0)
    x = torch.tensor([-1.0, 0.0])
    for k in (32, 4, 2, 32):  # fewer samples than elites: as many as fit after the nominal
        u = p.command(x, samples=k)
        assert torch.isfinite(u).all()


def test_elite_reuse_bounds():
    with pytest.raises(ValueError, match="reuse_elites"):
        MPPI(linear, goal_cost, 2, 1, samples=16, reuse_elites=15)
    with pytest.raises(ValueError, match="reuse_elites"):
        MPPI(linear, goal_cost, 2, 1, samples=16, reuse_elites=-1)
