"""Issue 11: GRBAL_START on a deeper final MB (bench/results/deep_start/run.sh), per draw, beside the same draw's
2x256 recipe models: the final MB and the GrBAL today's GRBAL_START keeps (bench/results/start_step/table.py), each
on the first 10 held-out crippled-leg tasks (seeds 100-109), the 3x256 starts' validation returns (`select`'s 10
training-range episodes), and what a DRAWS=2 run of each pair would keep (the draw that validates higher).
Usage, from the repository root:
    python bench/results/deep_start/table.py [--plot bench/results/deep_start/deep_start.png]
"""
import argparse
import json

import numpy as np

D, S, DS = "bench/results/draws", "bench/results/start_step", "bench/results/deep_start"
REFERENCE = 3194.0  # the true-dynamics reference on the 20 held-out tasks (README "What works today")
# the 2x256 GrBAL today's GRBAL_START keeps on each draw (docs/control_quality.md "The start's step size,
# chosen by validation"): (held-out JSON, validation JSON, the candidate's path in it)
KEPT_2X256 = {
    (5, 1): (f"{S}/seed5_draw1_a0.001_grbal.json", f"{S}/seed5_draw1_a0.001_validation.json", "a0.001/grbal.pt"),
    (6, 1): (f"{S}/seed6_draw1_a0.003_grbal.json", f"{S}/seed6_draw1_a0.003_validation.json", "a0.003/grbal.pt"),
    (5, 2): (f"{D}/seed5_draw2_grbal.json", f"{D}/seed5_select_grbal.json", "draw2/final/grbal.pt"),
    (6, 2): (f"{D}/seed6_draw2_grbal.json", f"{D}/seed6_select_grbal.json", "draw2/final/grbal.pt"),
}


def load(path):
    with open(path) as fh:
        return json.load(fh)


def held_out(path):
    return np.array(load(path)["points"][0]["returns"][:10])


def validation(path, end):
    for c in load(path)["candidates"]:
        if c["path"].endswith(end):
            return float(c["mean"])
    raise KeyError(f"{end} not among the candidates of {path}")


def ms(x, sign=False):
    return f"{x.mean():{'+' if sign else ''},.0f} ± {x.std(ddof=1) / np.sqrt(len(x)):,.0f}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--plot", default=None, help="write the per-draw plot here (PNG)")
    args = p.parse_args()
    rows = {}
    print("| draw | MB 2x256 | MB 3x256 | paired | kept GrBAL 2x256 | 3x256 starts' validation (0.01 / 0.003 / 0.001) "
          "| kept 3x256 start | paired |")
    print("|---|---|---|---|---|---|---|---|")
    for (run, c), (kept_path, val_path, val_end) in KEPT_2X256.items():
        mb2, mb3 = held_out(f"{D}/seed{run}_draw{c}_mb.json"), held_out(f"{DS}/seed{run}_draw{c}_mb.json")
        g2, g3 = held_out(kept_path), held_out(f"{DS}/seed{run}_draw{c}_grbal.json")
        sel = load(f"{DS}/seed{run}_draw{c}_select.json")
        vals = [c_["mean"] for c_ in sel["candidates"]]
        chosen = sel["chosen"].rsplit("start", 1)[1][:-3]
        rows[(run, c)] = dict(mb2=mb2, mb3=mb3, g2=g2, g3=g3, v2=validation(val_path, val_end), v3=max(vals))
        seed = run + 100 * (c - 1)
        print(f"| {seed} | {ms(mb2)} | {ms(mb3)} | {ms(mb3 - mb2, True)} | {ms(g2)} | "
              f"{' / '.join(f'{v:,.0f}' for v in vals)} | {chosen}: **{ms(g3)}** ({g3.mean() / REFERENCE:.2f}x) | "
              f"{ms(g3 - g2, True)} |")
    for key in ("mb2", "mb3", "g2", "g3"):
        print(f"mean over the draws, {key}: {np.mean([r[key].mean() for r in rows.values()]):,.0f}")
    for tag, v, g in (("2x256", "v2", "g2"), ("3x256 start", "v3", "g3")):
        kept = []
        for run in sorted({k[0] for k in rows}):
            a, b = rows[(run, 1)], rows[(run, 2)]
            kept.append((a if a[v] >= b[v] else b)[g].mean())
        lo, hi = min(kept), max(kept)
        print(f"DRAWS=2 runs {sorted({k[0] for k in rows})}, GrBAL {tag}: kept "
              f"{' / '.join(f'{k:,.0f}' for k in kept)}, {100 * (hi - lo) / hi:.0f}% apart")
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(7, 4.5))
        keys = list(rows)
        x = np.arange(len(keys))
        for dx, (k, label, color) in zip((-0.3, -0.1, 0.1, 0.3), (
                ("mb2", "MB 2x256", "0.65"), ("mb3", "MB 3x256", "0.35"),
                ("g2", "GrBAL kept, 2x256 (today's recipe)", "tab:blue"),
                ("g3", "GrBAL start kept, 3x256 MB", "tab:red"))):
            m = [rows[q][k].mean() for q in keys]
            e = [rows[q][k].std(ddof=1) / np.sqrt(len(rows[q][k])) for q in keys]
            ax.bar(x + dx, m, 0.2, yerr=e, label=label, color=color, capsize=2)
        ax.axhline(REFERENCE, ls="--", color="k", label=f"true-dynamics reference ({REFERENCE:,.0f})")
        ax.axhline(1500, ls=":", color="tab:green", label="issue 11 target for GrBAL (1,500)")
        ax.set_xticks(x, [f"draw {r + 100 * (c - 1)}" for r, c in keys])
        ax.set_ylabel("return, first 10 held-out crippled-leg tasks")
        ax.set_title("A deeper final MB, and GrBAL's start on it, per recipe draw")
        ax.legend(fontsize=7, loc="upper right")
        ax.set_ylim(0, 3500)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
