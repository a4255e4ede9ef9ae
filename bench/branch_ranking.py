"""Decision quality offline: how well does a model order counterfactual action sequences by their true cost?

``bench/offpath_prediction.py`` found that what separates the models whose robot runs from those whose
robot stalls is how they rank the planner's sampled actions (Spearman of return with the cost-rank
correlation +0.86 over twelve models), but it measures that along each controller's own episodes
(a robot that runs visits other states than one that stalls). This bench scores every model on the same
states: the counterfactual branches of ``collect --branches`` (docs/control_quality.md "Counterfactual branches": at a
branch point, B action sequences around the last executed action, each held ``branch_hold`` ticks,
rolled out by the physics from the robot's real state). Per branch point: GrBAL adapts on the last M
block transitions of the real prefix (one step, as online), the model rolls each branch's first
``--calls`` held actions out open loop from the branch point, and the Spearman correlation of the
predicted and the true summed costs (the robot's cost on the physics' states) over the B branches is
taken; the score is its mean over branch points. MB (and ``--no-adapt``) uses the prior.

    python bench/branch_ranking.py --data runs/branch_s2/data_4_grbal.branches.npz \\
        --checkpoints adaptive_control/assets/half_cheetah/grbal.pt runs/*/final/grbal.pt \\
        --json bench/results/branch_ranking.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np


def _rank_rows(x):
    import torch

    return torch.argsort(torch.argsort(x, dim=1), dim=1).double()


def _spearman_rows(a, b):
    """Spearman correlation per row of (G, B) tensors -> (G,)."""
    ra, rb = _rank_rows(a), _rank_rows(b)
    ra, rb = ra - ra.mean(1, keepdim=True), rb - rb.mean(1, keepdim=True)
    return (ra * rb).sum(1) / (ra.square().sum(1).sqrt() * rb.square().sum(1).sqrt())


def score(ck, data, calls: int, adapt: bool = True, chunk: int = 512) -> dict:
    """Cost-rank correlation and open-loop error of checkpoint ``ck`` on the branches of ``data``."""
    import torch
    from torch.func import vmap

    from models.adaptation import GradientAdapter
    from sim.robots import cost_fn

    meta = data.meta["branches"]
    b, prefix, hold, length = meta["branches"], meta["branch_prefix"], meta["branch_hold"], meta["branch_length"]
    n = prefix + length
    ticks = ck.ticks
    if hold % ticks:
        raise ValueError(f"branches hold actions {hold} ticks; the model predicts {ticks}-tick blocks")
    if calls * hold > length:
        raise ValueError(f"--calls {calls} x {hold} ticks exceeds the branches' {length} ticks")
    groups = data.num_paths // b
    obs = torch.as_tensor(data.obs.reshape(groups, b, n, -1), dtype=torch.float32)
    act = torch.as_tensor(data.act.reshape(groups, b, n, -1), dtype=torch.float32)
    nxt = torch.as_tensor(data.next_obs.reshape(groups, b, n, -1), dtype=torch.float32)
    model, cost = ck.model, cost_fn(data.robot)
    prior = model.params()
    m = int(ck.config.get("train", {}).get("adapt_window", 16))
    adapter = GradientAdapter(model, ck.inner_lr, first_order=True)
    # the real prefix's last m block transitions (identical in every branch of a point): the online window
    starts = np.arange(prefix - ticks + 1 - m, prefix - ticks + 1)
    win_o = obs[:, 0, starts]
    win_a = torch.cat([act[:, 0, starts + k] for k in range(ticks)], dim=-1)
    win_n = nxt[:, 0, starts + ticks - 1]
    ranks, errs = [], []
    scale = model.normalizer.delta_std
    for g in range(0, groups, chunk):
        sl = slice(g, min(g + chunk, groups))
        x = obs[sl, :, prefix]  # (G, B, nx) the branch point, same in every branch
        true_cost = torch.zeros(x.shape[:2], dtype=torch.float64)
        pred_cost = torch.zeros_like(true_cost)
        with torch.no_grad():
            if adapt and ck.kind == "grbal":
                params = vmap(lambda o, a, nn: adapter.adapt(prior, o, a, nn))(win_o[sl], win_a[sl], win_n[sl])
                step = vmap(lambda p, o, a: model.predict_next(p, o, a))
            else:
                params, step = prior, (lambda p, o, a: model.predict_next(p, o.flatten(0, 1), a.flatten(0, 1)).view_as(o))
            pred = x
            for c in range(calls):
                t = prefix + c * hold
                a = act[sl, :, t]  # (G, B, nu) held for the call
                for _ in range(hold // ticks):
                    true_next = nxt[sl, :, t + ticks - 1]
                    true_cost += cost(obs[sl, :, t].flatten(0, 1), a.flatten(0, 1), true_next.flatten(0, 1)).view(a.shape[:2]).double()
                    nxt_pred = step(params, pred, a.repeat(1, 1, ticks))
                    pred_cost += cost(pred.flatten(0, 1), a.flatten(0, 1), nxt_pred.flatten(0, 1)).view(a.shape[:2]).double()
                    pred = nxt_pred
                    t += ticks
            errs.append(((pred - true_next) / scale).square().mean(-1).sqrt().flatten())
            ranks.append(_spearman_rows(pred_cost, true_cost))
    ranks, errs = torch.cat(ranks), torch.cat(errs)
    ok = torch.isfinite(ranks)  # a point whose B true costs tie has no ranking
    return {"rank": float(ranks[ok].mean()), "points": int(ok.sum()), "error": float(errs.mean()),
            "error_median": float(errs.median())}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", nargs="+", required=True, help="branch datasets (<out>.branches.npz of collect --branches)")
    p.add_argument("--checkpoints", nargs="+", required=True)
    p.add_argument("--calls", type=int, default=3, help="held actions rolled out per branch (the shipped plan adapts 3)")
    p.add_argument("--no-adapt", action="store_true", help="GrBAL's prior, no step")
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)

    import torch

    from models.checkpoint import load_checkpoint
    from models.dataset import TransitionDataset, atomic_write

    torch.set_num_threads(1)
    datas = [TransitionDataset.load(f) for f in args.data]
    rows = []
    for path in args.checkpoints:
        ck = load_checkpoint(path)
        per = [score(ck, d, args.calls, adapt=not args.no_adapt) for d in datas]
        w = np.array([r["points"] for r in per], dtype=float)
        row = {"checkpoint": path, "kind": ck.kind, "best_step": ck.metrics.get("best_step"),
               "rank": float(np.average([r["rank"] for r in per], weights=w)),
               "error": float(np.average([r["error"] for r in per], weights=w)), "points": int(w.sum()), "per_file": per}
        rows.append(row)
        print(f"{path}: {ck.kind}, cost-rank correlation {row['rank']:.3f}, open-loop error {row['error']:.3f} "
              f"({row['points']} branch points)", flush=True)
    out = {"command": "python " + " ".join([os.path.relpath(sys.argv[0])] + (argv if argv is not None else sys.argv[1:])),
           "data": args.data, "calls": args.calls, "adapt": not args.no_adapt, "models": rows}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
