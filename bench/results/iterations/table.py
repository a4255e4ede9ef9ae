"""docs/control_quality.md "Two MPPI iterations": GrBAL with two MPPI iterations per plan at K=250 (the shipped plan's
compute) against the shipped planner (one iteration, K=500), on the 20 held-out crippled-leg tasks
(seeds 100-119), for the shipped checkpoint and the four draws of today's default recipe; mean ±
standard error, the difference paired over the tasks.

    python bench/results/iterations/table.py
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.dirname(HERE)
REFERENCE = 3194.0  # the true-dynamics reference on these 20 tasks (README "What works today")
MODELS = ("shipped", "1", "2", "3", "4")


def returns(path: str) -> dict | None:
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        doc = json.load(fh)
    return dict(zip(doc["seeds"], doc["points"][0]["returns"]))


def baseline(model: str) -> dict | None:
    if model == "shipped":
        return returns(os.path.join(HERE, "it1_k500_shipped_grbal.json"))
    return returns(os.path.join(RES, "ref_draws", f"noref_seed{model}_grbal.json"))


def stat(v) -> str:
    v = np.asarray(v, float)
    return f"{v.mean():,.0f} ± {v.std(ddof=1) / np.sqrt(len(v)):,.0f}"


def main() -> None:
    print("| GrBAL | 1 iteration, K=500 (shipped) | 2 iterations, K=250 | paired |")
    print("|---|---|---|---|")
    for m in MODELS:
        base = baseline(m)
        cells = [stat(list(base.values())) if base else "-"]
        for k in ("k250",):
            r = returns(os.path.join(HERE, f"it2_{k}_{m}_grbal.json"))
            if r is None or base is None:
                cells += [stat(list(r.values())) if r else "-", "-"]
                continue
            assert sorted(r) == sorted(base), "the two arms must cover the same tasks"
            d = np.array([r[s] - base[s] for s in base])
            cells += [stat(list(r.values())) + f" ({np.mean(list(r.values())) / REFERENCE:.2f}×)", stat(d)]
        name = "shipped checkpoint" if m == "shipped" else f"default draw {m}"
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
