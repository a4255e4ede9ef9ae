"""bench/paired.py's arithmetic: per-seed differences between two methods of evaluate runs."""
import importlib.util
import json
import os

import pytest

SPEC = importlib.util.spec_from_file_location(
    "paired", os.path.join(os.path.dirname(__file__), "..", "bench", "paired.py"))
paired_mod = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(paired_mod)


def _write(folder, records):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "results.jsonl"), "w") as fh:
        for r in records:
            fh.write(json.dumps({"robot": "half_cheetah", "switch_at": None, **r}) + "\n")


def test_differences_are_paired_by_seed_across_folders(tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    _write(a, [{"family": "friction", "method": "grbal", "seed": s, "return": r} for s, r in ((1, 10.0), (2, 30.0), (3, 5.0))]
           + [{"family": "none", "method": "grbal", "seed": 1, "return": 100.0}])
    # seed 3 has no partner: left out; the "none" cell is reported but not pooled with the perturbed ones
    _write(b, [{"family": "friction", "method": "prior", "seed": s, "return": r} for s, r in ((2, 20.0), (1, 4.0))]
           + [{"family": "none", "method": "prior", "seed": 1, "return": 0.0},
              {"family": "friction", "method": "prior", "seed": 1, "return": 4.0, "switch_at": 200}])
    out = paired_mod.paired("grbal", "prior", [a, b])["half_cheetah"]
    mean, se, n = out["cells"]["friction"]
    assert (mean, n) == (8.0, 2) and se == pytest.approx(2.0)  # differences 6 and 10
    assert out["cells"]["none"][0] == 100.0 and out["perturbed"][:3:2] == (8.0, 2)
    assert "friction @ 200" not in out["cells"]  # no grbal episode for the switched cell


def test_the_same_method_from_two_folders(tmp_path):
    """``grbal@folder`` pins one side to a folder: two runs of one method under different settings."""
    base, variant = str(tmp_path / "base"), str(tmp_path / "variant")
    _write(base, [{"family": "friction", "method": "grbal", "seed": s, "return": r} for s, r in ((1, 10.0), (2, 20.0))])
    _write(variant, [{"family": "friction", "method": "grbal", "seed": s, "return": r} for s, r in ((1, 13.0), (2, 27.0))])
    for folders in ([base], [base, variant], [variant, base]):  # the pinned folder never leaks into the other side
        out = paired_mod.paired(f"grbal@{variant}", "grbal", folders)["half_cheetah"]
        assert out["cells"]["friction"][0] == 5.0  # differences 3 and 7
    assert paired_mod.paired("grbal", f"grbal@{variant}", [base])["half_cheetah"]["cells"]["friction"][0] == -5.0
    with pytest.raises(ValueError, match="same episodes"):
        paired_mod.paired("grbal", "grbal", [base])


def test_a_committed_folder_without_its_log_is_read_from_results_json(tmp_path):
    """A fresh clone has the slim results.json, not the (ignored) results.jsonl log."""
    a = tmp_path / "a"
    _write(str(a), [{"family": "friction", "method": m, "seed": 1, "return": r} for m, r in (("grbal", 9.0), ("mb", 4.0))])
    recs = [json.loads(line) for line in (a / "results.jsonl").read_text().splitlines()]
    (a / "results.json").write_text(json.dumps(recs))
    (a / "results.jsonl").unlink()
    assert paired_mod.paired("grbal", "mb", [str(a)])["half_cheetah"]["cells"]["friction"][:3:2] == (5.0, 1)
