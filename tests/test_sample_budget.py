"""The sample budget: plans keep to a time by taking fewer samples while the CPU is slow."""
import time

import numpy as np
import pytest

from adaptive_control.deadline import SampleBudget


def plan_ms(samples, per_sample_ms, fixed_ms=0.5):
    return fixed_ms + per_sample_ms * samples


def run(budget, per_sample_ms, ticks):
    ks = []
    for _ in range(ticks):
        k = budget.samples
        ks.append(k)
        budget.update(plan_ms(k, per_sample_ms), k)
    return ks


def test_fits_the_budget_and_follows_the_cpu():
    b = SampleBudget(6.0, 500, 100)
    assert b.samples == 500  # nothing measured yet: all samples
    assert run(b, 0.01, 12)[-1] == 500  # a fast CPU: 5.5 ms at 500, within the budget
    slow = run(b, 0.02, 15)  # the CPU at half speed: 500 samples would take 10.5 ms
    assert slow[0] == 500 and slow[-1] < 500
    assert plan_ms(slow[-1], 0.02) <= 6.0 and plan_ms(slow[-1] + 2 * b.granularity, 0.02) > 6.0
    assert slow[-1] % b.granularity == 0
    assert run(b, 0.01, 15)[-1] == 500  # and back


def test_one_slow_plan_does_not_move_it():
    b = SampleBudget(6.0, 500, 100)
    run(b, 0.01, 9)
    b.update(50.0, 500)  # one preempted plan
    assert b.samples == 500


def test_bounds():
    b = SampleBudget(6.0, 500, 150)
    assert run(b, 1.0, 12)[-1] == 150  # never below min_samples
    b.reset()
    assert b.samples == 500
    assert b.update(float("nan"), 500) == 500  # no measure, no change
    for args in ((0.0, 500, 100), (6.0, 100, 200), (6.0, 500, 1)):
        with pytest.raises(ValueError):
            SampleBudget(*args)


def test_controller_takes_fewer_samples_when_its_model_is_slow():
    """A real controller and MPPI; the model's time per sample rows comes from sleeping (not CPU), so the
    figures hold on a busy machine."""
    import torch

    from adaptive_control.controller import AdaptiveController
    from models.adaptation import NoAdaptation
    from models.dynamics import MLPDynamics
    from models.training import seeded_init
    from planners.mppi import MPPI
    from sim.costs import half_cheetah_cost

    m = MLPDynamics(17, 6, (16,))
    seeded_init(m, 0)
    seen = []

    def factory(dyn):
        def slow(state, action):
            seen.append(state.shape[0])
            time.sleep(2e-5 * state.shape[0])  # 2 ms per model call at 100 rows
            return dyn(state, action)
        return MPPI(slow, half_cheetah_cost, 17, 6, horizon=3, samples=400)

    budgets = {}
    for budget_ms in (1e4, 15.0):
        ctrl = AdaptiveController(m, NoAdaptation(), factory, adapt_window=16, action_low=-1.0, action_high=1.0,
                                  sample_budget=SampleBudget(budget_ms, 400, 50))
        obs = np.zeros(17)
        for _ in range(15):
            assert np.all(np.isfinite(ctrl.step(obs)))
        budgets[budget_ms] = ctrl.stats.summary()
    assert budgets[1e4]["samples_median"] == 400  # a plan of 400 takes ~24 ms: within 10 s
    # 15 ms fits about 250 rows (3 calls x 250 x 20 us) less the plan's own time
    assert 50 <= budgets[15.0]["samples_min"] <= 250 and budgets[15.0]["samples_median"] <= 250
    assert seen[-1] <= 250  # the planner itself was called with fewer rows
