"""Mean forward speed (m/s) of the half-cheetah in each MPC collection round of whole recipe draws: the
data `make checkpoints` collects with its GrBAL (g) and MB (m) controllers, every round found (the rootx
velocity, observation entry 8; every tick of every path, all perturbation families of the round's tasks).
Draws with the same SEED share the round's tasks, so their round speeds compare the controllers alone.

    python bench/results/round0_select/collection_speed.py runs/noref_draw_seed1 runs/r0sel_seed1 ...
"""
import argparse
import os

import numpy as np

SPEED = 8  # rootx.velocity in sim/specs/half_cheetah.yaml's observation


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="RUNS folders of recipe draws (data_<round>_<grbal|mb>.npz)")
    args = p.parse_args()
    rounds = range(1, 1 + max(max((r for r in range(1, 100)
                                   if os.path.exists(os.path.join(run, f"data_{r}_grbal.npz"))), default=3)
                              for run in args.runs))
    print("| draw | " + " | ".join(f"round {r} {k}" for r in rounds for k in ("grbal", "mb")) + " |")
    print("|---|" + "---|" * (2 * len(rounds)))
    for run in args.runs:
        cells = []
        for r in rounds:
            for kind in ("grbal", "mb"):
                path = os.path.join(run, f"data_{r}_{kind}.npz")
                cells.append(f"{np.load(path)['obs'][:, SPEED].mean():.2f}" if os.path.exists(path) else "-")
        print(f"| {run} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
