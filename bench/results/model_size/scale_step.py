"""Issue 11, 2026-12-06: a copy of a GrBAL checkpoint whose learned per-parameter step sizes are multiplied by
one factor (nothing else changes), to measure a smaller online step at evaluation without retraining.

    python bench/results/model_size/scale_step.py <grbal.pt> <factor> <out folder>

writes <out folder>/grbal.pt (run it with bench/step_ticks.py --checkpoints <out folder> --methods grbal).
"""
import argparse
import os

import torch

from models.checkpoint import atomic_torch_save


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint")
    p.add_argument("factor", type=float)
    p.add_argument("out")
    args = p.parse_args()
    if not args.factor > 0:
        raise SystemExit(f"factor: must be positive, got {args.factor}")
    payload = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    if payload.get("kind") != "grbal":
        raise SystemExit(f"{args.checkpoint}: a grbal checkpoint is needed, this one is {payload.get('kind')!r}")
    lr = payload["inner_lr"]
    payload["inner_lr"] = ({k: v * args.factor for k, v in lr.items()} if isinstance(lr, dict) else float(lr) * args.factor)
    payload.setdefault("metrics", {})["inner_lr_factor"] = args.factor
    os.makedirs(args.out, exist_ok=True)
    atomic_torch_save(os.path.join(args.out, "grbal.pt"), payload)


if __name__ == "__main__":
    main()
