#!/bin/bash
# trainings on the SEED=1 draw's data: GrBAL (from the draw's MB) and MB, seeds 1 11 12 13 14, with the
# weight average (wa_s*) and without (plain_s*; seed 1 plain is the draw's own)
cd /work/main && source .venv/bin/activate
R=runs/hc_seed1
DATA="$R/data_0.npz $R/data_1_grbal.npz $R/data_1_mb.npz $R/data_2_grbal.npz $R/data_2_mb.npz $R/data_3_grbal.npz $R/data_3_mb.npz"
job() { kind=$1; s=$2; cfg=$3; mkdir -p $R/${kind}_s$s
  adaptive-control meta-train --robot half_cheetah --config $cfg --steps 4000 --threads 1 --seed $s --method grbal --init $R/mb.pt --data $DATA --out $R/${kind}_s$s/grbal.pt > /tmp/s10/${kind}_grbal_$s.log 2>&1
  adaptive-control meta-train --robot half_cheetah --config $cfg --steps 4000 --threads 1 --seed $s --method mb --data $DATA --out $R/${kind}_s$s/mb.pt > /tmp/s10/${kind}_mb_$s.log 2>&1
}
WA=results/quality/weight_average/half_cheetah_recipe_wa.yaml
PL=results/quality/half_cheetah_recipe.yaml
job wa 1 $WA & job wa 11 $WA & wait
job wa 12 $WA & job wa 13 $WA & wait
job wa 14 $WA & job plain 11 $PL & wait
job plain 12 $PL & job plain 13 $PL & wait
job plain 14 $PL
echo done
