import mujoco
import numpy as np
import pytest
import torch

from sim.costs import half_cheetah_cost
from sim.half_cheetah import HalfCheetahEnv
from sim.perturbations import CrippledLeg, NoPerturbation, TaskDistribution
from sim.tasks import perturbation_from_params


def test_env_api_and_control_rate():
    env = HalfCheetahEnv(seed=0)
    obs, info = env.reset(seed=3)
    assert obs.shape == (env.obs_size,) and info["task"] == {"perturbation": "none"}
    assert env.model.opt.timestep * env.frame_skip == pytest.approx(0.01)
    obs2, r, term, trunc, info = env.step(np.zeros(env.action_size))
    assert obs2.shape == obs.shape and np.isfinite(r) and not term and not trunc
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros(3))
    with pytest.raises(ValueError, match="non-finite"):
        env.step(np.full(env.action_size, np.nan))


def test_reset_is_seeded():
    a, _ = HalfCheetahEnv().reset(seed=5)
    b, _ = HalfCheetahEnv().reset(seed=5)
    c, _ = HalfCheetahEnv().reset(seed=6)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_cost_equals_negative_env_reward():
    env = HalfCheetahEnv(CrippledLeg(1, 0.3))
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=0)
    states, actions, nexts, rewards = [], [], [], []
    for _ in range(200):
        a = rng.uniform(-1, 1, env.action_size)
        nxt, r, *_ = env.step(a)
        states.append(obs), actions.append(a), nexts.append(nxt), rewards.append(r)
        obs = nxt
    cost = half_cheetah_cost(*(torch.tensor(np.array(x), dtype=torch.float64) for x in (states, actions, nexts)))
    assert cost.shape == (200,)
    np.testing.assert_allclose(-cost.numpy(), rewards, rtol=0, atol=1e-9)
    assert np.ptp(rewards) > 0.1  # a real spread of rewards, not a constant


@pytest.mark.parametrize("actuator", [0, 3, 5])
def test_crippled_joint_produces_no_torque(actuator):
    env = HalfCheetahEnv(CrippledLeg(actuator, 0.0))
    env.reset(seed=0)
    for _ in range(20):
        env.step(np.ones(env.action_size))
    m, d = env.model, env.data
    dofs = [m.jnt_dofadr[m.actuator_trnid[i, 0]] for i in range(m.nu)]
    # actuator_force is in actuator space (before the gear); the joint torque is what must vanish
    assert d.ctrl[actuator] == 1.0
    assert d.qfrc_actuator[dofs[actuator]] == 0.0
    others = [i for i in range(m.nu) if i != actuator]
    assert np.all(np.abs(d.qfrc_actuator[[dofs[i] for i in others]]) > 1.0)


def test_weakened_joint_is_scaled():
    full, weak = HalfCheetahEnv(), HalfCheetahEnv(CrippledLeg(2, 0.25))
    assert weak.model.actuator_gear[2, 0] == pytest.approx(0.25 * full.model.actuator_gear[2, 0])
    assert np.array_equal(np.delete(weak.model.actuator_gear[:, 0], 2), np.delete(full.model.actuator_gear[:, 0], 2))


def test_crippling_changes_motion():
    def run(task):
        env = HalfCheetahEnv(task)
        env.reset(seed=1)
        for t in range(100):
            obs, *_ = env.step(np.sin(0.2 * t + np.arange(6)))
        return obs

    assert not np.allclose(run(NoPerturbation()), run(CrippledLeg(0, 0.0)), atol=1e-3)


def test_reset_with_a_new_task_replaces_the_perturbation():
    env = HalfCheetahEnv(CrippledLeg(0, 0.0))
    _, info = env.reset(seed=0, task=NoPerturbation())
    assert info["task"] == {"perturbation": "none"} and env.model.actuator_gear[0, 0] > 0


