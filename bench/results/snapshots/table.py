"""Issue 11: the snapshots of one GrBAL training (bench/results/snapshots/run.sh): validation return (10 episodes,
crippled leg's training range) against held-out return (first 10 held-out crippled-leg tasks, seeds 100-109).
Usage, from the repository root: python bench/results/snapshots/table.py --runs 5 6"""
import argparse
import json
import os

import numpy as np

B = "bench/results/snapshots"


def held_out(path):
    return np.array(json.load(open(path))["points"][0]["returns"][:10])


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", nargs="+", type=int, default=[5, 6])
    args = p.parse_args()
    print("| draw | candidate | validation | held-out (10 tasks) | − finished, paired |")
    print("|---|---|---|---|---|")
    for s in args.runs:
        sel = json.load(open(f"{B}/seed{s}_draw1_select.json"))
        own = held_out(f"bench/results/draws/seed{s}_draw1_grbal.json")
        for c in sel["candidates"]:
            name = os.path.basename(c["path"])
            step = name.split(".step")[1][:-3] if ".step" in name else None
            val = f"{c['mean']:,.0f} ± {c['stderr']:,.0f}" + (" (kept)" if c["path"] == sel["chosen"] else "")
            if step is None:
                r, d = own, None
            else:
                r = held_out(f"{B}/seed{s}_draw1_step{step}.json")
                d = r - own
            label = f"step {int(step):,}" if step else "finished (early-stopped)"
            diff = "" if d is None else f"{d.mean():+,.0f} ± {d.std(ddof=1) / np.sqrt(len(d)):,.0f}"
            print(f"| SEED={s} | {label} | {val} | {r.mean():,.0f} ± {r.std(ddof=1) / np.sqrt(len(r)):,.0f} | {diff} |")


if __name__ == "__main__":
    main()
