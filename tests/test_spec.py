"""Robots from files (issue 13): the YAML robot spec, its environment and its cost terms.

The two benchmark robots are defined by their specs; their observations and rewards are checked
against the documented definitions read straight off MuJoCo. Every cost term a spec can name equals
minus its reward term, computed by the environment from the simulator's own state.
"""
import dataclasses
import math
import os

import mujoco
import numpy as np
import pytest
import torch
import yaml

from sim.costs import COSTS, VelocityCommand, spec_cost
from sim.robots import cost_fn, make_env, robot_name
from sim.spec import SpecError, load_spec, spec_path
from sim.spec_env import spec_env_class
from sim.tasks import families, make_distribution


def _episode(env, task, seed, steps=200):
    """Seeded random actions; returns (observations, rewards, the (qpos, qvel) after every step, actions)."""
    env.reset(seed=seed, task=task)
    rng = np.random.default_rng(seed)
    obs, rew, states, acts = [], [], [], []
    for _ in range(steps):
        a = rng.uniform(-1, 1, env.action_size)
        x_before = float(env.data.qpos[0])
        o, r, *_ = env.step(a)
        obs.append(o), rew.append(r), acts.append(a)
        states.append((env.data.qpos.copy(), env.data.qvel.copy(), x_before))
    return np.array(obs), np.array(rew), states, np.array(acts)


@pytest.mark.parametrize("robot", ["half_cheetah", "ant"])
def test_the_benchmark_robots_specs_give_their_documented_observations_and_rewards(robot):
    env = make_env(robot, seed=0)
    assert type(env).__name__ == {"half_cheetah": "HalfCheetahEnv", "ant": "AntEnv"}[robot]
    assert env.spec.source == spec_path(robot)
    task = make_distribution(robot, "crippled_leg", "test").sample(np.random.default_rng(1))
    obs, rew, states, acts = _episode(env, task, seed=4)
    for o, r, (qpos, qvel, x0), a in zip(obs, rew, states, acts):
        if robot == "half_cheetah":  # qpos[1:9], qvel[0:9]; reward dx/dt - 0.05 |a|^2
            np.testing.assert_array_equal(o, np.concatenate([qpos[1:9], qvel[:9]]))
            assert r == pytest.approx((qpos[0] - x0) / 0.01 - 0.05 * a @ a, rel=1e-9, abs=1e-9)
        else:  # qpos[2:15], qvel[0:14]; reward vx(next) - 0.005 |a|^2
            np.testing.assert_array_equal(o, np.concatenate([qpos[2:15], qvel[:14]]))
            assert r == pytest.approx(qvel[0] - 0.005 * a @ a, rel=1e-12, abs=1e-12)
    assert np.ptp(rew) > 0.1


@pytest.mark.parametrize("robot", ["half_cheetah", "ant"])
def test_the_benchmark_robots_hand_written_costs_equal_their_specs_terms(robot):
    env = make_env(robot, seed=0)
    obs, _, _, acts = _episode(env, None, seed=2, steps=60)
    s, a, n = (torch.as_tensor(x) for x in (obs[:-1], acts[1:], obs[1:]))
    assert cost_fn(robot) is COSTS[robot]
    assert torch.equal(spec_cost(load_spec(robot))(s, a, n), COSTS[robot](s, a, n))


