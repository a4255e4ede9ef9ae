"""docs/control_quality.md "Reference paths": the whole draws on joint damping's training range (x0.5-2, this folder)
beside its held-out test range (x3-5, ../*_joint_damping_*.json), 10 tasks each (seeds 100-109), mean ±
standard error, and the paired difference with the reference paths minus without.

    python bench/results/ref_draws/train_range/table.py
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
UP = os.path.dirname(HERE)


def returns(path: str, method: str) -> np.ndarray:
    with open(path) as fh:
        doc = json.load(fh)
    point = next(p for p in doc["points"] if p["method"] == method)
    return np.array([r for _, r in sorted(zip(doc["seeds"], point["returns"]))])


def fmt(v: np.ndarray, sign: str = "") -> str:
    return f"{v.mean():{sign},.0f} ± {v.std(ddof=1) / np.sqrt(len(v)):,.0f}"


def main() -> None:
    print("| range | draw | method | REF_PATHS=0 | REF_PATHS=24 | paired, 24 − 0 |")
    print("|---|---|---|---|---|---|")
    for rng, folder, tag in (("training ×0.5–2", HERE, ""), ("test ×3–5", UP, "_joint_damping")):
        for s in (1, 2, 3):
            for m in ("grbal", "mb"):
                a, b = (returns(os.path.join(folder, f"{arm}_seed{s}{tag}_{m}.json"), m) for arm in ("noref", "ref"))
                print(f"| {rng} | SEED={s} | {m} | {fmt(a)} | {fmt(b)} | {fmt(b - a, '+')} |")


if __name__ == "__main__":
    main()
