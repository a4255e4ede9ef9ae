"""The bridge layer: the same adaptive controller against an in-process MuJoCo robot or over ROS 2.

- ``mujoco_backend``: episodes of a controller (or any policy) in an in-process simulated robot.
- ``control_bridge``: the ROS-free core of the controller node (observation layout by joint name,
  stale/bad state -> safe command, limits, command order).
- ``node_cores``: the nodes' validated settings, building the bridge, the simulated robot the sim
  node serves.
- ``recording``: robot transitions logged as a meta-training dataset.
- ``sil``: simulation in the loop over ROS 2 (starts both nodes as processes).
- ``controller_node``, ``sim_node``, ``node_params``: the rclpy nodes, the only modules here that
  import rclpy. Nothing heavy is imported by this file, so the ROS-free core is usable without ROS.
"""
