"""Bar plot of the four recipe draws, final models at 4,000 and 12,000 steps, beside the true-dynamics
reference (20 held-out crippled-leg tasks). python bench/results/recipe_long/plot.py"""
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = 3194  # true dynamics, same planner, seeds 100-119 (results/quality/half_cheetah_20)
fig, ax = plt.subplots(figsize=(8, 3.6))
for i, (folder, label) in enumerate((("final", "4,000 steps"), ("long12000", "12,000 steps (FINAL_STEPS)"))):
    for j, method in enumerate(("grbal", "mb")):
        means, errs = [], []
        for s in (1, 2, 3, 4):
            pts = json.load(open(os.path.join(HERE, f"seed{s}_{folder}.json")))["points"]
            r = np.array(next(p for p in pts if p["method"] == method)["returns"])
            means.append(r.mean())
            errs.append(r.std(ddof=1) / np.sqrt(len(r)))
        x = np.arange(4) + (2 * j + i) * 0.2 - 0.3
        ax.bar(x, means, 0.2, yerr=errs, capsize=2, label=f"{method}, {label}",
               color=[["#9ecae1", "#1f77b4"], ["#fcae91", "#d62728"]][j][i])
ax.axhline(REFERENCE, color="gray", ls="--", label="true-dynamics reference")
ax.set_xticks(range(4), [f"draw {s}" for s in (1, 2, 3, 4)])
ax.set_ylabel("return (mean ± s.e., 20 tasks)")
ax.set_title("half-cheetah, held-out crippled leg: recipe draws")
ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.1))
fig.tight_layout()
fig.savefig(os.path.join(HERE, "returns.png"), dpi=100)
