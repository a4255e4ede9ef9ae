"""The soak benchmark's machinery, briefly (bench/soak.py runs it for 10 minutes): real ROS 2 nodes on
loopback, a lossy relay between the simulated robot and the controller."""
import importlib.util
import os

SPEC = importlib.util.spec_from_file_location("soak", os.path.join(os.path.dirname(__file__), "..", "bench", "soak.py"))
soak = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(soak)


def test_a_short_lossy_soak_keeps_every_command_finite_and_within_limits(tmp_path):
    res = soak.run_soak(8.0, str(tmp_path), drop=0.2, jitter_ms=8.0, duplicate=0.05, progress=False)
    assert res["died"] is None
    r = res["relay"]
    assert r["commands"] > 200 and r["bad_commands"] == 0  # checked by the relay, on the wire
    assert r["dropped"] / r["received"] >= 0.1 and r["duplicated"] > 0 and r["reordered"] > 0
    # the controller saw the damage: old or repeated stamps ignored, lost states ticked through
    assert res["stale_messages"] > 0 and res["repeated_state_ticks"] > 0
    assert res["sim_steps"] >= 700  # free-running at 100 Hz for 8 s
    assert all(v is not None for _, v in res["rss_mb"]["controller"])
