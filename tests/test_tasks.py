"""The perturbation suite: every family changes the physics as intended, switches are exact, ranges held out."""
import json

import mujoco
import numpy as np
import pytest

from robot_bridge.mujoco_backend import run_episode
from sim.ant import AntEnv
from sim.half_cheetah import HalfCheetahEnv
from sim.perturbations import (CrippledAntLeg, CrippledLeg, Friction, JointDamping, MotorGain, NoPerturbation,
                               Payload, TiltedFloor, UnsupportedSwitch)
from sim.robots import make_env
from sim.tasks import FAMILIES, make_distribution, perturbation_from_params
from sim.terrain import ANCHOR_AHEAD, Pier, TerrainRamps

ROBOT_FAMILIES = [(r, f) for r, fams in FAMILIES.items() for f in fams]
#: Compiled-model fields any perturbation may edit (dotted: nested).
FIELDS = ("actuator_gear", "geom_friction", "body_mass", "body_inertia", "dof_damping", "opt.gravity",
          "hfield_data", "geom_contype", "geom_conaffinity", "geom_size")

_ENVS: dict = {}


def env_for(robot):
    """One env per robot for the whole module (compiled models are cached per task inside it)."""
    if robot not in _ENVS:
        _ENVS[robot] = make_env(robot, seed=0)
    return _ENVS[robot]


def field(model, name):
    obj = model
    for part in name.split("."):
        obj = getattr(obj, part)
    return np.array(obj)


def snapshot(model):
    return {name: field(model, name) for name in FIELDS}


def rollout(env, task, steps=60, seed=1, x=None):
    """Open-loop sinusoidal actions from a seeded reset; returns the (steps, nx) observations."""
    env.reset(seed=seed, task=task)
    if x is not None:
        env.data.qpos[0] = x
        mujoco.mj_forward(env.model, env.data)
    obs = [env.step(0.8 * np.sin(0.15 * t + np.arange(env.action_size)))[0] for t in range(steps)]
    return np.array(obs)


# -- ranges and sampling --------------------------------------------------------------------------


@pytest.mark.parametrize("robot,family", ROBOT_FAMILIES)
def test_train_and_test_ranges_are_disjoint_and_sampling_is_seeded(robot, family):
    train, test = make_distribution(robot, family, "train"), make_distribution(robot, family, "test")
    a = [train.sample(np.random.default_rng(4)) for _ in range(2)]
    assert a[0] == a[1]  # the caller's seeded generator fixes the task
    if family == "none":
        assert a[0] == NoPerturbation() == test.sample(np.random.default_rng(0))
        return
    assert train.disjoint_from(test) and test.disjoint_from(train)
    rng = np.random.default_rng(0)
    for _ in range(20):
        t, s = train.sample(rng), test.sample(rng)
        assert train.contains(t) and not test.contains(t)
        assert test.contains(s) and not train.contains(s)
        # the stored record is JSON-safe and rebuilds the same task
        assert perturbation_from_params(json.loads(json.dumps(s.params()))) == s


def test_unknown_names_are_rejected():
    with pytest.raises(ValueError, match="unknown robot"):
        make_distribution("hexapod", "none", "train")
    with pytest.raises(ValueError, match="pier"):
        make_distribution("ant", "pier", "train")  # the pier is the half-cheetah's only
    with pytest.raises(ValueError, match="split"):
        make_distribution("ant", "friction", "validation")
    with pytest.raises(ValueError, match="unknown perturbation"):
        perturbation_from_params({"perturbation": "earthquake"})


# -- every family, at reset and mid-episode -------------------------------------------------------


@pytest.mark.parametrize("robot,family", [rf for rf in ROBOT_FAMILIES if rf[1] != "none"])
def test_each_family_changes_the_motion_and_stays_stable(robot, family):
    env = env_for(robot)
    nominal = rollout(env, NoPerturbation())
    for split in ("train", "test"):
        task = make_distribution(robot, family, split).sample(np.random.default_rng(3))
        obs = rollout(env, task, x=3.0 if family == "terrain_ramps" else None)
        assert obs.shape == nominal.shape and np.all(np.isfinite(obs))
        assert not np.allclose(obs, nominal, atol=1e-3), (family, split)


