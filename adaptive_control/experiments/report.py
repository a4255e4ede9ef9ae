"""Reports of evaluation records: read, merge, summarise, tabulate and plot.

A record is one finished episode as :mod:`adaptive_control.experiments.evaluate` appends it to
``results.jsonl``. From a list of records this module writes ``results.json``, ``results.md``
(mean ± standard error per cell, the fraction of the true-dynamics reference, stalled episodes,
recovery after switches) and the plots; ``adaptive-control report`` merges several folders first.

Recovery after a mid-episode switch: the time from the switch until the 1-second trailing
moving average of forward velocity, having left the band of ±20% around its level at the same
step of the unperturbed episode (same method and seed), is back inside it; 0 if it never left,
``None`` ("not recovered") if it never returns before the episode ends.
"""
from __future__ import annotations

import json
import os

import numpy as np

from adaptive_control.config import ConfigError
from adaptive_control.experiments.plots import method_rank


def cell_id(c: dict) -> str:
    """The stable id of one episode of an evaluation matrix: robot/family[@switch]/method/seed."""
    sw = f"@{c['switch_at']}" if c["switch_at"] is not None else ""
    return f"{c['robot']}/{c['family']}{sw}/{c['method']}/{c['seed']}"


def read_records(path: str, slim_ok: bool = False) -> list[dict]:
    """Records of finished episodes in an ``evaluate`` log (a torn last line from an interrupted run is
    ignored). ``slim_ok``: where the log is absent (a fresh clone: logs are not committed), the records
    of the folder's ``results.json``, which hold returns and latencies but no velocity traces."""
    if not os.path.exists(path):
        slim = os.path.join(os.path.dirname(path), "results.json")
        if slim_ok and os.path.exists(slim):
            with open(slim, encoding="utf-8") as fh:
                return json.load(fh)
        return []
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return out


def parse_source(text: str) -> tuple[str, tuple[str, ...] | None]:
    """``DIR`` or ``DIR:method,method`` -> (folder, methods to take from it, ``None`` for all).

    A method may be renamed as it is taken, ``DIR:grbal=grbal_whole_plan``: the same method run under
    other settings then gets its own column beside the one of another folder."""
    folder, sep, methods = text.partition(":")
    if not folder:
        raise ConfigError(f"report source {text!r}: no folder before ':'")
    if not sep:
        return folder, None
    names = tuple(m.strip() for m in methods.split(",") if m.strip())
    if not names:
        raise ConfigError(f"report source {text!r}: no method after ':'")
    for n in names:
        old, eq, new = (x.strip() for x in n.partition("="))
        if eq and not (old and new):
            raise ConfigError(f"report source {text!r}: {n!r} must read method=new_name")
    return folder, names


def merge_results(sources: list[tuple[str, tuple[str, ...] | None]]) -> tuple[list[dict], list[dict]]:
    """Finished episodes of several ``evaluate`` folders, as one matrix: (records, provenance).

    Use it to pool seed draws run apart (e.g. seeds 100-109 and 110-119) or to put a reference run
    elsewhere beside a method. A source names its folder and, optionally, the methods taken from it.
    The same cell (robot, family, switch, method, seed) from two sources is an error naming both,
    as is a folder without results or a method a folder does not hold: nothing is silently mixed.
    """
    seen: dict[str, str] = {}
    records, provenance = [], []
    for folder, methods in sources:
        log = os.path.join(folder, "results.jsonl")
        recs = read_records(log)
        if not recs:
            if not os.path.exists(log) and os.path.exists(os.path.join(folder, "results.json")):
                raise ConfigError(f"{log}: absent; {folder!r} holds only its summary (results.json), not the episode "
                                  f"log that report merges (logs are not committed, so a fresh clone has none): "
                                  f"recreate it with `adaptive-control evaluate --config <its eval YAML> --out "
                                  f"{folder}`, or compare returns with `python bench/paired.py`, which reads summaries")
            raise ConfigError(f"{log}: no finished episodes (is {folder!r} an evaluate --out folder?)")
        if methods is not None:
            rename = {old.strip(): (new.strip() or old.strip()) for old, _, new in (m.partition("=") for m in methods)}
            missing = sorted(set(rename) - {r["method"] for r in recs})
            if missing:
                raise ConfigError(f"{log}: no episodes of method(s) {', '.join(missing)} "
                                  f"(it holds {', '.join(sorted({r['method'] for r in recs}))})")
            recs = [_renamed(r, rename[r["method"]]) for r in recs if r["method"] in rename]
        for r in recs:
            if r["id"] in seen:
                raise ConfigError(f"episode {r['id']} is in both {seen[r['id']]} and {folder}; "
                                  f"choose the methods taken from each (DIR:method,...)")
            seen[r["id"]] = folder
        records += recs
        provenance.append({"folder": folder, "methods": sorted({r["method"] for r in recs}),
                           "seeds": sorted({r["seed"] for r in recs}), "episodes": len(recs)})
    records.sort(key=lambda r: (r["robot"], r["family"], str(r["switch_at"]), r["method"], r["seed"]))
    return records, provenance