def test_task_distribution_is_seeded_and_in_range():
    dist = TaskDistribution("crippled_leg", joints=(1, 4), strength_range=(0.1, 0.4))
    a = [dist.sample(np.random.default_rng(9)) for _ in range(3)]
    assert a[0] == a[1] == a[2]
    tasks = [dist.sample(np.random.default_rng(s)) for s in range(50)]
    assert {t.actuator for t in tasks} == {1, 4}
    assert all(0.1 <= t.strength <= 0.4 for t in tasks)
    assert perturbation_from_params(tasks[0].params()) == tasks[0]


def test_bad_perturbations_are_rejected():
    with pytest.raises(ValueError, match="strength"):
        CrippledLeg(0, 1.5)
    with pytest.raises(ValueError, match="actuators"):
        HalfCheetahEnv(CrippledLeg(9, 0.0))
    with pytest.raises(ValueError, match="unknown perturbation"):
        TaskDistribution("earthquake")


def test_mid_episode_switch_edits_the_compiled_model_and_is_restored_exactly():
    env = HalfCheetahEnv()
    env.reset(seed=0)
    original = env.model.actuator_gear.copy()
    for _ in range(10):
        env.step(np.ones(6))
    qpos = env.data.qpos.copy()
    env.switch(CrippledLeg(3, 0.0))
    assert np.array_equal(env.data.qpos, qpos)  # the state carries on
    assert env.model.actuator_gear[3, 0] == 0.0 and env.task_params["actuator"] == 3
    env.step(np.ones(6))
    dof = env.model.jnt_dofadr[env.model.actuator_trnid[3, 0]]
    assert env.data.qfrc_actuator[dof] == 0.0
    env.switch(CrippledLeg(1, 0.5))  # a second switch restores the first's edit before applying
    assert env.model.actuator_gear[3, 0] == original[3, 0]
    assert env.model.actuator_gear[1, 0] == 0.5 * original[1, 0]
    env.reset(seed=0)
    assert np.array_equal(env.model.actuator_gear, original) and env.task_params == {"perturbation": "none"}


def test_a_robot_built_again_copies_the_process_wide_compiled_model(monkeypatch):
    """The second env of a robot and task is a copy of the first one's compiled model (no parse, no
    compile), owns that copy (an edit stays in its env) and steps bit-identically."""
    import sim.mujoco_env as me

    first = HalfCheetahEnv(perturbation=CrippledLeg(2, 0.0))
    monkeypatch.setattr(me, "compile_mjcf", lambda root: pytest.fail("compiled again"))
    second = HalfCheetahEnv(perturbation=CrippledLeg(2, 0.0))
    assert second.model is not first.model and second.model.actuator_gear[2, 0] == 0.0
    second.switch(CrippledLeg(1, 0.5))  # an in-place edit of the second env's model only
    assert first.model.actuator_gear[1, 0] != second.model.actuator_gear[1, 0]
    third = HalfCheetahEnv(perturbation=CrippledLeg(2, 0.0))
    assert np.array_equal(third.model.actuator_gear, first.model.actuator_gear)
    actions = np.random.default_rng(0).uniform(-1, 1, size=(50, 6))
    obs = []
    for env in (first, third):
        env.reset(seed=3)
        obs.append(np.array([env.step(a)[0] for a in actions]))
    assert np.array_equal(obs[0], obs[1])


# -- the ant --------------------------------------------------------------------------------------


def test_ant_env_api_control_rate_and_registry():
    from sim.ant import AntEnv
    from sim.robots import cost_fn, make_env, registered_robots

    env = make_env("ant", seed=0)
    assert isinstance(env, AntEnv) and "ant" in registered_robots() and cost_fn("ant") is not None
    obs, info = env.reset(seed=3)
    assert obs.shape == (27,) and info["task"] == {"perturbation": "none"}
    assert env.model.opt.timestep * env.frame_skip == pytest.approx(0.02)
    assert env.model.nu == env.action_size == len(env.actuator_names)
    names = [mujoco.mj_id2name(env.model, mujoco.mjtObj.mjOBJ_JOINT, env.model.actuator_trnid[i, 0]) for i in range(8)]
    assert tuple(names) == env.actuator_names
    assert np.linalg.norm(env.data.qpos[3:7]) == pytest.approx(1.0)  # the noisy quaternion is normalised
    obs2, r, term, trunc, info = env.step(np.zeros(8))
    assert obs2[13] == info["forward_velocity"] == env.data.qvel[0] and not term and not trunc
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros(6))
    a, _ = AntEnv().reset(seed=5)
    b, _ = AntEnv().reset(seed=5)
    assert np.array_equal(a, b)


