"""One tag's final_draw.sh draws (TAG=<tag> bash bench/results/model_size/final_draw.sh <S>): per draw, the
final GrBAL and MB and each named final_grbal_arm.sh arm on the 20 held-out crippled-leg tasks (seeds 100-119),
mean ± standard error over the tasks, the fraction of the true-dynamics reference, and paired differences
(each seed is the same task under both). With ``--against <tag>``, the same draws under another tag beside
them (e.g. the same recipe and seeds run on another CPU).

    python bench/results/model_size/tag_table.py --tag epyc_final3x256pw1 --draws 3 4 --arms biases \
        --against final3x256pw1
"""
import argparse
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = 3194.0  # the true-dynamics reference on the 20 held-out tasks (README "What works today")


def returns(tag: str, draw: int, name: str):
    path = os.path.join(HERE, f"{tag}_seed{draw}_{name}.json")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return np.array(json.load(fh)["points"][0]["returns"])


def mean_se(x) -> str:
    return f"{x.mean():,.0f} ± {x.std(ddof=1) / np.sqrt(len(x)):,.0f} ({x.mean() / REFERENCE:.2f}×)"


def paired(a, b) -> str:
    if a is None or b is None:
        return "—"
    d = a - b
    return f"{d.mean():+,.0f} ± {d.std(ddof=1) / np.sqrt(len(d)):,.0f}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tag", required=True)
    p.add_argument("--draws", nargs="+", type=int, required=True)
    p.add_argument("--arms", nargs="*", default=[], help="final_grbal_arm.sh arm names")
    p.add_argument("--against", default=None, help="another tag with the same draws")
    args = p.parse_args()
    for s in args.draws:
        g, m = returns(args.tag, s, "grbal"), returns(args.tag, s, "mb")
        print(f"draw {s} ({args.tag}): GrBAL {mean_se(g) if g is not None else '—'}, "
              f"MB {mean_se(m) if m is not None else '—'}, GrBAL − MB {paired(g, m)}")
        for arm in args.arms:
            a = returns(args.tag, s, f"{arm}_grbal")
            if a is not None:
                print(f"  arm {arm}: {mean_se(a)}; − GrBAL {paired(a, g)}; − MB {paired(a, m)}")
        if args.against:
            for kind, mine in (("grbal", g), ("mb", m)):
                other = returns(args.against, s, kind)
                if other is not None and mine is not None:
                    same = "identical per seed" if np.array_equal(other, mine) else f"paired {paired(mine, other)}"
                    print(f"  {kind} under {args.against}: {mean_se(other)}; {args.tag} − it: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
