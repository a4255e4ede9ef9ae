"""Commanded-velocity tracking (issue 13): cost terms, base velocities, schedules, figures, the CLI."""
import json
import math

import mujoco
import numpy as np
import pytest
import torch

from adaptive_control.cli import main
from adaptive_control.tracking import CommandSchedule, ScheduleError, tracking_figures
from sim.costs import VelocityCommand, ant_base_velocity, half_cheetah_cost
from sim.robots import make_env, velocity_tracking_cost


def test_schedule_parses_and_refuses_bad_text():
    s = CommandSchedule.parse("0:1.0, 5:2.0:0.5:-0.2")
    assert s.at(0) == (1.0, 0.0, 0.0) and s.at(4.99) == (1.0, 0.0, 0.0) and s.at(5.0) == (2.0, 0.5, -0.2)
    assert s.series(3, 2.5).tolist() == [[1, 0, 0], [1, 0, 0], [2, 0.5, -0.2]]
    for bad, msg in (("1:1.0", "start at 0"), ("0:1,0:2", "increase"), ("0:a", "not numbers"), ("0:1:2", "t:vx"),
                     ("0:nan", "not finite")):
        with pytest.raises(ScheduleError, match=msg):
            CommandSchedule.parse(bad)


def test_half_cheetah_tracking_cost_is_the_squared_forward_error_plus_the_rewards_control_term():
    cmd = VelocityCommand(1.5, 0.7, 0.3)  # lateral and yaw commands mean nothing to a planar robot
    cost = velocity_tracking_cost("half_cheetah", cmd)
    g = torch.Generator().manual_seed(0)
    s, a, n = torch.randn(5, 17, generator=g), torch.rand(5, 6, generator=g), torch.randn(5, 17, generator=g)
    ctrl = half_cheetah_cost(s, a, n) + n[:, 8]  # the reward's control term alone
    assert torch.allclose(cost(s, a, n), (n[:, 8] - 1.5) ** 2 + ctrl)
    cmd.set(-0.5)  # read at every call
    assert torch.allclose(cost(s, a, n), (n[:, 8] + 0.5) ** 2 + ctrl)
    with pytest.raises(ValueError, match="finite"):
        cmd.set(float("nan"))


def test_ant_base_velocity_is_the_heading_frame_velocity_of_the_simulated_torso():
    env = make_env("ant")
    env.reset(seed=0)
    yaw = 0.7
    d = env.data
    d.qpos[3:7] = [math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)]  # torso turned by yaw about z
    d.qvel[:] = 0.0
    d.qvel[0:2] = [1.0 * math.cos(yaw) - 0.3 * math.sin(yaw), 1.0 * math.sin(yaw) + 0.3 * math.cos(yaw)]
    d.qvel[5] = 0.4  # body-frame angular z = world yaw rate when upright
    mujoco.mj_forward(env.model, d)
    v = ant_base_velocity(torch.as_tensor(env.observation(), dtype=torch.float64))
    assert torch.allclose(v, torch.tensor([1.0, 0.3, 0.4], dtype=torch.float64), atol=1e-9)
    # the tracking cost is zero velocity error there, plus the reward's control term
    cost = velocity_tracking_cost("ant", VelocityCommand(1.0, 0.3, 0.4))
    obs = torch.as_tensor(env.observation(), dtype=torch.float32)[None]
    a = torch.full((1, 8), 0.5)
    assert torch.allclose(cost(obs, a, obs), torch.tensor([0.005 * 8 * 0.25]), atol=1e-5)


def test_tracking_figures_time_the_settling_after_each_step():
    dt = 0.01
    cmd = np.zeros((300, 3))
    cmd[:100, 0], cmd[100:, 0] = 1.0, 2.0
    vel = cmd.copy()
    vel[100:150, 0] = 1.0  # reacts 0.5 s late, then exact
    out = tracking_figures(vel, cmd, dt, planar=True, smooth_s=0.01)
    assert [s["at_s"] for s in out["steps"]] == [0.0, 1.0]
    assert out["steps"][0]["settling_s"] == 0.0 and out["steps"][1]["settling_s"] == pytest.approx(0.5)
    assert out["rms_vx"] == pytest.approx(math.sqrt(50 / 300))
    vel[100:, 0] = 1.0  # never gets there
    assert tracking_figures(vel, cmd, dt, planar=True)["steps"][1]["settling_s"] is None


def test_run_task_track_reports_tracking(tmp_path, capsys):
    out = tmp_path / "t.json"
    assert main(["run", "--robot", "half_cheetah", "--method", "mb", "--task", "track", "--command", "0:0.5,0.2:1.0",
                 "--steps", "40", "--samples", "32", "--horizon", "3", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["objective"] == "track" and [s["at_s"] for s in res["tracking"]["steps"]] == [0.0, 0.2]
    assert np.isfinite(res["tracking"]["rms_vx"])
    assert main(["run", "--robot", "half_cheetah", "--task", "track", "--command", "0:x", "--steps", "5"]) == 2
    assert "--command" in capsys.readouterr().err
    assert main(["run", "--robot", "half_cheetah", "--command", "0:1", "--steps", "5"]) == 2
