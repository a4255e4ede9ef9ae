"""Issue 11, 2026-12-07 (docs/control_quality.md "A discount on the plan's far end"): recipe draws' final GrBALs with
planner.discount 0.95 (and 0.9 where run) against their discount-1 runs, paired on the first 10 held-out crippled-leg
tasks.

    for S in 6 5 7; do bash bench/results/discount/draws.sh $S 95 grbal 1 2; done
    python bench/results/discount/draws_table.py --json bench/results/discount/draws.json
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np


def _returns(path: str, n: int = 10) -> np.ndarray:
    with open(path) as fh:
        return np.array(json.load(fh)["points"][0]["returns"][:n])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json")
    args = ap.parse_args()
    rows = []
    for s in (5, 6, 7):
        for c in (1, 2):
            base = _returns(f"bench/results/draws/seed{s}_draw{c}_grbal.json")
            row = {"seed": s, "draw": c, "discount_1": float(base.mean()), "discount_1_min": float(base.min())}
            text = f"SEED={s} draw {c}: gamma 1 {base.mean():5,.0f} ± {base.std(ddof=1) / np.sqrt(len(base)):3.0f}"
            for g in ("95", "9"):
                path = f"bench/results/discount/draws/seed{s}_draw{c}_grbal_g{g}.json"
                if not os.path.exists(path):
                    continue
                a = _returns(path)
                d = a - base
                row[f"discount_0.{g}"] = {"mean": float(a.mean()), "min": float(a.min()), "paired": float(d.mean()),
                                          "paired_se": float(d.std(ddof=1) / np.sqrt(len(d)))}
                text += (f" | gamma 0.{g} {a.mean():5,.0f} ± {a.std(ddof=1) / np.sqrt(len(a)):3.0f} "
                         f"(paired {d.mean():+4.0f} ± {d.std(ddof=1) / np.sqrt(len(d)):3.0f}; worst episode {a.min():,.0f} "
                         f"against {base.min():,.0f})")
            rows.append(row)
            print(text)
    both = [r for r in rows if "discount_0.95" in r]
    if both:
        g1 = np.array([r["discount_1"] for r in both])
        g95 = np.array([r["discount_0.95"]["mean"] for r in both])
        print(f"{len(both)} draws: mean {g1.mean():,.0f} -> {g95.mean():,.0f}, range {g1.min():,.0f}-{g1.max():,.0f} -> "
              f"{g95.min():,.0f}-{g95.max():,.0f} ({g1.max() / g1.min():.1f}x -> {g95.max() / g95.min():.1f}x)")
    if args.json:
        with open(args.json + ".tmp", "w") as fh:
            json.dump({"benchmark": "discount_draws", "tasks": "seeds 100-109, crippled leg, test range", "rows": rows}, fh,
                      indent=1)
        os.replace(args.json + ".tmp", args.json)


if __name__ == "__main__":
    main()
