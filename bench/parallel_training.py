"""One process vs N: wall clock of a fixed meta-training run (torchrun, DistributedDataParallel over
gloo) and of a fixed collection (``collect --workers``), interleaved and repeated (the machine is
noisy: compare the ratios of one run).

    python bench/parallel_training.py --json bench/results/parallel_training.json

Meta-training: ``adaptive-control meta-train`` of the shipped half-cheetah experiment (grbal, second
order, learned step sizes, global batch 32) for ``--train-steps`` steps on a random-action dataset;
one process with N torch threads vs ``torchrun --nproc-per-node N`` with one thread each. Collection:
``adaptive-control collect --policy mpc`` with the shipped grbal controller (one torch thread per
controller), one process vs ``--workers N``; the datasets are checked to be identical.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np


def _run(cmd, env) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return time.perf_counter() - t


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--procs", type=int, default=2, help="N: processes (and threads of the 1-process run)")
    p.add_argument("--train-steps", type=int, default=600)
    p.add_argument("--collect-paths", type=int, default=4)
    p.add_argument("--path-length", type=int, default=150)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)

    from adaptive_control.experiments.bench import machine_info
    from models.dataset import TransitionDataset, atomic_write

    bindir = os.path.dirname(sys.executable)
    cli, torchrun = os.path.join(bindir, "adaptive-control"), os.path.join(bindir, "torchrun")
    env = {**os.environ, "MUJOCO_GL": "disable", "GLOO_SOCKET_IFNAME": "lo", "OMP_NUM_THREADS": "1"}
    n = args.procs
    tmp = tempfile.mkdtemp(prefix="parallel-bench-")
    try:
        data = os.path.join(tmp, "data.npz")
        _run([cli, "collect", "--robot", "half_cheetah", "--policy", "random", "--paths", "100", "--seed", "0",
              "--out", data], env)
        train = ["meta-train", "--robot", "half_cheetah", "--method", "grbal", "--steps", str(args.train_steps),
                 "--data", data]
        collect = ["collect", "--robot", "half_cheetah", "--policy", "mpc", "--method", "grbal", "--paths",
                   str(args.collect_paths), "--path-length", str(args.path_length), "--threads", "1", "--seed", "5"]
        cases = {
            "train_1proc": [cli, *train, "--threads", str(n), "--out", os.path.join(tmp, "a.pt")],
            f"train_{n}proc": [torchrun, "--standalone", f"--nproc-per-node={n}", "--no-python", cli, *train,
                               "--threads", "1", "--out", os.path.join(tmp, "b.pt")],
            "collect_1worker": [cli, *collect, "--out", os.path.join(tmp, "c1.npz")],
            f"collect_{n}workers": [cli, *collect, "--workers", str(n), "--out", os.path.join(tmp, "cn.npz")],
        }
        times = {k: [] for k in cases}
        for r in range(args.repeats):  # interleaved: each repeat runs every case once
            for k, cmd in cases.items():
                times[k].append(_run(cmd, env))
                print(f"repeat {r + 1}/{args.repeats} {k}: {times[k][-1]:.1f} s", flush=True)
        a, b = (TransitionDataset.load(os.path.join(tmp, f)) for f in ("c1.npz", "cn.npz"))
        same = all(np.array_equal(getattr(a, f), getattr(b, f)) for f in ("obs", "act", "next_obs", "path_id"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: float(np.median(v)) for k, v in times.items()}
    out = {"command": "python bench/parallel_training.py " + " ".join(argv or sys.argv[1:]), "machine": machine_info(),
           "procs": n, "train_steps": args.train_steps, "collect_paths": args.collect_paths,
           "path_length": args.path_length, "repeats": args.repeats, "seconds": times, "median_s": med,
           "train_speedup": med["train_1proc"] / med[f"train_{n}proc"],
           "collect_speedup": med["collect_1worker"] / med[f"collect_{n}workers"],
           "collect_datasets_identical": bool(same)}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    print(f"meta-train {med['train_1proc']:.1f} s (1 process, {n} threads) vs {med[f'train_{n}proc']:.1f} s "
          f"({n} processes): x{out['train_speedup']:.2f}; collect {med['collect_1worker']:.1f} s vs "
          f"{med[f'collect_{n}workers']:.1f} s ({n} workers): x{out['collect_speedup']:.2f}; datasets identical: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