@pytest.mark.parametrize("robot,family", [rf for rf in ROBOT_FAMILIES if rf[1] not in ("none", "pier")])
def test_switch_then_switch_then_reset_restores_the_compiled_model_exactly(robot, family):
    env = env_for(robot)
    env.reset(seed=0, task=NoPerturbation())
    original = snapshot(env.model)
    for _ in range(5):
        env.step(np.ones(env.action_size))
    qpos = env.data.qpos.copy()
    task = make_distribution(robot, family, "test").sample(np.random.default_rng(1))
    env.switch(task)
    assert np.array_equal(env.data.qpos, qpos)  # the state carries on
    edited = snapshot(env.model)
    assert any(not np.array_equal(edited[k], original[k]) for k in FIELDS)
    assert env.task_params["perturbation"] == task.params()["perturbation"]
    env.step(np.ones(env.action_size))
    env.switch(MotorGain(0.5))  # a second switch restores the first's edit before applying its own
    now = snapshot(env.model)
    for k in FIELDS:
        if k != "actuator_gear":
            assert np.array_equal(now[k], original[k]), k
    assert np.array_equal(now["actuator_gear"][:, 0], 0.5 * original["actuator_gear"][:, 0])
    env.reset(seed=0)
    assert all(np.array_equal(v, original[k]) for k, v in snapshot(env.model).items())
    assert env.task_params == {"perturbation": "none"}


@pytest.mark.parametrize("robot", list(FAMILIES))
def test_a_task_set_at_reset_equals_the_same_task_switched_on_at_step_zero(robot):
    env = env_for(robot)
    for task in (Friction(0.3), Payload(0.8), MotorGain(0.4), JointDamping(4.0), TiltedFloor(-0.25)):
        at_reset = rollout(env, task, steps=30)
        env.reset(seed=1, task=NoPerturbation())
        env.switch(task)
        switched = np.array([env.step(0.8 * np.sin(0.15 * t + np.arange(env.action_size)))[0] for t in range(30)])
        assert np.array_equal(at_reset, switched), task


@pytest.mark.parametrize("robot", list(FAMILIES))
def test_mid_episode_switch_happens_at_the_requested_step(robot):
    env = env_for(robot)
    seen = []

    def policy(obs):
        seen.append(float(env.model.actuator_gear[0, 0]))
        return np.full(env.action_size, 0.5)

    nominal = run_episode(env, lambda o: np.full(env.action_size, 0.5), 40, seed=2, task=NoPerturbation())
    res = run_episode(env, policy, 40, seed=2, task=NoPerturbation(), switch=(25, MotorGain(0.25)))
    gear = seen[0]
    assert seen[:25] == [gear] * 25 and seen[25:] == [0.25 * gear] * 15
    assert res.task == {"perturbation": "motor_gain", "scale": 0.25}
    np.testing.assert_array_equal(res.rewards[:25], nominal.rewards[:25])
    assert not np.allclose(res.rewards[26:], nominal.rewards[26:])


# -- what each family does to the physics ---------------------------------------------------------


@pytest.mark.parametrize("robot", list(FAMILIES))
def test_friction_scales_the_contact_friction_and_changes_slip(robot):
    env = env_for(robot)
    env.reset(seed=0, task=NoPerturbation())
    for _ in range(30):
        env.step(np.zeros(env.action_size))
    mu = env.data.contact.friction[: env.data.ncon, 0].copy()
    assert len(mu) and np.all(mu > 0)
    env.switch(Friction(0.3))
    mujoco.mj_forward(env.model, env.data)
    np.testing.assert_allclose(env.data.contact.friction[: env.data.ncon, 0], 0.3 * mu)
    # on a slippery floor the same open-loop gait makes different forward progress
    progress = []
    for task in (NoPerturbation(), Friction(0.2)):
        rollout(env, task, steps=100)
        progress.append(env.x_position)
    assert abs(progress[0] - progress[1]) > 0.05


@pytest.mark.parametrize("robot", list(FAMILIES))
def test_payload_adds_mass_to_the_torso(robot):
    env = env_for(robot)
    env.reset(seed=0, task=NoPerturbation())
    torso = mujoco.mj_name2id(env.model, mujoco.mjtObj.mjOBJ_BODY, "torso")
    m0, total, inertia = env.model.body_mass[torso], env.model.body_subtreemass[torso], env.model.body_inertia[torso].copy()
    env.reset(seed=0, task=Payload(0.5))
    assert env.model.body_mass[torso] == pytest.approx(m0 + 0.5 * total)
    np.testing.assert_allclose(env.model.body_inertia[torso], inertia * (m0 + 0.5 * total) / m0)


