"""`make checkpoints DRAWS=2` runs (bash bench/results/draws/run.sh <SEED>): per run and method, each draw's
validation return (the 10 training-range episodes `select` ran) and held-out return (20 crippled-leg tasks, seeds
100-119, or the first 10 where only those ran; also over the first 10, the issue's demo measure), the draw kept, and how far apart the kept models of
two runs are, beside the true-dynamics reference. Mean ± standard error over the episodes.

    python bench/results/draws/table.py --runs 5 6
"""
import argparse
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FAMILIES = ("friction", "joint_damping", "motor_gain", "payload", "terrain_ramps")
REFERENCE = 3194.0  # the true-dynamics reference on the 20 held-out tasks (README "What works today")


def load(name: str):
    with open(os.path.join(HERE, name)) as fh:
        return json.load(fh)


def held_out(run: int, draw: int, method: str) -> np.ndarray:
    return np.array(load(f"seed{run}_draw{draw}_{method}.json")["points"][0]["returns"])


def ms(x) -> str:
    return f"{x.mean():,.0f} ± {x.std(ddof=1) / np.sqrt(len(x)):,.0f}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", nargs="+", type=int, required=True, help="the SEEDs of the DRAWS=2 runs")
    p.add_argument("--pairs", action="store_true",
                   help="every pair of GrBAL draws (these runs' and the four of 2026-12-05) taken as one DRAWS=2 run")
    p.add_argument("--families", action="store_true",
                   help="the kept models on the other families' held-out tasks (bench/results/draws/families.sh)")
    p.add_argument("--plot", default=None, help="write the validation-against-held-out plot here (PNG)")
    args = p.parse_args()
    kept = {}
    print("| run (SEED) | method | draw 1: validation / held-out (n tasks; first 10) | draw 2 | kept | kept, held-out |")
    print("|---|---|---|---|---|---|")
    for run in args.runs:
        for method in ("grbal", "mb"):
            sel = load(f"seed{run}_select_{method}.json")
            cells, chosen = [], None
            for c, cand in enumerate(sel["candidates"], start=1):
                h = held_out(run, c, method)
                cells.append(f"{cand['mean']:,.0f} / {ms(h)} ({len(h)}); {h[:10].mean():,.0f}")
                if cand["path"] == sel["chosen"]:
                    chosen = (c, h)
            c, h = chosen
            kept[(run, method)] = h
            print(f"| {run} | {method} | {cells[0]} | {cells[1]} | draw {c} | **{ms(h)}** ({h.mean() / REFERENCE:.2f}×); "
                  f"first 10: {h[:10].mean():,.0f} |")
    for method in ("grbal", "mb"):
        means = {run: kept[(run, method)] for run in args.runs}
        for i, a in enumerate(args.runs):
            for b in args.runs[i + 1:]:
                n = min(len(means[a]), len(means[b]))
                for label, sl in ((f"{n} tasks", slice(0, n)), ("first 10", slice(0, 10))):
                    x, y = means[a][sl].mean(), means[b][sl].mean()
                    print(f"{method}: kept of run {a} against run {b} ({label}): {x:,.0f} / {y:,.0f}, "
                          f"{abs(x - y) / max(x, y):.0%} apart")
    for run in args.runs:
        g, m = kept[(run, "grbal")], kept[(run, "mb")]
        n = min(len(g), len(m))
        d = g[:n] - m[:n]
        print(f"run {run}: kept GrBAL − kept MB {d.mean():+,.0f} ± {d.std(ddof=1) / np.sqrt(len(d)):,.0f}")
    if args.pairs:
        pairs(args.runs)
    if args.families:
        for run in args.runs:
            for fam in FAMILIES:
                g, m = (np.array(load(f"seed{run}_kept_{fam}_{k}.json")["points"][0]["returns"]) for k in ("grbal", "mb"))
                d = g - m
                print(f"run {run}, {fam}: kept GrBAL {ms(g)}, kept MB {ms(m)}, GrBAL − MB {d.mean():+,.0f} ± "
                      f"{d.std(ddof=1) / np.sqrt(len(d)):,.0f}")
    if args.plot:
        plot(args.runs, args.plot)
    return 0


