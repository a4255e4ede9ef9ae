"""Issue 11, 2026-12-07 (docs/control_quality.md "A discount on the plan's far end"): the shipped half-cheetah GrBAL
at K=500 in float32 with the plan's running costs of planning step t weighted gamma^t (``planner.discount``), at the
shipped horizon T=10 and at T=14, on the 20 held-out crippled-leg tasks (seeds 100-119): mean ± standard error,
stalled episodes, the mean forward speed of the last 3 s of the episodes that run, the paired difference to the
shipped setting (T=10, gamma 1: runs/k_float32/k500) and, at T=14, to gamma 1 at T=14 (runs/horizon_float32/t14); a
plot of the return against gamma.

    for n in t10_g95 t10_g9 t10_g8 t14_g95 t14_g9 t14_g8; do adaptive-control evaluate --config bench/results/discount/eval_$n.yaml \\
        --out runs/discount/$n; done
    python bench/results/discount/table.py --json bench/results/discount/discount.json --plot bench/results/discount/discount.png
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np

from adaptive_control.experiments.report import read_records

RUNS = {(10, 1.0): "runs/k_float32/k500", (10, 0.95): "runs/discount/t10_g95", (10, 0.9): "runs/discount/t10_g9", (10, 0.8): "runs/discount/t10_g8",
        (14, 1.0): "runs/horizon_float32/t14", (14, 0.95): "runs/discount/t14_g95", (14, 0.9): "runs/discount/t14_g9", (14, 0.8): "runs/discount/t14_g8"}
REFERENCE = 3194.0  # the true-dynamics reference on the 20 held-out tasks (README "What works today")


def _episodes(folder: str) -> dict:
    return {r["seed"]: r for r in read_records(os.path.join(folder, "results.jsonl"), slim_ok=True)
            if r["method"] == "grbal"}


def _paired(a: dict, b: dict) -> tuple[float, float]:
    seeds = sorted(set(a) & set(b))
    d = np.array([a[s]["return"] - b[s]["return"] for s in seeds])
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json")
    ap.add_argument("--plot")
    args = ap.parse_args()
    runs = {k: _episodes(v) for k, v in RUNS.items() if os.path.exists(os.path.join(v, "results.jsonl"))}
    rows = []
    for (t, gamma), ep in runs.items():
        seeds = sorted(ep)
        ret = np.array([ep[s]["return"] for s in seeds])
        vel = np.array([np.mean(ep[s]["forward_velocity"][-300:]) for s in seeds])
        row = {"horizon": t, "discount": gamma, "episodes": len(seeds), "mean": float(ret.mean()),
               "stderr": float(ret.std(ddof=1) / np.sqrt(len(ret))), "fraction_of_reference": float(ret.mean() / REFERENCE),
               "stalled": int((vel < 0.3).sum()), "worst": float(ret.min()), "running_speed": float(vel[vel >= 0.3].mean()) if (vel >= 0.3).any() else None}
        row["paired_vs_shipped"], row["paired_se"] = _paired(ep, runs[(10, 1.0)]) if (10, 1.0) in runs else (None, None)
        if t != 10 and (t, 1.0) in runs and gamma != 1.0:
            row["paired_vs_same_t"], row["paired_same_t_se"] = _paired(ep, runs[(t, 1.0)])
        rows.append(row)
        print(f"T={t:2d} gamma {gamma:.2f}: {row['mean']:,.0f} ± {row['stderr']:,.0f} ({row['fraction_of_reference']:.2f}x), "
              f"{row['stalled']}/{len(seeds)} stalled (worst {row['worst']:,.0f}), running {row['running_speed'] or 0:.2f} m/s, paired vs shipped "
              f"{row['paired_vs_shipped']:+,.0f} ± {row['paired_se']:,.0f}"
              + (f", vs gamma 1 at T={t} {row['paired_vs_same_t']:+,.0f} ± {row['paired_same_t_se']:,.0f}"
                 if "paired_vs_same_t" in row else ""))
    if args.json:
        with open(args.json + ".tmp", "w") as fh:
            json.dump({"benchmark": "discount", "reference": REFERENCE, "runs": {f"T{t}_g{g}": v for (t, g), v in RUNS.items()},
                       "rows": rows}, fh, indent=1)
        os.replace(args.json + ".tmp", args.json)
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for t, marker, off, ha in ((10, "o", (6, -14), "left"), (14, "s", (-6, 8), "right")):
            pts = sorted((r["discount"], r["mean"], r["stderr"], r["stalled"]) for r in rows if r["horizon"] == t)
            if not pts:
                continue
            g, m, se, st = map(np.array, zip(*pts))
            ax.errorbar(g, m, yerr=se, marker=marker, capsize=3, label=f"T={t} ({t * 0.03:.2f} s)")
            for x, y, n in zip(g, m, st):
                ax.annotate(f"{n} stalled", (x, y), textcoords="offset points", xytext=off, ha=ha, fontsize=7)
        ax.axhline(REFERENCE, color="k", ls="--", lw=1, label="true-dynamics reference (T=10)")
        ax.set_xlabel("discount gamma (planning step t weighs gamma^t)")
        ax.set_ylabel("return, 20 held-out crippled-leg tasks")
        ax.set_title("shipped GrBAL, K=500 float32, discounted plans")
        ax.set_ylim(0, REFERENCE * 1.08)
        ax.set_xlim(0.76, 1.03)
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        fig.savefig(args.plot + ".tmp.png", dpi=110)
        os.replace(args.plot + ".tmp.png", args.plot)


if __name__ == "__main__":
    main()
