"""adaptive_control: online model-based meta-RL (GrBAL / ReBAL) with MPC, MuJoCo and ROS 2.

Installable with pip (``pip install -e .``) and buildable by colcon as an ament_python package
(``package.xml`` and ``resource/adaptive_control`` sit beside this file).
"""
from glob import glob

from setuptools import setup

PACKAGE = "adaptive_control"

setup(
    name=PACKAGE,
    version="0.1.0",
    description="Online model-based meta-RL (GrBAL) with MPC planners for robots, in MuJoCo and ROS 2",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    # Listed explicitly: the repo's layout is fixed and each folder is a top-level package.
    packages=["adaptive_control", "adaptive_control.experiments", "models", "planners", "sim", "robot_bridge"],
    package_data={"adaptive_control": ["assets/*.yaml", "assets/*/*.pt", "assets/*/*.yaml"],
                  "sim": ["specs/*.yaml"]},  # the registered robots' specs
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + PACKAGE]),
        ("share/" + PACKAGE, ["package.xml"]),
        ("share/" + PACKAGE + "/launch", glob("launch/*.launch.py") + glob("launch/*.yaml")),
    ],
    install_requires=[
        # torch 2.13.0 is the CPU wheel available on the project's machines; other versions pull
        # multi-GB CUDA builds.
        "torch==2.13.0",
        # dm_control 1.0.50 needs mujoco 3.17.0 exactly (mujoco 4 breaks dm_control.suite.load).
        "mujoco==3.17.0",
        "dm_control==1.0.50",
        "gymnasium==1.4.0",  # its ant.xml (sim/specs/ant.yaml) and the gymnasium.Env API; pulls no other mujoco
        "casadi>=3.6",
        "numpy>=1.24",
        "pyyaml>=6.0",
        "tqdm>=4.60",
        "tensorboard==2.21.0",  # training logs (torch.utils.tensorboard writes them)
        "matplotlib>=3.7",
    ],
    extras_require={
        # colcon: the tests build the repo as a ROS 2 (ament_python) package
        "test": ["pytest>=7", "colcon-common-extensions", "hypothesis==6.170.17"],
        # benchmark-only: the public MPPI library our planner is compared with
        "bench": ["pytorch_mppi==0.9.1"],
        # real ROS 2 (Kilted) from pip; the transport (rmw) must be named or `import rclpy` fails
        "ros": [
            "ros-kilted-rclpy",
            "ros-kilted-std-msgs",
            "ros-kilted-sensor-msgs",
            "ros-kilted-nav-msgs",
            "ros-kilted-geometry-msgs",
            "ros-kilted-diagnostic-msgs",
            "ros-kilted-rmw-fastrtps-cpp",
        ],
    },
    zip_safe=True,
    maintainer="adaptive_control developers",
    maintainer_email="adaptive-control@example.invalid",
    entry_points={
        "console_scripts": [
            "adaptive-control = adaptive_control.cli:main",
            "adaptive_controller_node = robot_bridge.controller_node:main",
            "mujoco_sim_node = robot_bridge.sim_node:main",
        ],
    },
)
