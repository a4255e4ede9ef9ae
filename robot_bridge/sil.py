"""Simulation in the loop over ROS 2 without the launch tool: ``adaptive-control sil``.

Starts the same two nodes as ``launch/sim_in_the_loop.launch.py`` (``mujoco_sim_node`` and
``adaptive_controller_node``) as processes with the same YAML, plus a generated override file for
this run (task, seed, switch, duration, summary paths), on loopback with its own
``ROS_DOMAIN_ID``. When the simulated episode ends, it stops the controller, merges both nodes'
summaries, optionally runs the same episode in process for comparison, and writes one JSON.
This module does not import rclpy (the nodes do).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

SIL_PARAMS = "sim_in_the_loop.yaml"


class SilError(RuntimeError):
    """Simulation in the loop could not run to the end (a node failed or stalled); the message says where its log is."""


def launch_dir() -> Path:
    """The ``launch/`` folder: installed ``share/adaptive_control/launch`` or the source tree's."""
    installed = Path(sys.prefix) / "share" / "adaptive_control" / "launch"
    if (installed / SIL_PARAMS).exists():
        return installed
    return Path(__file__).resolve().parent.parent / "launch"


def ros_environment(log_dir: str, domain_id: int | None = None) -> dict:
    """Environment for nodes of one run: loopback discovery, a per-run domain, logs in ``log_dir``."""
    env = dict(os.environ)
    env.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    env["ROS_DOMAIN_ID"] = str(domain_id if domain_id is not None else 1 + os.getpid() % 100)
    env["ROS_LOG_DIR"] = log_dir
    env.setdefault("MUJOCO_GL", "disable")
    env.setdefault("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp")
    return env


def robot_params(robot: str, work_dir: str) -> tuple[str, str]:
    """``(controller YAML, sim YAML)`` of ``robot``: the shipped ``launch/<name>_{controller,sim}.yaml``,
    or for a robot without them (a spec of your own) the parameters its spec gives
    (:mod:`robot_bridge.spec_params`), written into ``work_dir``."""
    from robot_bridge.spec_params import write_node_params
    from sim.robots import robot_name

    name = robot_name(robot)
    d = launch_dir()
    ctrl, sim = d / f"{name}_controller.yaml", d / f"{name}_sim.yaml"
    if ctrl.exists() and sim.exists():
        return str(ctrl), str(sim)
    return write_node_params(robot, work_dir)


def cpu_times(stat: str = "/proc/stat") -> tuple[float, float] | None:
    """``(busy + idle, stolen)`` seconds of all CPUs since boot from ``/proc/stat`` (None where it is
    missing). Stolen time is time the hypervisor ran something else while this VM's CPU wanted to
    run: on a shared VM it stalls a plan however fast the code is."""
    try:
        with open(stat, encoding="ascii") as fh:
            fields = fh.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu" or len(fields) < 9:
        return None
    ticks = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
    hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    return sum(ticks) / hz, ticks[7] / hz


def stolen_fraction(before, after) -> float | None:
    """The fraction of CPU time stolen between two :func:`cpu_times` readings."""
    if before is None or after is None or after[0] <= before[0]:
        return None
    return (after[1] - before[1]) / (after[0] - before[0])


def node_command(module: str, params: list[str]) -> list[str]:
    """Command line of a node of this package run with this interpreter."""
    cmd = [sys.executable, "-m", module, "--ros-args"]
    for p in params:
        cmd += ["--params-file", p]
    return cmd