@pytest.mark.parametrize("robot", list(FAMILIES))
def test_tilted_floor_rotates_gravity_and_pulls_the_robot_downhill(robot):
    env = env_for(robot)
    for angle in (0.0, 0.25, -0.25):
        env.reset(seed=0, task=TiltedFloor(angle))
        np.testing.assert_allclose(env.model.opt.gravity, [-9.81 * np.sin(angle), 0, -9.81 * np.cos(angle)])
        env.data.qvel[:] = 0
        mujoco.mj_forward(env.model, env.data)
        mass = env.model.body_subtreemass[1]
        # the generalised gravity force on the root's x dof: m g sin(angle) (bias = -gravity)
        assert env.data.qfrc_bias[0] == pytest.approx(mass * 9.81 * np.sin(angle), abs=1e-9)


@pytest.mark.parametrize("robot", list(FAMILIES))
def test_motor_gain_and_joint_damping_scale_the_joint_forces(robot):
    env = env_for(robot)
    env.reset(seed=0, task=NoPerturbation())
    env.data.ctrl[:] = 0.7
    env.data.qvel[:] = 0.3
    mujoco.mj_forward(env.model, env.data)
    dofs = env.model.jnt_dofadr[env.model.actuator_trnid[:, 0]]
    act, damping = env.data.qfrc_actuator[dofs].copy(), env.model.dof_damping[dofs].copy()
    env.switch(MotorGain(0.4))
    mujoco.mj_forward(env.model, env.data)
    np.testing.assert_allclose(env.data.qfrc_actuator[dofs], 0.4 * act)
    env.switch(JointDamping(3.0))
    np.testing.assert_allclose(env.model.dof_damping[dofs], 3.0 * damping)
    assert np.all(env.model.dof_damping[dofs] > 0)


def test_ant_crippled_leg_has_no_torque_and_a_short_leg_at_reset():
    env = env_for("ant")
    env.reset(seed=0, task=NoPerturbation())
    size = env.model.geom_size.copy()
    for leg, mode in ((3, "reset"), (1, "switch")):
        if mode == "reset":
            env.reset(seed=0, task=CrippledAntLeg(leg))
        else:
            env.reset(seed=0, task=NoPerturbation())
            env.switch(CrippledAntLeg(leg))
        for _ in range(10):
            env.step(np.ones(8))
        m, d = env.model, env.data
        hip = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, f"hip_{leg + 1}")
        ankle = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, f"ankle_{leg + 1}")
        crippled = [m.jnt_dofadr[hip], m.jnt_dofadr[ankle]]
        assert np.all(d.qfrc_actuator[crippled] == 0.0)
        others = [m.jnt_dofadr[j] for j in m.actuator_trnid[:, 0] if j not in (hip, ankle)]
        assert np.all(np.abs(d.qfrc_actuator[others]) > 1.0)
        lower = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, ("left", "right", "third", "fourth")[leg] + "_ankle_geom")
        if mode == "reset":  # shrunk: capsule radius and half-length halved
            np.testing.assert_allclose(m.geom_size[lower, :2], 0.5 * size[lower, :2])
        else:  # mid-episode only the motors are cut
            assert np.array_equal(m.geom_size, size)


def test_cheetah_crippled_leg_from_the_suite_disables_a_held_out_joint():
    task = make_distribution("half_cheetah", "crippled_leg", "test").sample(np.random.default_rng(0))
    assert isinstance(task, CrippledLeg) and task.actuator in (4, 5) and task.strength == 0.0


