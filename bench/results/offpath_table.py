"""Table: decision quality on the crippled leg (``bench/offpath_prediction.py --calls 3``) against each
checkpoint's held-out crippled-leg return. Run from the repository root:
``python bench/results/offpath_table.py``."""
import json
import os

import numpy as np

R = "bench/results"
# (name, test-split probe, train-split probe, grbal returns on seeds 100-109 of the held-out legs: JSON, key)
ROWS = [
    ("shipped", "offpath_prediction_crippled_leg_calls3.json", "offpath_prediction_crippled_leg_train_calls3_shipped.json"),
    *[(f"{arm} draw {s}", f"offpath_prediction_crippled_leg_calls3_{d}_seed{s}.json",
       f"offpath_prediction_crippled_leg_train_calls3_{d}_seed{s}.json")
      for arm, d, n in (("suite", "suite_range", 2), ("wide", "wide_damping", 3)) for s in range(1, n + 1)],
]


def _return(name: str) -> float:
    if name == "shipped":  # the shipped tick on seeds 100-109, same session (online_step_probes first:3)
        d = json.load(open(f"{R}/online_step_probes_cl_biases_100-109.json"))
        return float(np.mean(d["returns"]["first:3"]))
    arm, _, s = name.split()
    d = json.load(open(f"{R}/wide_damping/{arm}/crippled_leg_{s}.json"))
    grbal = next(p for p in d["points"] if p["method"] == "grbal")
    return float(np.mean(grbal["returns"][:10]))


def _spearman(a, b) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def main() -> None:
    print("| checkpoint | grbal return, held-out legs (seeds 100-109) | held-out legs: cost ranks prior / adapted, "
          "error adapted | training legs: cost ranks prior / adapted, error adapted |")
    print("|---|---|---|---|")
    cols = {"ret": [], "test_rank": [], "test_err": [], "train_rank": [], "train_err": []}
    for name, test, train in ROWS:
        ret = _return(name)
        cells = []
        for key, f in (("test", test), ("train", train)):
            path = f"{R}/{f}"
            if not os.path.exists(path):
                cells.append("—")
                continue
            p = json.load(open(path))["pooled"]
            cols[f"{key}_rank"].append(p["rank_adapted"])
            cols[f"{key}_err"].append(p["error_off_adapted"])
            cells.append(f"{p['rank_prior']:.3f} / {p['rank_adapted']:.3f}, {p['error_off_adapted']:.2f}")
        cols["ret"].append(ret)
        print(f"| {name} | {ret:,.0f} | {cells[0]} | {cells[1]} |")
    n = len(cols["ret"])
    for key in ("test_rank", "test_err", "train_rank", "train_err"):
        if len(cols[key]) == n:
            print(f"Spearman(return, {key}) over {n} checkpoints: {_spearman(cols['ret'], cols[key]):+.2f}")


if __name__ == "__main__":
    main()
