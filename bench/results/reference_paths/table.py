"""README "Reference paths": each model retrained with the reference paths against the same training
without them, paired over the 20 held-out crippled-leg tasks (seeds 100-119), mean ± standard error.

    python bench/results/reference_paths/table.py
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.dirname(HERE)
DRAWS = [("suite draw 1 (`SEED=1`)", "suite", "suite_range_seed1", 1),
         ("suite draw 2 (`SEED=2`)", "suite", "suite_range_seed2", 2),
         ("wide draw 1 (`SEED=1`)", "wide", "wide_damping_seed1", 1),
         ("wide draw 3 (`SEED=3`)", "wide", "wide_damping_seed3", 3)]


def returns(path: str, method: str | None = None) -> dict:
    with open(path) as fh:
        doc = json.load(fh)
    if "episodes" in doc:  # bench/offpath_prediction.py: the controller's own episodes
        return {e["seed"]: e["return"] for e in doc["episodes"]}
    point = next(p for p in doc["points"] if method is None or p["method"] == method)
    return dict(zip(doc["seeds"], point["returns"]))


def merged(*paths, method=None) -> dict:
    out: dict = {}
    for p in paths:
        out.update(returns(p, method))
    return out


def cell(before: dict, after: dict) -> str:
    seeds = sorted(before)
    assert sorted(after) == seeds, "the two arms must cover the same tasks"
    d = np.array([after[s] - before[s] for s in seeds])
    return (f"{np.mean(list(before.values())):,.0f} → {np.mean(list(after.values())):,.0f} | "
            f"{d.mean():+,.0f} ± {d.std(ddof=1) / np.sqrt(len(d)):,.0f}")


def main() -> None:
    print("| draw | GrBAL without → with | paired | MB without → with | paired |")
    print("|---|---|---|---|---|")
    for label, arm, name, seed in DRAWS:
        after = {m: os.path.join(HERE, f"{name}_{m}.json") for m in ("grbal", "mb")}
        if not all(os.path.exists(p) for p in after.values()):
            continue
        base = os.path.join(RES, "wide_damping", arm, f"crippled_leg_{seed}.json")
        print(f"| {label} | " + " | ".join(cell(returns(base, m), returns(after[m], m)) for m in ("grbal", "mb")) + " |")
    br = os.path.join(RES, "branches")
    for s in (2, 12):
        before = {"grbal": merged(os.path.join(br, f"offpath_a_{s}_grbal.json"),
                                  os.path.join(HERE, f"base_a_{s}_grbal_110.json")),
                  "mb": (merged(os.path.join(br, "offpath_a_2_mb.json"), os.path.join(br, "offpath_a_2_mb_110.json"))
                         if s == 2 else returns(os.path.join(br, "offpath_a_12_mb_20.json")))}
        label = f"suite draw 2 + one more MPC round, training seed {s}"
        print(f"| {label} | " + " | ".join(cell(before[m], returns(os.path.join(HERE, f"round4_r_{s}_{m}.json")))
                                            for m in ("grbal", "mb")) + " |")


if __name__ == "__main__":
    main()
