"""The ROS-free bridge core: observation layout by name, safety rules, command order, recording."""
import math

import numpy as np
import pytest

from adaptive_control.config import ConfigError
from robot_bridge.node_cores import ControllerNodeConfig
from robot_bridge.recording import TransitionRecorder
from robot_bridge.control_bridge import ControlBridge, LayoutError, ObservationLayout, odom_fields
from models.dataset import TransitionDataset


class RecordingController:
    """Test double for AdaptiveController: returns a fixed action and remembers every observation."""

    def __init__(self, action):
        self.action = np.asarray(action, float)
        self.seen = []
        self.interrupts = 0

    def step(self, obs):
        self.seen.append(np.array(obs))
        return self.action.copy()

    def interrupt(self):
        self.interrupts += 1


LAYOUT = ObservationLayout(("odom.z", "odom.pitch", "a.position", "b.position", "odom.vx", "a.velocity", "b.velocity"),
                           (0.5, 0, 0, 0, 0, 0, 0))


def _odom(z=0.6, pitch=0.2, vx=1.5):
    return odom_fields((0.0, 0.0, z), (math.cos(pitch / 2), 0.0, math.sin(pitch / 2), 0.0), (vx, 0.0, 0.0), (0.0, 0.3, 0.0))


def _bridge(action=(0.25, -0.5), **kw):
    ctrl = RecordingController(action)
    logs = []
    args = dict(low=[-0.4, -1], high=[0.4, 1], safe_command=[0.05, -0.05], stale_after_s=0.05,
                log=lambda level, msg: logs.append((level, msg)))
    args.update(kw)
    # model order (a, b); command order (b, a)
    return ControlBridge(ctrl, LAYOUT, ("a", "b"), ("b", "a"), **args), ctrl, logs


def test_layout_builds_by_name_whatever_the_message_order():
    odom = _odom()
    pos1, vel1 = dict(zip(["a", "b"], [1.0, 2.0])), dict(zip(["a", "b"], [3.0, 4.0]))
    pos2, vel2 = dict(zip(["b", "a"], [2.0, 1.0])), dict(zip(["b", "a"], [4.0, 3.0]))
    o1, o2 = LAYOUT.build(pos1, vel1, odom), LAYOUT.build(pos2, vel2, odom)
    np.testing.assert_allclose(o1, o2)
    np.testing.assert_allclose(o1, [0.1, 0.2, 1.0, 2.0, 1.5, 3.0, 4.0], atol=1e-12)
    assert LAYOUT.joints == ("a", "b")


@pytest.mark.parametrize("entries, word", [(("odom.height",), "height"), (("a.effort",), "position"), (("z",), "expected")])
def test_layout_rejects_bad_entries(entries, word):
    with pytest.raises(LayoutError, match=word):
        ObservationLayout(entries)


def test_bridge_commands_in_joint_order_within_limits():
    bridge, ctrl, _ = _bridge()
    bridge.on_joint_state(["b", "a", "extra"], [2.0, 1.0, 9.0], [4.0, 3.0, 9.0], received=10.0, stamp=1.0)
    bridge.on_odom(_odom(), received=10.0, stamp=1.0)
    cmd = bridge.tick(10.01)
    np.testing.assert_allclose(cmd, [-0.4, 0.25])  # (b, a); b clipped to its limit
    np.testing.assert_allclose(ctrl.seen[0][2:4], [1.0, 2.0])


