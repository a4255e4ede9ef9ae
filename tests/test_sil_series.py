"""bench/sil_series.py's arithmetic (the series itself runs for ~10 minutes: `make sil-series`)."""
import importlib.util
import os

import pytest

SPEC = importlib.util.spec_from_file_location(
    "sil_series", os.path.join(os.path.dirname(__file__), "..", "bench", "sil_series.py"))
sil_series = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(sil_series)


def _episode(ret, local, missed, ticks=2000):
    return {"return": ret, "in_process": {"return": local}, "missed_deadlines": missed, "control_ticks": ticks,
            "repeated_state_ticks": 3, "tick_median_ms": 5.0, "tick_p99_ms": 8.0,
            "round_trip_median_ms": 9.0, "round_trip_p99_ms": 11.0}


def test_summary_pairs_each_episode_with_its_in_process_run():
    s = sil_series.summarize([_episode(100.0, 120.0, 4), _episode(300.0, 280.0, 16), _episode(200.0, 230.0, 0)])
    assert s["missed_deadlines"] == 20 and s["control_ticks"] == 6000
    assert s["missed_fraction"] == pytest.approx(20 / 6000) and s["missed_per_episode"] == [4, 16, 0]
    assert s["paired_diff_mean"] == pytest.approx((-20 + 20 - 30) / 3)
    assert s["ratio_of_means"] == pytest.approx(600 / 630) and s["repeated_state_ticks"] == 9


def test_seed_ranges():
    assert sil_series.seed_range("100-103") == [100, 101, 102, 103]
    assert sil_series.seed_range("5,7") == [5, 7]


def test_stolen_cpu_time_from_proc_stat(tmp_path):
    import os as _os

    from robot_bridge.sil import cpu_times, stolen_fraction

    hz = _os.sysconf("SC_CLK_TCK")
    stat = tmp_path / "stat"
    stat.write_text("cpu  600 0 100 200 0 0 0 100 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n")
    before = cpu_times(str(stat))
    assert before == (1000 / hz, 100 / hz)
    stat.write_text("cpu  1400 0 100 1000 0 0 0 500 0 0\n")
    assert stolen_fraction(before, cpu_times(str(stat))) == pytest.approx(400 / 2000)
    assert cpu_times(str(tmp_path / "missing")) is None and stolen_fraction(None, before) is None
