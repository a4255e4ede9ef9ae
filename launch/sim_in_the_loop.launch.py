"""Simulation in the loop: the MuJoCo robot node and the adaptive controller, over ROS 2.

    ros2 launch adaptive_control sim_in_the_loop.launch.py

The same two nodes with the same YAML run without the launch tool: ``adaptive-control sil``.
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description():
    share = get_package_share_directory("adaptive_control")
    return LaunchDescription([
        DeclareLaunchArgument("controller_params", default_value=os.path.join(share, "launch", "half_cheetah_controller.yaml"),
                              description="controller parameters (YAML)"),
        DeclareLaunchArgument("sim_params", default_value=os.path.join(share, "launch", "half_cheetah_sim.yaml"),
                              description="simulated robot parameters (YAML)"),
        DeclareLaunchArgument("checkpoint", default_value="",
                              description="checkpoint file; empty: the one shipped for the robot and method"),
        DeclareLaunchArgument("namespace", default_value="", description="namespace of both nodes and their topics"),
        Node(
            package="adaptive_control",
            executable="mujoco_sim_node",
            name="mujoco_sim",
            namespace=LaunchConfiguration("namespace"),
            output="screen",
            parameters=[LaunchConfiguration("sim_params")],
        ),
        Node(
            package="adaptive_control",
            executable="adaptive_controller_node",
            name="adaptive_controller",
            namespace=LaunchConfiguration("namespace"),
            output="screen",
            parameters=[LaunchConfiguration("controller_params"), {"checkpoint": LaunchConfiguration("checkpoint")}],
        ),
    ])
