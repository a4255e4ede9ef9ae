"""Issue 11's paired training ablations on the three draws' data (docs/control_quality.md "A cost-weighted training
loss", "An open-loop training loss"): per draw (the three-round files of runs/rounds5_seed<S>) and training seed, the
final GrBAL and MB trained with one setting changed against the unchanged training on the same data, seeds and steps,
on the 20 held-out crippled-leg tasks (seeds 100-119): mean ± standard error over the tasks and the paired difference
per task. Then per setting the mean over the trainings (as a fraction of the reference, best / worst) and the paired
difference pooled over every episode, and over the trainings' mean differences (the honest error bar: a training seed
moves a draw by hundreds).

An arm is ``<folder>/<prefix>``: its results are ``bench/results/<folder>/<prefix><V>_seed<S>[_t<T>]_<kind>.json``
for every value V found (a number, or a word such as ``3x256``) (written by that folder's run.sh <S> <V> [<T>]). The unchanged training: at the draw's
own seed S ``bench/results/rounds5/seed<S>_three_<kind>.json``, at T = S + 10
``bench/results/cost_weight/cw1_seed<S>_t<T>_<kind>.json`` (the cost weight 1 is the shipped config).

    python bench/draw_table.py cost_weight/cw --unchanged 1
    python bench/draw_table.py rollout_loss/roll
    python bench/draw_table.py model_size/h
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re

import numpy as np

RES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
REFERENCE = 3194.0  # the true-dynamics reference on the 20 held-out tasks (README "What works today")
DRAWS = (1, 2, 3)


def returns(path: str):
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return np.array(json.load(fh)["points"][0]["returns"])


def ms(v) -> str:
    return "-" if v is None else f"{v.mean():,.0f} ± {v.std(ddof=1) / np.sqrt(len(v)):,.0f}"


def baseline(d: int, t: int, kind: str):
    if t == d:
        return returns(os.path.join(RES, "rounds5", f"seed{d}_three_{kind}.json"))
    return returns(os.path.join(RES, "cost_weight", f"cw1_seed{d}_t{t}_{kind}.json"))


def _order(v: str):
    """Settings in order: the unchanged training first, then numbers by value, then words."""
    if v == "unchanged":
        return (0, 0.0, "")
    try:
        return (1, float(v), "")
    except ValueError:
        return (2, 0.0, v)


def table(arm: str, unchanged: str | None = None, plot: str | None = None) -> None:
    folder, prefix = os.path.split(arm)
    here = os.path.join(RES, folder)
    found = glob.glob(os.path.join(here, f"{prefix}*_seed*_*.json"))
    if not found:
        raise SystemExit(f"no results {prefix}<V>_seed<S>_<method>.json in {here}")
    values = sorted({m.group(1) for p in found
                     if (m := re.match(rf"{re.escape(prefix)}([0-9A-Za-z.]+?)_seed", os.path.basename(p)))} - {unchanged},
                    key=_order)
    head = " | ".join(f"{prefix} {v} | paired" for v in values)
    print(f"| draw | training seed | method | unchanged | {head} |")
    print("|---|---|---|---|" + "---|---|" * len(values))
    means, diffs = {}, {}
    for d in DRAWS:
        for t in (d, d + 10):
            tag = "" if t == d else f"_t{t}"
            for kind in ("grbal", "mb"):
                base = baseline(d, t, kind)
                cells = [ms(base)]
                if base is not None:
                    means.setdefault((kind, "unchanged"), []).append(base.mean())
                for v in values:
                    r = returns(os.path.join(here, f"{prefix}{v}_seed{d}{tag}_{kind}.json"))
                    cells += [ms(r), ms(None if r is None or base is None else r - base)]
                    if r is not None:
                        means.setdefault((kind, v), []).append(r.mean())
                        if base is not None:
                            diffs.setdefault((kind, v), []).append(r - base)
                print(f"| {d} | {t} | {kind} | " + " | ".join(cells) + " |")
    if plot:
        plot_means(means, prefix, plot)
    for (kind, v), m in sorted(means.items(), key=lambda kv: (kv[0][0], _order(kv[0][1]))):
        m = np.array(m)
        line = (f"{kind} {prefix}={v}: {' / '.join(f'{x:,.0f}' for x in m)}; mean {m.mean():,.0f} "
                f"({m.mean() / REFERENCE:.2f}x the reference), best / worst {m.max() / m.min():.2f}x")
        if (kind, v) in diffs:
            dd = np.concatenate(diffs[(kind, v)])
            per = np.array([x.mean() for x in diffs[(kind, v)]])
            line += (f"; paired with the unchanged training over {len(per)} trainings: {ms(dd)} per episode "
                     f"(episodes pooled), {ms(per) if len(per) > 1 else f'{per[0]:+,.0f}'} over the trainings' "
                     f"means (median {np.median(per):+,.0f})")
        print(line)


def plot_means(means: dict, prefix: str, path: str) -> None:
    """Each training's mean return per setting (GrBAL and MB side by side) under the reference line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    for ax, kind in zip(axes, ("grbal", "mb")):
        settings = [v for (k, v) in means if k == kind]
        settings = sorted(settings, key=_order)
        for i, v in enumerate(settings):
            m = np.array(means[(kind, v)])
            ax.scatter(np.full(len(m), i), m, s=18, alpha=0.7)
            ax.hlines(m.mean(), i - 0.25, i + 0.25, color="k")
        ax.axhline(REFERENCE, color="tab:red", ls="--", lw=1, label="true-dynamics reference")
        ax.axhline(REFERENCE / 2, color="tab:red", ls=":", lw=1, label="half of it")
        ax.set_xticks(range(len(settings)), [v if v == "unchanged" else f"{prefix} {v}" for v in settings])
        ax.set_title(f"{kind} (a dot: one training, 20 held-out tasks)", fontsize=10)
        ax.set_ylim(0, REFERENCE * 1.1)
    axes[0].set_ylabel("return (1000 steps)")
    axes[0].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("arm", help="<folder>/<prefix> under bench/results, e.g. cost_weight/cw or rollout_loss/roll")
    p.add_argument("--unchanged", help="the arm's value that is the unchanged training (left out; cost_weight: 1)")
    p.add_argument("--plot", help="write a plot of each training's mean return here (png)")
    a = p.parse_args()
    table(a.arm, a.unchanged, a.plot)


if __name__ == "__main__":
    main()
