"""Issue 11, 2026-12-06 (session 36): does the leg mix of `select`'s validation episodes explain why validation misorders
draws? The 10 validation seeds 900-909 cripple the half-cheetah's actuators 2, 2, 2, 3, 3, 2, 2, 1, 2, 0 (six of ten
the back foot), the held-out tasks actuators 4 and 5 (front shin and foot). Over every model of issue 11's
probes that has both per-episode validation returns and a held-out return on the first 10 held-out crippled-leg
tasks (seeds 100-109), the rank correlation of the held-out return with the plain validation mean and with
re-weightings of the same episodes (front thigh only, one weight per actuator, without the back foot, ...).
No new episodes are run. Session 37 added the held-out tasks' own repeatability (:func:`reliability`).
Usage, from the repository root:
    python bench/results/validation_legs/analyse.py --json bench/results/validation_legs/correlations.json
"""
import argparse
import glob
import json
import os

import numpy as np

from models.dataset import atomic_write
from sim.tasks import make_distribution

B = "bench/results"


def load(path):
    with open(os.path.join(B, path)) as fh:
        return json.load(fh)


def held_out(path):
    """Per-episode returns on the first 10 held-out tasks (seeds 100-109)."""
    return np.array(load(path)["points"][0]["returns"][:10], dtype=float)


def validation(path, end):
    """Per-episode validation returns of the candidate whose path ends with ``end``, and their seeds."""
    doc = load(path)
    for c in doc["candidates"]:
        if c["path"].endswith(end):
            return np.array(c["returns"]), doc["seeds"]
    raise KeyError(f"{end} not among the candidates of {path}")


def models():
    """(name, validation returns, validation seeds, held-out returns) of every model with both."""
    out = []
    # the Xeon draws' three trainings each (docs/control_quality.md "Three trainings per draw, one kept")
    for d in (1, 2, 3, 4):
        for c in (1, 2, 3):
            hp = f"ref_draws/noref_seed{d}_grbal.json" if c == 1 else f"candidates/seed{d}_cand{c}_grbal.json"
            out.append((f"xeon d{d} c{c}", *validation(f"candidates/select_seed{d}.json", f"grbal_{c}.pt"), held_out(hp)))
    for f in sorted(glob.glob(f"{B}/start_step/*_validation.json")):
        b = os.path.basename(f).replace("_validation.json", "")
        out.append((f"start {b}", *validation(f"start_step/{b}_validation.json", "grbal.pt"),
                    held_out(f"start_step/{b}_grbal.json")))
    for run in (5, 6, 7):
        for m in ("grbal", "mb"):
            for c in (1, 2):
                out.append((f"draws {run}:{c} {m}", *validation(f"draws/seed{run}_select_{m}.json", f"draw{c}/final/{m}.pt"),
                            held_out(f"draws/seed{run}_draw{c}_{m}.json")))
    for run, c in ((5, 1), (5, 2), (6, 1), (6, 2)):
        sel = f"deep_start/seed{run}_draw{c}_select.json"
        v, seeds = validation(sel, load(sel)["chosen"].rsplit("/", 1)[1])
        out.append((f"deep {run}:{c}", v, seeds, held_out(f"deep_start/seed{run}_draw{c}_grbal.json")))
    return out


def rank(x):
    return np.argsort(np.argsort(x))


def reliability(pairs) -> dict:
    """How well the held-out tasks rank the models against themselves: Spearman between the two halves of the
    10 held-out episodes (even and odd seeds; and actuator 4's episodes against actuator 5's), the same for the
    validation episodes, and the validation mean against each held-out half, so validation's +0.67 can be read against the test's own repeatability.
    ``split-half, Spearman-Brown to 10``: the halves' correlation stepped up to 10-episode means, 2r / (1 + r)."""
    held = make_distribution("half_cheetah", "crippled_leg", "test")
    leg = np.array([held.sample(np.random.default_rng(s)).params()["actuator"] for s in range(100, 110)])
    E = np.array([m[3] for m in pairs])
    V = np.array([m[1].mean() for m in pairs])
    even, odd = E[:, 0::2].mean(1), E[:, 1::2].mean(1)
    a4, a5 = E[:, leg == 4].mean(1), E[:, leg == 5].mean(1)

    def sp(x, y):
        return float(np.corrcoef(rank(x), rank(y))[0, 1])

    r = sp(even, odd)
    W = np.array([m[1] for m in pairs])  # validation episodes, seeds 900-909 in order
    rv = sp(W[:, 0::2].mean(1), W[:, 1::2].mean(1))
    return {"held-out even seeds vs odd seeds (5 episodes each)": r,
            "split-half, Spearman-Brown to 10 episodes": 2 * r / (1 + r),
            "validation even seeds vs odd seeds (5 episodes each)": rv,
            "validation split-half, Spearman-Brown to 10 episodes": 2 * rv / (1 + rv),
            "validation (10) vs held-out even seeds": sp(V, even),
            "validation (10) vs held-out odd seeds": sp(V, odd),
            f"held-out actuator 4 ({int((leg == 4).sum())}) vs actuator 5 ({int((leg == 5).sum())})": sp(a4, a5),
            "validation (10) vs held-out actuator 4": sp(V, a4),
            "validation (10) vs held-out actuator 5": sp(V, a5)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", default=None, help="write the correlations and every model's figures here")
    args = p.parse_args()
    pairs = models()
    tasks = make_distribution("half_cheetah", "crippled_leg", "train")
    act = {s: tasks.sample(np.random.default_rng(s)).params()["actuator"] for s in range(900, 910)}

    def mean_where(v, seeds, keep):
        return np.mean([x for x, q in zip(v, seeds) if keep(act[q])])

    features = {
        "all 10": lambda v, s: v.mean(),
        "actuator 3 (903,904)": lambda v, s: mean_where(v, s, lambda a: a == 3),
        "balanced per actuator": lambda v, s: np.mean([mean_where(v, s, lambda a, b=b: a == b)
                                                       for b in sorted(set(act.values()))]),
        "without actuator 2": lambda v, s: mean_where(v, s, lambda a: a != 2),
        "actuator 2 only": lambda v, s: mean_where(v, s, lambda a: a == 2),
        "median of 10": lambda v, s: np.median(v),
    }
    H = np.array([m[3].mean() for m in pairs])
    out = {"n_models": len(H), "validation_actuators": {str(s): int(a) for s, a in act.items()}, "features": {},
           "models": [{"model": m[0], "validation": float(m[1].mean()), "held_out_first10": float(m[3].mean())}
                      for m in pairs]}
    for name, fn in features.items():
        F = np.array([fn(m[1], m[2]) for m in pairs])
        sp, pe = float(np.corrcoef(rank(F), rank(H))[0, 1]), float(np.corrcoef(F, H)[0, 1])
        out["features"][name] = {"spearman": sp, "pearson": pe}
        print(f"{name:24s} spearman {sp:+.2f} pearson {pe:+.2f}  (n={len(H)})")
    out["reliability"] = reliability(pairs)
    for name, r in out["reliability"].items():
        print(f"{name:52s} spearman {r:+.2f}")
    print("validation seed -> crippled actuator:", act)
    for m in pairs:
        print(f"{m[0]:28s} validation {m[1].mean():7.0f} held-out {m[3].mean():7.0f}")
    if args.json:
        atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
        print("wrote", args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
