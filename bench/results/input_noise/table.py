"""Issue 11, docs/control_quality.md "Noise on the training inputs": per recipe draw, a retrained final model
(``run.sh``) against the draw's own (``bench/results/draws/seed<S>_draw<c>_<method>.json``), the same data, seed and
steps, only the experiment YAML differing, on the held-out crippled-leg tasks both ran (seeds 100-119, or the first
10): mean ± standard error over the tasks, the paired difference per task; then the mean over draws of the draws'
differences with its standard error over draws (the honest error bar: a training moves a draw by hundreds).

    python bench/results/input_noise/table.py in10 [--method mb] [--json bench/results/input_noise/in10_table.json]
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DRAWS = os.path.join(HERE, "..", "draws")
REFERENCE = 3194.0  # the true-dynamics reference on the 20 held-out tasks (README "What works today")


def _returns(path: str) -> dict:
    point = json.load(open(path))["points"][0]
    return dict(zip(json.load(open(path))["seeds"], point["returns"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("arm", help="the arm's name, as given to run.sh")
    ap.add_argument("--method", default="mb")
    ap.add_argument("--json")
    args = ap.parse_args()
    rows = []
    for path in sorted(glob.glob(os.path.join(HERE, f"{args.arm}_seed*_draw*_{args.method}.json"))):
        s, c = re.search(r"_seed(\d+)_draw(\d+)_", os.path.basename(path)).groups()
        base = os.path.join(DRAWS, f"seed{s}_draw{c}_{args.method}.json")
        if not os.path.exists(base):
            continue
        new, old = _returns(path), _returns(base)
        seeds = sorted(set(new) & set(old))
        a, b = np.array([new[k] for k in seeds]), np.array([old[k] for k in seeds])
        d = a - b
        se = lambda x: float(x.std(ddof=1) / np.sqrt(len(x)))  # noqa: E731
        rows.append({"draw": f"seed{s}_draw{c}", "tasks": len(seeds), "arm": float(a.mean()), "arm_se": se(a),
                     "unchanged": float(b.mean()), "unchanged_se": se(b), "diff": float(d.mean()), "diff_se": se(d)})
        print(f"seed{s} draw{c} ({len(seeds)} tasks): {args.arm} {a.mean():,.0f} ± {se(a):,.0f}   unchanged "
              f"{b.mean():,.0f} ± {se(b):,.0f}   paired {d.mean():+,.0f} ± {se(d):,.0f}")
    if not rows:
        raise SystemExit(f"no results for arm {args.arm!r} and method {args.method!r} in {HERE}")
    diffs = np.array([r["diff"] for r in rows])
    arm, unchanged = np.array([r["arm"] for r in rows]), np.array([r["unchanged"] for r in rows])
    summary = {"draws": len(rows), "arm_mean": float(arm.mean()), "unchanged_mean": float(unchanged.mean()),
               "diff_mean": float(diffs.mean()),
               "diff_se_over_draws": float(diffs.std(ddof=1) / np.sqrt(len(diffs))) if len(diffs) > 1 else None,
               "better_in": int((diffs > 0).sum()), "arm_fraction_of_reference": float(arm.mean() / REFERENCE)}
    print(f"over {len(rows)} draws: {args.arm} {arm.mean():,.0f} ({arm.mean() / REFERENCE:.2f}x the reference) "
          f"against {unchanged.mean():,.0f}; mean difference {diffs.mean():+,.0f}"
          + (f" ± {summary['diff_se_over_draws']:,.0f}" if len(rows) > 1 else "")
          + f", better in {summary['better_in']} of {len(rows)}")
    if args.json:
        with open(args.json + ".tmp", "w") as fh:
            json.dump({"arm": args.arm, "method": args.method, "rows": rows, "summary": summary}, fh, indent=2)
        os.replace(args.json + ".tmp", args.json)


if __name__ == "__main__":
    main()
