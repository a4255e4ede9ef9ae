"""docs/control_quality.md "Weight decay": the weight-decay GrBALs and the unchanged ones of the same draws, at the shipped tick
(the adapted model for 3 of 10 calls) and with the whole plan adapted (whole_plan.sh), on the 20 held-out
crippled-leg tasks (seeds 100-119): mean ± s.e. and paired differences per task.

    python bench/results/weight_decay/whole_plan_table.py
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.dirname(HERE)


def returns(path):
    with open(path) as fh:
        return np.array(json.load(fh)["points"][0]["returns"])


def ms(v):
    return f"{v.mean():,.0f} ± {v.std(ddof=1) / np.sqrt(len(v)):,.0f}"


def main() -> None:
    print("| draw | unchanged, 3 adapted calls | unchanged, whole plan | weight decay 0.5, 3 adapted calls | "
          "weight decay 0.5, whole plan | whole − 3 (weight decay) | weight decay − unchanged (whole plan) |")
    print("|---|---|---|---|---|---|---|")
    gains, gaps = [], []
    for s in (1, 2, 3):
        u3 = returns(os.path.join(RES, "rounds5", f"seed{s}_three_grbal.json"))
        uw = returns(os.path.join(HERE, f"whole_plan_unchanged_seed{s}_grbal.json"))
        w3 = returns(os.path.join(HERE, f"wd05_seed{s}_grbal.json"))
        ww = returns(os.path.join(HERE, f"whole_plan_wd05_seed{s}_grbal.json"))
        gains.append(ww - w3)
        gaps.append(ww - uw)
        print(f"| {s} | {ms(u3)} | {ms(uw)} | {ms(w3)} | {ms(ww)} | {ms(ww - w3)} | {ms(ww - uw)} |")
    print(f"pooled over the 60 episodes: whole − 3 with weight decay {ms(np.concatenate(gains))}; "
          f"weight decay − unchanged, whole plan {ms(np.concatenate(gaps))}")


if __name__ == "__main__":
    main()