@pytest.mark.parametrize("robot", list(FAMILIES))
def test_terrain_raises_the_floor_under_the_robot(robot):
    env = env_for(robot)
    terrain = TerrainRamps(0.5)
    env.reset(seed=0, task=terrain)
    xs = np.array([-3.0, 1.9, 2.1, 2.25, 3.0, 3.6, 4.1, 57.3])  # away from the robot (the ray would hit it)
    geom = np.zeros(1, np.int32)
    heights = [3.0 - mujoco.mj_ray(env.model, env.data, np.array([x, 0.2, 3.0]), np.array([0, 0, -1.0]), None, 1, -1, geom)
               for x in xs]
    np.testing.assert_allclose(heights, terrain.height(xs), atol=1e-6)
    assert terrain.height(3.0) == pytest.approx(0.25)
    # placed on the plateau (0.25 m), the root rides higher than on flat ground (obs[0] is the root z)
    flat, hill = rollout(env, NoPerturbation(), x=3.0), rollout(env, terrain, x=3.0)
    assert hill[-1, 0] > flat[-1, 0] + 0.1


@pytest.mark.parametrize("robot", list(FAMILIES))
def test_terrain_switched_on_mid_episode_starts_ahead_of_the_robot(robot):
    env = env_for(robot)
    env.reset(seed=0, task=NoPerturbation())
    for _ in range(20):
        env.step(np.zeros(env.action_size))
    x = env.x_position
    env.switch(TerrainRamps(0.5))
    assert env.task_params["start"] == pytest.approx(x + ANCHOR_AHEAD, abs=1e-6)
    floor = env.model.geom_contype[0], env.model.geom_conaffinity[0]
    assert floor == (0, 0)  # the flat floor is off, the height field carries the robot
    for _ in range(30):
        env.step(np.zeros(env.action_size))
    assert abs(env.data.qvel[:3]).max() < 5  # no violent push: it was under flat ground at the switch


def test_pier_blocks_bob_under_the_cheetah_with_their_damping():
    dampings = tuple(np.linspace(1.0, 30.0, 30))
    env = HalfCheetahEnv(Pier(dampings))
    obs, _ = env.reset(seed=0)
    nominal = HalfCheetahEnv()
    assert obs.shape == (17,) and env.model.nq == 9 + 30
    np.testing.assert_allclose(env.model.body_mass[1:8], nominal.model.body_mass[1:8], rtol=1e-12)
    joints = [mujoco.mj_name2id(env.model, mujoco.mjtObj.mjOBJ_JOINT, f"pier_z_{i}") for i in range(30)]
    np.testing.assert_allclose(env.model.dof_damping[env.model.jnt_dofadr[joints]], dampings)
    first = env.model.jnt_qposadr[joints[0]]
    assert env.model.body_mass[env.model.jnt_bodyid[joints[0]]] == pytest.approx(10.0)
    z = []
    for t in range(150):
        env.step(np.sin(0.1 * t + np.arange(6)))
        z.append(env.data.qpos[first])
    assert min(z) < -0.02 and np.ptp(z) > 0.03  # the block under the robot sinks and bobs
    other = Pier(tuple(d + 100 for d in dampings))
    env.switch(other)  # same pier: the switch changes the blocks' damping
    assert env.model.dof_damping[env.model.jnt_dofadr[joints[0]]] == pytest.approx(101.0)
    env.reset(seed=0)
    assert env.model.dof_damping[env.model.jnt_dofadr[joints[0]]] == pytest.approx(1.0)
    with pytest.raises(UnsupportedSwitch, match="reset"):
        nominal.switch(other)
    with pytest.raises(UnsupportedSwitch):
        env.switch(Pier((1.0,) * 10))  # another layout is structural too


def test_ant_and_cheetah_envs_are_independent_classes():
    assert AntEnv.obs_size == 27 and HalfCheetahEnv.obs_size == 17
    assert set(FAMILIES["ant"]) == set(FAMILIES["half_cheetah"]) - {"pier"}


def test_config_distribution_per_robot():
    from sim.perturbations import TaskDistribution
    from sim.tasks import config_distribution

    cheetah = config_distribution("half_cheetah", "crippled_leg", (1, 4), (0.0, 0.0))
    assert isinstance(cheetah, TaskDistribution)  # the training configs' sampler, unchanged
    ant = config_distribution("ant", "crippled_leg", (0, 1, 2))
    legs = {ant.sample(np.random.default_rng(s)).leg for s in range(30)}
    assert legs == {0, 1, 2}
    assert config_distribution("ant", "none").sample(np.random.default_rng(0)) == NoPerturbation()
    with pytest.raises(ValueError, match="strength"):
        config_distribution("ant", "crippled_leg", (0,), (0.2, 0.5))


