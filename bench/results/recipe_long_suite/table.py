"""The README table of bench/results/recipe_long_suite/: per family and draw, grbal and mb on 10 held-out
tasks and their paired difference; pooled over the four draws. Usage: python bench/results/recipe_long_suite/table.py"""
import glob
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def returns(path):
    return {p["method"]: np.asarray(p["returns"]) for p in json.load(open(path))["points"]}


def se(v):
    return v.std(ddof=1) / np.sqrt(len(v))


print("| family | draw 1: grbal − mb | draw 2 | draw 3 | draw 4 | draws with grbal ahead | pooled grbal − mb (40 episodes) | grbal / mb, mean of the draws |")
print("|---|---|---|---|---|---|---|---|")
families = sorted({os.path.basename(f).rsplit("_", 1)[0] for f in glob.glob(os.path.join(HERE, "*_[0-9].json"))})
for fam in families:
    cells, diffs, g, m, ahead = [], [], [], [], 0
    for s in (1, 2, 3, 4):
        path = os.path.join(HERE, f"{fam}_{s}.json")
        if not os.path.exists(path):
            cells.append("—")
            continue
        r = returns(path)
        d = r["grbal"] - r["mb"]
        diffs.append(d)
        g.append(r["grbal"].mean())
        m.append(r["mb"].mean())
        ahead += d.mean() > 0
        cells.append(f"{d.mean():+.0f} ± {se(d):.0f}")
    d = np.concatenate(diffs)
    print(f"| {fam} | " + " | ".join(cells) + f" | {ahead} of {len(diffs)} | {d.mean():+.0f} ± {se(d):.0f} | "
          f"{np.mean(g):.0f} / {np.mean(m):.0f} |")
