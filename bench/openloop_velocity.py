"""How well do models predict the forward velocity open loop along recorded paths? For each checkpoint:
RMS error, correlation and bias of the predicted forward velocity H model calls ahead (fed its own
predictions, under the recorded actions, as a plan feeds it), from starts every ``--every`` ticks.

    python bench/openloop_velocity.py --robot ant --data runs/ant_ref/data_ref_val.npz \
        --checkpoints runs/ant_ref/A/mb.pt runs/ant_ref/B/mb.pt --json bench/results/ant_reference_data/openloop.json

The paths should be ones no checkpoint was trained on (e.g. a fresh ``collect`` with another seed).
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--robot", default="ant")
    p.add_argument("--data", required=True, help="a dataset (.npz) of recorded paths")
    p.add_argument("--checkpoints", nargs="+", required=True)
    p.add_argument("--horizons", nargs="+", type=int, default=[1, 5, 10], help="model calls ahead")
    p.add_argument("--skip", type=int, default=20, help="ticks skipped at each path's start")
    p.add_argument("--every", type=int, default=7, help="a start every this many ticks")
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)

    import torch

    from models.checkpoint import load_checkpoint
    from models.dataset import TransitionDataset, atomic_write
    from sim.spec import load_spec

    spec = load_spec(args.robot)
    vx = spec.base_entries()["vx"]
    d = TransitionDataset.load(args.data)
    if d.robot != args.robot:
        raise SystemExit(f"{args.data}: a dataset of {d.robot!r}, not {args.robot!r}")
    out = {"command": "python bench/" + os.path.basename(__file__) + " " + " ".join(argv or os.sys.argv[1:]),
           "robot": args.robot, "data": args.data, "paths": int(d.num_paths), "checkpoints": {}}
    for path in args.checkpoints:
        ck = load_checkpoint(path, robot=args.robot)
        model, params, n = ck.model, ck.model.params(), ck.ticks
        rows = {}
        for h in args.horizons:
            pred, true = [], []
            for pid in np.unique(d.path_id):
                idx = np.flatnonzero(d.path_id == pid)
                o, a, no = d.obs[idx], d.act[idx], d.next_obs[idx]
                starts = np.arange(args.skip, len(idx) - h * n + 1, args.every)
                if not len(starts):
                    continue
                s = torch.tensor(o[starts], dtype=torch.float32)
                with torch.no_grad():
                    for k in range(h):
                        acts = np.concatenate([a[starts + k * n + j] for j in range(n)], axis=1)
                        s = model.predict_next(params, s, torch.tensor(acts, dtype=torch.float32))
                pred.append(s[:, vx].numpy())
                true.append(no[starts + h * n - 1, vx])
            pr, tr = np.concatenate(pred), np.concatenate(true)
            rows[str(h)] = {"ahead_s": h * n * spec.control_dt, "rms": float(np.sqrt(np.mean((pr - tr) ** 2))),
                            "corr": float(np.corrcoef(pr, tr)[0, 1]), "bias": float(np.mean(pr - tr)),
                            "true_mean": float(tr.mean()), "starts": int(len(tr))}
        out["checkpoints"][path] = {"ticks_per_call": n, "horizons": rows}
        print(path, "  ".join(f"H={h}: rms {r['rms']:.2f} corr {r['corr']:.2f} bias {r['bias']:+.2f}"
                              for h, r in rows.items()), flush=True)
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
