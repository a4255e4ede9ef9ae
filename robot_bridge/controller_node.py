"""``adaptive_controller_node``: the adaptive controller as a ROS 2 lifecycle node.

Topics (relative names, so a namespace applies; ros2_control conventions):
  in:  ``joint_states`` (sensor_msgs/JointState, matched by joint name), ``odom`` (nav_msgs/Odometry),
       ``cmd_vel`` (geometry_msgs/Twist, with ``objective: track``: the velocity to follow; zero after
       ``cmd_vel_timeout`` s without one)
  out: ``~/commands`` (std_msgs/Float64MultiArray, in the order of the ``joints`` parameter),
       ``diagnostics`` (diagnostic_msgs/DiagnosticArray, once a second: tick statistics, adaptation loss)

Lifecycle: ``configure`` validates the parameters and loads the checkpoint and planner (a bad
parameter fails the transition with a message naming it); ``activate`` starts the control timer;
``deactivate`` stops it and writes the recording. With ``autostart`` (default) the node configures
and activates itself. The node only converts messages to arrays and calls
:class:`robot_bridge.control_bridge.ControlBridge`, which owns the safety rules.
"""
from __future__ import annotations

import time

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray

from adaptive_control.config import ConfigError
from robot_bridge.node_cores import ControllerNodeConfig, build_bridge
from robot_bridge.control_bridge import odom_fields
from models.checkpoint import CheckpointError
from robot_bridge.node_params import declare_dataclass, read_dataclass, stamp_seconds, write_json_atomic


