"""docs/control_quality.md "Three trainings per draw, one kept": for each of the four draws of today's default
recipe, the three GrBAL candidates `make checkpoints CANDIDATES=3` trains (candidate 1 the draw's own), their mean
return on the 10 validation episodes `adaptive-control select` runs (crippled leg's TRAINING range, seeds
900-909) and on the 20 held-out crippled-leg tasks (seeds 100-119); which one select keeps, and the spread
between the draws with and without selection (the issue's reproducibility target: under 15%).

    python bench/results/candidates/table.py
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.dirname(HERE)
REFERENCE = 3194.0  # the true-dynamics reference on the 20 held-out tasks (README "What works today")
DRAWS = (1, 2, 3, 4)


def test_returns(draw: int, c: int) -> np.ndarray | None:
    path = (os.path.join(RES, "ref_draws", f"noref_seed{draw}_grbal.json") if c == 1
            else os.path.join(HERE, f"seed{draw}_cand{c}_grbal.json"))
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return np.array(json.load(fh)["points"][0]["returns"])


def validation(draw: int) -> tuple[list, int] | None:
    """Per candidate the validation returns, and the index select kept."""
    path = os.path.join(HERE, f"select_seed{draw}.json")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        doc = json.load(fh)
    cands = doc["candidates"]
    return [np.array(c["returns"]) for c in cands], [c["path"] for c in cands].index(doc["chosen"])


def ms(v) -> str:
    return "-" if v is None else f"{v.mean():,.0f} ± {v.std(ddof=1) / np.sqrt(len(v)):,.0f}"


def main() -> None:
    print("| draw | candidate | validation (training legs, 10) | held-out legs (20) | kept |")
    print("|---|---|---|---|---|")
    own, kept = [], []
    for d in DRAWS:
        val = validation(d)
        for c in (1, 2, 3):
            t = test_returns(d, c)
            v = val[0][c - 1] if val else None
            chosen = val is not None and val[1] == c - 1
            own_mark = " (the draw's own)" if c == 1 else ""
            print(f"| {d} | {c}{own_mark} | {ms(v)} | {ms(t)} | {'**kept**' if chosen else ''} |")
            if c == 1 and t is not None:
                own.append(t.mean())
            if chosen and t is not None:
                kept.append(t.mean())
    for name, v in (("the draws' own GrBAL (CANDIDATES=1)", own), ("the kept GrBAL (CANDIDATES=3)", kept)):
        if len(v) == len(DRAWS):
            print(f"{name}: {' / '.join(f'{x:,.0f}' for x in v)}; mean {np.mean(v):,.0f} "
                  f"({np.mean(v) / REFERENCE:.2f}x the reference), best / worst {max(v) / min(v):.2f}x")


if __name__ == "__main__":
    main()
