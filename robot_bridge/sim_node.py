"""``mujoco_sim_node``: a simulated MuJoCo robot served over the same topics as the hardware.

Publishes ``joint_states`` (sensor_msgs/JointState) and ``odom`` (nav_msgs/Odometry: base pose and
twist in the world frame, see ``sim.readout``); subscribes to the controller's commands
(std_msgs/Float64MultiArray in the order of its ``joints`` parameter) on ``command_topic``.

Stepping: with ``step_on_command`` (default) the robot steps once per command received, so the
loop runs at the controller's rate and an episode is reproducible; otherwise a timer steps it at
the control rate with the latest command, like hardware. A perturbation switch while running: set
the ``perturbation`` parameter (JSON) or schedule one with ``switch_at``/``switch_perturbation``.
When ``duration`` simulated seconds have passed the node writes its ``summary`` and exits.
"""
from __future__ import annotations

import time

import numpy as np
import rclpy
from nav_msgs.msg import Odometry
from rcl_interfaces.msg import ParameterDescriptor, SetParametersResult
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray

from adaptive_control.config import ConfigError
from robot_bridge.node_cores import SimNodeConfig, SimulatedRobot, parse_perturbation
from robot_bridge.node_params import declare_dataclass, read_dataclass, write_json_atomic


class MujocoSimNode(Node):
    """Serves :class:`robot_bridge.node_cores.SimulatedRobot` over ROS 2 (see the module docstring)."""

    def __init__(self, name: str = "mujoco_sim", **kwargs):
        super().__init__(name, **kwargs)
        declare_dataclass(self, SimNodeConfig)
        self.declare_parameter("command_topic", "adaptive_controller/commands",
                               ParameterDescriptor(description="topic of the controller's commands"))
        self.cfg = read_dataclass(self, SimNodeConfig)
        self.robot = SimulatedRobot(self.cfg)  # raises ConfigError naming a bad parameter
        self.finished = False
        self._state_sent: float | None = None
        self.round_trip_ms: list[float] = []
        self.late_steps = 0
        self._last_step_wall: float | None = None
        self._wall_start = time.monotonic()
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._js = self.create_publisher(JointState, "joint_states", 10)
        self._odom = self.create_publisher(Odometry, "odom", 10)
        topic = self.get_parameter("command_topic").value
        self.create_subscription(Float64MultiArray, topic, self._on_command, 10)
        period = 1.0 / self.robot.rate
        if self.cfg.step_on_command:
            # publish the first state once the controller listens and talks (the DDS handshake)
            self._start_timer = self.create_timer(0.05, self._start_when_matched)
        else:
            self._latest = None
            self.create_timer(period, self._step_free)
        self.get_logger().info(f"serving {self.cfg.robot} at {self.robot.rate:g} Hz, task {self.robot.env.task_params}")

    # -- the loop ----------------------------------------------------------------------------
    def _start_when_matched(self) -> None:
        if self._js.get_subscription_count() and self.count_publishers(self.get_parameter("command_topic").value):
            self._start_timer.cancel()
            self._wall_start = time.monotonic()
            self._publish_state()

    def _on_command(self, msg: Float64MultiArray) -> None:
        if self.finished:
            return
        data = np.asarray(msg.data, dtype=np.float64)
        if data.shape != (len(self.robot.joints),) or not np.all(np.isfinite(data)):
            self.get_logger().warning(f"ignoring a bad command {data.tolist()} (holding the last one)",
                                      throttle_duration_sec=1.0)
            data = None
        if not self.cfg.step_on_command:
            self._latest = data if data is not None else self._latest
            return
        now = time.monotonic()
        if self._state_sent is None:
            return  # not started yet
        self.round_trip_ms.append(1e3 * (now - self._state_sent))
        self._step(data, now)

    def _step_free(self) -> None:
        if not self.finished:
            self._step(self._latest, time.monotonic())

    def _step(self, command, now: float) -> None:
        period = 1.0 / self.robot.rate
        if self._last_step_wall is not None and now - self._last_step_wall > 1.5 * period:
            self.late_steps += 1
        self._last_step_wall = now
        self.robot.step(command)
        if self.robot.done:
            self._finish()
        else:
            self._publish_state()

    def _publish_state(self) -> None:
        stamp = self.get_clock().now().to_msg()
        names, pos, vel = self.robot.joint_state()
        js = JointState(name=list(names), position=pos.tolist(), velocity=vel.tolist())
        js.header.stamp = stamp
        base = self.robot.base()
        od = Odometry()
        od.header.stamp, od.header.frame_id, od.child_frame_id = stamp, "odom", "base_link"
        p, q = od.pose.pose.position, od.pose.pose.orientation
        p.x, p.y, p.z = (float(v) for v in base.position)
        q.w, q.x, q.y, q.z = (float(v) for v in base.quaternion)
        lin, ang = od.twist.twist.linear, od.twist.twist.angular
        lin.x, lin.y, lin.z = (float(v) for v in base.linear)
        ang.x, ang.y, ang.z = (float(v) for v in base.angular)
        self._odom.publish(od)
        self._js.publish(js)
        self._state_sent = time.monotonic()

    # -- switching and the end ---------------------------------------------------------------
    def _on_set_parameters(self, params) -> SetParametersResult:
        for p in params:
            if p.name == "perturbation":
                try:
                    parse_perturbation("perturbation", p.value)
                    self.robot.switch(p.value)
                except ConfigError as exc:
                    return SetParametersResult(successful=False, reason=str(exc))
                self.get_logger().info(f"switched to {self.robot.env.task_params} at step {self.robot.steps}")
            elif p.name in ("robot", "seed", "control_rate", "step_on_command", "joints", "command_topic"):
                return SetParametersResult(successful=False, reason=f"'{p.name}' cannot change while running")
        return SetParametersResult(successful=True)

    def summary(self) -> dict:
        rt = np.asarray(self.round_trip_ms)
        wall = time.monotonic() - self._wall_start
        return {**self.robot.summary(), "late_steps": self.late_steps,
                "round_trip_median_ms": float(np.median(rt)) if rt.size else float("nan"),
                "round_trip_p99_ms": float(np.percentile(rt, 99)) if rt.size else float("nan"),
                "wall_s": wall, "real_time_factor": self.robot.time / wall if wall > 0 else float("nan")}

    def _finish(self) -> None:
        self.finished = True
        if self.cfg.summary:
            write_json_atomic(self.cfg.summary, self.summary())
        self.get_logger().info(f"episode done: return {self.robot.episode_return:.1f} over {self.robot.steps} steps")


def main(args=None) -> None:
    rclpy.init(args=args)
    try:
        node = MujocoSimNode()
    except ConfigError as exc:
        rclpy.logging.get_logger("mujoco_sim").error(str(exc))
        rclpy.shutdown()
        raise SystemExit(2) from None
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        while rclpy.ok() and not node.finished:
            executor.spin_once(timeout_sec=0.1)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()


if __name__ == "__main__":
    main()
