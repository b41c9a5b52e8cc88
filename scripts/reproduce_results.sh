#!/usr/bin/env bash
# Reproduce docs/results.md: train the diffusion auctioneer and PPO for 100k steps on IoA-DDA-v0 with
# seeds 0-2, then compare them with the baselines, audit incentive compatibility and draw the figures.
# About 1-1.5 hours of a 2-core CPU for the training (the six runs in parallel), minutes for the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs/results}
OUT=${OUT:-results/paper-$(date +%Y%m%d-%H%M%S)}
PY=.venv/bin/python
if [ -e "$RUNS" ]; then
  echo "reproduce_results.sh: $RUNS exists; set RUNS to a new folder" >&2
  exit 2
fi
for seed in 0 1 2; do
  $PY train.py --algo diffusion --env IoA-DDA-v0 -n 100000 --seed $seed -f "$RUNS" --eval-freq 5000 \
      --eval-episodes 30 --num-threads 1 --device cpu &
  # run folders are numbered in creation order: wait for this seed's, so that _1 is seed 0, _2 seed 1...
  pid=$!
  until [ -d "$RUNS/diffusion/IoA-DDA-v0_$((seed + 1))" ]; do
    kill -0 "$pid" 2>/dev/null || { echo "reproduce_results.sh: diffusion seed $seed failed" >&2; exit 1; }
    sleep 1
  done
done
(for seed in 0 1 2; do
  $PY train.py --algo ppo --env IoA-DDA-v0 -n 100000 --seed $seed -f "$RUNS" --eval-freq 5000 \
      --eval-episodes 30 --num-threads 1 --device cpu
done) &
wait
D="$RUNS/diffusion"
$PY evaluate.py --env IoA-DDA-v0 --episodes 100 --seeds 0 1 2 --output "$OUT/eval" --no-progress \
    --agents diffusion="$D/IoA-DDA-v0_*" ppo="$RUNS/ppo/IoA-DDA-v0_*" \
             diffusion-seed0="$D/IoA-DDA-v0_1" diffusion-seed1="$D/IoA-DDA-v0_2" diffusion-seed2="$D/IoA-DDA-v0_3" \
             greedy random fixed-1.42=fixed-step:step=1.42 fixed-1.0=fixed-step:step=1.0 adaptive \
    --compare diffusion fixed-1.42 --compare diffusion random --compare diffusion ppo \
    --compare diffusion adaptive --compare diffusion fixed-1.0 --compare diffusion-seed0 fixed-1.42 \
    --compare diffusion-seed1 fixed-1.42 --compare diffusion-seed2 fixed-1.42 --compare ppo fixed-1.42 \
    --compare adaptive fixed-1.42 --compare adaptive ppo
$PY evaluate.py ic-audit --markets 50 --deviations 12 --output "$OUT/ic" --no-progress \
    --agents fixed-1.42=fixed-step:step=1.42 adaptive diffusion-seed0="$D/IoA-DDA-v0_1" \
             diffusion-seed1="$D/IoA-DDA-v0_2" diffusion-seed2="$D/IoA-DDA-v0_3" ppo-seed0="$RUNS/ppo/IoA-DDA-v0_1"
$PY figures.py --out "$OUT/figures" --runs "$RUNS" --budget full