def test_stale_missing_and_nonfinite_state_give_the_safe_command_and_recover():
    bridge, ctrl, logs = _bridge()
    np.testing.assert_allclose(bridge.tick(0.0), [0.05, -0.05])  # nothing received yet
    bridge.on_joint_state(["a", "b"], [1.0, 2.0], [3.0, 4.0], received=1.0, stamp=1.0)
    bridge.on_odom(_odom(), received=1.0, stamp=1.0)
    assert not np.allclose(bridge.tick(1.01), [0.05, -0.05])
    # stale: older than 50 ms, for several ticks -> safe each time, logged once
    for t in (1.1, 1.11, 1.12):
        np.testing.assert_allclose(bridge.tick(t), [0.05, -0.05])
    # a missing joint
    bridge.on_joint_state(["a"], [1.0], [3.0], received=1.2, stamp=1.2)
    bridge.on_odom(_odom(), received=1.2, stamp=1.2)
    np.testing.assert_allclose(bridge.tick(1.2), [0.05, -0.05])
    # a NaN never reaches the controller, nor the command
    n_seen = len(ctrl.seen)
    bridge.on_joint_state(["a", "b"], [float("nan"), 2.0], [3.0, 4.0], received=1.3, stamp=1.3)
    np.testing.assert_allclose(bridge.tick(1.3), [0.05, -0.05])
    assert len(ctrl.seen) == n_seen
    # good state again: control resumes by itself
    bridge.on_joint_state(["a", "b"], [1.0, 2.0], [3.0, 4.0], received=1.4, stamp=1.4)
    bridge.on_odom(_odom(), received=1.4, stamp=1.4)
    np.testing.assert_allclose(bridge.tick(1.41), [-0.4, 0.25])
    warnings = [m for level, m in logs if level == "warn"]
    assert len(warnings) == 2 and bridge.stats.troubles == 2  # start-up, then one episode of trouble
    assert "stale" in warnings[1]
    assert ctrl.interrupts == 2 and all(np.all(np.isfinite(o)) for o in ctrl.seen)


def test_nonfinite_controller_output_is_replaced():
    bridge, _, _ = _bridge(action=(float("nan"), 0.0))
    bridge.on_joint_state(["a", "b"], [1.0, 2.0], [3.0, 4.0], received=1.0, stamp=1.0)
    bridge.on_odom(_odom(), received=1.0, stamp=1.0)
    np.testing.assert_allclose(bridge.tick(1.0), [0.05, -0.05])


def test_settle_gives_the_controller_its_after_tick_time_and_needs_none():
    bridge, ctrl, _ = _bridge()
    bridge.settle(0.004)  # a controller without after-tick work (this double): nothing to wait for
    waits = []
    ctrl.wait_adapted = lambda timeout_s: waits.append(timeout_s) or True
    bridge.settle(0.004)
    assert waits == [0.004]


def test_bridge_rejects_bad_settings():
    with pytest.raises(ValueError, match="permutation"):
        ControlBridge(RecordingController([0, 0]), LAYOUT, ("a", "b"), ("a", "c"), [-1, -1], [1, 1], [0, 0], 0.05)
    with pytest.raises(ValueError, match="safe_command"):
        _bridge(safe_command=[2.0, 0.0])


def test_node_config_names_the_bad_parameter():
    good = dict(joints=("a", "b"), observation_layout=LAYOUT.entries)
    ControllerNodeConfig(**good).validate(nx=7, nu=2)
    for bad, name in [(dict(method="grbol"), "method"), (dict(control_rate=0.0), "control_rate"),
                      (dict(joints=("a",)), "joints"), (dict(observation_layout=("a.position",) * 6), "observation_layout"),
                      (dict(record_task="not json"), "record_task"), (dict(stale_after=-1.0), "stale_after"),
                      (dict(adapted_steps=-2), "adapted_steps"), (dict(method="rebal", adapted_steps=3), "adapted_steps"),
                      (dict(plan_budget_ms=-2.0), "plan_budget_ms")]:
        with pytest.raises(ConfigError, match=f"parameter '{name}'"):
            ControllerNodeConfig(**{**good, **bad}).validate(nx=7, nu=2)


