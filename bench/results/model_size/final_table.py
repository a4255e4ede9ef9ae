"""docs/control_quality.md "A deeper model, only where it ships": the half-cheetah recipe with FINAL_CONFIG=
results/quality/prior_weight/half_cheetah_3x256_pw1.yaml (the aggregation rounds 2x256, the shipped MB and
GrBAL 3x256, GrBAL's meta-loss with the prior's own loss at weight 1), per draw, on the 20 held-out
crippled-leg tasks (seeds 100-119): mean ± standard error over the tasks and the fraction of the
true-dynamics reference.

Draws 3 and 4 are whole runs of the recipe (bench/results/model_size/final_draw.sh <S>). Draws 1 and 2 are the
same recipe's final trainings made from the three-round files of runs/rounds5_seed<S> (the data the default
recipe of that SEED collects): MB is the 3x256 arm's (h3x256_seed<S>_mb.json), GrBAL the prior_weight arm's
(bench/results/prior_weight/pw1_seed<S>_grbal.json, from that MB). Beside them: the 2x256 default of the same
data (bench/results/rounds5/seed<S>_three_*.json; draw 4: the 2x256 draw bench/results/ref_draws/
noref_seed4_*.json, made with THREADS=2, so its rounds' data differ) and the 3x256 GrBAL without the
prior's loss (h3x256_seed<S>_grbal.json). Then, on draws 3 and 4, the same draw's models beside each other.

    python bench/results/model_size/final_table.py [--plot bench/results/model_size/final_returns.png]
"""
import argparse
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.dirname(HERE)
REFERENCE = 3194.0  # the true-dynamics reference on the 20 held-out tasks (README "What works today")


def returns(*parts: str):
    path = os.path.join(RES, *parts)
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return np.array(json.load(fh)["points"][0]["returns"])


def recipe(draw: int, kind: str):
    """The recipe's final model's returns on draw ``draw``."""
    if draw >= 3:
        return returns("model_size", f"final3x256pw1_seed{draw}_{kind}.json")
    return returns("prior_weight", f"pw1_seed{draw}_grbal.json") if kind == "grbal" else \
        returns("model_size", f"h3x256_seed{draw}_mb.json")


def default(draw: int, kind: str):
    """The 2x256 default recipe's final model on the same draw."""
    if draw == 4:
        return returns("ref_draws", f"noref_seed4_{kind}.json")
    return returns("rounds5", f"seed{draw}_three_{kind}.json")


def ms(v) -> str:
    if v is None:
        return "–"
    return f"{v.mean():,.0f} ± {v.std(ddof=1) / np.sqrt(len(v)):,.0f} ({v.mean() / REFERENCE:.2f}×)"


def paired(a, b) -> str:
    if a is None or b is None:
        return "–"
    d = a - b
    return f"{d.mean():+,.0f} ± {d.std(ddof=1) / np.sqrt(len(d)):,.0f}"


def plot(path: str) -> None:
    """Each draw's mean return, this recipe beside the 2x256 default, for both methods, under the reference."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, kind in zip(axes, ("grbal", "mb")):
        for x, (name, fn) in enumerate((("2×256 default", default), ("3×256 + prior's loss, final round", recipe))):
            v = [fn(d, kind) for d in (1, 2, 3, 4)]
            means = [r.mean() for r in v if r is not None]
            ax.scatter([x] * len(means), means, alpha=0.8, label=None)
            for d, r in zip((1, 2, 3, 4), v):
                if r is not None:
                    ax.annotate(str(d), (x, r.mean()), xytext=(6, -3), textcoords="offset points", fontsize=8)
            ax.hlines(np.mean(means), x - 0.25, x + 0.25, color="k")
        ax.axhline(REFERENCE, color="tab:red", ls="--", label="true-dynamics reference")
        ax.axhline(REFERENCE / 2, color="tab:red", ls=":", label="half of it")
        ax.set_xticks([0, 1], ["2×256 default", "3×256 + prior's loss,\nfinal round only"])
        ax.set_xlim(-0.6, 1.6)
        ax.set_ylim(0, 3500)
        ax.set_title(f"{kind} (a dot: one draw, 20 held-out tasks)", fontsize=10)
    axes[0].set_ylabel("return (1000 steps)")
    axes[0].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--plot", help="also write this PNG")
    args = p.parse_args()
    print("| draw | recipe GrBAL | recipe MB | GrBAL − MB | 2×256 GrBAL | recipe − 2×256 | 2×256 MB | recipe − 2×256 "
          "| 3×256 GrBAL without the prior's loss |")
    print("|---|---|---|---|---|---|---|---|---|")
    means = {"grbal": [], "mb": []}
    for d in (1, 2, 3, 4):
        g, m = recipe(d, "grbal"), recipe(d, "mb")
        for kind, v in (("grbal", g), ("mb", m)):
            if v is not None:
                means[kind].append(v.mean())
        dg, dm = default(d, "grbal"), default(d, "mb")
        print(f"| {d} | {ms(g)} | {ms(m)} | {paired(g, m)} | {ms(dg)} | {paired(g, dg)} | {ms(dm)} | {paired(m, dm)} | "
              f"{ms(returns('model_size', f'h3x256_seed{d}_grbal.json'))} |")
    print()
    print("The whole draws' models beside each other: the GrBAL trained 4,000 steps instead of 12,000 "
          "(final_grbal_arm.sh s4000), the 12,000-step GrBAL's prior alone (grbal_prior), the MB with the same online "
          "step (mb_de, its training inner_lr); paired with the recipe's GrBAL or MB by task:")
    print("| draw | GrBAL 12,000 | GrBAL 4,000 | paired | its prior alone | MB | MB + online step | paired |")
    print("|---|---|---|---|---|---|---|---|")
    for d in (3, 4):
        g, m = recipe(d, "grbal"), recipe(d, "mb")
        g4 = returns("model_size", f"final3x256pw1_seed{d}_s4000_grbal.json")
        prior = returns("model_size", f"final3x256pw1_seed{d}_grbal_prior.json")
        de = returns("model_size", f"final3x256pw1_seed{d}_mb_de.json")
        print(f"| {d} | {ms(g)} | {ms(g4)} | {paired(g4, g)} | {ms(prior)} | {ms(m)} | {ms(de)} | {paired(de, m)} |")
    print()
    for kind, v in means.items():
        if v:
            v = np.array(v)
            print(f"{kind}: mean over {len(v)} draws {v.mean():,.0f} ({v.mean() / REFERENCE:.2f}×), "
                  f"range {v.min():,.0f}-{v.max():,.0f}, spread (max - min) / mean {(v.max() - v.min()) / v.mean():.0%}")
    if args.plot:
        plot(args.plot)


if __name__ == "__main__":
    main()
