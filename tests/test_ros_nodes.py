"""The ROS 2 nodes over real middleware on loopback (a per-run domain, logs in a temp dir).

A scripted robot node (real rclpy node, real messages, MuJoCo physics behind it) publishes
``/joint_states`` with the joints in another order than the controller's, ``/odom``, and applies
the controller's commands; it can pause (stale state) or send NaNs.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
os.environ["ROS_DOMAIN_ID"] = str(10 + os.getpid() % 80)
os.environ["ROS_LOG_DIR"] = tempfile.mkdtemp(prefix="ros_log_")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import rclpy  # noqa: E402
import yaml  # noqa: E402
from nav_msgs.msg import Odometry  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.node import Node  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from sensor_msgs.msg import JointState  # noqa: E402
from std_msgs.msg import Float64MultiArray  # noqa: E402

from robot_bridge.sil import launch_dir  # noqa: E402
from models.dataset import TransitionDataset  # noqa: E402
from robot_bridge.controller_node import AdaptiveControllerNode  # noqa: E402
from robot_bridge.sim_node import MujocoSimNode  # noqa: E402
from sim import readout  # noqa: E402
from sim.half_cheetah import HalfCheetahEnv  # noqa: E402

MODEL_JOINTS = ("bthigh", "bshin", "bfoot", "fthigh", "fshin", "ffoot")
SHUFFLED = ("ffoot", "bthigh", "fshin", "bshin", "fthigh", "bfoot")
SAFE = [0.1, -0.1, 0.2, -0.2, 0.3, -0.3]


@pytest.fixture
def context():
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    yield ctx
    ctx.try_shutdown()


def spin(ctx, nodes, seconds: float, until=None):
    ex = SingleThreadedExecutor(context=ctx)
    for n in nodes:
        ex.add_node(n)
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (until is not None and until()):
        ex.spin_once(timeout_sec=0.01)
    for n in nodes:
        ex.remove_node(n)


def controller_params(**over):
    with open(launch_dir() / "half_cheetah_controller.yaml", encoding="utf-8") as fh:
        p = yaml.safe_load(fh)["adaptive_controller"]["ros__parameters"]
    p.update(threads=1, samples=50, stale_after=0.15, joints=list(SHUFFLED), safe_command=SAFE)
    p.update(over)
    return [Parameter(k, value=v) for k, v in p.items()]


class ScriptedRobot(Node):
    """A half-cheetah in MuJoCo behind real topics: joint_states in reversed joint order, odom, commands in."""

    def __init__(self, ctx):
        super().__init__("scripted_robot", context=ctx)
        self.env = HalfCheetahEnv(seed=3)
        self.env.reset(seed=3)
        self.mode = "normal"  # normal | pause | nan
        self.published_obs, self.commands = [], []  # commands: (time, mode, array)
        self.js = self.create_publisher(JointState, "joint_states", 10)
        self.odom = self.create_publisher(Odometry, "odom", 10)
        self.create_subscription(Float64MultiArray, "adaptive_controller/commands", self.on_command, 10)
        self.create_timer(0.01, self.tick)
        self.latest = np.zeros(6)

    def on_command(self, msg):
        c = np.array(msg.data)
        self.commands.append((time.monotonic(), self.mode, c))
        if c.shape == (6,) and np.all(np.isfinite(c)):
            self.latest = np.array([c[SHUFFLED.index(j)] for j in MODEL_JOINTS])

    def tick(self):
        if self.mode == "pause":
            return
        self.env.step(self.latest)
        names, pos, vel = readout.joint_state(self.env.model, self.env.data)
        if self.mode == "nan":
            pos = pos.copy()
            pos[2] = float("nan")
        else:
            self.published_obs.append(self.env.observation())
        order = list(reversed(range(len(names))))
        js = JointState(name=[names[i] for i in order], position=[float(pos[i]) for i in order],
                        velocity=[float(vel[i]) for i in order])
        js.header.stamp = self.get_clock().now().to_msg()
        b = readout.base_state(self.env.model, self.env.data)
        od = Odometry()
        od.header.stamp = js.header.stamp
        od.pose.pose.position.x, od.pose.pose.position.y, od.pose.pose.position.z = map(float, b.position)
        q = od.pose.pose.orientation
        q.w, q.x, q.y, q.z = map(float, b.quaternion)
        t = od.twist.twist
        t.linear.x, t.linear.y, t.linear.z = map(float, b.linear)
        t.angular.x, t.angular.y, t.angular.z = map(float, b.angular)
        self.odom.publish(od)
        self.js.publish(js)


def test_commands_follow_the_joints_parameter_and_state_is_matched_by_name(context, tmp_path):
    log = tmp_path / "robot_log.npz"
    ctrl = AdaptiveControllerNode(context=context, parameter_overrides=controller_params(record=str(log)))
    robot = ScriptedRobot(context)
    try:
        # (ticks that find no new state record nothing: under load the two 100 Hz timers drift, so
        # wait for enough recorded transitions, not for a number of ticks)
        spin(context, [ctrl, robot], 30.0,
             until=lambda: len(robot.commands) > 80 and len(ctrl.bridge.recorder) > 25)
        ctrl.trigger_deactivate()  # writes the recording
    finally:
        ctrl.bridge.controller.close()
        ctrl.destroy_node()
        robot.destroy_node()
    ds = TransitionDataset.load(log)
    assert len(ds) > 20
    # the robot log is a meta-training dataset like the simulator's
    from adaptive_control.training import load_datasets

    assert len(load_datasets([str(log)], "half_cheetah")) == len(ds) and ds.tasks[0] == {"perturbation": "unknown"}
    published = np.array(robot.published_obs)
    # every observation the controller saw is one the robot published, entry for entry (by name)
    for o in ds.obs[-10:]:
        assert np.min(np.max(np.abs(published - o), axis=1)) < 1e-4
    # each recorded action (model order) went out permuted into the joints parameter's order
    sent = np.array([c for _, _, c in robot.commands])
    perm = [MODEL_JOINTS.index(j) for j in SHUFFLED]
    for a in ds.act[:10]:  # (the newest commands may still be in flight at shutdown)
        assert np.min(np.max(np.abs(sent - a[perm]), axis=1)) < 1e-5


def test_stale_and_nonfinite_state_give_the_safe_command_then_control_resumes(context):
    ctrl = AdaptiveControllerNode(context=context, parameter_overrides=controller_params())
    robot = ScriptedRobot(context)
    phases = [("normal", 0.8), ("nan", 0.5), ("normal", 0.6), ("pause", 0.6), ("normal", 0.6)]
    marks = []
    try:
        spin(context, [ctrl, robot], 20.0, until=lambda: len(robot.commands) > 10)  # warmed up, controlling
        troubles0 = ctrl.bridge.stats.troubles
        for mode, seconds in phases:
            robot.mode = mode
            marks.append((mode, time.monotonic(), time.monotonic() + seconds))
            spin(context, [ctrl, robot], seconds)
        troubles = ctrl.bridge.stats.troubles - troubles0
    finally:
        ctrl.bridge.controller.close()
        ctrl.destroy_node()
        robot.destroy_node()
    sent = [(t, c) for t, _, c in robot.commands]
    assert all(c.shape == (6,) and np.all(np.isfinite(c)) and np.all(np.abs(c) <= 1.0) for _, c in sent)
    for mode, start, end in marks:
        window = [c for t, c in sent if start + 0.3 < t < end]
        assert window, f"no commands during the {mode} phase"
        if mode == "normal":
            assert any(not np.allclose(c, SAFE) for c in window), "control did not resume"
        else:
            assert all(np.allclose(c, SAFE) for c in window), f"{mode}: a non-safe command went out"
    assert troubles == 2  # one episode of trouble each for the NaN and the stale phase


def test_bad_parameter_fails_configuration_with_its_name(context):
    for override, name in [({"method": "grbol"}, "method"), ({"control_rate": -5.0}, "control_rate"),
                           ({"observation_layout": ["odom.z"] * 16 + ["odom.height"]}, "observation_layout")]:
        node = AdaptiveControllerNode(context=context, parameter_overrides=controller_params(**override))
        try:
            assert node.bridge is None
            assert f"parameter '{name}'" in node.configure_error
        finally:
            node.destroy_node()
    node = AdaptiveControllerNode(context=context, parameter_overrides=controller_params(checkpoint="/nonexistent/x.pt"))
    try:
        assert node.bridge is None and "/nonexistent/x.pt" in node.configure_error
    finally:
        node.destroy_node()


def test_sim_node_switches_perturbation_by_parameter_while_running(context):
    node = MujocoSimNode(context=context, parameter_overrides=[Parameter("seed", value=1)])
    try:
        gear = node.robot.env.model.actuator_gear[:, 0].copy()
        res = node.set_parameters([Parameter("perturbation", value='{"perturbation": "crippled_leg", "actuator": 3, "strength": 0.0}')])
        assert res[0].successful
        assert node.robot.env.model.actuator_gear[3, 0] == 0.0 and node.robot.env.model.actuator_gear[2, 0] == gear[2]
        bad = node.set_parameters([Parameter("perturbation", value='{"perturbation": "wobbly"}')])
        assert not bad[0].successful and "perturbation" in bad[0].reason
        assert node.set_parameters([Parameter("perturbation", value='{"perturbation": "none"}')])[0].successful
        np.testing.assert_array_equal(node.robot.env.model.actuator_gear[:, 0], gear)
    finally:
        node.destroy_node()


def test_free_running_sim_node_steps_at_its_control_rate_like_hardware(context):
    node = MujocoSimNode(context=context, parameter_overrides=[Parameter("step_on_command", value=False),
                                                               Parameter("control_rate", value=50.0)])
    listener = Node("listener", context=context)
    got = []
    listener.create_subscription(JointState, "joint_states", lambda m: got.append(m), 10)
    try:
        spin(context, [node, listener], 1.0)
    finally:
        node.destroy_node()
        listener.destroy_node()
    assert 35 <= node.robot.steps <= 55  # ~50 steps in a second with no commands at all (held zeros)
    assert got and set(got[-1].name) == set(MODEL_JOINTS)


def test_sil_runs_both_nodes_over_ros2_with_a_mid_run_switch(tmp_path):
    out = tmp_path / "sil.json"
    env = dict(os.environ, ROS_DOMAIN_ID=str(10 + (os.getpid() + 41) % 80))
    proc = subprocess.run([sys.executable, "-m", "adaptive_control.cli", "sil", "--duration", "1.5", "--switch-at", "0.5",
                           "--seed", "100", "--no-compare", "--work-dir", str(tmp_path / "work"), "--json", str(out)],
                          env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    r = json.loads(out.read_text())
    assert r["steps"] == 150 and r["control_rate"] == 100.0 and np.isfinite(r["return"])
    assert r["task"]["perturbation"] == "crippled_leg"
    assert r["control_ticks"] > 100 and r["missed_deadlines"] is not None
    assert r["round_trip_median_ms"] > 0
    sim = json.loads((tmp_path / "work" / "sim.json").read_text())
    assert sim["switched_at_step"] == 50 and sim["task"] == r["task"]


def test_tracking_controller_follows_cmd_vel_and_stops_after_its_timeout(context):
    """objective: track: the controller node subscribes cmd_vel (real geometry_msgs/Twist), its planning
    cost reads the commanded velocity, and without a message for cmd_vel_timeout the target is zero."""
    from geometry_msgs.msg import Twist

    ctrl = AdaptiveControllerNode(context=context, parameter_overrides=controller_params(objective="track",
                                                                                     cmd_vel_timeout=0.3))
    robot = ScriptedRobot(context)
    teleop = Node("teleop", context=context)
    pub = teleop.create_publisher(Twist, "cmd_vel", 10)
    target = ctrl.bridge.velocity_input.command
    try:
        spin(context, [ctrl, robot, teleop], 20.0, until=lambda: len(robot.commands) > 10)
        assert target.value() == (0.0, 0.0, 0.0)  # nothing commanded yet
        msg = Twist()
        msg.linear.x, msg.angular.z = 1.5, 0.2
        spin(context, [ctrl, robot, teleop], 10.0,
             until=lambda: (pub.publish(msg), target.value() == (1.5, 0.0, pytest.approx(0.2)))[1])
        assert ctrl.bridge.velocity_input.received >= 1
        bad = Twist()
        bad.linear.x = float("nan")
        pub.publish(bad)
        spin(context, [ctrl, robot, teleop], 0.1)
        assert target.value()[0] == 1.5  # a non-finite command is ignored (and counted)
        spin(context, [ctrl, robot, teleop], 10.0, until=lambda: target.value() == (0.0, 0.0, 0.0))
        s = ctrl.statistics()
        assert target.value() == (0.0, 0.0, 0.0) and s["cmd_vel_timeouts"] == 1 and s["cmd_vel_rejected"] >= 1
        assert s["control_ticks"] > 10 and s["unsafe_actions"] == 0
    finally:
        ctrl.bridge.controller.close()
        ctrl.destroy_node()
        robot.destroy_node()
        teleop.destroy_node()