def _write_spec(tmp_path, robot, **changes):
    """A copy of a shipped spec with ``changes``, its MJCF named by absolute path; returns the path."""
    with open(spec_path(robot), encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    data["mjcf"] = load_spec(robot).mjcf_path
    for k, v in changes.items():
        if v is None:
            data.pop(k, None)
        else:
            data[k] = v
    path = tmp_path / f"{robot}_{len(os.listdir(tmp_path))}.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_a_robots_mjcf_edited_while_the_process_runs_is_compiled_anew(tmp_path, monkeypatch):
    """Compiled models are shared per process by MJCF file and version: the same file builds from the cache,
    an edited one (new contents, new modification time) compiles again and the env has the edit."""
    import shutil

    import sim.mujoco_env as me

    src = os.path.dirname(load_spec("walker").mjcf_path)
    shutil.copytree(os.path.join(src, "common"), tmp_path / "common")
    xml = tmp_path / "walker.xml"
    shutil.copy(os.path.join(src, "walker.xml"), xml)
    spec = _write_spec(tmp_path, "walker", name="my_walker", mjcf=str(xml))
    compiles = []
    real = me.compile_mjcf
    monkeypatch.setattr(me, "compile_mjcf", lambda root: compiles.append(1) or real(root))
    first = make_env(spec)
    n = len(compiles)  # the env's model (and the spec's nominal one, read for its index tables)
    make_env(spec)
    assert len(compiles) == n  # the second env is a copy
    text = xml.read_text()
    assert 'friction=".7 .1 .1"' in text
    xml.write_text(text.replace('friction=".7 .1 .1"', 'friction=".3 .1 .1"'))
    stat = os.stat(xml)
    os.utime(xml, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a later version even on a coarse clock
    edited = make_env(spec)
    assert len(compiles) == 2 * n
    assert first.model.geom_friction[:, 0].max() == pytest.approx(0.7)
    assert edited.model.geom_friction[:, 0].max() == pytest.approx(0.3)


ALL_TERMS = [
    {"term": "forward_velocity", "weight": 1.5},
    {"term": "control", "weight": 0.02},
    {"term": "height", "weight": 3.0, "min": 0.3, "max": 0.6},
    {"term": "upright", "weight": 2.0, "free_angle": 0.2},
    {"term": "joint_limits", "weight": 4.0, "margin": 0.5},
    {"term": "velocity_tracking", "weight": 0.7, "yaw_weight": 0.3},
]


@pytest.mark.parametrize("robot,height", [("walker", (-0.4, 0.05)), ("ant", (0.3, 0.6))])
def test_every_cost_term_equals_minus_its_reward_term(robot, height, tmp_path):
    terms = [dict(t) for t in ALL_TERMS]
    terms[2].update(min=height[0], max=height[1])
    path = _write_spec(tmp_path, robot, cost=terms, name=f"{robot}_all_terms")
    spec = load_spec(path)
    env = spec_env_class(spec)(seed=0)
    env.command.set(0.8, -0.2, 0.3)
    env.reset(seed=5)
    rng = np.random.default_rng(5)
    active = np.zeros(len(terms))
    for _ in range(150):
        s = env.observation()
        a = rng.uniform(-1, 1, env.action_size)
        n, r, *_, info = env.step(a)
        per_term = env.reward_terms(a)
        assert r == pytest.approx(-sum(per_term.values()), abs=1e-12)
        st, at, nt = (torch.as_tensor(x)[None] for x in (s, a, n))
        for i, t in enumerate(spec.cost):
            one = spec_cost(dataclasses.replace(spec, cost=(t,)), env.command)(st, at, nt)
            assert float(one) == pytest.approx(per_term[i], rel=1e-9, abs=1e-9), t.term
            active[i] += per_term[i] != 0
        total = spec_cost(spec, env.command)(st, at, nt)
        assert float(total) == pytest.approx(-r, rel=1e-9, abs=1e-9)
    assert active.all(), dict(zip([t["term"] for t in terms], active))  # every term was exercised


def test_the_walker_is_a_robot_from_files_only():
    env = make_env("walker", seed=0)
    assert env.name == robot_name("walker") == "walker" and env.obs_size == 17 and env.action_size == 6
    assert env.frame_skip == 8 and env.control_dt == 0.02
    assert families("walker") == ("none", "crippled_leg", "terrain_ramps", "tilted_floor", "friction", "payload",
                                  "motor_gain", "joint_damping")
    # a held-out crippled leg disables that joint's motor: the knee no longer moves the leg
    task = make_distribution("walker", "crippled_leg", "test").sample(np.random.default_rng(0))
    assert task.params()["perturbation"] == "crippled_group"
    env.reset(seed=1, task=task)
    crippled = [env.spec.legs[task.group][1][0]]
    a_idx = env.spec.actuators.index(crippled[0])
    assert env.model.actuator_gear[env._ctrl_idx[a_idx], 0] == 0.0
    assert np.count_nonzero(env.model.actuator_gear[:, 0]) == 5
    for family in families("walker")[1:]:  # every family applies to the walker
        p = make_distribution("walker", family, "test").sample(np.random.default_rng(3))
        env.reset(seed=2, task=p)
        _, r, *_ = env.step(np.zeros(6))
        assert math.isfinite(r)


def test_a_spec_path_works_wherever_a_name_does(tmp_path):
    from adaptive_control.config import load_config

    spec = _write_spec(tmp_path, "walker", name="my_walker")
    env = make_env(spec, seed=0)
    assert env.name == "my_walker" and robot_name(spec) == "my_walker"
    cfg_path = tmp_path / "exp.yaml"
    cfg_path.write_text(f"robot: {{name: {os.path.basename(spec)}}}\ntask: {{joints: [0, 5]}}\n")
    cfg = load_config(cfg_path)  # the spec is found beside the config
    assert cfg.robot.name == spec
    cfg_path.write_text(f"robot: {{name: {os.path.basename(spec)}}}\ntask: {{joints: [6]}}\n")
    with pytest.raises(Exception, match=r"task.joints: \[6\] out of range: .* leg indices are 0-5"):
        load_config(cfg_path)


BAD = [
    ({"colour": "red"}, "colour: unknown key"),
    ({"cost": None}, "cost: missing"),
    ({"mjcf": "no/such.xml"}, "mjcf: no such file"),
    ({"mjcf": "nosuchpackage:x.xml"}, "mjcf: package 'nosuchpackage' is not installed"),
    ({"control_dt": 0.003}, "control_dt: 0.003 s is not a multiple"),
    ({"actuators": ["right_hip", "elbow"]}, "actuators: the model has no joint named 'elbow'"),
    ({"base": {"free": "rootx"}}, "base.free: joint 'rootx' is not a free joint"),
    ({"base": {"x": "rootz", "z": "rootz", "pitch": "rooty"}}, r"base.x: joint 'rootz' has axis"),
    ({"torso": "head"}, "torso: the model has no body named 'head'"),
    ({"observation": ["odom.z", "rootx.velocity"]}, "observation: 'odom.z': odom fields need a free-joint base"),
    ({"observation": ["rootz.acceleration"]}, "observation: 'rootz.acceleration': expected"),
    ({"observation": ["rootx.velocity", "rootx.velocity"]}, "observation: names rootx.velocity more than once"),
    ({"legs": {"right": ["right_hip", "neck"]}}, "legs.right: 'neck' is not one of the actuators"),
    ({"crippled_legs": {"train": ["right_hip"], "test": ["tail"]}}, "crippled_legs.test: 'tail' is not a leg"),
    ({"cost": [{"term": "speed", "weight": 1}]}, r"cost\[0\].term: unknown term 'speed'"),
    ({"cost": [{"term": "height", "weight": 1, "low": 0}]}, r"cost\[0\].low: unknown parameter of height"),
    ({"cost": [{"term": "control", "weight": -1}]}, r"cost\[0\].weight: must be >= 0"),
    ({"cost": [{"term": "control", "weight": "lots"}]}, r"cost\[0\].weight: expected a number"),
    ({"observation": ["rootz.position", "rooty.position"], "cost": [{"term": "forward_velocity", "weight": 1}]},
     r"cost\[0\]: term forward_velocity reads the base's vx"),
    ({"observation": ["rootz.position", "rooty.position", "rootx.velocity"],
      "cost": [{"term": "joint_limits", "weight": 1}]}, "cost: term joint_limits reads the actuated joints' positions"),
]


@pytest.mark.parametrize("change,message", BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_every_spec_error_names_the_key_and_the_file(change, message, tmp_path):
    path = _write_spec(tmp_path, "walker", **change)
    with pytest.raises(SpecError, match=message) as err:
        load_spec(path)
    assert str(err.value).startswith(path)


def test_unknown_robots_and_missing_spec_files_are_named():
    with pytest.raises(SpecError, match=r"unknown robot 'hexapod' \(registered: ant, half_cheetah, walker"):
        load_spec("hexapod")
    with pytest.raises(SpecError, match="robot spec not found: nowhere/robot.yaml"):
        load_spec("nowhere/robot.yaml")


def test_the_spec_base_velocity_is_the_simulators(tmp_path):
    """The tracking term's heading-frame velocity and yaw rate, from observations, equal MuJoCo's."""
    from sim.robots import base_velocity_fn

    env = make_env("ant", seed=0)
    env.reset(seed=3)
    env.data.qvel[3:6] = (0.3, -0.2, 0.9)  # spin it so heading and yaw rate are non-trivial
    mujoco.mj_forward(env.model, env.data)
    for _ in range(30):
        env.step(np.random.default_rng(0).uniform(-1, 1, 8))
    v = base_velocity_fn("ant")(torch.as_tensor(env.observation()))
    np.testing.assert_allclose(v.numpy(), env.base_velocity(), rtol=1e-9, atol=1e-9)


def _cli(*args, env=None, timeout=300):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "adaptive_control.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_a_robot_of_your_own_runs_the_whole_chain_from_its_spec_alone(tmp_path):
    """collect -> meta-train -> run -> sil over ROS 2, for a robot named only by a spec file (a renamed
    copy of the walker's: nothing shipped for it, no YAML for its nodes)."""
    spec = _write_spec(tmp_path, "walker", name="my_walker")
    data, ckpt = str(tmp_path / "d.npz"), str(tmp_path / "grbal.pt")
    p = _cli("collect", "--robot", spec, "--paths", "4", "--path-length", "40", "--seed", "3", "--out", data)
    assert p.returncode == 0, p.stderr
    p = _cli("meta-train", "--robot", spec, "--data", data, "--method", "grbal", "--steps", "20", "--threads", "1",
             "--out", ckpt)
    assert p.returncode == 0, p.stderr
    from models.checkpoint import load_checkpoint

    assert load_checkpoint(ckpt, robot="my_walker").kind == "grbal"
    with pytest.raises(Exception, match="my_walker"):  # a checkpoint for another robot is refused by name
        load_checkpoint(ckpt, robot="walker")
    out = tmp_path / "run.json"
    p = _cli("run", "--robot", spec, "--checkpoint", ckpt, "--steps", "25", "--samples", "50", "--json", str(out))
    assert p.returncode == 0, p.stderr
    import json

    r = json.loads(out.read_text())
    assert r["robot"] == spec and r["steps"] == 25 and math.isfinite(r["return"])
    sil = tmp_path / "sil.json"
    env = dict(os.environ, ROS_DOMAIN_ID=str(10 + (os.getpid() + 53) % 80))
    p = _cli("sil", "--robot", spec, "--checkpoint", ckpt, "--duration", "1.0", "--switch-at", "0.4", "--seed", "100",
             "--no-compare", "--work-dir", str(tmp_path / "work"), "--json", str(sil), env=env, timeout=240)
    assert p.returncode == 0, p.stdout + p.stderr
    s = json.loads(sil.read_text())
    assert s["steps"] == 50 and s["control_rate"] == 50.0 and math.isfinite(s["return"])
    assert s["task"]["perturbation"] == "crippled_group" and s["control_ticks"] > 25
    # the nodes ran on parameters derived from the spec
    derived = yaml.safe_load((tmp_path / "work" / "my_walker_controller.yaml").read_text())
    layout = derived["adaptive_controller"]["ros__parameters"]["observation_layout"]
    assert layout[:2] == ["odom.z", "odom.pitch"] and layout[8] == "odom.vx" and "right_knee.velocity" in layout


def test_the_derived_node_layout_reads_back_the_spec_observation():
    """The controller node's layout from a spec, applied to what the sim node publishes (joint states and
    odometry read off MuJoCo), gives back the spec's observation exactly: planar and free bases."""
    from robot_bridge.control_bridge import ObservationLayout, odom_fields
    from robot_bridge.spec_params import observation_layout
    from sim.readout import base_state, joint_state

    for robot in ("walker", "half_cheetah", "ant"):
        env = make_env(robot, seed=0)
        env.reset(seed=7)
        for _ in range(20):
            env.step(np.random.default_rng(1).uniform(-1, 1, env.action_size))
        names, pos, vel = joint_state(env.model, env.data)
        b = base_state(env.model, env.data)
        entries, offsets = observation_layout(env.spec)
        obs = ObservationLayout(entries, offsets).build(dict(zip(names, pos)), dict(zip(names, vel)),
                                                          odom_fields(b.position, b.quaternion, b.linear, b.angular))
        np.testing.assert_allclose(obs, env.observation(), rtol=0, atol=1e-9, err_msg=robot)


def test_the_walkers_shipped_checkpoints_load_and_drive_it():
    import dataclasses as dc

    from adaptive_control.build import build_controller, experiment_config, load_for_method
    from models.checkpoint import CheckpointError

    cfg = experiment_config("walker")
    assert cfg.robot.name == "walker" and cfg.planner.step_ticks == cfg.train.model_ticks == 2
    for method in ("grbal", "mb"):
        ckpt = load_for_method(method, "walker")
        assert ckpt.robot == "walker" and ckpt.ticks == 2 and ckpt.residual_max is not None
    with pytest.raises(CheckpointError, match="walker"):  # the walker's checkpoint on the half-cheetah
        from adaptive_control.build import default_checkpoint

        load_for_method("grbal", "half_cheetah", default_checkpoint("walker", "grbal"))
    ctrl = build_controller(load_for_method("grbal", "walker"), "walker", dc.replace(cfg.planner, samples=64),
                            dc.replace(cfg.controller, threads=1))
    env = make_env("walker", seed=0)
    obs, _ = env.reset(seed=1)
    ctrl.reset()
    for _ in range(10):
        a = ctrl.step(obs)
        assert a.shape == (6,) and np.all(np.abs(a) <= 1.0)
        obs, *_ = env.step(a)
    ctrl.close()


def test_the_spec_parser_and_the_cost_builder_know_the_same_terms():
    from sim.costs import COST_TERMS
    from sim.spec import TERM_PARAMS

    assert set(TERM_PARAMS) == set(COST_TERMS)


def test_ros_params_writes_the_nodes_yaml_from_a_spec(tmp_path):
    p = _cli("ros-params", "--robot", "walker", "--out-dir", str(tmp_path))
    assert p.returncode == 0, p.stderr
    ctrl = yaml.safe_load((tmp_path / "walker_controller.yaml").read_text())["adaptive_controller"]["ros__parameters"]
    sim = yaml.safe_load((tmp_path / "walker_sim.yaml").read_text())["mujoco_sim"]["ros__parameters"]
    spec = load_spec("walker")
    assert ctrl["joints"] == sim["joints"] == list(spec.actuators) and ctrl["control_rate"] == 50.0
    assert len(ctrl["observation_layout"]) == len(spec.observation) and ctrl["observation_offset"][0] == 1.3
    p = _cli("ros-params", "--robot", "hexapod", "--out-dir", str(tmp_path))
    assert p.returncode == 2 and "unknown robot 'hexapod'" in p.stderr and "Traceback" not in p.stderr