def test_compiled_models_are_kept_for_the_last_few_tasks_only():
    env = HalfCheetahEnv()
    for i in range(3 * env.model_cache_size):
        env.reset(seed=i, task=Friction(0.5 + 0.01 * i))
    assert len(env._models) == env.model_cache_size
    assert env.model.geom_friction[0, 0] == pytest.approx((0.5 + 0.01 * (3 * env.model_cache_size - 1)) * 1.0)


def test_the_whole_suite_mixture_draws_every_family_from_training_ranges():
    import dataclasses

    from adaptive_control.build import task_distribution
    from adaptive_control.config import load_config
    from sim.tasks import FAMILIES, make_distribution

    cfg = load_config(None)
    for robot in FAMILIES:
        mix = task_distribution(robot, dataclasses.replace(cfg.task, perturbation="all"))
        rng = np.random.default_rng(0)
        tasks = [mix.sample(rng) for _ in range(300)]
        dists = {f: make_distribution(robot, f, "train") for f in FAMILIES[robot]}
        hits = {f: sum(d.contains(t) for t in tasks) for f, d in dists.items()}
        assert all(hits.values()), hits  # every family drawn, each task from a training range
        assert all(any(d.contains(t) for d in dists.values()) for t in tasks)


def test_a_training_range_of_your_own_changes_that_family_only_and_never_reaches_the_test_range(tmp_path):
    import dataclasses

    from adaptive_control.build import task_distribution
    from adaptive_control.config import ConfigError, load_config

    path = tmp_path / "wide.yaml"
    path.write_text("task:\n  perturbation: all\n  train_ranges:\n    - [joint_damping.scale, 2.2, 2.75]\n"
                    "    - [pier.dampings, 50, 60]\n")
    cfg = load_config(str(path))
    assert cfg.task.train_range_overrides() == {"joint_damping": {"scale": (2.2, 2.75)}, "pier": {"dampings": (50.0, 60.0)}}
    wide = task_distribution("half_cheetah", cfg.task)
    plain = task_distribution("half_cheetah", dataclasses.replace(cfg.task, train_ranges=()))
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    seen = set()
    for _ in range(200):
        a, b = wide.sample(rng_a), plain.sample(rng_b)
        seen.add(type(a))
        if isinstance(a, JointDamping):
            assert 2.2 <= a.scale <= 2.75 and 0.5 <= b.scale <= 2.0
        elif isinstance(a, Pier):
            assert all(50 <= d <= 60 for d in a.dampings) and max(b.dampings) <= 40
        else:
            assert a == b  # every other family draws exactly as before
    assert {JointDamping, Pier} <= seen
    # the test split ignores the overrides: run, demo and evaluate measure on the suite's test ranges
    test = task_distribution("half_cheetah", cfg.task, "joint_damping", split="test")
    assert test.ranges == make_distribution("half_cheetah", "joint_damping", "test").ranges
    one = task_distribution("half_cheetah", cfg.task, "joint_damping")
    assert 2.2 <= one.sample(np.random.default_rng(0)).scale <= 2.75
    for line, msg in (("[joint_damping.scale, 0.5, 3.5]", "overlaps the held-out test range .3, 5."),
                      ("[joint_damping.stiffness, 0.5, 2]", "joint_damping has no parameter 'stiffness'"),
                      ("[earthquake.scale, 0.5, 2]", "'earthquake' is not a perturbation family of half_cheetah"),
                      ("[crippled_leg.actuator, 0, 3]", "task.joints"),
                      ("[friction.scale, 1.5, 0.5]", "low <= high"),
                      ("[tilted_floor.angle, -0.1, 0.1]", "either sign"),
                      ("[friction, 0.5, 1.5]", "family.parameter")):
        path.write_text(f"task:\n  train_ranges:\n    - {line}\n")
        with pytest.raises(ConfigError, match=msg) as info:
            load_config(str(path))
        assert str(path) in str(info.value) and "train_ranges" in str(info.value)
    path.write_text("task:\n  train_ranges:\n    - [friction.scale, 0.6, 1.0]\n    - [friction.scale, 0.6, 1.2]\n")
    with pytest.raises(ConfigError, match="given twice"):
        load_config(str(path))
    with pytest.raises(ValueError, match="train split only"):
        make_distribution("half_cheetah", "friction", "test", {"scale": (0.6, 1.0)})
