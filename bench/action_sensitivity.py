"""How much does each model's prediction depend on the planned actions, call by call (docs/control_quality.md "An
open-loop training loss")? From starts along recorded paths (every ``--every`` ticks), K action sequences are drawn as
MPPI draws them (the recorded actions plus N(0, sigma) noise, clipped to [-1, 1], each held for the model's ticks),
rolled out H model calls open loop, and the spread over the K samples of the predicted forward velocity after each
call is reported (mean over starts of its standard deviation), with the spread of the summed forward velocity over the
plan (what MPPI's softmin ranks). A model whose later calls hardly depend on the actions turns a long plan into a
short one. Model-only: the physics' own spread is not computed.

    python bench/action_sensitivity.py --robot half_cheetah --data runs/rounds5_seed1/data_4_grbal.npz \
        --checkpoints a/mb.pt b/mb.pt --json out.json
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--robot", default="half_cheetah")
    p.add_argument("--data", required=True, help="a dataset (.npz) of recorded paths the models did not train on")
    p.add_argument("--checkpoints", nargs="+", required=True)
    p.add_argument("--calls", type=int, default=10, help="H: model calls rolled out (the shipped plan: 10)")
    p.add_argument("--samples", type=int, default=128, help="K action sequences per start")
    p.add_argument("--sigma", type=float, default=0.5, help="MPPI's noise (actions in [-1, 1])")
    p.add_argument("--every", type=int, default=20, help="a start every this many ticks")
    p.add_argument("--skip", type=int, default=20, help="ticks skipped at each path's start")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)

    import torch

    from models.checkpoint import load_checkpoint
    from models.dataset import TransitionDataset, atomic_write
    from sim.spec import load_spec

    vx = load_spec(args.robot).base_entries()["vx"]
    d = TransitionDataset.load(args.data)
    if d.robot != args.robot:
        raise SystemExit(f"{args.data}: a dataset of {d.robot!r}, not {args.robot!r}")
    out = {"command": "python bench/" + os.path.basename(__file__) + " " + " ".join(argv or os.sys.argv[1:]),
           "robot": args.robot, "data": args.data, "checkpoints": {}}
    for path in args.checkpoints:
        ck = load_checkpoint(path, robot=args.robot)
        model, params, n = ck.model, ck.model.params(), ck.ticks
        gen = torch.Generator().manual_seed(args.seed)
        per_call, summed = [], []
        for pid in np.unique(d.path_id):
            idx = np.flatnonzero(d.path_id == pid)
            o, a = d.obs[idx], d.act[idx]
            for t in range(args.skip, len(idx) - args.calls * n + 1, args.every):
                base = torch.tensor(a[t: t + args.calls * n: n], dtype=torch.float32)  # (H, nu): first tick of each block
                acts = (base + args.sigma * torch.randn(args.samples, *base.shape, generator=gen)).clamp(-1, 1)
                s = torch.tensor(o[t], dtype=torch.float32).expand(args.samples, -1)
                v = []
                with torch.no_grad():
                    for k in range(args.calls):
                        s = model.predict_next(params, s, acts[:, k].repeat(1, n))  # held n ticks
                        v.append(s[:, vx])
                v = torch.stack(v, 1)  # (K, H)
                per_call.append(v.std(0).numpy())
                summed.append(float(v.sum(1).std()))
        per_call = np.array(per_call)
        out["checkpoints"][path] = {"ticks_per_call": n, "starts": len(summed),
                                    "vx_spread_per_call": per_call.mean(0).tolist(),
                                    "summed_vx_spread": float(np.mean(summed))}
        print(path, "vx spread after call " + " ".join(f"{i + 1}:{x:.2f}" for i, x in enumerate(per_call.mean(0))),
              f"| summed over the plan {np.mean(summed):.2f}", flush=True)
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