def _renamed(record: dict, method: str) -> dict:
    if record["method"] == method:
        return record
    r = {**record, "method": method}
    return {**r, "id": cell_id(r)}


def report(sources: list[tuple[str, tuple[str, ...] | None]], out_dir: str) -> list[dict]:
    """Merge ``evaluate`` folders (:func:`merge_results`) and write the reports into ``out_dir``.

    Besides the usual results.json/.md and plots, ``sources.json`` records where each episode came
    from, and results.md ends with the same list.
    """
    from models.dataset import atomic_write

    records, provenance = merge_results(sources)
    os.makedirs(out_dir, exist_ok=True)
    atomic_write(os.path.join(out_dir, "sources.json"),
                 lambda fh: fh.write(json.dumps(provenance, indent=1).encode()))
    footer = "\nMerged from:\n\n" + "".join(
        f"- `{p['folder']}`: {', '.join(p['methods'])}, seeds {_ranges(p['seeds'])} ({p['episodes']} episodes)\n"
        for p in provenance)
    write_reports(records, out_dir, footer)
    return records


def _ranges(values: list[int]) -> str:
    """[100, 101, 102, 105] -> '100-102, 105'."""
    out, start = [], None
    for i, v in enumerate(values):
        if start is None:
            start = v
        if i + 1 == len(values) or values[i + 1] != v + 1:
            out.append(str(start) if start == v else f"{start}-{v}")
            start = None
    return ", ".join(out)


# ---------------------------------------------------------------------------------------------
# Metrics and reports


def moving_average(v: np.ndarray, n: int) -> np.ndarray:
    """Trailing mean over the last ``n`` samples (fewer at the start)."""
    c = np.cumsum(np.insert(np.asarray(v, float), 0, 0.0))
    i = np.arange(1, len(v) + 1)
    lo = np.maximum(i - n, 0)
    return (c[i] - c[lo]) / (i - lo)


def recovery_time(v_switch, v_reference, switch_step: int, dt: float, window_s: float = 1.0,
                  tolerance: float = 0.2) -> float | None:
    """Seconds from the switch until the velocity's 1 s moving average is back within ±20% of the reference's.

    0.0 if it never leaves the band after the switch; ``None`` if it leaves and never returns.
    """
    n = max(1, int(round(window_s / dt)))
    a, b = moving_average(v_switch, n), moving_average(v_reference, n)
    inside = np.abs(a - b) <= tolerance * np.abs(b)
    after = inside[switch_step:]
    left = np.flatnonzero(~after)
    if not len(left):
        return 0.0
    back = np.flatnonzero(after[left[0]:])
    return None if not len(back) else float((left[0] + back[0]) * dt)


#: An episode "stalled" when its forward velocity over the last STALL_WINDOW_S seconds (at most the
#: second half of the episode) averages below STALL_SPEED m/s: the robot fell, reared up or stopped.
#: A mean return can hide such episodes; the tables count them.
STALL_SPEED = 0.3
STALL_WINDOW_S = 3.0


