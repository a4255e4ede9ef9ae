"""Table: decision quality on the crippled leg (``bench/offpath_prediction.py --calls 3``) against the
return of the same episodes (the probe watches the controller, it does not change it), for the shipped
checkpoints and the five draws of 2026-12-04. Run from the repository root:
``python bench/results/offpath_table.py [--plot bench/results/offpath_ranks.png]`` (the plot: each model's
return against its cost-rank correlation, beside the true-dynamics reference)."""
import argparse
import json
import os

import numpy as np

R = "bench/results/offpath_prediction_crippled_leg"
CHECKPOINTS = [("shipped", "shipped"), *[(f"{arm} draw {s}", f"{d}_seed{s}") for arm, d, n in
                                         (("suite", "suite_range", 2), ("wide", "wide_damping", 3))
                                         for s in range(1, n + 1)]]


def _files(method: str, tag: str):
    """(held-out legs, training legs) probe JSON paths of one checkpoint."""
    if method == "grbal":
        test = f"{R}_calls3.json" if tag == "shipped" else f"{R}_calls3_{tag}.json"
        return test, f"{R}_train_calls3_{tag}.json"
    return f"{R}_calls3_mb_{tag}.json", None


def _spearman(a, b) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


#: The true-dynamics reference on the held-out crippled legs (seeds 100-119, README "What works today").
REFERENCE = 3194


def _plot(pts: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for method, marker in (("grbal", "o"), ("mb", "s")):
        if pts[method]:
            ret, rank, _ = zip(*pts[method])
            ax.scatter(rank, ret, marker=marker, s=50, label=method)
    ax.axhline(REFERENCE, color="grey", ls="--", label="true-dynamics reference")
    ax.set_xlabel("rank correlation of predicted and true costs of MPPI's samples (3 calls)")
    ax.set_ylabel("return, held-out crippled legs (10 seeds)")
    ax.set_ylim(0, REFERENCE * 1.25)
    ax.set_title("half-cheetah: shipped models and five retrained draws")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)  # atomic


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plot", default=None, help="write the scatter plot here (PNG)")
    args = ap.parse_args()
    print("| method | checkpoint | return, held-out legs (seeds 100-109) | held-out legs: cost ranks (prior / adapted), "
          "error | training legs: cost ranks, error; return |")
    print("|---|---|---|---|---|")
    pts = {"grbal": [], "mb": []}
    for method in ("grbal", "mb"):
        for name, tag in CHECKPOINTS:
            test, train = _files(method, tag)
            if not os.path.exists(test):
                continue
            d = json.load(open(test))
            p, ret = d["pooled"], float(np.mean([e["return"] for e in d["episodes"]]))
            ranks = f"{p['rank_prior']:.3f} / {p['rank_adapted']:.3f}" if method == "grbal" else f"{p['rank_prior']:.3f}"
            cell = "—"
            if train and os.path.exists(train):
                t = json.load(open(train))
                tp = t["pooled"]
                cell = (f"{tp['rank_prior']:.3f} / {tp['rank_adapted']:.3f}, {tp['error_off_adapted']:.2f}; "
                        f"{np.mean([e['return'] for e in t['episodes']]):,.0f}")
            print(f"| {method} | {name} | {ret:,.0f} | {ranks}, {p['error_off_adapted']:.2f} | {cell} |")
            pts[method].append((ret, p["rank_adapted"], p["error_off_adapted"]))
    for method, rows in (*pts.items(), ("both", pts["grbal"] + pts["mb"])):
        if len(rows) > 2:
            ret, rank, err = (np.array(x) for x in zip(*rows))
            print(f"{method}: Spearman(return, cost ranks) {_spearman(ret, rank):+.2f}, "
                  f"Spearman(return, error) {_spearman(ret, err):+.2f} over {len(rows)} checkpoints")
    if args.plot:
        _plot(pts, args.plot)


if __name__ == "__main__":
    main()
