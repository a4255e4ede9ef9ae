"""docs/control_quality.md "Stratified task sampling": each draw of today's default recipe with STRATIFY=yes
(SEED=S) beside the same SEED without it (bench/results/ref_draws/noref_seed<S>_*.json), final GrBAL and MB on the 20
held-out crippled-leg tasks (seeds 100-119), as mean ± standard error over the tasks and as a fraction of
the true-dynamics reference; then the mean and best / worst ratio over the draws each set has.

    python bench/results/stratified/table.py
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.dirname(HERE)
REFERENCE = 3194.0  # the true-dynamics reference on the 20 held-out tasks (README "What works today")
DRAWS = (1, 2, 3, 4)


def returns(path: str):
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return np.array(json.load(fh)["points"][0]["returns"])


def ms(v) -> str:
    return "-" if v is None else f"{v.mean():,.0f} ± {v.std(ddof=1) / np.sqrt(len(v)):,.0f}"


def paired(without, with_):
    """The same 20 held-out tasks under both models: the per-task difference (with - without)."""
    return None if without is None or with_ is None else with_ - without


def main() -> None:
    print("| draw | method | random family draw (without) | stratified (with) | paired by task |")
    print("|---|---|---|---|---|")
    means = {(k, w): [] for k in ("grbal", "mb") for w in ("without", "with")}
    for d in DRAWS:
        for kind in ("grbal", "mb"):
            without = returns(os.path.join(RES, "ref_draws", f"noref_seed{d}_{kind}.json"))
            with_ = returns(os.path.join(HERE, f"seed{d}_{kind}.json"))
            print(f"| {d} | {kind} | {ms(without)} | {ms(with_)} | {ms(paired(without, with_))} |")
            for w, v in (("without", without), ("with", with_)):
                if v is not None:
                    means[(kind, w)].append(v.mean())
    both = [d for d in DRAWS if os.path.exists(os.path.join(HERE, f"seed{d}_grbal.json"))]
    print(f"draws with both: {both}")
    for (kind, w), m in means.items():
        if m:
            m = np.array(m)
            print(f"{kind} {w}: {' / '.join(f'{x:,.0f}' for x in m)}; mean {m.mean():,.0f} "
                  f"({m.mean() / REFERENCE:.2f}x the reference), best / worst {m.max() / m.min():.2f}x")
        if w == "without" and len(m) > len(both):
            m = m[[d - 1 for d in both]]
            print(f"{kind} without, on the same draws: mean {m.mean():,.0f} ({m.mean() / REFERENCE:.2f}x), "
                  f"best / worst {m.max() / m.min():.2f}x")


if __name__ == "__main__":
    main()
