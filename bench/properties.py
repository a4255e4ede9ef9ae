"""The property-based tests (tests/test_properties.py) in their long profile: 10,000 cases per property.

    python bench/properties.py --json bench/results/properties_long.json

Runs pytest on them with ``AC_HYPOTHESIS_PROFILE=long`` (derandomized: the same cases every run) and
writes, per property, the number of cases run, with pass/fail and the wall time.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profile", default="long")
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)
    from models.dataset import atomic_write

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        counts = os.path.join(tmp, "cases.json")
        env = {**os.environ, "AC_HYPOTHESIS_PROFILE": args.profile, "AC_PROPERTY_JSON": counts, "MUJOCO_GL": "disable"}
        t0 = time.time()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_properties.py"],
                              cwd=root, env=env, capture_output=True, text=True)
        wall = time.time() - t0
        cases = json.load(open(counts)) if os.path.exists(counts) else {}
    out = {"command": "python bench/properties.py " + " ".join(sys.argv[1:] if argv is None else argv),
           "profile": args.profile, "passed": proc.returncode == 0, "wall_s": wall, "cases": cases,
           "pytest_tail": proc.stdout.strip().splitlines()[-3:]}
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    print(f"{'passed' if out['passed'] else 'FAILED'} in {wall:.0f} s: {cases}")
    if not out["passed"]:
        print(proc.stdout[-3000:])
    return 0 if out["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
