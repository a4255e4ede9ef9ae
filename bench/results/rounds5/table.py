"""docs/control_quality.md "Five aggregation rounds": per draw of today's default recipe (SEED=S), the final
GrBAL and MB after the default three rounds (three_rounds.sh: seed<S>_three_<method>.json) and after five (run.sh:
seed<S>_<method>.json), on the same data up to round 3 and the same seeds, on the 20 held-out crippled-leg
tasks (seeds 100-119): mean ± standard error over the tasks, the paired difference per task, and the mean
and best / worst ratio over the draws. The three-round draws of 2026-12-04's code
(bench/results/ref_draws/noref_seed<S>_*.json) are printed beside them: rounds 1-3 are not collected
identically today (the planning model's rounding changed since), so they are other draws.

    python bench/results/rounds5/table.py
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.dirname(HERE)
REFERENCE = 3194.0  # the true-dynamics reference on the 20 held-out tasks (README "What works today")
DRAWS = (1, 2, 3)


def returns(path: str):
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return np.array(json.load(fh)["points"][0]["returns"])


def ms(v) -> str:
    return "-" if v is None else f"{v.mean():,.0f} ± {v.std(ddof=1) / np.sqrt(len(v)):,.0f}"


def main() -> None:
    print("| draw | method | three rounds | five rounds | paired by task | 2026-12-04's three-round draw |")
    print("|---|---|---|---|---|---|")
    means = {(k, w): [] for k in ("grbal", "mb") for w in ("three", "five")}
    for d in DRAWS:
        for kind in ("grbal", "mb"):
            three = returns(os.path.join(HERE, f"seed{d}_three_{kind}.json"))
            five = returns(os.path.join(HERE, f"seed{d}_{kind}.json"))
            old = returns(os.path.join(RES, "ref_draws", f"noref_seed{d}_{kind}.json"))
            diff = None if three is None or five is None else five - three
            print(f"| {d} | {kind} | {ms(three)} | {ms(five)} | {ms(diff)} | {ms(old)} |")
            for w, v in (("three", three), ("five", five)):
                if v is not None:
                    means[(kind, w)].append(v.mean())
    for (kind, w), m in means.items():
        if m:
            m = np.array(m)
            print(f"{kind} {w} rounds: {' / '.join(f'{x:,.0f}' for x in m)}; mean {m.mean():,.0f} "
                  f"({m.mean() / REFERENCE:.2f}x the reference), best / worst {m.max() / m.min():.2f}x")


if __name__ == "__main__":
    main()
