"""The planning network's three products at K rows through each CPU backend at hand: ``torch.mm`` (MKL in the
CPU wheel), oneDNN's fused linear (``torch.ops.mkldnn._linear_pointwise``, float32) and numpy's ``matmul``
(OpenBLAS in the numpy wheel, pinned to one thread: its own thread pool beside torch's OpenMP team slows both
several times over). The backends alternate call by call, so their ratios come from the same minutes.

    python bench/matmul_backends.py --samples 500 --repeats 3 --json bench/results/k_float32/matmul_backends.json

Run it with ``OPENBLAS_NUM_THREADS=1`` (the script sets it itself before numpy loads when unset).
"""
from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from adaptive_control.experiments.bench import machine_info  # noqa: E402
from models.dataset import atomic_write  # noqa: E402

# (inputs, outputs) of the shipped half-cheetah network's folded layers: state 17 + action 6 + the ones column
LAYERS = {"first (24x256)": (24, 256), "hidden (257x256)": (257, 256), "output (257x17)": (257, 17)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    g = torch.Generator().manual_seed(0)
    rows = []
    for rep in range(args.repeats):
        for name, (n_in, n_out) in LAYERS.items():
            x = torch.randn(args.samples, n_in, generator=g)
            w = torch.randn(n_in, n_out, generator=g)
            wt, bias, out = w.t().contiguous(), torch.zeros(n_out), torch.empty(args.samples, n_out)
            xn, wn, on = x.numpy(), w.numpy(), np.empty((args.samples, n_out), np.float32)
            fns = {"torch_mm_mkl": lambda: torch.mm(x, w, out=out),
                   "onednn_linear": lambda: torch.ops.mkldnn._linear_pointwise(x, wt, bias, "none", [], ""),
                   "numpy_openblas_1thread": lambda: np.matmul(xn, wn, out=on)}
            times: dict = {k: [] for k in fns}
            for _ in range(20):
                for f in fns.values():
                    f()
            for _ in range(args.calls):
                for k, f in fns.items():
                    t = time.perf_counter()
                    f()
                    times[k].append(time.perf_counter() - t)
            flops = 2 * args.samples * n_in * n_out
            med = {k: 1e6 * float(np.median(v)) for k, v in times.items()}
            rows.append({"repeat": rep, "layer": name, "us": med,
                         "gflops": {k: flops / (v * 1e3) for k, v in med.items()}})
            print(f"repeat {rep} {name}: " + ", ".join(f"{k} {v:.0f} us ({flops / (v * 1e3):.0f} GFLOP/s)"
                                                      for k, v in med.items()))
    out = {"benchmark": "matmul_backends", "samples": args.samples, "calls": args.calls, "machine": machine_info(),
           "openblas_threads": os.environ["OPENBLAS_NUM_THREADS"], "rows": rows, "date": time.strftime("%Y-%m-%d")}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=2).encode()))


if __name__ == "__main__":
    main()
