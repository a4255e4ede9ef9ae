"""Plots people would rather look at than tables."""
from __future__ import annotations

import os

import numpy as np


# one colour per method in every plot
#: the order of methods in every table and plot
METHOD_ORDER = ("grbal", "grbal_prior", "rebal", "mb_de", "mb", "test_task_mb", "true_dynamics")
METHOD_COLORS = {"grbal": "tab:blue", "grbal_prior": "tab:cyan", "rebal": "tab:orange", "mb_de": "tab:green", "mb": "tab:red",
                 "test_task_mb": "tab:purple", "true_dynamics": "tab:gray"}
#: Colours of methods renamed in a report (``DIR:grbal=grbal_whole_plan``), in order of appearance.
EXTRA_COLORS = ("tab:olive", "tab:brown", "tab:pink", "navy", "gold")


def method_rank(method: str) -> float:
    """Sort key of a method in tables and plots: METHOD_ORDER; a renamed variant (``grbal_whole_plan``)
    right after the known method its name starts with; anything else last."""
    if method in METHOD_ORDER:
        return float(METHOD_ORDER.index(method))
    prefixes = [m for m in METHOD_ORDER if method.startswith(m + "_")]
    return METHOD_ORDER.index(max(prefixes, key=len)) + 0.5 if prefixes else float(len(METHOD_ORDER))


def method_colors(methods) -> dict:
    """A colour per method: METHOD_COLORS, then EXTRA_COLORS for the others."""
    extra = iter(EXTRA_COLORS * (1 + len(methods) // len(EXTRA_COLORS)))
    return {m: METHOD_COLORS[m] if m in METHOD_COLORS else next(extra) for m in methods}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)


def plot_returns(rows: list, path: str) -> None:
    """Grouped bars: mean return ± standard error per method, one panel per robot, one group per perturbation."""
    plt = _pyplot()
    methods = sorted({r["method"] for r in rows}, key=lambda m: (method_rank(m), m))
    robots = sorted({r["robot"] for r in rows})
    cell = {(r["robot"], r["family"], r["switch_at"], r["method"]): r for r in rows}
    groups = max(len({(r["family"], r["switch_at"]) for r in rows if r["robot"] == rb}) for rb in robots)
    fig, axes = plt.subplots(len(robots), 1, figsize=(min(16, max(7, 0.9 * groups * max(1, len(methods)) / 2.5)),
                                                        3.6 * len(robots)), squeeze=False)
    colors = method_colors(methods)
    for ax, robot in zip(axes[:, 0], robots):
        keys = sorted({(r["family"], r["switch_at"]) for r in rows if r["robot"] == robot}, key=lambda k: tuple(map(str, k)))
        present = [m for m in methods if any(r["robot"] == robot and r["method"] == m for r in rows)]
        width = 0.8 / max(1, len(present))  # a panel's bars are the methods run on its robot
        for j, m in enumerate(present):
            xs, ys, es = [], [], []
            for i, k in enumerate(keys):
                r = cell.get((robot, *k, m))
                if r is not None:
                    xs.append(i + (j - (len(present) - 1) / 2) * width)
                    ys.append(r["mean"])
                    es.append(r["stderr"])
            # a single episode has no standard error: no error bar (not a zero one), marked n=1
            ax.bar(xs, ys, width, yerr=[float("nan") if e is None else e for e in es], capsize=2, color=colors[m])
            for x, y, e in zip(xs, ys, es):
                if e is None:
                    ax.annotate("n=1", (x, y), ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(keys)))
        ax.set_xticklabels([k[0] + (f"\n@ step {k[1]}" if k[1] is not None else "") for k in keys], fontsize=8, rotation=25, ha="right")
        ax.set_title(robot, fontsize=10)
        ax.set_ylabel("return (mean ± s.e.)")
        ax.axhline(0.0, color="k", lw=0.5)
        ax.grid(axis="y", alpha=0.3)
    # one legend for the figure, from the colours themselves (a method missing from the first panel, e.g.
    # a reference run on one robot only, must still show its own colour)
    from matplotlib.patches import Patch

    axes[0, 0].legend(handles=[Patch(color=colors[m], label=m) for m in methods], fontsize=8, ncol=len(methods))
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def plot_switch(records: list, path: str, window_s: float = 1.0) -> None:
    """Forward velocity (1 s moving average, mean over seeds) around each mid-episode switch, per method."""
    switched = [r for r in records if r.get("switch_at") is not None]
    if not switched:
        return
    plt = _pyplot()
    groups: dict = {}
    for r in switched:
        groups.setdefault((r["robot"], r["family"], r["switch_at"]), {}).setdefault(r["method"], []).append(r)
    fig, axes = plt.subplots(len(groups), 1, figsize=(9, 3.2 * len(groups)), squeeze=False)
    colors = method_colors(sorted({r["method"] for r in switched}, key=lambda m: (method_rank(m), m)))
    for ax, ((robot, family, at), by_method) in zip(axes[:, 0], sorted(groups.items(), key=lambda kv: str(kv[0]))):
        for method, rs in sorted(by_method.items()):
            dt = rs[0]["dt"]
            n = max(1, int(round(window_s / dt)))
            v = np.mean([np.convolve(r["forward_velocity"], np.ones(n) / n, mode="full")[: len(r["forward_velocity"])]
                         for r in rs], axis=0)
            t = (np.arange(len(v)) - at) * dt
            ax.plot(t, v, label=f"{method} (n={len(rs)})", color=colors[method])
        ax.axvline(0, color="k", lw=0.8, ls="--")
        ax.set_title(f"{robot}: {family} switched on at t = 0", fontsize=9)
        ax.set_xlabel("time since the switch [s]")
        ax.set_ylabel("forward velocity, 1 s avg [m/s]")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def plot_velocities(results: dict, path: str, dt: float, title: str = "") -> None:
    """Forward velocity over time, one line per method (``results``: method -> EpisodeResult)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4))
    for method, res in results.items():
        v = np.asarray(res.forward_velocity)
        t = np.arange(len(v)) * dt
        k = max(1, min(len(v), int(round(0.25 / dt))))  # an episode shorter than the window: its own length
        smooth = np.convolve(v, np.ones(k) / k, mode="same")
        ax.plot(t, smooth, label=f"{method} (return {res.episode_return:.0f})", color=METHOD_COLORS.get(method))
    ax.set_xlabel("time [s]")
    ax.set_ylabel("forward velocity [m/s] (0.25 s moving average)")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
