"""The adaptation benchmark's pieces: cells, the recovery metric, the tables, config validation."""
import dataclasses
import json

import numpy as np
import pytest

from adaptive_control.config import ConfigError
from adaptive_control.experiments.evaluate import EvalConfig, SwitchConfig, cell_id, cells, load_eval_config
from adaptive_control.experiments.report import (markdown_table, moving_average, read_records, recovery_time,
                                                 summarize)


def test_moving_average_is_trailing():
    v = np.array([0, 0, 3, 3, 3, 3], float)
    np.testing.assert_allclose(moving_average(v, 3), [0, 0, 1, 2, 3, 3])


def test_recovery_time_cases():
    dt, n = 0.01, 1000
    ref = np.full(n, 2.0)
    # drops to 0 at step 300, back to full speed from step 600: the 1 s average re-enters the band
    # when 80% of its window is back at 2.0, i.e. 80 steps after 600
    v = ref.copy()
    v[300:600] = 0.0
    t = recovery_time(v, ref, 300, dt)
    assert t == pytest.approx((600 + 80 - 300) * dt, abs=2 * dt)
    assert recovery_time(ref.copy(), ref, 300, dt) == 0.0  # never left the band
    never = ref.copy()
    never[300:] = 0.5
    assert recovery_time(never, ref, 300, dt) is None  # not recovered


def test_cells_cover_the_matrix_with_unperturbed_references():
    cfg = EvalConfig(robots=("half_cheetah",), families=("crippled_leg",), methods=("grbal", "mb"), seeds=(1, 2),
                     switch=SwitchConfig(families=("crippled_leg",), at_step=50), steps=100)
    cs = cells(cfg)
    ids = [c["id"] for c in cs]
    assert len(ids) == len(set(ids)) == 2 * 2 * 3  # per method and seed: perturbed, switched, reference
    assert "half_cheetah/crippled_leg@50/grbal/1" in ids and "half_cheetah/none/mb/2" in ids
    # the reference on fewer seeds than the learned methods
    ref = dataclasses.replace(cfg, methods=("grbal", "true_dynamics"), reference_seeds=(2,))
    ref.validate()
    ids = [c["id"] for c in cells(ref)]
    assert "half_cheetah/crippled_leg/true_dynamics/2" in ids and "half_cheetah/crippled_leg/true_dynamics/1" not in ids
    assert "half_cheetah/crippled_leg/grbal/1" in ids
    with pytest.raises(ConfigError, match="reference_seeds"):
        dataclasses.replace(cfg, reference_seeds=(7,)).validate()


def test_eval_config_rejects_typos_and_bad_values(tmp_path):
    p = tmp_path / "e.yaml"
    p.write_text("methds: [grbal]\n")
    with pytest.raises(ConfigError, match="methds"):
        load_eval_config(str(p))
    p.write_text("steps: 100\nswitch: {at_step: 200}\n")
    with pytest.raises(ConfigError, match="at_step"):
        load_eval_config(str(p))
    p.write_text("methods: [grbal, telepathy]\n")
    with pytest.raises(ConfigError, match="telepathy"):
        load_eval_config(str(p))


def test_summary_and_table_from_records(tmp_path):
    recs = []
    for seed, (g, m) in enumerate([(10.0, 5.0), (14.0, 7.0), (12.0, 6.0)]):
        for method, ret in (("grbal", g), ("mb", m)):
            base = {"robot": "half_cheetah", "method": method, "seed": seed, "latency": {"total_median_ms": 5.0},
                    "dt": 0.01}
            recs.append({**base, "family": "crippled_leg", "switch_at": None, "return": ret,
                         "forward_velocity": [1.0] * 200})
            recs.append({**base, "family": "none", "switch_at": None, "return": ret + 1,
                         "forward_velocity": [1.0] * 200})
            recs.append({**base, "family": "crippled_leg", "switch_at": 100, "return": ret - 1,
                         "forward_velocity": [1.0] * 100 + [0.0] * 100})
    rows = summarize(recs)
    g = next(r for r in rows if r["method"] == "grbal" and r["family"] == "crippled_leg" and r["switch_at"] is None)
    assert g["mean"] == pytest.approx(12.0) and g["stderr"] == pytest.approx(np.std([10, 14, 12], ddof=1) / np.sqrt(3))
    sw = next(r for r in rows if r["method"] == "mb" and r["switch_at"] == 100)
    assert sw["recovery_s"] == [None, None, None]
    md = markdown_table(rows)
    assert "| half_cheetah | crippled_leg | 12 ± 1 | 6 ± 1 |" in md  # no stalled episode: nothing added
    # the switched episodes end at 0 m/s: every one counted as stalled, in the rows and in the table
    assert sw["stalled"] == [0, 1, 2] and g["stalled"] == []
    assert "| half_cheetah | crippled_leg (switched on at step 100) | 11 ± 1, 3/3 stalled | 5 ± 1, 3/3 stalled |" in md
    assert "crippled_leg @ 100 | grbal | - |" in md


