"""Issue 11: the ant's final models, 2x256 against 3x256 on the same draw's data (bench/results/ant_deep/run.sh),
on the 10 held-out crippled-leg tasks: mean +- standard error per arm and method, and the paired difference
(each seed is the same task under both arms).

    python bench/results/ant_deep/table.py --seeds 0 [--reference 3045]
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def returns(path: str) -> dict[str, np.ndarray]:
    with open(path) as f:
        return {p["method"]: np.asarray(p["returns"], dtype=float) for p in json.load(f)["points"]}


def mean_se(x: np.ndarray) -> str:
    return f"{x.mean():,.0f} +- {x.std(ddof=1) / np.sqrt(len(x)):,.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", required=True, help="draw SEEDs of run.sh")
    ap.add_argument("--reference", type=float, default=3045.0,
                    help="the true-dynamics reference's return (seed 100; README 'Why the ant stalls')")
    args = ap.parse_args()
    print("| draw | method | 2x256 | 3x256 | 3x256 - 2x256 (paired) | 3x256 / reference |")
    print("|---|---|---|---|---|---|")
    for s in args.seeds:
        a, b = (returns(os.path.join(HERE, f"seed{s}_{arm}.json")) for arm in ("2x256", "3x256"))
        for m in sorted(a, key=lambda m: m != "grbal"):
            print(f"| SEED={s} | {m} | {mean_se(a[m])} | {mean_se(b[m])} | {mean_se(b[m] - a[m])} "
                  f"| {b[m].mean() / args.reference:.2f} |")


if __name__ == "__main__":
    main()
