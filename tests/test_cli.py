"""End to end through the command line: collect -> meta-train -> run, and the shipped checkpoints."""
import json
import os
import subprocess
import sys

import pytest
import torch

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
    from models.checkpoint import load_checkpoint
    assert load_checkpoint(ckpt).residual_max.shape == (17,)  # the guard's calibration, written by meta-train
    assert main(["run", "--config", cfg, "--method", "grbal", "--checkpoint", ckpt, "--steps", "40", "--seed", "3",
                 "--json", out]) == 0
    res = json.loads(open(out).read())
    assert res["steps"] == 40 and res["method"] == "grbal" and res["task"]["perturbation"] == "crippled_leg"
    assert res["latency"]["ticks"] == 40 and res["latency"]["total_p99_ms"] >= res["latency"]["total_median_ms"] > 0
    # the true-dynamics reference through the same command, with actions held 2 ticks
    assert main(["run", "--config", cfg, "--method", "true_dynamics", "--step-ticks", "2", "--steps", "40", "--seed", "3",
                 "--json", out]) == 0
    ref = json.loads(open(out).read())
    assert ref["method"] == "true_dynamics" and ref["steps"] == 40 and ref["task"] == res["task"]
    with pytest.raises(SystemExit):  # refused by the parser
        main(["run", "--config", cfg, "--step-ticks", "0", "--steps", "5"])
    assert "--step-ticks: expected a positive integer" in capsys.readouterr().err
    # a checkpoint of the wrong kind for the method is refused with a clear message
    assert main(["run", "--config", cfg, "--method", "mb", "--checkpoint", ckpt, "--steps", "5"]) == 2
    assert "needs a 'mb' checkpoint" in capsys.readouterr().err
    # warm start: GrBAL meta-training from the MB model's weights; after one Adam step (lr 1e-3)
    # every weight is within about one step of the MB model's
    # (on other data: fine-tuning keeps the normaliser the weights were trained with)
    warm, other_data = str(tmp_path / "warm.pt"), str(tmp_path / "d2.npz")
    assert main(["collect", "--config", cfg, "--seed", "5", "--out", other_data]) == 0
    assert main(["meta-train", "--config", cfg, "--init", mb, "--steps", "1", "--data", other_data, "--out", warm]) == 0
    from models.checkpoint import load_checkpoint
    mb_m, warm_ck = load_checkpoint(mb).model, load_checkpoint(warm)
    assert warm_ck.metrics["init"] == mb
    assert max(float((warm_ck.model.params()[k] - v).abs().max()) for k, v in mb_m.params().items()) < 2e-3
    for k, v in mb_m.normalizer.state_dict().items():
        assert torch.equal(warm_ck.model.normalizer.state_dict()[k], v)
    # ... and refuses a checkpoint of another architecture, naming it
    other = tmp_path / "other.yaml"
    other.write_text(open(cfg).read().replace("[32, 32]", "[16]"))
    assert main(["meta-train", "--config", str(other), "--init", mb, "--data", data, "--out", warm]) == 2
    assert "--init checkpoint has architecture" in capsys.readouterr().err


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


def test_demo_reports_each_method_against_the_reference_and_writes_its_files(tmp_path, capsys):
    """`make demo`'s command at toy length: the shipped checkpoints and the true-dynamics reference on the
    same held-out task, each return also as a fraction of the reference's, the plot and the JSON."""
    out = tmp_path / "demo"
    assert main(["demo", "--methods", "grbal", "true_dynamics", "--seeds", "100", "--steps", "12",
                 "--out", str(out)]) == 0
    doc = json.load(open(out / "demo.json"))
    assert set(doc) == {"grbal", "true_dynamics"}
    ref = doc["true_dynamics"]["mean"]
    assert doc["true_dynamics"]["fraction_of_true_dynamics"] == pytest.approx(1.0)
    assert doc["grbal"]["fraction_of_true_dynamics"] == pytest.approx(doc["grbal"]["mean"] / ref)
    # the held-out range of the crippled leg: the front shin or foot (actuator 4 or 5), the same task for both
    assert doc["grbal"]["tasks"] == doc["true_dynamics"]["tasks"] and doc["grbal"]["tasks"][0]["actuator"] in (4, 5)
    assert (out / "forward_velocity.png").stat().st_size > 0
    assert "x true dynamics" in capsys.readouterr().out
    assert not [f for f in os.listdir(out) if f.endswith(".tmp")]  # written atomically, nothing left over


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
    from adaptive_control.build import default_config_path

    cfg = default_config_path("ant")
    assert main(["run", "--config", cfg, "--robot", "half_cheetah", "--steps", "2"]) == 2
    err = capsys.readouterr().err
    assert cfg in err and "'ant'" in err


@pytest.mark.parametrize("argv, words", [
    (["meta-train", "--data", "{tmp}/missing.npz", "--out", "{tmp}/o.pt"], "no such file"),
    (["meta-train", "--data", "{tmp}/bad.npz", "--out", "{tmp}/o.pt"], "cannot read transition dataset"),
    (["run", "--checkpoint", "{tmp}/bad.pt", "--steps", "2"], "cannot read checkpoint"),
    (["run", "--checkpoint", "{tmp}/missing.pt", "--steps", "2"], "checkpoint not found"),
    (["collect", "--paths", "1", "--out", "{tmp}/bad.npz/x.npz"], "cannot write"),
    (["run", "--json", "{tmp}", "--steps", "2"], "it is a folder"),
    (["sil", "--params", "{tmp}/missing.yaml"], "no such file"),
    (["calibrate", "--checkpoint", "{tmp}/bad.pt", "--data", "{tmp}/bad.npz"], "cannot read"),
])
def test_user_errors_are_one_line_and_exit_2_before_any_work(tmp_path, capsys, argv, words):
    (tmp_path / "bad.npz").write_bytes(b"not a dataset")
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("adaptive-control: error:") and words in err and "\n" not in err
    assert "Traceback" not in err


@pytest.mark.parametrize("flag", [["--steps", "0"], ["--steps", "-3"], ["--samples", "x"]])
def test_bad_counts_are_refused_by_the_parser(flag, capsys):
    with pytest.raises(SystemExit) as e:
        main(["run", *flag])
    assert e.value.code == 2 and "expected a positive integer" in capsys.readouterr().err


def test_console_script_errors_without_a_traceback(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"\x00" * 10)
    proc = subprocess.run([sys.executable, "-m", "adaptive_control.cli", "meta-train", "--data", str(bad), "--out",
                           str(tmp_path / "o.pt")], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