def test_stalled_reads_the_end_of_the_episode():
    from adaptive_control.experiments.report import STALL_SPEED, stalled

    running = [2.0] * 1000
    assert not stalled(running, 0.01)
    assert stalled(running[:700] + [0.0] * 300, 0.01)  # the last 3 s at a standstill
    assert not stalled([0.0] * 300 + running[:700], 0.01)  # a slow start is not a stall
    assert stalled([2.0] * 100 + [STALL_SPEED * 0.9] * 300, 0.01)
    assert not stalled([2.0] * 100 + [STALL_SPEED * 1.1] * 300, 0.01)
    assert stalled([2.0] * 10 + [0.0] * 10, 0.01)  # short episodes: the second half
    assert not stalled([], 0.01)


def test_torn_last_line_is_ignored(tmp_path):
    p = tmp_path / "results.jsonl"
    p.write_text('{"id": "a"}\n{"id": "b"}\n{"id": "c", "ret')
    assert [r["id"] for r in read_records(str(p))] == ["a", "b"]


def test_small_matrix_end_to_end_then_resume_runs_nothing_again(tmp_path):
    from adaptive_control.build import default_checkpoint
    from adaptive_control.experiments.evaluate import TestTaskMBConfig, evaluate

    cfg = EvalConfig(robots=("half_cheetah",), families=("none", "friction"),
                     methods=("grbal", "mb", "test_task_mb", "true_dynamics"),
                     seeds=(100,), steps=30, workers=2, switch=SwitchConfig(families=("crippled_leg",), at_step=10),
                     test_task_mb=TestTaskMBConfig(paths=2, path_length=40, steps=5, mpc_paths=1, warm_start=True))
    seen = []
    records = evaluate(cfg, str(tmp_path), progress=seen.append)
    assert len(records) == len(cells(cfg)) == len(seen) == 12
    # one test-task model per task (none, friction: the switch cell reuses the crippled task of its own),
    # each warm-started from the MB checkpoint and retrained on random + its own MPC data
    from models.checkpoint import load_checkpoint
    oracles = sorted((tmp_path / "test_task_mb").glob("*.pt"))
    assert len(oracles) == 3
    for o in oracles:
        ck = load_checkpoint(o)
        # 3 paths of 40 ticks, as transitions of the shipped model's span (each path loses ticks - 1)
        assert ck.ticks == load_checkpoint(default_checkpoint("half_cheetah", "mb")).ticks
        assert ck.metrics["transitions"] == 3 * (40 - (ck.ticks - 1)) and ck.metrics["init"].endswith("mb.pt")
    for r in records:
        assert r["steps"] == 30 and np.isfinite(r["return"]) and r["latency"]["ticks"] == 30
    friction = [r for r in records if r["family"] == "friction"]
    assert all(r["perturbation"]["perturbation"] == "friction" for r in friction)
    assert all(r["perturbation"]["scale"] <= 0.4 for r in friction)  # the held-out test range
    for name in ("results.json", "results.md", "returns.png", "switch_velocity.png"):
        assert (tmp_path / name).stat().st_size > 0
    # every method's return also as a fraction of the true-dynamics reference's on the same cell
    rows = summarize(records)
    ref = {(r["family"], r["switch_at"]): r["mean"] for r in rows if r["method"] == "true_dynamics"}
    for r in rows:
        assert r["fraction_of_true_dynamics"] == pytest.approx(r["mean"] / ref[(r["family"], r["switch_at"])])
    # resume: every cell is finished, so nothing runs and the records are the same
    again = []
    records2 = evaluate(cfg, str(tmp_path), progress=again.append)
    assert again == [] and [r["return"] for r in records2] == [r["return"] for r in records]


