"""``lossy_relay_node``: a bad network between robot and controller, for soak tests.

Not part of a deployment: it stands where Wi-Fi or a congested switch would. It subscribes the
robot's ``raw/joint_states`` and ``raw/odom`` and republishes them on ``joint_states`` and ``odom``
after a seeded random fate per message: dropped (``drop``), delayed by a uniform jitter in
``[0, jitter_ms]`` (independent per message, so later messages overtake earlier ones: out-of-order
stamps), duplicated (``duplicate``: sent again ``jitter_ms`` later, an old stamp). It also listens to
the controller's commands and counts any that are non-finite, of the wrong length or outside
``[-limit, limit]``. Every 5 s (and at shutdown) it writes its counters to ``summary`` (JSON).
"""
from __future__ import annotations

import heapq
import itertools
import time

import numpy as np
import rclpy
from nav_msgs.msg import Odometry
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray

from robot_bridge.node_params import write_json_atomic


class LossyRelayNode(Node):
    def __init__(self, name: str = "lossy_relay", **kwargs):
        super().__init__(name, **kwargs)
        p = {k: self.declare_parameter(k, v).value for k, v in dict(
            drop=0.15, jitter_ms=8.0, duplicate=0.02, seed=0, limit=1.0, command_size=6,
            command_topic="adaptive_controller/commands", summary="").items()}
        if not (0.0 <= p["drop"] < 1.0 and 0.0 <= p["duplicate"] < 1.0 and p["jitter_ms"] >= 0.0):
            raise ValueError(f"lossy_relay: bad parameters {p}")
        self.p = p
        self.rng = np.random.default_rng(p["seed"])
        self.queue: list = []  # (release time, order, publisher, message)
        self.order = itertools.count()
        self.counts = {"received": 0, "dropped": 0, "duplicated": 0, "sent": 0, "reordered": 0,
                       "commands": 0, "bad_commands": 0, "command_abs_max": 0.0}
        self._last_sent_stamp = {"js": -1.0, "odom": -1.0}
        self._pub = {"js": self.create_publisher(JointState, "joint_states", 10),
                     "odom": self.create_publisher(Odometry, "odom", 10)}
        self.create_subscription(JointState, "raw/joint_states", lambda m: self._on_state("js", m), 10)
        self.create_subscription(Odometry, "raw/odom", lambda m: self._on_state("odom", m), 10)
        self.create_subscription(Float64MultiArray, p["command_topic"], self._on_command, 10)
        self.create_timer(0.002, self._release)
        self.create_timer(5.0, self.write_summary)

    def _on_state(self, kind: str, msg) -> None:
        self.counts["received"] += 1
        if self.rng.random() < self.p["drop"]:
            self.counts["dropped"] += 1
            return
        now = time.monotonic()
        jitter = self.p["jitter_ms"] / 1e3
        heapq.heappush(self.queue, (now + self.rng.uniform(0.0, jitter), next(self.order), kind, msg))
        if self.rng.random() < self.p["duplicate"]:
            self.counts["duplicated"] += 1
            heapq.heappush(self.queue, (now + jitter + self.rng.uniform(0.0, jitter), next(self.order), kind, msg))

    def _release(self) -> None:
        now = time.monotonic()
        while self.queue and self.queue[0][0] <= now:
            _, _, kind, msg = heapq.heappop(self.queue)
            stamp = msg.header.stamp.sec + 1e-9 * msg.header.stamp.nanosec
            if stamp <= self._last_sent_stamp[kind]:
                self.counts["reordered"] += 1  # sent after a newer one: the controller sees an old stamp
            self._last_sent_stamp[kind] = max(stamp, self._last_sent_stamp[kind])
            self._pub[kind].publish(msg)
            self.counts["sent"] += 1

    def _on_command(self, msg: Float64MultiArray) -> None:
        data = np.asarray(msg.data, dtype=np.float64)
        self.counts["commands"] += 1
        ok = data.shape == (self.p["command_size"],) and bool(np.all(np.isfinite(data)))
        if ok:
            self.counts["command_abs_max"] = max(self.counts["command_abs_max"], float(np.max(np.abs(data))))
            ok = bool(np.all(np.abs(data) <= self.p["limit"]))
        if not ok:
            self.counts["bad_commands"] += 1

    def write_summary(self) -> None:
        if self.p["summary"]:
            write_json_atomic(self.p["summary"], {**self.p, **self.counts,
                                                  "drop_fraction": self.counts["dropped"] / max(self.counts["received"], 1)})


def main(args=None) -> None:
    rclpy.init(args=args)
    node = LossyRelayNode()
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.write_summary()
        node.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()


if __name__ == "__main__":
    main()
