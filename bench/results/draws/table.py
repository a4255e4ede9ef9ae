"""`make checkpoints DRAWS=2` runs (bash bench/results/draws/run.sh <SEED>): per run and method, each draw's
validation return (the 10 training-range episodes `select` ran) and held-out return (20 crippled-leg tasks, seeds
100-119; also over the first 10, the issue's demo measure), the draw kept, and how far apart the kept models of
two runs are, beside the true-dynamics reference. Mean ± standard error over the episodes.

    python bench/results/draws/table.py --runs 5 6
"""
import argparse
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = 3194.0  # the true-dynamics reference on the 20 held-out tasks (README "What works today")


def load(name: str):
    with open(os.path.join(HERE, name)) as fh:
        return json.load(fh)


def held_out(run: int, draw: int, method: str) -> np.ndarray:
    return np.array(load(f"seed{run}_draw{draw}_{method}.json")["points"][0]["returns"])


def ms(x) -> str:
    return f"{x.mean():,.0f} ± {x.std(ddof=1) / np.sqrt(len(x)):,.0f}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", nargs="+", type=int, required=True, help="the SEEDs of the DRAWS=2 runs")
    args = p.parse_args()
    kept = {}
    print("| run (SEED) | method | draw 1: validation / held-out (n tasks; first 10) | draw 2 | kept | kept, held-out |")
    print("|---|---|---|---|---|---|")
    for run in args.runs:
        for method in ("grbal", "mb"):
            sel = load(f"seed{run}_select_{method}.json")
            cells, chosen = [], None
            for c, cand in enumerate(sel["candidates"], start=1):
                h = held_out(run, c, method)
                cells.append(f"{cand['mean']:,.0f} / {ms(h)} ({len(h)}); {h[:10].mean():,.0f}")
                if cand["path"] == sel["chosen"]:
                    chosen = (c, h)
            c, h = chosen
            kept[(run, method)] = h
            print(f"| {run} | {method} | {cells[0]} | {cells[1]} | draw {c} | **{ms(h)}** ({h.mean() / REFERENCE:.2f}×); "
                  f"first 10: {h[:10].mean():,.0f} |")
    for method in ("grbal", "mb"):
        means = {run: kept[(run, method)] for run in args.runs}
        for i, a in enumerate(args.runs):
            for b in args.runs[i + 1:]:
                n = min(len(means[a]), len(means[b]))
                for label, sl in ((f"{n} tasks", slice(0, n)), ("first 10", slice(0, 10))):
                    x, y = means[a][sl].mean(), means[b][sl].mean()
                    print(f"{method}: kept of run {a} against run {b} ({label}): {x:,.0f} / {y:,.0f}, "
                          f"{abs(x - y) / max(x, y):.0%} apart")
    for run in args.runs:
        g, m = kept[(run, "grbal")], kept[(run, "mb")]
        n = min(len(g), len(m))
        d = g[:n] - m[:n]
        print(f"run {run}: kept GrBAL − kept MB {d.mean():+,.0f} ± {d.std(ddof=1) / np.sqrt(len(d)):,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
