"""gymnasium environments (issue 13): every robot + perturbation family behind gymnasium.make, passing
gymnasium's own checker, with seeded resets and the simulator's rewards."""
import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import sim.gym_env  # noqa: F401  (registers the ids)
from sim.perturbations import CrippledLeg
from sim.robots import make_env


@pytest.mark.parametrize("env_id,perturbation", [("adaptive_control/HalfCheetah-v0", "crippled_leg"),
                                                 ("adaptive_control/Ant-v0", "all"),
                                                 ("adaptive_control/Walker-v0", "crippled_leg")])
def test_registered_env_passes_gymnasiums_checker(env_id, perturbation):
    env = gymnasium.make(env_id, perturbation=perturbation, split="test")
    check_env(env.unwrapped, skip_render_check=True)
    assert env.spec.max_episode_steps in (1000, 600, 500)
    env.close()


def test_seeded_reset_draws_the_same_task_and_state_and_rewards_are_the_simulators():
    env = gymnasium.make("adaptive_control/HalfCheetah-v0", perturbation="crippled_leg", split="test")
    o1, i1 = env.reset(seed=3)
    o2, i2 = env.reset(seed=3)
    np.testing.assert_array_equal(o1, o2)
    assert i1["task"] == i2["task"] and i1["task"]["actuator"] in (4, 5)  # the held-out actuators
    tasks = {env.reset(seed=s)[1]["task"]["actuator"] for s in range(12)}
    assert tasks == {4, 5}
    # the same task and actions in the plain simulator give the same rewards
    o, info = env.reset(seed=5, options={"task": CrippledLeg(actuator=4)})
    assert info["task"]["actuator"] == 4
    raw = make_env("half_cheetah")
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (20, 6)).astype(np.float32)
    sim_env = env.unwrapped.sim
    qpos, qvel = sim_env.data.qpos.copy(), sim_env.data.qvel.copy()
    raw.reset(seed=0, task=CrippledLeg(actuator=4))
    raw.data.qpos[:], raw.data.qvel[:] = qpos, qvel
    import mujoco

    mujoco.mj_forward(raw.model, raw.data)
    for a in actions:
        ob, r, term, trunc, _ = env.step(a)
        ob2, r2, *_ = raw.step(a)
        assert r == r2 and not term
        np.testing.assert_array_equal(ob, ob2)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="unknown perturbation 'wind'"):
        gymnasium.make("adaptive_control/Ant-v0", perturbation="wind")
    env = gymnasium.make("adaptive_control/Ant-v0")
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(seed=0, options={"tsak": None})


def test_module_colon_id_imports_and_registers():
    env = gymnasium.make("sim.gym_env:adaptive_control/Ant-v0", perturbation="none")
    obs, _ = env.reset(seed=0)
    assert obs.shape == (27,) and env.action_space.shape == (8,)


def test_rgb_array_renders_or_says_why_not():
    env = gymnasium.make("adaptive_control/HalfCheetah-v0", render_mode="rgb_array", width=64, height=48)
    env.reset(seed=0)
    try:
        frame = env.render()
    except RuntimeError as exc:  # no OpenGL backend on this machine (MUJOCO_GL): a clear message
        assert "MuJoCo cannot render here" in str(exc) and "MUJOCO_GL" in str(exc)
    else:
        assert frame.shape == (48, 64, 3) and frame.dtype == np.uint8 and frame.any()
    env.close()
    plain = gymnasium.make("adaptive_control/HalfCheetah-v0")
    plain.reset(seed=0)
    assert plain.render() is None  # no render_mode: nothing
