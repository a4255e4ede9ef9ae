"""The README tables of bench/results/wide_damping/: per family and draw, grbal and mb of the draws with the
wider joint-damping training range (wide/) against draws with the suite's range (suite/: the same seeds,
machine and code; also the four draws of 2026-12-03, bench/results/recipe_long_suite/ and, for the crippled
leg, bench/results/recipe_long/), each paired per task seed (same tasks, same initial states).
Usage: python bench/results/wide_damping/table.py"""
import glob
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.dirname(HERE)


def returns(path):
    if not os.path.exists(path):
        return None
    r = {p["method"]: np.asarray(p["returns"]) for p in json.load(open(path))["points"]}
    return r if {"grbal", "mb"} <= set(r) else None  # None: missing, or still being written


def earlier(family, s):
    if family == "crippled_leg":
        return os.path.join(RESULTS, "recipe_long", f"seed{s}_long12000.json")
    return os.path.join(RESULTS, "recipe_long_suite", f"{family}_{s}.json")


def se(v):
    return v.std(ddof=1) / np.sqrt(len(v))


def cell(v):
    return f"{v.mean():+.0f} ± {se(v):.0f}"


def gm(r):
    return f"{r['grbal'].mean():.0f} / {r['mb'].mean():.0f}" if r else "—"


def diff(r):
    return cell(r["grbal"] - r["mb"]) if r else "—"


rows, pooled = [], {}
for path in sorted(glob.glob(os.path.join(HERE, "wide", "*_[0-9].json"))):
    family, s = os.path.basename(path)[:-5].rsplit("_", 1)
    wide = returns(path)
    if wide is None:
        continue
    suite, old = returns(os.path.join(HERE, "suite", f"{family}_{s}.json")), returns(earlier(family, s))
    rows.append(f"| {family} | {s} | {gm(wide)} | {diff(wide)} | {gm(suite)} | {diff(suite)} | {gm(old)} | {diff(old)} |")
    p = pooled.setdefault(family, {"draws": 0, "wide": [], "suite": [], "pairs": 0})
    p["draws"] += 1
    p["wide"].append(wide["grbal"] - wide["mb"])
    if suite:
        p["suite"].append(suite["grbal"] - suite["mb"])
print("| family | draw (SEED) | wider range: grbal / mb | grbal − mb | suite's range, same machine and code: grbal / mb | grbal − mb | suite's range, 2026-12-03 draw: grbal / mb | grbal − mb |")
print("|---|---|---|---|---|---|---|---|")
print("\n".join(rows))
print()
print("| family | draws | wider range: grbal − mb pooled | draws with grbal ahead | suite's range (same machine): grbal − mb pooled | draws with grbal ahead |")
print("|---|---|---|---|---|---|")
for family, p in pooled.items():
    w = np.concatenate(p["wide"])
    s = np.concatenate(p["suite"]) if p["suite"] else None
    print(f"| {family} | {p['draws']} | {cell(w)} | {sum(v.mean() > 0 for v in p['wide'])} of {len(p['wide'])} | "
          f"{cell(s) if s is not None else '—'} | {sum(v.mean() > 0 for v in p['suite'])} of {len(p['suite'])} |")

print()
print("| joint damping, arm | draw | grbal_prior (no online step) | grbal | mb | grbal − grbal_prior | grbal_prior − mb |")
print("|---|---|---|---|---|---|---|")
for arm in ("wide", "suite"):
    for path in sorted(glob.glob(os.path.join(HERE, arm, "joint_damping_[0-9]_prior.json"))):
        s = os.path.basename(path).split("_")[2]
        prior = {p["method"]: np.asarray(p["returns"]) for p in json.load(open(path))["points"]}.get("grbal_prior")
        r = returns(os.path.join(HERE, arm, f"joint_damping_{s}.json"))
        if prior is None or r is None:
            continue
        print(f"| {arm} | {s} | {prior.mean():.0f} | {r['grbal'].mean():.0f} | {r['mb'].mean():.0f} | "
              f"{cell(r['grbal'] - prior)} | {cell(prior - r['mb'])} |")
