"""docs/control_quality.md "Reference paths": each model retrained with the reference paths against the same training
without them, paired over the 20 held-out crippled-leg tasks (seeds 100-119), mean ± standard error.

    python bench/results/reference_paths/table.py [--plot bench/results/reference_paths/returns.png]

The plot: each training's mean return without and with the reference paths, beside the true-dynamics
reference (3,194 on these tasks).
"""
import argparse
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.dirname(HERE)
DRAWS = [("suite draw 1 (`SEED=1`)", "suite", "suite_range_seed1", 1),
         ("suite draw 2 (`SEED=2`)", "suite", "suite_range_seed2", 2),
         ("wide draw 1 (`SEED=1`)", "wide", "wide_damping_seed1", 1),
         ("wide draw 3 (`SEED=3`)", "wide", "wide_damping_seed3", 3)]


def returns(path: str, method: str | None = None) -> dict:
    with open(path) as fh:
        doc = json.load(fh)
    if "episodes" in doc:  # bench/offpath_prediction.py: the controller's own episodes
        return {e["seed"]: e["return"] for e in doc["episodes"]}
    point = next(p for p in doc["points"] if method is None or p["method"] == method)
    return dict(zip(doc["seeds"], point["returns"]))


def merged(*paths, method=None) -> dict:
    out: dict = {}
    for p in paths:
        out.update(returns(p, method))
    return out


REFERENCE = 3194.0  # the true-dynamics reference on these 20 tasks (README "What works today")


def cell(before: dict, after: dict) -> str:
    seeds = sorted(before)
    assert sorted(after) == seeds, "the two arms must cover the same tasks"
    d = np.array([after[s] - before[s] for s in seeds])
    return (f"{np.mean(list(before.values())):,.0f} → {np.mean(list(after.values())):,.0f} | "
            f"{d.mean():+,.0f} ± {d.std(ddof=1) / np.sqrt(len(d)):,.0f}")


def plot(rows: list, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5))
    x = np.arange(len(rows))
    for j, (m, colour) in enumerate((("grbal", "tab:blue"), ("mb", "tab:orange"))):
        before = [np.mean(list(r[m][0].values())) for r in rows]
        after = [np.mean(list(r[m][1].values())) for r in rows]
        ax.bar(x + (j - 0.5) * 0.4 - 0.1, before, 0.2, color=colour, alpha=0.4, label=f"{m}, without")
        ax.bar(x + (j - 0.5) * 0.4 + 0.1, after, 0.2, color=colour, label=f"{m}, with reference paths")
    ax.axhline(REFERENCE, color="k", ls="--", lw=1, label=f"true-dynamics reference ({REFERENCE:,.0f})")
    ax.set_xticks(x, [r["label"].replace("`", "").replace(" + one more MPC round, ", "+round 4,\n")
                      .replace(" (", "\n(") for r in rows], fontsize=7)
    ax.set_ylabel("return, 20 held-out crippled-leg tasks")
    ax.set_title("Half-cheetah: the last recipe round retrained with 24 reference paths")
    ax.legend(fontsize=7, loc="upper right", ncol=2)
    ax.set_ylim(0, REFERENCE * 1.25)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plot", default=None, help="write the bar plot here (PNG)")
    args = ap.parse_args()
    rows = []
    print("| draw | GrBAL without → with | paired | MB without → with | paired |")
    print("|---|---|---|---|---|")
    for label, arm, name, seed in DRAWS:
        after = {m: os.path.join(HERE, f"{name}_{m}.json") for m in ("grbal", "mb")}
        if not all(os.path.exists(p) for p in after.values()):
            continue
        base = os.path.join(RES, "wide_damping", arm, f"crippled_leg_{seed}.json")
        rows.append({"label": label, **{m: (returns(base, m), returns(after[m], m)) for m in ("grbal", "mb")}})
    br = os.path.join(RES, "branches")
    for s in (2, 12):
        before = {"grbal": merged(os.path.join(br, f"offpath_a_{s}_grbal.json"),
                                  os.path.join(HERE, f"base_a_{s}_grbal_110.json")),
                  "mb": (merged(os.path.join(br, "offpath_a_2_mb.json"), os.path.join(br, "offpath_a_2_mb_110.json"))
                         if s == 2 else returns(os.path.join(br, "offpath_a_12_mb_20.json")))}
        rows.append({"label": f"suite draw 2 + one more MPC round, training seed {s}",
                     **{m: (before[m], returns(os.path.join(HERE, f"round4_r_{s}_{m}.json"))) for m in ("grbal", "mb")}})
    for r in rows:
        print(f"| {r['label']} | " + " | ".join(cell(*r[m]) for m in ("grbal", "mb")) + " |")
    if args.plot:
        plot(rows, args.plot)


if __name__ == "__main__":
    main()
