"""docs/control_quality.md "Reference paths": whole recipe draws with `REF_PATHS=24` against the same draws with
`REF_PATHS=0` (same code, seed and machine; and the session-15 draws of the same seeds, made before early
stopping scored the trimmed mean), on the 20 held-out crippled-leg tasks (seeds 100-119), mean ± standard
error; the difference is paired over the tasks. Also the spread between the seeds, the issue's
reproducibility target (under 15%).

    python bench/results/ref_draws/table.py [--plot bench/results/ref_draws/returns.png]
"""
import argparse
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.dirname(HERE)
REFERENCE = 3194.0  # the true-dynamics reference on these 20 tasks (README "What works today")
SEEDS = (1, 2, 3, 4)  # SEED=3, 4 drawn on 2026-12-04 evening (4: REF_PATHS=0 only, THREADS=2)
METHODS = ("grbal", "mb")
ARMS = ("session 15", "REF_PATHS=0", "REF_PATHS=24")


def returns(path: str, method: str) -> dict | None:
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        doc = json.load(fh)
    point = next(p for p in doc["points"] if p["method"] == method)
    return dict(zip(doc["seeds"], point["returns"]))


def load() -> dict:
    """(seed, method) -> [session 15, REF_PATHS=0, REF_PATHS=24] returns by task (None where not run)."""
    return {(s, m): [returns(os.path.join(RES, "wide_damping", "suite", f"crippled_leg_{s}.json"), m),
                     returns(os.path.join(HERE, f"noref_seed{s}_{m}.json"), m),
                     returns(os.path.join(HERE, f"ref_seed{s}_{m}.json"), m)]
            for s in SEEDS for m in METHODS}


def mean_se(r: dict | None) -> str:
    if r is None:
        return "-"
    v = np.array(list(r.values()))
    return f"{v.mean():,.0f} ± {v.std(ddof=1) / np.sqrt(len(v)):,.0f}"


def paired(before: dict | None, after: dict | None) -> str:
    if before is None or after is None:
        return "-"
    assert sorted(before) == sorted(after), "the two arms must cover the same tasks"
    d = np.array([after[k] - before[k] for k in sorted(before)])
    return f"{d.mean():+,.0f} ± {d.std(ddof=1) / np.sqrt(len(d)):,.0f}"


def spread(rows: dict, m: str, arm: int) -> str:
    """Largest draw mean over the smallest, minus 1, over the draws this arm has."""
    means = [np.mean(list(rows[s, m][arm].values())) for s in SEEDS if rows[s, m][arm] is not None]
    if len(means) < 2:
        return "-"
    return f"{max(means) / min(means) - 1:.0%} ({len(means)} draws)"


def plot(rows: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.2))
    keys = sorted(rows)
    x = np.arange(len(keys))
    for j, (arm, alpha) in enumerate(zip(ARMS, (0.25, 0.55, 1.0))):
        have = [i for i, k in enumerate(keys) if rows[k][j]]  # arms not run get no bar (not a zero)
        v = [np.mean(list(rows[keys[i]][j].values())) for i in have]
        e = [np.std(list(rows[keys[i]][j].values()), ddof=1) / np.sqrt(len(rows[keys[i]][j])) for i in have]
        colours = ["tab:blue" if keys[i][1] == "grbal" else "tab:orange" for i in have]
        ax.bar(x[have] + (j - 1) * 0.27, v, 0.25, yerr=e, color=colours, alpha=alpha, capsize=3,
               label=arm, edgecolor="k", linewidth=0.3)
    ax.axhline(REFERENCE, color="k", ls="--", lw=1, label=f"true-dynamics reference ({REFERENCE:,.0f})")
    ax.set_xticks(x, [f"{m}\nSEED={s}" for s, m in keys])
    ax.set_ylabel("return, 20 held-out crippled-leg tasks")
    ax.set_title("Half-cheetah, whole recipe draws: session 15, REF_PATHS=0 and REF_PATHS=24 (left to right)",
                 fontsize=9)
    ax.set_ylim(0, REFERENCE * 1.4)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plot", default=None, help="write the bar plot here (PNG)")
    args = ap.parse_args()
    rows = load()
    print("| draw | method | session 15 | `REF_PATHS=0` | `REF_PATHS=24` | paired, 24 − 0 | 24: fraction of the reference |")
    print("|---|---|---|---|---|---|---|")
    for (s, m), (old, off, on) in sorted(rows.items()):
        frac = f"{np.mean(list(on.values())) / REFERENCE:.2f}×" if on else "-"
        print(f"| `SEED={s}` | {m} | {mean_se(old)} | {mean_se(off)} | {mean_se(on)} | {paired(off, on)} | {frac} |")
    for m in METHODS:
        print(f"{m}: spread between the seeds " + ", ".join(f"{a} {spread(rows, m, j)}" for j, a in enumerate(ARMS)))
    families = sorted({f.split("_", 2)[2].rsplit("_", 1)[0] for f in os.listdir(HERE)
                       if f.endswith(".json") and f.count("_") >= 3})
    for fam in families:  # other families' held-out tasks (seeds 100-109), paired over the tasks
        print(f"\n{fam}, seeds 100-109")
        print("| draw | GrBAL `REF_PATHS=0` → `24` | paired | MB `0` → `24` | paired | GrBAL − MB at 0 | at 24 |")
        print("|---|---|---|---|---|---|---|")
        for s in SEEDS:
            r = {(arm, m): returns(os.path.join(HERE, f"{arm}_seed{s}_{fam}_{m}.json"), m)
                 for arm in ("noref", "ref") for m in METHODS}
            if all(r.values()):
                cells = [f"{mean_se(r['noref', m])} → {mean_se(r['ref', m])} | {paired(r['noref', m], r['ref', m])}"
                         for m in METHODS]
                print(f"| `SEED={s}` | " + " | ".join(cells) + f" | {paired(r['noref', 'mb'], r['noref', 'grbal'])} | "
                      f"{paired(r['ref', 'mb'], r['ref', 'grbal'])} |")
    if args.plot:
        plot(rows, args.plot)


if __name__ == "__main__":
    main()