def stalled(forward_velocity, dt: float) -> bool:
    """Whether an episode ended stalled (see :data:`STALL_SPEED`)."""
    v = np.asarray(forward_velocity, float)
    if not len(v):
        return False
    n = max(1, min(int(round(STALL_WINDOW_S / dt)), len(v) // 2))
    return bool(v[-n:].mean() < STALL_SPEED)


def summarize(records: list[dict]) -> list[dict]:
    """Mean ± standard error of the return (and recovery) per (robot, family, switch, method)."""
    groups: dict = {}
    for r in records:
        groups.setdefault((r["robot"], r["family"], r["switch_at"], r["method"]), []).append(r)
    refs = {(r["robot"], r["method"], r["seed"]): r for r in records if r["family"] == "none" and r["switch_at"] is None}
    rows = []
    for (robot, family, switch_at, method), rs in sorted(groups.items(), key=lambda kv: tuple(map(str, kv[0]))):
        ret = np.array([r["return"] for r in rs])
        row = {"robot": robot, "family": family, "switch_at": switch_at, "method": method, "n": len(rs),
               "mean": float(ret.mean()), "stderr": float(ret.std(ddof=1) / np.sqrt(len(rs))) if len(rs) > 1 else None,
               "tick_median_ms": float(np.median([r["latency"]["total_median_ms"] for r in rs])),
               "stalled": sorted(r["seed"] for r in rs if "dt" in r and stalled(r.get("forward_velocity", ()), r["dt"]))}
        if switch_at is not None:
            times = []
            for r in rs:
                ref = refs.get((robot, method, r["seed"]))
                if ref is not None:
                    times.append(recovery_time(r["forward_velocity"], ref["forward_velocity"], switch_at, r["dt"]))
            row["recovery_s"] = times
        rows.append(row)
    ref_mean = {(r["robot"], r["family"], r["switch_at"]): r["mean"] for r in rows if r["method"] == "true_dynamics"}
    for row in rows:
        ref = ref_mean.get((row["robot"], row["family"], row["switch_at"]))
        row["fraction_of_true_dynamics"] = row["mean"] / ref if ref else None
    return rows


def write_reports(records: list[dict], out_dir: str, footer: str = "") -> None:
    from models.dataset import atomic_write

    slim = [{k: v for k, v in r.items() if k != "forward_velocity"} for r in records]
    atomic_write(os.path.join(out_dir, "results.json"), lambda fh: fh.write(json.dumps(slim, indent=1).encode()))
    rows = summarize(records)
    atomic_write(os.path.join(out_dir, "results.md"), lambda fh: fh.write((markdown_table(rows) + footer).encode()))
    if records:
        from adaptive_control.experiments.plots import plot_returns, plot_switch

        plot_returns(rows, os.path.join(out_dir, "returns.png"))
        plot_switch(records, os.path.join(out_dir, "switch_velocity.png"))


def markdown_table(rows: list[dict]) -> str:
    methods = sorted({r["method"] for r in rows}, key=lambda m: (method_rank(m), m))
    cellmap = {(r["robot"], r["family"], r["switch_at"], r["method"]): r for r in rows}
    keys = sorted({(r["robot"], r["family"], r["switch_at"]) for r in rows}, key=lambda k: tuple(map(str, k)))
    lines = ["# Episode return, mean ± standard error over seeds (test ranges)", "",
             "In brackets: the fraction of the true-dynamics reference's mean return (the same planner with the "
             "perturbed simulator as its model) where it was run; \"k/n stalled\": k of the n episodes ended "
             f"below {STALL_SPEED} m/s (mean of the last {STALL_WINDOW_S:.0f} s: fallen, reared up or stopped).", "",
             "| robot | perturbation | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
    for robot, family, switch_at in keys:
        label = family + (f" (switched on at step {switch_at})" if switch_at is not None else "")
        vals = []
        for m in methods:
            r = cellmap.get((robot, family, switch_at, m))
            if r is None:
                vals.append("")
            elif r["stderr"] is None:
                vals.append(f"{r['mean']:.0f} (n=1)")
            else:
                vals.append(f"{r['mean']:.0f} ± {r['stderr']:.0f}")
            frac = r.get("fraction_of_true_dynamics") if r is not None else None
            if frac is not None and m != "true_dynamics":
                vals[-1] += f" ({frac:.2f})"
            if r is not None and r.get("stalled"):
                vals[-1] += f", {len(r['stalled'])}/{r['n']} stalled"
        lines.append(f"| {robot} | {label} | " + " | ".join(vals) + " |")
    rec = [r for r in rows if r.get("recovery_s")]
    if rec:
        lines += ["", "# Recovery after a mid-episode switch", "",
                  "Seconds until the 1 s moving average of forward velocity is back within 20% of the unperturbed "
                  "episode's (same method and seed); 0: never left the band; -: not recovered.", "",
                  "| robot | perturbation | method | median recovery [s] | per seed |", "|---|---|---|---|---|"]
        for r in rec:
            t = r["recovery_s"]
            finite = [x for x in t if x is not None]
            med = f"{np.median(finite):.2f}" if len(finite) == len(t) else ("-" if not finite else
                                                                           f"≥{np.median(finite):.2f}")
            per = ", ".join("-" if x is None else f"{x:.2f}" for x in t)
            lines.append(f"| {r['robot']} | {r['family']} @ {r['switch_at']} | {r['method']} | {med} | {per} |")
    return "\n".join(lines) + "\n"
