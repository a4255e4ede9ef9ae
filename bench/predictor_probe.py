"""The planning model's layer form: ``addmm`` per layer against the shipped bias-folded ``mm`` into reused buffers.

Both run the same folded float32 network (the shipped checkpoint's, normaliser folded into the first and
last layers): a rollout of T model calls on K samples, the two forms interleaved, medians over repeats.
The ``addmm`` form is what ``MLPDynamics.predictor`` ran up to 2026-12-05 (each layer ``addmm(b, h, W)``,
which copies the bias into a new (K, hidden) tensor before the product, then the activation in place).

    python bench/predictor_probe.py --threads 2 --repeats 30 --json bench/results/predictor_probe.json
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time

import torch

from models.checkpoint import load_checkpoint


def addmm_form(model, params, held: int):
    """The per-layer ``addmm`` predictor (the shipped one before the bias-folded form), float32."""
    n = model.normalizer
    w, b = (list(x) for x in zip(*model._layers(params)))
    w0 = w[0] * torch.cat([1.0 / n.obs_std, 1.0 / n.act_std])
    b0 = b[0] - w0 @ torch.cat([n.obs_mean, n.act_mean])
    if held > 1:
        nx = model.obs_size
        w0 = torch.cat([w0[:, :nx], w0[:, nx:].reshape(w0.shape[0], held, -1).sum(1)], 1)
    layers = [(wi.t(), bi) for wi, bi in zip([w0, *w[1:-1]], [b0, *b[1:-1]])]
    wl_t, bl = (w[-1] * n.delta_std[:, None]).t(), b[-1] * n.delta_std + n.delta_mean
    act = {"relu": torch.relu_, "tanh": torch.tanh_,
           "silu": lambda z: torch.nn.functional.silu(z, inplace=True)}[model.activation]

    def f(obs, a):
        h = torch.cat([obs, a], -1)
        for wt, bt in layers:
            h = act(torch.addmm(bt, h, wt))
        return torch.addmm(bl, h, wl_t).add_(obs)

    return model._in_frame(f)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", default="adaptive_control/assets/half_cheetah/grbal.pt")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=30, help="interleaved pairs of timings (each 10 rollouts)")
    p.add_argument("--samples", type=int, default=500, help="K")
    p.add_argument("--horizon", type=int, default=10, help="T")
    p.add_argument("--json", default=None)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    ck = load_checkpoint(args.checkpoint)
    model, params = ck.model, ck.model.params()
    forms = {"addmm": addmm_form(model, params, ck.ticks), "folded_bias_buffers": model.predictor(params, held=ck.ticks)}
    g = torch.Generator().manual_seed(0)
    nu = model.action_size // ck.ticks if ck.ticks > 1 else model.action_size
    obs = torch.randn(args.samples, model.obs_size, generator=g)
    acts = torch.randn(args.horizon, args.samples, nu, generator=g).clamp(-1, 1)

    def rollout(f):
        s = obs
        for t in range(args.horizon):
            s = f(s, acts[t])
        return s

    times: dict[str, list[float]] = {k: [] for k in forms}
    with torch.no_grad():
        diff = (rollout(forms["addmm"]) - rollout(forms["folded_bias_buffers"])).abs().max().item()
        for r in range(args.repeats):
            for name in (list(forms) if r % 2 == 0 else list(reversed(forms))):
                t0 = time.perf_counter()
                for _ in range(10):
                    rollout(forms[name])
                times[name].append((time.perf_counter() - t0) / 10 * 1e3)
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["folded_bias_buffers"] / med["addmm"]
    print(f"{platform.processor() or platform.machine()}, {args.threads} threads, K={args.samples} T={args.horizon}: "
          f"addmm {med['addmm']:.3f} ms, folded bias + buffers {med['folded_bias_buffers']:.3f} ms per rollout; "
          f"ratio {ratio:.3f}; max difference {diff:.2e}")
    if args.json:
        out = {"threads": args.threads, "samples": args.samples, "horizon": args.horizon, "repeats": args.repeats,
               "median_ms": med, "ratio": ratio, "max_abs_difference": diff, "times_ms": times}
        d = os.path.dirname(os.path.abspath(args.json))
        os.makedirs(d, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=d, delete=False, suffix=".tmp") as fh:
            json.dump(out, fh, indent=1)
        os.replace(fh.name, args.json)


if __name__ == "__main__":
    main()
