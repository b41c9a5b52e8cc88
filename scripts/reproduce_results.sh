#!/usr/bin/env bash
# Reproduce docs/results.md: train the diffusion auctioneer and PPO for 100k steps on IoA-DDA-v0 with
# seeds 0-2, then compare them with the baselines, audit incentive compatibility and draw the figures.
# About 1.5 hours of a 2-core CPU for the training (the six runs in parallel), minutes for the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs/results}
OUT=${OUT:-results/paper-$(date +%Y%m%d-%H%M%S)}
PY=.venv/bin/python
for seed in 0 1 2; do
  $PY train.py --algo diffusion --env IoA-DDA-v0 -n 100000 --seed $seed -f "$RUNS" --eval-freq 5000 \
      --eval-episodes 30 --num-threads 1 --device cpu &
done
(for seed in 0 1 2; do
  $PY train.py --algo ppo --env IoA-DDA-v0 -n 100000 --seed $seed -f "$RUNS" --eval-freq 5000 \
      --eval-episodes 30 --num-threads 1 --device cpu
done) &
wait
$PY evaluate.py --env IoA-DDA-v0 --episodes 100 --seeds 0 1 2 --output "$OUT/eval" --no-progress \
    --agents diffusion="$RUNS/diffusion/IoA-DDA-v0_*" ppo="$RUNS/ppo/IoA-DDA-v0_*" \
             greedy random fixed-step:step=1.42 fixed-1.0=fixed-step:step=1.0 adaptive
$PY evaluate.py ic-audit --markets 50 --deviations 12 --output "$OUT/ic" --no-progress \
    --agents fixed-step:step=1.42 adaptive diffusion="$RUNS/diffusion/IoA-DDA-v0_*" ppo="$RUNS/ppo/IoA-DDA-v0_*"
$PY figures.py --out "$OUT/figures" --runs "$RUNS" --budget full
