"""docs/control_quality.md "A deeper model", whole draws: each half-cheetah draw of today's default recipe with
the 3x256 model (bench/results/model_size/whole_draw.sh <S>) beside the 2x256 draw of the same SEED
(bench/results/ref_draws/noref_seed<S>_*.json), final GrBAL and MB on the 20 held-out crippled-leg tasks
(seeds 100-119): mean ± standard error over the tasks, the fraction of the true-dynamics reference, the
per-task difference, and each draw's recipe wall clock.

    python bench/results/model_size/whole_table.py
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.dirname(HERE)
REFERENCE = 3194.0  # the true-dynamics reference on the 20 held-out tasks (README "What works today")


def returns(path: str):
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return np.array(json.load(fh)["points"][0]["returns"])


def ms(v) -> str:
    return f"{v.mean():,.0f} ± {v.std(ddof=1) / np.sqrt(len(v)):,.0f} ({v.mean() / REFERENCE:.2f}×)"


def main() -> None:
    print("| draw | method | 2×256 draw | 3×256 draw | paired by task |")
    print("|---|---|---|---|---|")
    for d in (1, 2, 3, 4):
        for kind in ("grbal", "mb"):
            deep = returns(os.path.join(HERE, f"whole3x256_seed{d}_{kind}.json"))
            base = returns(os.path.join(RES, "ref_draws", f"noref_seed{d}_{kind}.json"))
            if deep is None or base is None:
                continue
            diff = deep - base
            print(f"| {d} | {kind} | {ms(base)} | {ms(deep)} | {diff.mean():+,.0f} ± "
                  f"{diff.std(ddof=1) / np.sqrt(len(diff)):,.0f} |")


if __name__ == "__main__":
    main()