def test_recording_breaks_paths_at_gaps_and_round_trips(tmp_path):
    bridge, _, _ = _bridge()
    bridge.recorder = rec = TransitionRecorder("toy", {"perturbation": "unknown"}, obs_size=7, action_size=2)
    t = 1.0
    for k in range(12):
        if k == 6:
            t += 1.0  # a gap: stale
            bridge.tick(t)
        bridge.on_joint_state(["a", "b"], [k, 2.0], [3.0, 4.0], received=t, stamp=t)
        bridge.on_odom(_odom(), received=t, stamp=t)
        bridge.tick(t)
        t += 0.01
    path = tmp_path / "log.npz"
    rec.save(path)
    ds = TransitionDataset.load(path)
    assert ds.robot == "toy" and len(ds) == 10 and ds.num_paths == 2
    np.testing.assert_allclose(ds.next_obs[0, 2], 1.0)  # obs of tick 1 follows tick 0's
    np.testing.assert_allclose(ds.act[0], [0.25, -0.5])  # actions in the model's order
    assert np.all(np.diff(ds.timestamp[:5]) > 0)


def test_velocity_command_input_times_out_to_zero_and_ignores_nonfinite():
    from robot_bridge.control_bridge import VelocityCommandInput
    from sim.costs import VelocityCommand

    target = VelocityCommand(3.0)
    logs = []
    vin = VelocityCommandInput(target, 0.5, log=lambda level, msg: logs.append((level, msg)))
    assert target.value() == (0.0, 0.0, 0.0)  # nothing commanded: stand still
    vin.on_cmd_vel(1.0, 0.5, -0.2, received=10.0)
    vin.update(10.4)
    assert target.value() == (1.0, 0.5, pytest.approx(-0.2))
    vin.on_cmd_vel(float("nan"), 0.0, 0.0, received=10.45)
    assert vin.rejected == 1 and target.value()[0] == 1.0
    vin.update(10.51)
    assert target.value() == (0.0, 0.0, 0.0) and vin.timeouts == 1 and len(logs) == 1
    vin.update(11.0)
    assert vin.timeouts == 1  # counted once per silence
    with pytest.raises(ValueError, match="cmd_vel_timeout"):
        VelocityCommandInput(target, 0.0)


def _launch_node_config() -> ControllerNodeConfig:
    """The half-cheetah's node parameters as the shipped launch YAML sets them."""
    import os

    import yaml

    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "launch", "half_cheetah_controller.yaml"), encoding="utf-8") as fh:
        launch = yaml.safe_load(fh)["adaptive_controller"]["ros__parameters"]
    return ControllerNodeConfig(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in launch.items()
                                   if k in ControllerNodeConfig.__dataclass_fields__})


def test_adapted_steps_parameter_overrides_the_experiment_yaml():
    """The node's ``adapted_steps``: 0 keeps the YAML's (the half-cheetah plans 3 calls adapted), -1 adapts
    the whole plan, k > 0 sets k; the controller the node drives is built with it."""
    import dataclasses

    from robot_bridge.node_cores import build_bridge

    base = _launch_node_config()
    assert base.adapted_steps == 0
    for value, expected in ((0, 3), (-1, None), (5, 5)):
        bridge = build_bridge(dataclasses.replace(base, samples=16, horizon=2, adapted_steps=value), realtime=False)
        try:
            assert bridge.controller.adapted_steps == expected
        finally:
            bridge.controller.close()


def test_plan_budget_parameter():
    """The node's ``plan_budget_ms``: a value sets the sample budget of the real-time controller (up to the
    planner's samples), -1 turns it off; without a deadline (``realtime=False``) plans always use every sample."""
    import dataclasses

    from robot_bridge.node_cores import build_bridge

    base = _launch_node_config()
    for value, realtime, expected in ((8.0, True, 8.0), (-1.0, True, None), (8.0, False, None)):
        bridge = build_bridge(dataclasses.replace(base, samples=120, horizon=2, plan_budget_ms=value), realtime=realtime)
        try:
            budget = bridge.controller.sample_budget
            assert (None if budget is None else budget.budget_ms) == expected
            if budget is not None:
                assert budget.max_samples == 120
        finally:
            bridge.controller.close()
