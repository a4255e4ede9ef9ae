"""Issue 11: what GRBAL_START's choice would keep, per draw: the finished GrBAL and its start (the draw's final MB
weights, never meta-trained) with each step size, their validation returns (`select`'s 10 episodes of the crippled
leg's training range) and held-out returns (first 10 held-out crippled-leg tasks, seeds 100-109), beside the MB.
Usage, from the repository root: python bench/results/start_step/table.py [--draws 5:1 6:1 5:2 6:2] [--steps ...]
(S:c = RUN SEED S, draw c: the recipe draw with seed S + 100 (c - 1); made by bench/results/draws/run.sh, the starts
by bench/results/start_step/run.sh)."""
import argparse
import json
import os

import numpy as np

B, D, F = "bench/results/start_step", "bench/results/draws", "bench/results/fallback"


def held_out(path):
    return np.array(json.load(open(path))["points"][0]["returns"][:10])


def val_of(doc, path_end):
    for c in doc["candidates"]:
        if c["path"].endswith(path_end):
            return np.array(c["returns"])
    raise KeyError(path_end)


def fmt(r):
    return f"{r.mean():,.0f} ± {r.std(ddof=1) / np.sqrt(len(r)):,.0f}"


def candidates(s, c, steps):
    """[(label, validation returns, held-out returns)] of draw s:c; a missing probe is left out (named on stderr)."""
    out = [("finished GrBAL", val_of(json.load(open(f"{D}/seed{s}_select_grbal.json")), f"draw{c}/final/grbal.pt"),
            held_out(f"{D}/seed{s}_draw{c}_grbal.json"))]
    for a in steps:
        v, h = f"{B}/seed{s}_draw{c}_a{a}_validation.json", f"{B}/seed{s}_draw{c}_a{a}_grbal.json"
        if not os.path.exists(v) and float(a) == 0.01 and c == 1:  # made earlier by draws/grbal_init.sh
            v, h = f"{F}/seed{s}_draw1_grbal_init_validation.json", f"{D}/seed{s}_draw1_grbal_init.json"
        if not (os.path.exists(v) and os.path.exists(h)):
            print(f"(no probe for draw {s}:{c} step {a}: bash {B}/run.sh {s} {c} {a})", flush=True)
            continue
        out.append((f"start, step {a}", np.array(json.load(open(v))["candidates"][0]["returns"]), held_out(h)))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--draws", nargs="+", default=["5:1", "6:1", "5:2", "6:2"])
    p.add_argument("--steps", nargs="+", default=["0.01", "0.003", "0.001"])
    args = p.parse_args()
    print("| draw (seed) | candidate | validation | held-out (10 tasks) | − MB, paired |")
    print("|---|---|---|---|---|")
    kept = {}
    for dc in args.draws:
        s, c = (int(x) for x in dc.split(":"))
        mb = held_out(f"{D}/seed{s}_draw{c}_mb.json")
        cands = candidates(s, c, args.steps)
        best = max(range(len(cands)), key=lambda i: cands[i][1].mean())  # ties go to the first, as in select
        for i, (label, v, h) in enumerate(cands):
            d = h - mb
            mark = " (kept)" if i == best else ""
            print(f"| {s + 100 * (c - 1)} | {label} | {fmt(v)}{mark} | {fmt(h)} | "
                  f"{d.mean():+,.0f} ± {d.std(ddof=1) / np.sqrt(len(d)):,.0f} |")
        print(f"| {s + 100 * (c - 1)} | MB | | {fmt(mb)} | |")
        kept[s + 100 * (c - 1)] = cands[best][2].mean()
    print()
    print("kept, held-out mean per draw: " + ", ".join(f"{k}: {v:,.0f}" for k, v in kept.items()))


if __name__ == "__main__":
    main()
