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
