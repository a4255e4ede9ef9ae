"""Paired differences between two methods of `evaluate` runs, per cell and pooled over the perturbed cells
(each seed plays the same task under both methods, so the difference per seed removes the task's own
spread). Reads the ``results.jsonl`` of one or more evaluate folders.

    python bench/paired.py grbal grbal_prior results/suite_v2/learned results/suite_v2/prior [--json out.json]

A method may be pinned to one folder as ``method@folder`` (that folder is then read too), which compares
two runs of the same method under different settings:

    python bench/paired.py grbal@results/suite_v2/adapted3_half_cheetah grbal results/suite_v2/learned
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np


def _split(spec: str) -> tuple[str, str | None]:
    method, sep, folder = spec.partition("@")
    return method, (os.path.normpath(folder) if sep else None)


def paired(a: str, b: str, folders) -> dict:
    """{robot: {"cells": {cell: (mean, s.e., n)}, "perturbed": (mean, s.e., n)}} of ``a`` − ``b``.

    ``a`` and ``b`` are method names, or ``method@folder`` to take that method from that folder only
    (the folder is read even when not in ``folders``)."""
    from adaptive_control.experiments.report import read_records

    (ma, fa), (mb, fb) = _split(a), _split(b)
    if (ma, fa) == (mb, fb):
        raise ValueError(f"{a!r} and {b!r} name the same episodes; pin one to a folder with method@folder")
    wanted = list(dict.fromkeys([*(os.path.normpath(f) for f in folders), *(f for f in (fa, fb) if f)]))
    returns: dict = {}
    for folder in wanted:
        for r in read_records(os.path.join(folder, "results.jsonl"), slim_ok=True):
            cell = r["family"] + (f" @ {r['switch_at']}" if r.get("switch_at") is not None else "")
            for key, (m, f), (mo, fo) in (("a", (ma, fa), (mb, fb)), ("b", (mb, fb), (ma, fa))):
                # an unpinned method skips the folder the other side pins the same method to
                if r["method"] == m and (f == folder or (f is None and not (mo == m and fo == folder))):
                    returns.setdefault((r["robot"], cell, key), {})[r["seed"]] = r["return"]
    out: dict = {}
    for robot in sorted({k[0] for k in returns}):
        cells, pooled = {}, []
        for cell in sorted({k[1] for k in returns if k[0] == robot}):
            ra, rb = returns.get((robot, cell, "a"), {}), returns.get((robot, cell, "b"), {})
            seeds = sorted(set(ra) & set(rb))
            if not seeds:
                continue
            d = np.array([ra[s] - rb[s] for s in seeds])
            cells[cell] = _stats(d)
            if cell != "none":
                pooled.extend(d)
        if cells:
            out[robot] = {"cells": cells, "perturbed": _stats(np.array(pooled)) if pooled else None}
    return out


def _stats(d: np.ndarray):
    se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("nan")
    return float(d.mean()), se, len(d)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a", help="method, or method@folder")
    p.add_argument("b", help="method, or method@folder")
    p.add_argument("folders", nargs="*", help="evaluate --out folders")
    p.add_argument("--json")
    args = p.parse_args(argv)
    try:
        out = paired(args.a, args.b, args.folders)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    if not out:
        raise SystemExit(f"no seed has both {args.a} and {args.b} in {', '.join(args.folders)}")
    for robot, res in out.items():
        for cell, (m, se, n) in res["cells"].items():
            print(f"{robot:13s} {cell:22s} {args.a} - {args.b}: {m:+8.0f} ± {se:4.0f} (n={n})")
        if res["perturbed"]:
            m, se, n = res["perturbed"]
            print(f"{robot:13s} {'all perturbed cells':22s} {args.a} - {args.b}: {m:+8.0f} ± {se:4.0f} (n={n})")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"a": args.a, "b": args.b, "folders": args.folders, "robots": out}, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