def _write_run(folder, method_returns: dict, seeds):
    """An evaluate --out folder as evaluate leaves it: one JSON record per finished episode."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "results.jsonl", "w") as fh:
        for method, base in method_returns.items():
            for seed in seeds:
                rec = {"robot": "half_cheetah", "family": "crippled_leg", "method": method, "seed": seed,
                       "switch_at": None, "return": base + seed, "latency": {"total_median_ms": 5.0}, "dt": 0.01,
                       "forward_velocity": [1.0] * 10}
                rec["id"] = cell_id(rec)
                fh.write(json.dumps(rec) + "\n")


def test_report_merges_seed_draws_and_a_reference_run_elsewhere(tmp_path, capsys):
    from adaptive_control.cli import main

    _write_run(tmp_path / "a", {"grbal": 100.0, "mb": 50.0}, [0, 1, 2])
    _write_run(tmp_path / "b", {"grbal": 200.0}, [3, 4])
    _write_run(tmp_path / "ref", {"true_dynamics": 1000.0, "grbal": 0.0}, [0, 1, 2, 3, 4])
    out = tmp_path / "merged"
    assert main(["report", str(tmp_path / "a"), str(tmp_path / "b"), f"{tmp_path / 'ref'}:true_dynamics",
                 "--out", str(out)]) == 0
    recs = json.loads((out / "results.json").read_text())
    grbal = sorted(r["return"] for r in recs if r["method"] == "grbal")
    assert grbal == [100.0, 101.0, 102.0, 203.0, 204.0]  # seeds 0-2 from a, 3-4 from b, none from ref
    md = (out / "results.md").read_text()
    mean = np.mean(grbal)
    assert f"{mean:.0f} ± " in md and f"({mean / 1002.0:.2f})" in md  # fraction of the reference's mean
    assert "seeds 0-2 (6 episodes)" in md and "true_dynamics, seeds 0-4 (5 episodes)" in md
    assert [p["episodes"] for p in json.loads((out / "sources.json").read_text())] == [6, 2, 5]
    assert (out / "returns.png").stat().st_size > 0

    # the same episode from two folders is refused, naming both; so is a method a folder lacks
    assert main(["report", str(tmp_path / "a"), str(tmp_path / "ref"), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "half_cheetah/crippled_leg/grbal/0" in err and str(tmp_path / "a") in err and str(tmp_path / "ref") in err
    assert main(["report", f"{tmp_path / 'b'}:mb", "--out", str(tmp_path / "x")]) == 2
    assert "no episodes of method(s) mb" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "nothing"), "--out", str(tmp_path / "x")]) == 2
    assert "no finished episodes" in capsys.readouterr().err
    # a committed folder in a fresh clone: the summary without the episode log says what to do
    (tmp_path / "a" / "results.jsonl").unlink()
    (tmp_path / "a" / "results.json").write_text("[]")
    assert main(["report", str(tmp_path / "a"), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "holds only its summary (results.json)" in err and "adaptive-control evaluate" in err


def test_report_renames_a_method_taken_from_a_folder(tmp_path, capsys):
    """``DIR:grbal=grbal_whole_plan``: the same method under other settings gets its own column."""
    from adaptive_control.cli import main

    _write_run(tmp_path / "shipped", {"grbal": 100.0, "mb": 50.0}, [0, 1])
    _write_run(tmp_path / "variant", {"grbal": 300.0}, [0, 1])
    out = tmp_path / "merged"
    assert main(["report", str(tmp_path / "shipped"), f"{tmp_path / 'variant'}:grbal=grbal_whole_plan",
                 "--out", str(out)]) == 0
    recs = json.loads((out / "results.json").read_text())
    by = {m: sorted(r["return"] for r in recs if r["method"] == m) for m in ("grbal", "grbal_whole_plan", "mb")}
    assert by == {"grbal": [100.0, 101.0], "grbal_whole_plan": [300.0, 301.0], "mb": [50.0, 51.0]}
    assert all(r["id"] == cell_id(r) for r in recs)
    header = next(line for line in (out / "results.md").read_text().splitlines() if line.startswith("| robot |"))
    assert "grbal_whole_plan" in header
    assert main(["report", f"{tmp_path / 'variant'}:grbal=", "--out", str(tmp_path / "x")]) == 2
    assert "method=new_name" in capsys.readouterr().err
