"""End to end through the command line: collect -> meta-train -> run, and the shipped checkpoints."""
import json
import os
import subprocess
import sys

import pytest

from adaptive_control.cli import main

CLI = os.path.join(os.path.dirname(sys.executable), "adaptive-control")


def write_config(tmp_path):
    cfg = tmp_path / "small.yaml"
    cfg.write_text(
        "collect: {paths: 6, path_length: 50}\n"
        "model: {hidden_sizes: [32, 32]}\n"
        "train: {steps: 30, meta_batch_size: 8, adapt_window: 8, future_window: 8, learn_inner_lr: true, inner_lr: 0.01}\n"
        "planner: {samples: 32, horizon: 4}\n"
        "controller: {adapt_window: 8}\n"
    )
    return str(cfg)


def test_collect_meta_train_run_chain(tmp_path, capsys):
    cfg = write_config(tmp_path)
    data, ckpt, mb, out = (str(tmp_path / n) for n in ("d.npz", "g.pt", "mb.pt", "r.json"))
    assert main(["collect", "--config", cfg, "--out", data]) == 0
    assert main(["meta-train", "--config", cfg, "--data", data, "--out", ckpt]) == 0
    assert main(["meta-train", "--config", cfg, "--method", "mb", "--data", data, "--out", mb]) == 0
    assert main(["run", "--config", cfg, "--method", "grbal", "--checkpoint", ckpt, "--steps", "40", "--seed", "3",
                 "--json", out]) == 0
    res = json.loads(open(out).read())
    assert res["steps"] == 40 and res["method"] == "grbal" and res["task"]["perturbation"] == "crippled_leg"
    assert res["latency"]["ticks"] == 40 and res["latency"]["total_p99_ms"] >= res["latency"]["total_median_ms"] > 0
    # a checkpoint of the wrong kind for the method is refused with a clear message
    assert main(["run", "--config", cfg, "--method", "mb", "--checkpoint", ckpt, "--steps", "5"]) == 2
    assert "needs a 'mb' checkpoint" in capsys.readouterr().err


def test_console_script_runs_an_episode_on_the_shipped_checkpoint(tmp_path):
    out = tmp_path / "episode.json"
    proc = subprocess.run(
        [CLI, "run", "--robot", "half_cheetah", "--perturbation", "crippled_leg", "--method", "grbal",
         "--steps", "60", "--seed", "11", "--json", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    res = json.loads(out.read_text())
    assert set(res) >= {"return", "task", "latency", "steps"} and res["steps"] == 60
    assert {"total_median_ms", "total_p99_ms"} <= set(res["latency"])
    assert isinstance(res["return"], float)


def test_help_for_every_subcommand():
    for sub in ("collect", "meta-train", "run", "demo"):
        with pytest.raises(SystemExit) as exit_:
            main([sub, "--help"])
        assert exit_.value.code == 0


def test_config_typo_is_reported_by_the_cli(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("planner: {sample: 10}\n")
    assert main(["run", "--config", str(bad), "--steps", "3"]) == 2
    err = capsys.readouterr().err
    assert "planner.sample" in err and "bad.yaml" in err


def test_robot_flag_that_contradicts_the_config_names_the_file(tmp_path, capsys):
    cfg = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "results", "suite", "ant.yaml")
    assert main(["run", "--config", cfg, "--robot", "half_cheetah", "--steps", "2"]) == 2
    err = capsys.readouterr().err
    assert cfg in err and "'ant'" in err