class AdaptiveControllerNode(LifecycleNode):
    """Adapt-then-plan control of a robot over ROS 2 (see the module docstring)."""

    def __init__(self, name: str = "adaptive_controller", **kwargs):
        super().__init__(name, **kwargs)
        declare_dataclass(self, ControllerNodeConfig)
        self.declare_parameter("autostart", True, ParameterDescriptor(description="configure and activate on start"))
        self.bridge = None
        self.cfg: ControllerNodeConfig | None = None
        self._timer = None
        self._pub = None
        self._diag = None
        self._state_group = MutuallyExclusiveCallbackGroup()
        self._tick_group = MutuallyExclusiveCallbackGroup()
        self._last_tick: float | None = None
        self._late_ticks = 0
        self._last_save = self._last_diag = time.monotonic()
        if self.get_parameter("autostart").value:
            if self.trigger_configure() == TransitionCallbackReturn.SUCCESS:
                self.trigger_activate()

    # -- lifecycle ---------------------------------------------------------------------------
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            self.cfg = read_dataclass(self, ControllerNodeConfig)
            self.bridge = build_bridge(self.cfg, log=self._log)
        except (ConfigError, CheckpointError, ValueError, FileNotFoundError) as exc:
            self.get_logger().error(f"configuration failed: {exc}")
            self.configure_error = str(exc)
            return TransitionCallbackReturn.FAILURE
        self._pub = self.create_lifecycle_publisher(Float64MultiArray, "~/commands", 10)
        self._diag = self.create_lifecycle_publisher(DiagnosticArray, "diagnostics", 10)
        self.create_subscription(JointState, "joint_states", self._on_joint_state, 10,
                                 callback_group=self._state_group)
        self.create_subscription(Odometry, "odom", self._on_odom, 10, callback_group=self._state_group)
        if self.cfg.objective == "track":
            self.create_subscription(Twist, "cmd_vel", self._on_cmd_vel, 10, callback_group=self._state_group)
        self.get_logger().info(f"configured: {self.cfg.method} on {self.cfg.robot} at {self.cfg.control_rate:g} Hz, "
                               f"commands for {list(self.cfg.joints)}")
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        # One timer only: a second timer in the tick's mutually exclusive group would be ready while
        # a tick runs and make rclpy's MultiThreadedExecutor spin a core (measured: the tick rate
        # fell to 21 Hz). Diagnostics go out from the tick, once a second.
        self._timer = self.create_timer(1.0 / self.cfg.control_rate, self._tick, callback_group=self._tick_group)
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        if self._timer is not None:
            self._timer.cancel()
        self.finish()
        return super().on_deactivate(state)

    # -- callbacks: messages -> arrays -> core -----------------------------------------------
    def _on_joint_state(self, msg: JointState) -> None:
        self.bridge.on_joint_state(msg.name, msg.position, msg.velocity, time.monotonic(), stamp_seconds(msg.header.stamp))

    def _on_odom(self, msg: Odometry) -> None:
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        v, w = msg.twist.twist.linear, msg.twist.twist.angular
        fields = odom_fields((p.x, p.y, p.z), (q.w, q.x, q.y, q.z), (v.x, v.y, v.z), (w.x, w.y, w.z))
        self.bridge.on_odom(fields, time.monotonic(), stamp_seconds(msg.header.stamp))

    def _on_cmd_vel(self, msg: Twist) -> None:
        self.bridge.on_cmd_vel(msg.linear.x, msg.linear.y, msg.angular.z, time.monotonic())

    def _tick(self) -> None:
        now = time.monotonic()
        if self._last_tick is not None and now - self._last_tick > 1.5 / self.cfg.control_rate:
            self._late_ticks += 1  # the timer fired late (a tick or the executor overran)
        self._last_tick = now
        command = self.bridge.tick(now)
        self._pub.publish(Float64MultiArray(data=[float(c) for c in command]))
        # the controller's after-tick work (an overlapped adaptation step) before this thread handles
        # the next messages, but never past 95% of the period (the next tick must start on time)
        self.bridge.settle(now + 0.95 / self.cfg.control_rate - time.monotonic())
        if now - self._last_diag >= 1.0:
            self._last_diag = now
            self._publish_diagnostics()
        if self.bridge.recorder is not None and now - self._last_save > 10.0:
            self._save_recording()

    def _log(self, level: str, message: str) -> None:
        logger = self.get_logger()
        if level == "warn":  # one call site per severity (rclpy's rule)
            logger.warning(message)
        elif level == "error":
            logger.error(message)
        else:
            logger.info(message)

    # -- reporting ---------------------------------------------------------------------------
    def statistics(self) -> dict:
        """Tick statistics: the controller's timings and misses, the bridge's counters, timer lateness."""
        s = self.bridge.controller.stats.summary()
        b = self.bridge.stats
        age = np.asarray(b.state_age_ms)
        return {**s, "bridge_ticks": b.ticks, "control_ticks": b.control_ticks, "safe_ticks": b.safe_ticks,
                "trouble_episodes": b.troubles,
                "stale_messages": b.stale_messages, "repeated_state_ticks": b.repeated_state_ticks, "late_ticks": self._late_ticks,
                "state_age_median_ms": float(np.median(age)) if age.size else float("nan"),
                "state_age_p99_ms": float(np.percentile(age, 99)) if age.size else float("nan"),
                "trouble": self.bridge.trouble,
                **(self.bridge.velocity_input.summary() if self.bridge.velocity_input is not None else {})}

    def _publish_diagnostics(self) -> None:
        if self.bridge is None or self._diag is None:
            return
        s = self.statistics()
        s["adaptation_loss"] = self.bridge.controller.adaptation_loss()
        status = DiagnosticStatus(name=f"{self.get_name()}: adaptive control", hardware_id=self.cfg.robot,
                                  level=DiagnosticStatus.OK if s["trouble"] is None else DiagnosticStatus.WARN,
                                  message=s["trouble"] or "controlling",
                                  values=[KeyValue(key=k, value=str(v)) for k, v in s.items()])
        msg = DiagnosticArray(status=[status])
        msg.header.stamp = self.get_clock().now().to_msg()
        self._diag.publish(msg)

    def _save_recording(self) -> None:
        self._last_save = time.monotonic()
        if self.bridge.recorder is not None and len(self.bridge.recorder):
            self.bridge.recorder.save(self.cfg.record)

    def finish(self) -> None:
        """Write the recording and the summary (deactivation and shutdown)."""
        if self.bridge is None:
            return
        self._save_recording()
        if self.cfg.summary:
            write_json_atomic(self.cfg.summary, self.statistics())


def main(args=None) -> None:
    rclpy.init(args=args)
    node = AdaptiveControllerNode()
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.finish()
        if node.bridge is not None:
            node.bridge.controller.close()
        node.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()


if __name__ == "__main__":
    main()