def _stop(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_sil(*, robot: str, task: dict, method: str, seed: int, duration: float, switch_at: float | None,
            work_dir: str, controller_params: list[str] | None = None, domain_id: int | None = None,
            progress=None, checkpoint: str = "") -> dict:
    """Run one episode over ROS 2; returns the merged summary (see the module docstring)."""
    d = launch_dir()
    sim_summary, ctrl_summary = os.path.join(work_dir, "sim.json"), os.path.join(work_dir, "controller.json")
    override = {
        "mujoco_sim": {"ros__parameters": {
            "robot": robot, "seed": seed, "duration": float(duration), "summary": sim_summary,
            "perturbation": json.dumps(task if switch_at is None else {"perturbation": "none"}),
            "switch_at": float(switch_at) if switch_at is not None else -1.0,
            "switch_perturbation": json.dumps(task)}},
        "adaptive_controller": {"ros__parameters": {"robot": robot, "method": method, "summary": ctrl_summary,
                                                    **({"checkpoint": os.path.abspath(checkpoint)} if checkpoint else {})}},
    }
    override_path = os.path.join(work_dir, "override.yaml")
    with open(override_path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(override, fh)
    ctrl_yaml, sim_yaml = robot_params(robot, work_dir)
    base = [ctrl_yaml, str(d / SIL_PARAMS)]
    params = base + list(controller_params or []) + [override_path]
    env = ros_environment(os.path.join(work_dir, "ros_log"), domain_id)
    logs = {name: open(os.path.join(work_dir, f"{name}.log"), "w", encoding="utf-8") for name in ("sim", "controller")}
    ctrl = subprocess.Popen(node_command("robot_bridge.controller_node", params), env=env,
                            stdout=logs["controller"], stderr=subprocess.STDOUT)
    sim = subprocess.Popen(node_command("robot_bridge.sim_node", [sim_yaml, str(d / SIL_PARAMS), override_path]),
                           env=env, stdout=logs["sim"], stderr=subprocess.STDOUT)
    t0 = time.monotonic()
    cpu0 = cpu_times()
    limit = 120.0 + 10.0 * duration
    try:
        while sim.poll() is None:
            if ctrl.poll() is not None:
                raise SilError(f"the controller node exited early (code {ctrl.returncode}); "
                                   f"see {os.path.join(work_dir, 'controller.log')}")
            if time.monotonic() - t0 > limit:
                raise SilError(f"simulation in the loop did not finish in {limit:.0f} s; see {work_dir}")
            if progress is not None:
                progress()
            time.sleep(0.2)
    finally:
        cpu1 = cpu_times()
        _stop(sim)
        _stop(ctrl)
        for fh in logs.values():
            fh.close()
    if not os.path.exists(sim_summary):
        raise SilError(f"the sim node wrote no summary (exit code {sim.returncode}); see {work_dir}/sim.log")
    with open(sim_summary, encoding="utf-8") as fh:
        s = json.load(fh)
    c = {}
    if os.path.exists(ctrl_summary):
        with open(ctrl_summary, encoding="utf-8") as fh:
            c = json.load(fh)
    return {"robot": robot, "method": method, "seed": seed, "task": task, "duration_s": duration,
            "switch_at_s": switch_at, "return": s["return"], "steps": s["steps"], "control_rate": s["control_rate"],
            "real_time_factor": s["real_time_factor"],
            "round_trip_median_ms": s["round_trip_median_ms"], "round_trip_p99_ms": s["round_trip_p99_ms"],
            "late_sim_steps": s["late_steps"],
            "ticks": c.get("bridge_ticks"), "control_ticks": c.get("control_ticks"), "safe_ticks": c.get("safe_ticks"),
            "missed_deadlines": c.get("deadline_misses"), "late_ticks": c.get("late_ticks"),
            "tick_median_ms": c.get("total_median_ms"), "tick_p99_ms": c.get("total_p99_ms"),
            "state_age_median_ms": c.get("state_age_median_ms"), "state_age_p99_ms": c.get("state_age_p99_ms"),
            "repeated_state_ticks": c.get("repeated_state_ticks"), "skipped_adaptations": c.get("skipped_adaptations"),
            "overlapped_adapt_median_ms": c.get("overlapped_adapt_median_ms"),
            "samples_median": c.get("samples_median"), "samples_min": c.get("samples_min"),
            "cpu_stolen_fraction": stolen_fraction(cpu0, cpu1),
            "forward_velocity": s["forward_velocity"]}


def in_process_episode(*, robot: str, task: dict, method: str, seed: int, steps: int, switch_step: int | None,
                       controller_params: list[str] | None = None, work_dir: str | None = None,
                       checkpoint: str = "") -> dict:
    """The same episode (controller settings from the same YAML) run in process, for comparison: no
    transport, and every plan waited for (no deadline), so it is what the ROS 2 run would get with
    zero latency and no misses."""
    from robot_bridge.node_cores import ControllerNodeConfig, build_bridge
    from robot_bridge.mujoco_backend import run_episode
    from sim.perturbations import NoPerturbation
    from sim.tasks import perturbation_from_params
    from sim.robots import make_env

    d = launch_dir()
    values: dict = {}
    ctrl_yaml, _ = robot_params(robot, work_dir or temp_work_dir())
    for path in [ctrl_yaml, str(d / SIL_PARAMS)] + list(controller_params or []):
        with open(path, encoding="utf-8") as fh:
            values.update((yaml.safe_load(fh) or {}).get("adaptive_controller", {}).get("ros__parameters", {}))
    values.update(robot=robot, method=method, summary="", record="", **({"checkpoint": checkpoint} if checkpoint else {}))
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    fields = set(ControllerNodeConfig.__dataclass_fields__)
    cfg = ControllerNodeConfig(**{k: v for k, v in values.items() if k in fields})
    bridge = build_bridge(cfg, realtime=False)
    ctrl = bridge.controller
    try:
        pert = perturbation_from_params(task)
        env = make_env(robot)
        if switch_step is None:
            res = run_episode(env, ctrl, steps, seed=seed, task=pert)
        else:
            res = run_episode(env, ctrl, steps, seed=seed, task=NoPerturbation(), switch=(switch_step, pert))
    finally:
        ctrl.close()
    return {"return": res.episode_return, "steps": res.steps, "deadline_misses": res.latency.get("deadline_misses"),
            "tick_median_ms": res.latency.get("total_median_ms"), "tick_p99_ms": res.latency.get("total_p99_ms")}


def temp_work_dir() -> str:
    return tempfile.mkdtemp(prefix="adaptive_control_sil_")
