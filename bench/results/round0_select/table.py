"""docs/control_quality.md "Choosing the first round's controllers": for each draw of today's default recipe
(SEED=1..4), the three random-data MB/GrBAL pairs `make checkpoints ROUND0_CANDIDATES=3` trains (candidate 1 the
draw's own first-round pair), their mean return on the 10 validation episodes `select` runs (crippled leg's TRAINING
range, seeds 900-909), which one drove the first MPC round, and the whole draw's final GrBAL and MB on the 20 held-out
crippled-leg tasks (seeds 100-119) against the same SEED without the option
(bench/results/ref_draws/noref_seed<S>_*.json), paired by task; then the spread between the draws that have both
(2026-12-05: all four draws).

    python bench/results/round0_select/table.py
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.dirname(HERE)
REFERENCE = 3194.0  # the true-dynamics reference on the 20 held-out tasks (README "What works today")
DRAWS = (1, 2, 3, 4)


def returns(path: str) -> np.ndarray | None:
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return np.array(json.load(fh)["points"][0]["returns"])


def selection(draw: int, kind: str) -> tuple[list, int] | None:
    """Per candidate its mean validation return, and the index select kept."""
    path = os.path.join(HERE, f"select_r0_{kind}_seed{draw}.json")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        doc = json.load(fh)
    cands = doc["candidates"]
    return [c["mean"] for c in cands], [c["path"] for c in cands].index(doc["chosen"])


def ms(v) -> str:
    return "-" if v is None else f"{v.mean():,.0f} ± {v.std(ddof=1) / np.sqrt(len(v)):,.0f}"


def main() -> None:
    print("| draw | method | round-0 validation, candidates 1 / 2 / 3 | kept | held-out, without | held-out, with | paired |")
    print("|---|---|---|---|---|---|---|")
    finals = {"grbal": ([], []), "mb": ([], [])}
    for d in DRAWS:
        for kind in ("grbal", "mb"):
            sel = selection(d, kind)
            val = " / ".join(f"{m:,.0f}" for m in sel[0]) if sel else "-"
            kept = str(sel[1] + 1) if sel else "-"
            without = returns(os.path.join(RES, "ref_draws", f"noref_seed{d}_{kind}.json"))
            with_ = returns(os.path.join(HERE, f"seed{d}_{kind}.json"))
            paired = ms(with_ - without) if with_ is not None and without is not None else "-"
            print(f"| {d} | {kind} | {val} | {kept} | {ms(without)} | {ms(with_)} | {paired} |")
            if with_ is not None and without is not None:
                finals[kind][0].append(without.mean())
                finals[kind][1].append(with_.mean())
    for kind, (without, with_) in finals.items():
        for name, v in (("without", without), ("with ROUND0_CANDIDATES=3", with_)):
            if v:
                print(f"{kind} {name}: {' / '.join(f'{x:,.0f}' for x in v)}; mean {np.mean(v):,.0f} "
                      f"({np.mean(v) / REFERENCE:.2f}x the reference), best / worst {max(v) / min(v):.2f}x")


if __name__ == "__main__":
    main()
