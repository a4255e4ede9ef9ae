"""Would int8 matrix products (fbgemm's dynamic quantization) make the plan fit 100 Hz on AVX2-only CPUs?

The plan's network at the shipped point (nx + nu = 23 inputs, 2x256 relu, 17 outputs, K=500 rows) in
float32 ``addmm`` against ``torch.ops.quantized.linear_(relu_)dynamic`` with per-output-channel int8
weights, interleaved, on seeded random weights scaled as trained ones are (1/sqrt(fan_in)). Reports each
one's median time per network call (a plan makes T=10), the int8 output's relative error, and the time to
quantize and pack a weight set (paid every tick for the adapted weights).

    python bench/int8_probe.py --json bench/results/int8_probe.json
"""
from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np
import torch

from adaptive_control.experiments.bench import machine_info
from models.dataset import atomic_write


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--calls", type=int, default=300, help="timed calls per block")
    ap.add_argument("--blocks", type=int, default=4, help="interleaved blocks per variant")
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    torch.set_num_threads(2)
    gen = torch.Generator().manual_seed(0)
    sizes = [23, 256, 256, 17]
    ws = [torch.randn(o, i, generator=gen) / i ** 0.5 for i, o in zip(sizes[:-1], sizes[1:])]
    bs = [0.1 * torch.randn(o, generator=gen) for o in sizes[1:]]
    x = torch.randn(args.samples, sizes[0], generator=gen)
    torch.backends.quantized.engine = "fbgemm"

    def float32(h):
        for i, (w, b) in enumerate(zip(ws, bs)):
            h = torch.addmm(b, h, w.t())
            if i < len(ws) - 1:
                h = torch.relu_(h)
        return h

    def pack():
        with warnings.catch_warnings():  # quantized tensors are deprecated in torch 2.13
            warnings.simplefilter("ignore")
            return [torch.ops.quantized.linear_prepack(
                torch.quantize_per_channel(w, (w.abs().amax(1) / 127).clamp_min(1e-8),
                                           torch.zeros(w.shape[0], dtype=torch.long), 0, torch.qint8), b)
                    for w, b in zip(ws, bs)]

    packs = pack()

    def int8(h):
        for i, p in enumerate(packs):
            last = i == len(packs) - 1
            h = (torch.ops.quantized.linear_dynamic if last else torch.ops.quantized.linear_relu_dynamic)(h, p, True)
        return h

    ref = float32(x)
    rel_err = float((int8(x) - ref).norm() / ref.norm())
    times = {"float32": [], "int8": []}
    for _ in range(args.blocks):
        for name, fn in (("float32", float32), ("int8", int8)):
            for _ in range(20):
                fn(x)
            for _ in range(args.calls):
                t = time.perf_counter()
                fn(x)
                times[name].append(time.perf_counter() - t)
    pack_ms = []
    for _ in range(20):
        t = time.perf_counter()
        pack()
        pack_ms.append(1e3 * (time.perf_counter() - t))
    out = {"benchmark": "int8_probe", "samples": args.samples, "sizes": sizes, "machine": machine_info(),
           "median_call_us": {k: 1e6 * float(np.median(v)) for k, v in times.items()},
           "int8_relative_error": rel_err, "pack_median_ms": float(np.median(pack_ms)),
           "date": time.strftime("%Y-%m-%d")}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=2).encode()))
    print(json.dumps(out["median_call_us"]), f"relative error {rel_err:.4f}, pack {out['pack_median_ms']:.2f} ms")


if __name__ == "__main__":
    main()
