"""The adaptive controller alone, for a robot (hardware or any simulator serving the same topics).

    ros2 launch adaptive_control adaptive_controller.launch.py \
        params_file:=/path/to/params.yaml checkpoint:=/path/to/grbal.pt namespace:=robot1
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
        DeclareLaunchArgument("params_file", default_value=os.path.join(share, "launch", "half_cheetah_controller.yaml"),
                              description="controller parameters (YAML, under adaptive_controller: ros__parameters:)"),
        DeclareLaunchArgument("checkpoint", default_value="",
                              description="checkpoint file; empty: the one shipped for the robot and method"),
        DeclareLaunchArgument("namespace", default_value="", description="namespace of the node and its topics"),
        Node(
            package="adaptive_control",
            executable="adaptive_controller_node",
            name="adaptive_controller",
            namespace=LaunchConfiguration("namespace"),
            output="screen",
            parameters=[LaunchConfiguration("params_file"), {"checkpoint": LaunchConfiguration("checkpoint")}],
        ),
    ])