def earlier_draws():
    """The four GrBAL draws of 2026-12-05 (Xeon): SEED -> (validation return, held-out returns)."""
    results = os.path.dirname(HERE)
    out = {}
    for s in (1, 2, 3, 4):  # candidate 1 of each draw's select is the draw's own GrBAL
        with open(os.path.join(results, "candidates", f"select_seed{s}.json")) as fh:
            v = json.load(fh)["candidates"][0]["mean"]
        with open(os.path.join(results, "ref_draws", f"noref_seed{s}_grbal.json")) as fh:
            out[f"SEED={s}"] = (v, np.array(json.load(fh)["points"][0]["returns"]))
    return out


def pairs(runs) -> None:
    import itertools

    draws = earlier_draws()
    for run in runs:
        sel = load(f"seed{run}_select_grbal.json")
        for c, cand in enumerate(sel["candidates"], start=1):
            draws[f"SEED={run + 100 * (c - 1)}"] = (cand["mean"], held_out(run, c, "grbal"))
    held = {k: h.mean() for k, (_, h) in draws.items()}
    kept, right = {}, 0
    for a, b in itertools.combinations(draws, 2):
        k = a if draws[a][0] >= draws[b][0] else b
        kept[(a, b)] = held[k]
        right += held[k] == max(held[a], held[b])
    both = [(p, q) for p, q in itertools.combinations(kept, 2) if not set(p) & set(q)]
    agree = sum(abs(kept[p] - kept[q]) / max(kept[p], kept[q]) < 0.15 for p, q in both)
    single = list(itertools.combinations(held.values(), 2))
    print(f"GrBAL draws: {', '.join(f'{k} {held[k]:,.0f}' for k in draws)}")
    print(f"{len(kept)} pairs: validation keeps the held-out better draw in {right}; kept mean "
          f"{np.mean(list(kept.values())):,.0f} (median {np.median(list(kept.values())):,.0f}, "
          f"{min(kept.values()):,.0f}-{max(kept.values()):,.0f}) against one draw's {np.mean(list(held.values())):,.0f} "
          f"(median {np.median(list(held.values())):,.0f})")
    print(f"two disjoint pairs within 15%: {agree} of {len(both)}; two single draws: "
          f"{sum(abs(x - y) / max(x, y) < 0.15 for x, y in single)} of {len(single)}")


def plot(runs, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    earlier = earlier_draws().values()
    val, held = [v for v, _ in earlier], [h.mean() for _, h in earlier]
    ax.scatter(val, held, marker="o", color="tab:blue", label="GrBAL, draws SEED=1-4 (Xeon, 2026-12-05)")
    for method, colour in (("grbal", "tab:red"), ("mb", "tab:gray")):
        pts = []
        for run in runs:
            sel = load(f"seed{run}_select_{method}.json")
            for c, cand in enumerate(sel["candidates"], start=1):
                pts.append((cand["mean"], held_out(run, c, method).mean()))
        ax.scatter(*zip(*pts), marker="s", color=colour,
                   label=f"{'GrBAL' if method == 'grbal' else 'MB'}, DRAWS=2 run(s) {', '.join(map(str, runs))} (EPYC)")
    ax.axhline(REFERENCE, color="k", lw=1, ls="--", label="true-dynamics reference (3,194)")
    ax.axhline(1500, color="tab:green", lw=1, ls=":", label="issue 11 target for GrBAL (1,500)")
    ax.set_xlabel("validation return (10 training-range crippled-leg episodes)")
    ax.set_ylabel("held-out return (crippled-leg tasks from seed 100: 20, or 10)")
    ax.set_title("Whole draws of the half-cheetah recipe: does validation order them?")
    ax.set_ylim(0, REFERENCE * 1.1)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    raise SystemExit(main())
