"""Backends that wrap the adaptive control loop: in-process MuJoCo and ROS 2 nodes.

The only package that imports rclpy (and only in its ROS 2 modules).
"""
