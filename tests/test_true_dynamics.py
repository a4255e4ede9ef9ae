"""The true-dynamics reference: the simulator as the planner's model, equal to ``env.step``."""
import numpy as np
import pytest

from adaptive_control.config import ConfigError, ControllerConfig, PlannerConfig
from adaptive_control.reference import TrueDynamicsController, build_reference
from robot_bridge.mujoco_backend import run_episode
from sim.perturbations import CrippledLeg, Friction
from sim.robots import make_env
from sim.tasks import make_distribution
from sim.true_dynamics import SimulatorDynamics


@pytest.mark.parametrize("robot", ["half_cheetah", "ant"])
def test_one_step_prediction_equals_env_step(robot):
    env = make_env(robot)
    task = make_distribution(robot, "crippled_leg", "test").sample(np.random.default_rng(3))
    env.reset(seed=3, task=task)
    sim = SimulatorDynamics(env, nthread=2)
    rng = np.random.default_rng(0)
    for t in range(30):
        if t == 10:  # a mid-episode switch edits the compiled model: the prediction follows it
            env.switch(Friction(scale=0.3))
        a = rng.uniform(-1.0, 1.0, env.action_size)
        s = sim.state()
        batch = np.stack([s, s, s])
        acts = np.stack([rng.uniform(-1, 1, env.action_size), a, -a])
        pred = sim.step(batch, acts)
        obs, *_ = env.step(a)
        np.testing.assert_array_equal(pred[1], sim.state())  # the whole physics state, bit for bit
        np.testing.assert_array_equal(sim.observe(pred[1:2])[0], obs)
        assert not np.array_equal(pred[1], pred[2])  # each sample is its own rollout
    sim.close()


def test_step_checks_shapes():
    env = make_env("half_cheetah")
    env.reset(seed=0)
    sim = SimulatorDynamics(env, nthread=1)
    with pytest.raises(ValueError, match="states"):
        sim.step(np.zeros((2, 5)), np.zeros((2, 6)))


def test_reference_drives_the_robot_and_follows_new_models():
    env = make_env("half_cheetah")
    planner = PlannerConfig(samples=64, horizon=5, step_ticks=2)
    ref = build_reference(env, "half_cheetah", planner, ControllerConfig(threads=1))
    res = run_episode(env, ref, 80, seed=1, task=CrippledLeg(actuator=5))
    still = run_episode(env, lambda obs: np.zeros(6), 80, seed=1, task=CrippledLeg(actuator=5))
    assert res.episode_return > still.episode_return + 10  # it runs forward from a standstill
    assert res.latency["ticks"] == 80
    # a pier adds bodies: the full state grows and the reference rebuilds its planner
    ns = ref.sim.state_size
    pier = make_distribution("half_cheetah", "pier", "test").sample(np.random.default_rng(0))
    res = run_episode(env, ref, 10, seed=1, task=pier)
    assert ref.sim.state_size > ns and ref.planner.nx == ref.sim.state_size
    ref.close()


def test_reference_refuses_casadi_and_bad_observations():
    env = make_env("half_cheetah")
    with pytest.raises(ConfigError, match="casadi"):
        TrueDynamicsController(env, "half_cheetah", PlannerConfig(type="casadi"))
    ref = TrueDynamicsController(env, "half_cheetah", PlannerConfig(samples=8, horizon=2), threads=1)
    obs, _ = env.reset(seed=0)
    ref.reset()
    with pytest.raises(ValueError, match="finite"):
        ref.step(np.full_like(obs, np.nan))
    ref.close()
