"""docs/control_quality.md "A cost-weighted training loss": per GrBAL of table.py, its return on the probed episodes
(10 held-out crippled-leg tasks, seeds 100-109), how well its prior ranks the planner's sampled action sequences by
their true cost (mean Spearman over the probed ticks) and its prediction error off the plan, from probe.sh's JSON;
then the Spearman correlation over the models of the return with the rank correlation, and (within W = 1 only) with
the error: the error is in each model's own normalisation, where W = 5 scales the forward velocity's error by sqrt(5),
so errors compare only between models of one W.

    python bench/results/cost_weight/probe_table.py
"""
import glob
import json
import os
import re

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def spearman(a, b) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def main() -> None:
    rows = []
    for p in sorted(glob.glob(os.path.join(HERE, "probe_cw*_seed*.json"))):
        w, d, t = re.match(r"probe_cw(\d+)_seed(\d+)(?:_t(\d+))?\.json", os.path.basename(p)).groups()
        with open(p) as fh:
            j = json.load(fh)
        ret = float(np.mean([e["return"] for e in j["episodes"]]))
        rows.append((int(d), int(t or d), int(w), ret, j["pooled"]["rank_prior"], j["pooled"]["error_off_prior"]))
    print("| draw | training seed | W | return (seeds 100-109) | cost rank corr (prior) | error off path (prior, own normalisation) |")
    print("|---|---|---|---|---|---|")
    for d, t, w, ret, rank, err in rows:
        print(f"| {d} | {t} | {w} | {ret:,.0f} | {rank:.3f} | {err:.3f} |")
    if len(rows) > 2:
        ret, rank, err = (np.array([r[i] for r in rows]) for i in (3, 4, 5))
        one = np.array([r[2] == 1 for r in rows])
        print(f"Spearman over {len(rows)} models: return with rank corr {spearman(ret, rank):+.2f}; "
              f"over the {one.sum()} of W=1: with rank corr {spearman(ret[one], rank[one]):+.2f}, "
              f"with error {spearman(ret[one], err[one]):+.2f}")
        for w in sorted({r[2] for r in rows}):
            sel = np.array([r[2] == w for r in rows])
            print(f"W={w}: mean rank corr {rank[sel].mean():.3f}, mean return {ret[sel].mean():,.0f}")


if __name__ == "__main__":
    main()