def test_ant_cost_equals_negative_env_reward():
    from sim.ant import AntEnv
    from sim.costs import ant_cost

    env = AntEnv()
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=0)
    states, actions, nexts, rewards = [], [], [], []
    for _ in range(200):
        a = rng.uniform(-1, 1, env.action_size)
        nxt, r, *_ = env.step(a)
        states.append(obs), actions.append(a), nexts.append(nxt), rewards.append(r)
        obs = nxt
    cost = ant_cost(*(torch.tensor(np.array(x), dtype=torch.float64) for x in (states, actions, nexts)))
    assert cost.shape == (200,)
    np.testing.assert_allclose(-cost.numpy(), rewards, rtol=0, atol=1e-12)
    assert np.ptp(rewards) > 0.1


def test_terrain_slot_leaves_the_nominal_physics_bit_identical():
    """Every model carries an inactive height field; the robot must not feel it."""
    from sim.mujoco_env import compile_mjcf
    from dm_control import mjcf

    for env in (HalfCheetahEnv(), __import__("sim.ant", fromlist=["AntEnv"]).AntEnv()):
        bare = compile_mjcf(mjcf.from_path(env.spec.mjcf_path))
        assert bare.ngeom == env.model.ngeom - 1
        env.reset(seed=2)
        d = mujoco.MjData(bare)
        d.qpos[:], d.qvel[:] = env.data.qpos, env.data.qvel
        rng = np.random.default_rng(0)
        for _ in range(150):
            a = rng.uniform(-1, 1, env.action_size)
            env.step(a)
            d.ctrl[:] = a
            for _ in range(env.frame_skip):
                mujoco.mj_step(bare, d)
        assert np.array_equal(env.data.qpos, d.qpos) and np.array_equal(env.data.qvel, d.qvel)


def test_planning_cost_adds_the_posture_penalty_only_when_asked():
    from sim.costs import ant_cost, ant_posture, half_cheetah_posture
    from sim.robots import planning_cost

    g = torch.Generator().manual_seed(0)
    s, a, n = torch.randn(8, 17, generator=g), torch.randn(8, 6, generator=g), torch.randn(8, 17, generator=g)
    assert planning_cost("half_cheetah", 0.0) is half_cheetah_cost  # the task cost itself
    shaped = planning_cost("half_cheetah", 3.0)
    assert torch.allclose(shaped(s, a, n), half_cheetah_cost(s, a, n) + 3.0 * half_cheetah_posture(n))
    # zero while the torso pitch stays within +-0.5 rad, quadratic beyond, either way
    n[:, 1] = torch.tensor([0.0, 0.4, -0.5, 0.7, -0.7, 1.5, 3.1, -3.1])
    assert torch.allclose(half_cheetah_posture(n), torch.tensor([0, 0, 0, 0.04, 0.04, 1.0, 2.6 ** 2, 2.6 ** 2]))
    # the ant: cos(tilt) = 1 - 2 (x^2 + y^2) from the torso quaternion (w x y z at obs 1-4)
    sa, aa, na = torch.zeros(3, 27), torch.zeros(3, 8), torch.zeros(3, 27)
    half = torch.tensor(0.5).sqrt()
    na[0, 1] = 1.0                  # upright
    na[1, 1], na[1, 2] = half, half  # rolled 90 degrees: cos 0
    na[2, 2] = 1.0                  # upside down: cos -1
    assert torch.allclose(ant_posture(na), torch.tensor([0.0, 0.25, 2.25]))
    assert torch.allclose(planning_cost("ant", 2.0)(sa, aa, na), ant_cost(sa, aa, na) + 2.0 * ant_posture(na))
    with pytest.raises(ValueError, match="upright_weight"):
        planning_cost("ant", -1.0)
