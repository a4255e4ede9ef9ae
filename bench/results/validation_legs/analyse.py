"""Issue 11, 2026-12-06 (session 36): does the leg mix of `select`'s validation episodes explain why validation misorders
draws? The 10 validation seeds 900-909 cripple the half-cheetah's actuators 2, 2, 2, 3, 3, 2, 2, 1, 2, 0 (six of ten
the back foot), the held-out tasks actuators 4 and 5 (front shin and foot). Over every model of issue 11's
probes that has both per-episode validation returns and a held-out return on the first 10 held-out crippled-leg
tasks (seeds 100-109), the rank correlation of the held-out return with the plain validation mean and with
re-weightings of the same episodes (front thigh only, one weight per actuator, without the back foot, ...).
No new episodes are run.
Usage, from the repository root:
    python bench/results/validation_legs/analyse.py --json bench/results/validation_legs/correlations.json
"""
import argparse
import glob
import json
import os

import numpy as np
B='bench/results'
p_ = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p_.add_argument("--json", default=None, help="write the correlations and every model's figures here")
a_ = p_.parse_args()
def L(p): return json.load(open(os.path.join(B,p)))
def ho(p): return float(np.mean(L(p)['points'][0]['returns'][:10]))
def val(p, end):
    d=L(p)
    for c in d['candidates']:
        if c['path'].endswith(end): return np.array(c['returns']), d['seeds']
    raise KeyError(end)
pairs=[]
for d in (1,2,3,4):
    for c in (1,2,3):
        hp = f"ref_draws/noref_seed{d}_grbal.json" if c==1 else f"candidates/seed{d}_cand{c}_grbal.json"
        pairs.append((f"xeon d{d} c{c}", *val(f"candidates/select_seed{d}.json", f"grbal_{c}.pt"), ho(hp)))
for f in sorted(glob.glob(f"{B}/start_step/*_validation.json")):
    b=os.path.basename(f).replace('_validation.json','')
    pairs.append((f"start {b}", *val(f"start_step/{b}_validation.json", "grbal.pt"), ho(f"start_step/{b}_grbal.json")))
for S in (5,6,7):
    for m in ('grbal','mb'):
        for c in (1,2):
            pairs.append((f"draws {S}:{c} {m}", *val(f"draws/seed{S}_select_{m}.json", f"draw{c}/final/{m}.pt"), ho(f"draws/seed{S}_draw{c}_{m}.json")))
for S,c in ((5,1),(5,2),(6,1),(6,2)):
    d=L(f"deep_start/seed{S}_draw{c}_select.json")
    v,_=val(f"deep_start/seed{S}_draw{c}_select.json", d['chosen'].rsplit('/',1)[1])
    pairs.append((f"deep {S}:{c}", v, d['seeds'], ho(f"deep_start/seed{S}_draw{c}_grbal.json")))
    # deep MB has held-out but no validation
from models.dataset import atomic_write
from sim.tasks import make_distribution
t=make_distribution('half_cheetah','crippled_leg','train')
act={s:t.sample(np.random.default_rng(s)).params()['actuator'] for s in range(900,910)}
def rank(x): return np.argsort(np.argsort(x))
def spear(a,b): return np.corrcoef(rank(a),rank(b))[0,1]
H=np.array([p[3] for p in pairs])
feats={}
out={'n_models': len(H), 'validation_actuators': None, 'features': {}, 'models': []}
for name,fn in {
 'all 10': lambda v,s: v.mean(),
 'actuator 3 (903,904)': lambda v,s: np.mean([x for x,q in zip(v,s) if act[q]==3]),
 'balanced per actuator': lambda v,s: np.mean([np.mean([x for x,q in zip(v,s) if act[q]==a]) for a in sorted(set(act.values()))]),
 'without actuator 2': lambda v,s: np.mean([x for x,q in zip(v,s) if act[q]!=2]),
 'actuator 2 only': lambda v,s: np.mean([x for x,q in zip(v,s) if act[q]==2]),
 'median of 10': lambda v,s: np.median(v),
}.items():
    F=np.array([fn(p[1],p[2]) for p in pairs])
    feats[name]=F
    out["features"][name] = {"spearman": float(spear(F, H)), "pearson": float(np.corrcoef(F, H)[0, 1])}
    print(f"{name:24s} spearman {spear(F,H):+.2f} pearson {np.corrcoef(F,H)[0,1]:+.2f}  (n={len(H)})")
print({s:act[s] for s in act})
for p,f3 in zip(pairs, feats['actuator 3 (903,904)']):
    print(f"{p[0]:28s} val {p[1].mean():7.0f} act3 {f3:7.0f} held-out {p[3]:7.0f}")
out["validation_actuators"] = {str(s): int(a) for s, a in act.items()}
out["models"] = [{"model": p[0], "validation": float(p[1].mean()), "held_out_first10": p[3]} for p in pairs]
if a_.json:
    atomic_write(a_.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
    print("wrote", a_.json)
