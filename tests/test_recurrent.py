"""ReBAL: the recurrent model, its training, its online adapter through the controller."""
import numpy as np
import pytest
import torch

from adaptive_control.controller import AdaptiveController
from models.checkpoint import load_checkpoint, save_checkpoint
from models.recurrent import RecurrentAdapter, RecurrentDynamics
from models.training import seeded_init, train_dynamics
from planners.mppi import MPPI
from sim.costs import half_cheetah_cost
from sim.half_cheetah import HalfCheetahEnv
from sim.perturbations import CrippledLeg


def small():
    m = RecurrentDynamics(17, 6, (32,), context_size=8)
    seeded_init(m, 0)
    return m


def test_shapes_and_context_update():
    m = small()
    o, a = torch.randn(5, 17), torch.randn(5, 6)
    h = m.initial_context(5)
    assert m(o, a, h).shape == (5, 17) and m(o, a).shape == (5, 17)
    h2 = m.update_context(m.params(), h, o, a, o + 0.1)
    assert h2.shape == (5, 8) and not torch.equal(h2, h)
    torch.testing.assert_close(h2, m.update_context(None, h, o, a, o + 0.1))  # functional == module
    f = m.predictor(m.params(), context=h2[0])
    assert f(o, a).shape == (5, 17)


def _manual_loss(m, o, a, n, burn_in, cut_of):
    """Per-transition reference: transition t predicted from the context of transitions 0..cut_of(t)-1."""
    params, errs = m.params(), []
    for t in range(burn_in, o.shape[1]):
        h = m.initial_context(o.shape[0])
        for s in range(cut_of(t)):
            h = m.update_context(params, h, o[:, s], a[:, s], n[:, s])
        err = m(o[:, t], a[:, t], h) - m.normalizer.normalize_delta(n[:, t] - o[:, t])
        errs.append((err * err).mean())
    return torch.stack(errs).mean()


def test_sequence_loss_uses_the_contexts_it_says():
    m = small()
    g = torch.Generator().manual_seed(0)
    o, a = torch.randn(4, 9, 17, generator=g), torch.randn(4, 9, 6, generator=g)
    n = o + 0.1 * torch.randn(4, 9, 17, generator=g)
    with torch.no_grad():
        # freshest context (lag 0): transitions 0..t-1
        torch.testing.assert_close(m.sequence_loss(m.params(), o, a, n, burn_in=3, max_lag=1),
                                   _manual_loss(m, o, a, n, 3, lambda t: t))
        # context held at the burn-in point, as a plan holds it
        torch.testing.assert_close(m.sequence_loss(m.params(), o, a, n, burn_in=3, fixed_context=True),
                                   _manual_loss(m, o, a, n, 3, lambda t: 3))
        # random lags: between those two extremes, and seeded
        lagged = [m.sequence_loss(m.params(), o, a, n, burn_in=3, max_lag=6,
                                  generator=torch.Generator().manual_seed(s)) for s in (1, 1, 2)]
    assert torch.equal(lagged[0], lagged[1]) and not torch.equal(lagged[0], lagged[2])


def test_rebal_training_learns_to_use_context(cheetah_dataset):
    m = RecurrentDynamics(17, 6, (64,), context_size=16)
    seeded_init(m, 0)
    res = train_dynamics(m, cheetah_dataset, method="rebal", adapt_window=8, future_window=8, batch_size=16,
                         steps=150, eval_every=50, lr=3e-3, seed=0)
    hist = res.metrics["history"]
    assert hist[-1]["val_loss_adapted"] < hist[0]["val_loss_adapted"]
    # the carried context is informative: predictions after seeing the window beat the empty context
    assert hist[-1]["val_loss_adapted"] < hist[-1]["val_loss_prior"]


def test_checkpoint_round_trip(tmp_path):
    m = small()
    save_checkpoint(tmp_path / "r.pt", m, robot="half_cheetah", kind="rebal", inner_lr=0.0)
    ck = load_checkpoint(tmp_path / "r.pt", robot="half_cheetah")
    assert isinstance(ck.model, RecurrentDynamics) and ck.kind == "rebal"
    o, a = torch.randn(3, 17), torch.randn(3, 6)
    torch.testing.assert_close(ck.model(o, a), m(o, a))


@pytest.mark.parametrize("overlap", [False, True])
def test_controller_carries_context_across_the_episode_without_touching_the_prior(overlap):
    m = small()
    adapter = RecurrentAdapter(m)
    ctrl = AdaptiveController(m, adapter, lambda d: MPPI(d, half_cheetah_cost, 17, 6, horizon=3, samples=16),
                              adapt_window=4, action_low=-1.0, action_high=1.0, overlap_adaptation=overlap)
    prior = {k: v.clone() for k, v in m.named_parameters()}
    env = HalfCheetahEnv(CrippledLeg(2, 0.0))
    obs, _ = env.reset(seed=0)
    contexts = []
    for _ in range(10):
        a = ctrl.step(obs)
        assert np.all(np.isfinite(a)) and np.all(np.abs(a) <= 1)
        contexts.append(adapter.context.clone())
        obs, *_ = env.step(a)
    # one update per real transition, carried beyond the M=4 window
    assert torch.equal(contexts[0], torch.zeros(1, 8))
    assert all(not torch.equal(contexts[i], contexts[i + 1]) for i in range(9))
    for k, v in m.named_parameters():
        assert torch.equal(v, prior[k])
    ctrl.reset()
    assert torch.equal(adapter.context, torch.zeros(1, 8))
