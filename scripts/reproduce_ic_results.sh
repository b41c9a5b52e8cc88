#!/usr/bin/env bash
# Reproduce the incentive-compatible part of docs/results.md: train the diffusion auctioneer and PPO for 100k
# steps with seeds 0-2 on IoA-DDA-DoubleClock-v0 and IoA-DDA-StrategyProof-v0 (the budget of the classic
# table), compare every agent on the same 300 auctions, and audit IC on 2000 markets (2 random and 4
# near-price misreports per participant).
# About 40 minutes of a 2-core CPU per mechanism for the training (three diffusion runs in parallel, the PPO
# runs one after the other beside them), then some minutes of evaluation and about half an hour of audits per mechanism.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs/ic}
OUT=${OUT:-results/ic-$(date +%Y%m%d-%H%M%S)}
PY=.venv/bin/python
if [ -e "$RUNS" ]; then
  echo "reproduce_ic_results.sh: $RUNS exists; set RUNS to a new folder" >&2
  exit 2
fi

train() {  # train ENV: diffusion seeds 0-2 in parallel, PPO seeds 0-2 one after the other
  local env=$1
  for seed in 0 1 2; do
    $PY train.py --algo diffusion --env "$env" -n 100000 --seed $seed -f "$RUNS" --eval-freq 5000 \
        --eval-episodes 30 --num-threads 1 --device cpu &
    pid=$!
    # run folders are numbered in creation order: wait for this seed's, so that _1 is seed 0, _2 seed 1...
    until [ -d "$RUNS/diffusion/${env}_$((seed + 1))" ]; do
      kill -0 "$pid" 2>/dev/null || { echo "reproduce_ic_results.sh: diffusion seed $seed failed" >&2; exit 1; }
      sleep 1
    done
  done
  (for seed in 0 1 2; do
    $PY train.py --algo ppo --env "$env" -n 100000 --seed $seed -f "$RUNS" --eval-freq 5000 \
        --eval-episodes 30 --num-threads 1 --device cpu
  done) &
  wait
}

evaluate() {  # evaluate ENV NAME BEST_FIXED_STEP: every agent on the same 300 auctions, then the IC audit
  local env=$1 name=$2 best=$3 D="$RUNS/diffusion"
  $PY evaluate.py --env "$env" --episodes 100 --seeds 0 1 2 --output "$OUT/eval_$name" --no-progress \
      --agents diffusion="$D/${env}_*" ppo="$RUNS/ppo/${env}_*" \
               diffusion-seed0="$D/${env}_1" diffusion-seed1="$D/${env}_2" diffusion-seed2="$D/${env}_3" \
               greedy random "fixed-best=fixed-step:step=$best" adaptive \
      --compare diffusion fixed-best --compare diffusion random --compare diffusion ppo \
      --compare diffusion adaptive --compare diffusion-seed0 fixed-best --compare diffusion-seed1 fixed-best \
      --compare diffusion-seed2 fixed-best --compare ppo fixed-best --compare adaptive fixed-best
  $PY evaluate.py ic-audit --env "$env" --markets 2000 --deviations 2 --output "$OUT/ic_$name" --no-progress \
      --agents "fixed-best=fixed-step:step=$best" random adaptive diffusion-seed0="$D/${env}_1"
}

train IoA-DDA-DoubleClock-v0
train IoA-DDA-StrategyProof-v0
# The best fixed steps: python -m benchmarks.adaptive_vs_fixed --env <id> (docs/results.md).
evaluate IoA-DDA-DoubleClock-v0 double-clock 0.713
evaluate IoA-DDA-StrategyProof-v0 strategy-proof "[4.0,1.0]"
