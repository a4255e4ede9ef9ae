#!/bin/bash
# held-out crippled legs, seeds 100-109, shipped tick (adapted_steps 3 for grbal); 2 jobs at a time
cd /work/main && source .venv/bin/activate
R=runs/hc_seed1
mkdir -p bench/results/weight_average $R/plain_s1 && cp $R/grbal.pt $R/mb.pt $R/plain_s1/
ev() { d=$1; m=$2
  while [ ! -f $R/$d/$m.pt ]; do sleep 10; done
  python bench/step_ticks.py --robot half_cheetah --family crippled_leg --split test --methods $m --seeds 100 101 102 103 104 105 106 107 108 109 --threads 1 --checkpoints $R/$d --config adaptive_control/assets/half_cheetah.yaml --step-ticks 3 --json bench/results/weight_average/${m}_${d}.json > /tmp/s10/ev_${m}_${d}.log 2>&1
}
export -f ev; export R
printf "%s\n" "wa_s1 grbal" "plain_s1 grbal" "wa_s11 grbal" "plain_s11 grbal" "wa_s12 grbal" "wa_s13 grbal" "wa_s14 grbal" "plain_s12 grbal" "plain_s13 grbal" "plain_s14 grbal" \
  "wa_s1 mb" "plain_s1 mb" "wa_s11 mb" "plain_s11 mb" "wa_s12 mb" "wa_s13 mb" "wa_s14 mb" "plain_s12 mb" "plain_s13 mb" "plain_s14 mb" | xargs -P 2 -L 1 bash -c 'ev $0 $1'
echo done
