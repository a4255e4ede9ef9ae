"""What the heading frame (``model.frame: heading``) costs a plan: the planning model of the ant's shape
(2x256 block model of 2 ticks, nx 27, nu 8) called T times on K samples, in the world frame and in the
heading frame, interleaved in blocks so both see the same machine; medians of per-plan times.

    python bench/frame_cost.py --json bench/results/frame_cost.json
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import torch

from models.dynamics import MLPDynamics
from models.frames import HeadingFrame


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--samples", type=int, default=500)
    p.add_argument("--horizon", type=int, default=10)
    p.add_argument("--blocks", type=int, default=20, help="interleaved blocks")
    p.add_argument("--plans", type=int, default=20, help="plans per block")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    nx, nu, ticks = 27, 8, 2
    models = {"world": MLPDynamics(nx, nu * ticks), "heading": MLPDynamics(nx, nu * ticks, frame=HeadingFrame((1, 2, 3, 4), (13, 14)))}
    models["heading"].load_state_dict(models["world"].state_dict())
    x0 = torch.randn(1, nx, generator=gen)
    x0[:, 1:5] /= x0[:, 1:5].norm()
    acts = torch.randn(args.horizon, args.samples, nu, generator=gen).clamp(-1, 1)
    fns = {k: m.predictor(m.params(), held=ticks) for k, m in models.items()}

    def plan(f):
        s = x0.expand(args.samples, nx)
        for t in range(args.horizon):
            s = f(s, acts[t])
        return s

    times = {k: [] for k in fns}
    with torch.no_grad():
        for k, f in fns.items():  # warm-up
            for _ in range(5):
                plan(f)
        for _ in range(args.blocks):
            for k, f in fns.items():
                for _ in range(args.plans):
                    t0 = time.perf_counter()
                    plan(f)
                    times[k].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    out = {"command": "python " + " ".join([os.path.relpath(sys.argv[0])] + (argv if argv is not None else sys.argv[1:])),
           "machine": {"cpus": os.cpu_count(), "processor": platform.processor()}, "threads": args.threads,
           "samples": args.samples, "horizon": args.horizon, "plan_median_ms": med,
           "heading_over_world": med["heading"] / med["world"]}
    tmp = args.json + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(out, fh, indent=1)
    os.replace(tmp, args.json)
    print(f"plan (K={args.samples}, T={args.horizon}): world {med['world']:.2f} ms, heading {med['heading']:.2f} ms "
          f"({out['heading_over_world']:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
