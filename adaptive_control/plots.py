"""Plots people would rather look at than tables."""
from __future__ import annotations

import os

import numpy as np


def plot_velocities(results: dict, path: str, dt: float, title: str = "") -> None:
    """Forward velocity over time, one line per method (``results``: method -> EpisodeResult)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4))
    for method, res in results.items():
        v = np.asarray(res.forward_velocity)
        t = np.arange(len(v)) * dt
        k = max(1, int(round(0.25 / dt)))
        smooth = np.convolve(v, np.ones(k) / k, mode="same")
        ax.plot(t, smooth, label=f"{method} (return {res.episode_return:.0f})")
    ax.set_xlabel("time [s]")
    ax.set_ylabel("forward velocity [m/s] (0.25 s moving average)")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)
    plt.close(fig)
