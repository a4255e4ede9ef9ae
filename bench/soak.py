"""Soak: simulation in the loop over real ROS 2 for minutes at 100 Hz, through a lossy network.

Three processes on loopback with their own ``ROS_DOMAIN_ID``: ``mujoco_sim_node`` free-running
at the robot's rate like hardware (publishing on ``raw/*``), ``lossy_relay_node`` (drops, delay
jitter, duplicates, so out-of-order stamps; it also checks every command) and
``adaptive_controller_node`` with the simulation-in-the-loop settings. The controller's and the
simulator's resident memory is sampled every 2 s. Pass criteria: no process died, no command
non-finite, of the wrong size or out of limits, and RSS growth after the first minute under 5%.

    python bench/soak.py --duration 600 --json bench/results/soak.json
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def growth_after(samples: list, t_start: float) -> float:
    """Relative RSS growth from the first sample at or after ``t_start`` to the last sample."""
    later = [r for t, r in samples if t >= t_start and r is not None]
    return (later[-1] - later[0]) / later[0] if len(later) >= 2 else float("nan")


def run_soak(duration: float, work: str, drop: float = 0.15, jitter_ms: float = 8.0, duplicate: float = 0.02,
             seed: int = 100, method: str = "grbal", progress: bool = True) -> dict:
    from robot_bridge.sil import SIL_PARAMS, SilError, launch_dir, node_command, ros_environment

    d = launch_dir()
    sums = {k: os.path.join(work, f"{k}.json") for k in ("sim", "controller", "relay")}
    task = {"perturbation": "crippled_leg", "actuator": 4, "strength": 0.0}
    override = {
        "mujoco_sim": {"ros__parameters": {"seed": seed, "duration": float(duration), "summary": sums["sim"],
                                           "step_on_command": False, "perturbation": json.dumps(task),
                                           "switch_at": -1.0}},
        "adaptive_controller": {"ros__parameters": {"method": method, "summary": sums["controller"]}},
        "lossy_relay": {"ros__parameters": {"drop": drop, "jitter_ms": jitter_ms, "duplicate": duplicate,
                                            "seed": seed, "summary": sums["relay"]}},
    }
    ov = os.path.join(work, "override.yaml")
    with open(ov, "w", encoding="utf-8") as fh:
        yaml.safe_dump(override, fh)
    env = ros_environment(os.path.join(work, "ros_log"))
    logs = {k: open(os.path.join(work, f"{k}.log"), "w", encoding="utf-8") for k in sums}
    cmds = {
        "controller": node_command("robot_bridge.controller_node",
                                   [str(d / "half_cheetah_controller.yaml"), str(d / SIL_PARAMS), ov]),
        "relay": node_command("robot_bridge.lossy_relay_node", [ov]),
        "sim": node_command("robot_bridge.sim_node", [str(d / "half_cheetah_sim.yaml"), str(d / SIL_PARAMS), ov])
        + ["-r", "joint_states:=raw/joint_states", "-r", "odom:=raw/odom"],
    }
    procs = {k: subprocess.Popen(c, env=env, stdout=logs[k], stderr=subprocess.STDOUT) for k, c in cmds.items()}
    t0 = time.monotonic()
    rss = {"controller": [], "sim": []}
    died = None
    try:
        while procs["sim"].poll() is None:
            for k in ("controller", "relay"):
                if procs[k].poll() is not None:
                    died = f"{k} exited early with code {procs[k].returncode} (see {work}/{k}.log)"
                    raise SilError(died)
            t = time.monotonic() - t0
            for k in rss:
                rss[k].append((t, rss_mb(procs[k].pid)))
            if t > duration + 180:
                died = f"the simulator did not finish in {duration + 180:.0f} s"
                raise SilError(died)
            if progress and len(rss["sim"]) % 15 == 0:
                print(f"  {t:6.0f} s: controller RSS {rss['controller'][-1][1]:.0f} MB, sim RSS {rss['sim'][-1][1]:.0f} MB",
                      flush=True)
            time.sleep(2.0)
        if procs["sim"].returncode != 0:
            died = f"the simulator exited with code {procs['sim'].returncode}"
    except SilError:
        pass
    finally:
        for k in ("controller", "relay", "sim"):
            p = procs[k]
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for fh in logs.values():
            fh.close()
    out = {}
    for k, path in sums.items():
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                out[k] = json.load(fh)
    sim, ctrl, relay = out.get("sim", {}), out.get("controller", {}), out.get("relay", {})
    ticks = ctrl.get("bridge_ticks") or 0
    res = {
        "duration_s": duration, "wall_s": time.monotonic() - t0, "died": died,
        "return": sim.get("return"), "sim_steps": sim.get("steps"), "late_sim_steps": sim.get("late_steps"),
        "real_time_factor": sim.get("real_time_factor"),
        "ticks": ticks, "control_ticks": ctrl.get("control_ticks"), "safe_ticks": ctrl.get("safe_ticks"),
        "missed_deadlines": ctrl.get("deadline_misses"),
        "missed_deadline_fraction": (ctrl.get("deadline_misses") or 0) / ticks if ticks else None,
        "late_ticks": ctrl.get("late_ticks"), "stale_messages": ctrl.get("stale_messages"),
        "repeated_state_ticks": ctrl.get("repeated_state_ticks"),
        "rejected_transitions": ctrl.get("rejected_transitions"), "rejected_adaptations": ctrl.get("rejected_adaptations"),
        "substituted_observations": ctrl.get("substituted_observations"),
        "tick_median_ms": ctrl.get("total_median_ms"), "tick_p99_ms": ctrl.get("total_p99_ms"),
        "state_age_median_ms": ctrl.get("state_age_median_ms"), "state_age_p99_ms": ctrl.get("state_age_p99_ms"),
        "relay": relay,
        "rss_mb": {k: [(round(t, 1), r) for t, r in v[::5]] for k, v in rss.items()},
        "rss_growth_after_60s": {k: growth_after(v, 60.0) for k, v in rss.items()},
    }
    growth = [g for g in res["rss_growth_after_60s"].values() if g == g]
    res["pass"] = bool(died is None and relay.get("bad_commands", 1) == 0 and relay.get("commands", 0) > 0
                       and len(growth) == 2 and max(growth) < 0.05)
    return res


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=600.0, help="simulated seconds (default: %(default)s)")
    p.add_argument("--drop", type=float, default=0.15)
    p.add_argument("--jitter-ms", type=float, default=8.0)
    p.add_argument("--duplicate", type=float, default=0.02)
    p.add_argument("--method", default="grbal")
    p.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)
    from models.dataset import atomic_write

    work = tempfile.mkdtemp(prefix="adaptive_control_soak_")
    print(f"soak: {args.duration:g} s over ROS 2 with drop {args.drop}, jitter {args.jitter_ms} ms, duplicates "
          f"{args.duplicate}; logs in {work}", flush=True)
    res = run_soak(args.duration, work, args.drop, args.jitter_ms, args.duplicate, method=args.method)
    res["command"] = "python bench/soak.py " + " ".join(sys.argv[1:] if argv is None else argv)
    res["machine"] = {"cpus": os.cpu_count(), "processor": platform.processor()}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(res, indent=1).encode()))
    r = res["relay"]
    print(f"{'PASS' if res['pass'] else 'FAIL'}: {res['ticks']} ticks, safe {res['safe_ticks']}, missed deadlines "
          f"{res['missed_deadlines']}, repeated-state ticks {res['repeated_state_ticks']}, stale messages "
          f"{res['stale_messages']}; relay dropped {r.get('dropped')}/{r.get('received')}, duplicated "
          f"{r.get('duplicated')}, reordered {r.get('reordered')}; bad commands {r.get('bad_commands')}/{r.get('commands')}; "
          f"RSS growth after 60 s {res['rss_growth_after_60s']}; died: {res['died']}")
    if not args.keep and res["pass"]:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if res["pass"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
