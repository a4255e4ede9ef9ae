"""README "A cost-weighted training loss": per draw (the three-round files of runs/rounds5_seed<S>) and training
seed, the final GrBAL and MB trained with ``train.cost_weight: W`` (run.sh <S> <W> [<T>]) against the same
training with W = 1 on the same data, seeds and steps, on the 20 held-out crippled-leg tasks (seeds
100-119): mean ± standard error over the tasks and the paired difference per task. Training seed S (the
draw's own): W = 1 is bench/results/rounds5/seed<S>_three_<method>.json; seed T = S + 10: cw1_seed<S>_t<T>.
Then per W the mean over the trainings (as a fraction of the reference, best / worst) and the paired
difference pooled over every task of every training, and over the trainings' mean differences (the honest
error bar: a training seed moves a draw by hundreds).

    python bench/results/cost_weight/table.py
"""
import glob
import json
import os
import re

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.dirname(HERE)
REFERENCE = 3194.0  # the true-dynamics reference on the 20 held-out tasks (README "What works today")
DRAWS = (1, 2, 3)


def returns(path: str):
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return np.array(json.load(fh)["points"][0]["returns"])


def ms(v) -> str:
    return "-" if v is None else f"{v.mean():,.0f} ± {v.std(ddof=1) / np.sqrt(len(v)):,.0f}"


def main() -> None:
    weights = sorted({int(re.match(r"cw(\d+)_", os.path.basename(p)).group(1))
                      for p in glob.glob(os.path.join(HERE, "cw*_seed*_*.json"))} - {1})
    head = " | ".join(f"W = {w} | paired" for w in weights)
    print(f"| draw | training seed | method | W = 1 | {head} |")
    print("|---|---|---|---|" + "---|---|" * len(weights))
    means, diffs = {}, {}
    for d in DRAWS:
        for t in (d, d + 10):
            tag = "" if t == d else f"_t{t}"
            for kind in ("grbal", "mb"):
                base = returns(os.path.join(RES, "rounds5", f"seed{d}_three_{kind}.json") if t == d
                               else os.path.join(HERE, f"cw1_seed{d}{tag}_{kind}.json"))
                cells = [ms(base)]
                if base is not None:
                    means.setdefault((kind, 1), []).append(base.mean())
                for w in weights:
                    v = returns(os.path.join(HERE, f"cw{w}_seed{d}{tag}_{kind}.json"))
                    cells += [ms(v), ms(None if v is None or base is None else v - base)]
                    if v is not None:
                        means.setdefault((kind, w), []).append(v.mean())
                        if base is not None:
                            diffs.setdefault((kind, w), []).append(v - base)
                print(f"| {d} | {t} | {kind} | " + " | ".join(cells) + " |")
    for (kind, w), m in sorted(means.items()):
        m = np.array(m)
        line = (f"{kind} W={w}: {' / '.join(f'{x:,.0f}' for x in m)}; mean {m.mean():,.0f} "
                f"({m.mean() / REFERENCE:.2f}x the reference), best / worst {m.max() / m.min():.2f}x")
        if (kind, w) in diffs:
            d = np.concatenate(diffs[(kind, w)])
            per = np.array([x.mean() for x in diffs[(kind, w)]])
            line += (f"; paired with W=1 over {len(per)} trainings: {ms(d)} per episode (episodes pooled), "
                     f"{ms(per)} over the trainings' means (median {np.median(per):+,.0f})")
        print(line)


if __name__ == "__main__":
    main()
