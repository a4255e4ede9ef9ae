"""Models of a whole block of held actions (``train.model_ticks``): data, prediction, controller, build."""
import dataclasses

import numpy as np
import pytest
import torch

from adaptive_control.build import build_controller, load_for_method
from adaptive_control.config import ConfigError, ExperimentConfig, ModelConfig, PlannerConfig, TrainConfig
from adaptive_control.controller import AdaptiveController
from adaptive_control.training import train_checkpoint
from models.adaptation import GradientAdapter
from models.dynamics import MLPDynamics
from models.training import seeded_init
from planners.mppi import MPPI
from robot_bridge.mujoco_backend import run_episode
from sim.costs import half_cheetah_cost
from sim.half_cheetah import HalfCheetahEnv
from sim.perturbations import CrippledLeg


def test_multi_tick_dataset_stacks_the_actions_of_consecutive_ticks(cheetah_dataset):
    d = cheetah_dataset
    d3 = d.multi_tick(3)
    assert d3.action_size == 3 * d.action_size and d3.obs_size == d.obs_size
    # every path of 60 steps gives 58 three-tick transitions
    assert len(d3) == d.num_paths * (60 - 2)
    i = 5  # path 0, step 5
    assert d3.step[i] == 5 and d3.path_id[i] == 0
    np.testing.assert_array_equal(d3.obs[i], d.obs[5])
    np.testing.assert_array_equal(d3.act[i], np.concatenate([d.act[5], d.act[6], d.act[7]]))
    np.testing.assert_array_equal(d3.next_obs[i], d.next_obs[7])
    assert not np.any((d3.path_id[:-1] == d3.path_id[1:]) & (d3.step[1:] - d3.step[:-1] != 1))
    assert d.multi_tick(1) is d


def test_held_predictor_equals_the_model_given_the_action_repeated():
    m = MLPDynamics(5, 2 * 3, (16, 16))
    seeded_init(m, 0)
    g = torch.Generator().manual_seed(0)
    m.normalizer.fit(torch.randn(64, 5, generator=g), torch.randn(64, 6, generator=g), torch.randn(64, 5, generator=g))
    o, a = torch.randn(8, 5, generator=g), torch.randn(8, 2, generator=g)
    fast = m.predictor(m.params(), held=3)(o, a)
    assert torch.allclose(fast, m.predict_next(m.params(), o, a.repeat(1, 3)), atol=1e-5)


def test_controller_windows_span_model_ticks_and_stop_at_gaps():
    m = MLPDynamics(17, 6 * 2, (32, 32))
    seeded_init(m, 0)
    ctrl = AdaptiveController(m, GradientAdapter(m, 0.01),
                              lambda dyn: MPPI(dyn, half_cheetah_cost, 17, 6, horizon=3, samples=16, step_ticks=2,
                                               model_ticks=2),
                              adapt_window=4, action_low=-1.0, action_high=1.0, model_ticks=2)
    env = HalfCheetahEnv(CrippledLeg(0, 0.0))
    obs, _ = env.reset(seed=0)
    seen = []
    for t in range(5):
        a = ctrl.step(obs)
        assert a.shape == (6,)
        seen.append((obs.copy(), a.copy()))
        obs, *_ = env.step(a)
    # ticks 2, 3, 4 each completed a two-tick transition: (obs[t-2], [a[t-2], a[t-1]], obs[t])
    assert len(ctrl.history) == 3
    o, act, nxt = (x.numpy() for x in ctrl.history.window())
    np.testing.assert_allclose(o[0], seen[0][0], rtol=1e-6)
    np.testing.assert_allclose(act[0], np.concatenate([seen[0][1], seen[1][1]]), rtol=1e-6)
    np.testing.assert_allclose(nxt[0], seen[2][0], rtol=1e-6)
    ctrl.interrupt()  # a gap: the next two ticks complete no transition
    ctrl.step(obs)
    assert len(ctrl.history) == 3


def test_block_checkpoint_trains_loads_and_needs_a_matching_planner(tmp_path, cheetah_dataset):
    cfg = ExperimentConfig(model=ModelConfig(hidden_sizes=(32, 32)),
                           train=TrainConfig(method="grbal", steps=5, meta_batch_size=4, adapt_window=4,
                                             future_window=4, model_ticks=3))
    path = str(tmp_path / "g3.pt")
    train_checkpoint(cfg, cheetah_dataset, path, show_progress=False)
    ckpt = load_for_method("grbal", "half_cheetah", path)
    assert ckpt.ticks == 3 and ckpt.model.action_size == 18
    ctrl_cfg = dataclasses.replace(cfg.controller, threads=1)
    ctrl = build_controller(ckpt, "half_cheetah", PlannerConfig(samples=16, horizon=3, step_ticks=3), ctrl_cfg)
    res = run_episode(HalfCheetahEnv(), ctrl, 12, seed=0, task=CrippledLeg(1))
    assert res.steps == 12 and np.isfinite(res.episode_return)
    assert len(ctrl.history) == 12 - 3  # a three-tick transition completes at ticks 3 .. 11
    with pytest.raises(ConfigError, match="step_ticks"):
        build_controller(ckpt, "half_cheetah", PlannerConfig(samples=16, horizon=3, step_ticks=2), ctrl_cfg)
