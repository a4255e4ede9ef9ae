"""Issue 11: what GRBAL_START's choice would keep, per draw: the finished GrBAL and its start (the draw's final MB
weights, never meta-trained) with each step size, their validation returns (`select`'s 10 episodes of the crippled
leg's training range) and held-out returns (first 10 held-out crippled-leg tasks, seeds 100-109), beside the MB.
Usage, from the repository root: python bench/results/start_step/table.py [--draws 5:1 6:1 5:2 6:2] [--steps ...]
[--plot bench/results/start_step/start_step.png]
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
    p.add_argument("--plot", help="also draw validation against held-out return of every candidate to this PNG")
    args = p.parse_args()
    points = []
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
        points.append((s + 100 * (c - 1), cands, best, mb.mean()))
    print()
    print("kept, held-out mean per draw: " + ", ".join(f"{k}: {v:,.0f}" for k, v in kept.items()))
    if args.plot:
        plot(points, args.plot)


def plot(points, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    markers = {"finished GrBAL": "s"}
    fig, ax = plt.subplots(figsize=(7.5, 5))
    for i, (draw, cands, best, mb) in enumerate(points):
        color = f"C{i}"
        xs = [v.mean() for _, v, _ in cands]
        ys = [h.mean() for _, _, h in cands]
        ax.plot(xs, ys, color=color, lw=0.8, alpha=0.5)
        for j, (label, v, h) in enumerate(cands):
            ax.scatter(v.mean(), h.mean(), color=color, marker=markers.get(label, "o"), s=90 if j == best else 35,
                       edgecolors="black" if j == best else "none", zorder=3)
            if label != "finished GrBAL":
                ax.annotate(label.split()[-1], (v.mean(), h.mean()), fontsize=7, xytext=(4, 3),
                            textcoords="offset points")
        ax.axhline(mb, color=color, ls=":", lw=1)
        ax.scatter([], [], color=color, label=f"draw {draw} (dotted: its MB)")
    ax.axhline(3194, color="black", ls="--", lw=1, label="true-dynamics reference (3,194)")
    ax.axhline(1500, color="black", ls="-.", lw=0.8, label="issue 11 target for GrBAL (1,500)")
    ax.scatter([], [], color="gray", marker="s", label="meta-trained GrBAL")
    ax.scatter([], [], color="gray", marker="o", label="its start, step size a")
    ax.scatter([], [], color="white", edgecolors="black", s=90, label="kept by validation")
    ax.set_xlabel("validation return (10 training-range crippled-leg episodes)")
    ax.set_ylabel("held-out return (first 10 crippled-leg test tasks)")
    ax.set_ylim(0, 3500)
    ax.set_title("GrBAL's start with three step sizes vs the meta-trained GrBAL")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
