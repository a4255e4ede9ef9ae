"""Issue 11, 2026-12-07 (docs/control_quality.md "The horizon instead of K"): the shipped half-cheetah GrBAL at K=500
in float32 with plan horizons T of 6-14 planning steps (each held 3 ticks), on the 20 held-out crippled-leg tasks
(seeds 100-119): mean ± standard error, stalled episodes, the paired difference to T=10 (the shipped horizon,
runs/k_float32/k500), the true-dynamics reference at T = 6, 10, 14 on the first 3 tasks, the tick median of the runs
(two episodes at once on 2 cores: slower than alone), and a plot of the return against the lookahead.

    for T in 6 7 8 12 14; do adaptive-control evaluate --config bench/results/horizon_float32/eval_t$T.yaml \\
        --out runs/horizon_float32/t$T; done
    python bench/results/horizon_float32/table.py --json bench/results/horizon_float32/horizon.json \\
        --plot bench/results/horizon_float32/horizon.png
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np

from adaptive_control.experiments.report import read_records

HORIZONS = {6: "runs/horizon_float32/t6", 7: "runs/horizon_float32/t7", 8: "runs/horizon_float32/t8",
            10: "runs/k_float32/k500", 12: "runs/horizon_float32/t12", 14: "runs/horizon_float32/t14"}
REFERENCE = 3194.0  # the true-dynamics reference on the 20 held-out tasks (README "What works today")
# the true-dynamics reference (the same planner on the simulator) at some horizons, first 3 held-out tasks:
#   adaptive-control evaluate --config bench/results/horizon_float32/eval_ref_t<T>.yaml --out runs/horizon_float32/ref_t<T>
REFERENCE_RUNS = {t: f"runs/horizon_float32/ref_t{t}" for t in (6, 10, 14)}
STEP_TICKS, DT = 3, 0.01


def _episodes(folder: str) -> dict:
    return {r["seed"]: r for r in read_records(os.path.join(folder, "results.jsonl"), slim_ok=True)
            if r["method"] == "grbal"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json")
    ap.add_argument("--plot")
    args = ap.parse_args()
    base = _episodes(HORIZONS[10])
    rows = []
    for t, folder in HORIZONS.items():
        if not os.path.exists(os.path.join(folder, "results.jsonl")):
            print(f"T={t}: no {folder}/results.jsonl (yet)")
            continue
        ep = _episodes(folder)
        seeds = sorted(set(ep) & set(base))
        ret = np.array([ep[s]["return"] for s in seeds])
        d = ret - np.array([base[s]["return"] for s in seeds])
        vel = np.array([np.mean(ep[s]["forward_velocity"][-300:]) for s in seeds])
        # ticks of the evaluate run: two episodes at once on 2 cores, so slower than alone; compare them only
        # with each other
        tick = float(np.median([ep[s]["latency"]["total_median_ms"] for s in seeds]))
        row = {"horizon": t, "lookahead_s": round(t * STEP_TICKS * DT, 2), "episodes": len(seeds),
               "mean": float(ret.mean()), "stderr": float(ret.std(ddof=1) / np.sqrt(len(ret))),
               "fraction_of_reference": float(ret.mean() / REFERENCE), "stalled": int((vel < 0.3).sum()),
               "paired_vs_t10": float(d.mean()), "paired_se": float(d.std(ddof=1) / np.sqrt(len(d))),
               "tick_median_ms": tick}
        rows.append(row)
        print(f"T={t:2d} ({row['lookahead_s']:.2f} s): {row['mean']:,.0f} ± {row['stderr']:,.0f} "
              f"({row['fraction_of_reference']:.2f}x), {row['stalled']}/{len(seeds)} stalled, "
              f"paired vs T=10 {row['paired_vs_t10']:+,.0f} ± {row['paired_se']:,.0f}, tick {tick:.1f} ms (two episodes at once)")
    refs = []
    for t, folder in REFERENCE_RUNS.items():
        path = os.path.join(folder, "results.jsonl")
        if not os.path.exists(path):
            continue
        ep = {r["seed"]: r["return"] for r in read_records(path, slim_ok=True) if r["method"] == "true_dynamics"}
        seeds = sorted(ep)
        ret = np.array([ep[s] for s in seeds])
        grbal = _episodes(HORIZONS[t]) if os.path.exists(os.path.join(HORIZONS[t], "results.jsonl")) else {}
        g = [grbal[s]["return"] for s in seeds if s in grbal]
        ref = {"horizon": t, "lookahead_s": round(t * STEP_TICKS * DT, 2), "seeds": seeds, "mean": float(ret.mean()),
               "stderr": float(ret.std(ddof=1) / np.sqrt(len(ret))) if len(ret) > 1 else None,
               "grbal_same_seeds": float(np.mean(g)) if len(g) == len(seeds) else None}
        refs.append(ref)
        print(f"reference T={t:2d}: {ref['mean']:,.0f} on seeds {seeds[0]}-{seeds[-1]}"
              + (f" (grbal on them: {ref['grbal_same_seeds']:,.0f})" if ref["grbal_same_seeds"] is not None else ""))
    if args.json:
        with open(args.json + ".tmp", "w") as fh:
            json.dump({"rows": rows, "reference": REFERENCE, "reference_by_horizon": refs}, fh, indent=2)
        os.replace(args.json + ".tmp", args.json)
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.8))
        x = [r["lookahead_s"] for r in rows]
        ax.errorbar(x, [r["mean"] for r in rows], yerr=[r["stderr"] for r in rows], marker="o", capsize=3,
                    label="shipped GrBAL, K=500, float32")
        ax.axhline(REFERENCE, color="k", ls="--", lw=1, label="true-dynamics reference (T=10)")
        if refs:
            ax.errorbar([r["lookahead_s"] for r in refs], [r["mean"] for r in refs],
                        yerr=[r["stderr"] or 0 for r in refs], marker="s", color="k", ls=":", capsize=3,
                        label=f"true-dynamics reference, {len(refs[0]['seeds'])} tasks")
        ax.axhline(REFERENCE / 2, color="grey", ls=":", lw=1, label="half the reference")
        for r in rows:
            ax.annotate(f"T={r['horizon']}", (r["lookahead_s"], r["mean"]), textcoords="offset points",
                        xytext=(4, -12), fontsize=8)
        ax.set_xlabel("lookahead (s): T planning steps x 3 ticks x 10 ms")
        ax.set_ylabel("return, 20 held-out crippled-leg tasks")
        ax.set_ylim(0, max([REFERENCE] + [r["mean"] for r in refs]) * 1.1)
        ax.legend(fontsize=8, loc="upper left")
        ax.set_title("Crippled half-cheetah: return against the plan's lookahead")
        fig.tight_layout()
        fig.savefig(args.plot + ".tmp.png", dpi=120)
        os.replace(args.plot + ".tmp.png", args.plot)


if __name__ == "__main__":
    main()
