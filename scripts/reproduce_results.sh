#!/usr/bin/env bash
# Reproduce the learned-agent results of docs/results.md from one sweep:
#   1. sweep.py --config sweeps/results.yml: the diffusion auctioneer and PPO for 100k steps, seeds 0-2, on
#      the classic, strategy-proof and double-clock envs, and SAC/TD3 for 50k steps on the strategy-proof one,
#      as Ray Tune trials (local Ray on every core of this machine; RAY_ADDRESS=auto joins a cluster);
#      an interrupted run of this script continues the sweep where it stopped (sweep.py --resume);
#   2. per mechanism, every agent on the same 300 auctions (evaluate.py --sweep), with the reference
#      auctioneers and the clairvoyant ceiling, and the IC audit of the first diffusion seed;
#   3. every figure and table (figures.py --runs on the sweep folder).
# Training: an estimated 15 CPU-hours (about 8 hours on 2 cores, from the earlier runs' times; the whole
# sweep has not been run in one go); the rest about an hour on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
SWEEP=${SWEEP:-sweeps-out/results}
OUT=${OUT:-results/paper-$(date +%Y%m%d-%H%M%S)}
PY=.venv/bin/python
ADDRESS=()
if [ -n "${RAY_ADDRESS:-}" ]; then ADDRESS=(--address "$RAY_ADDRESS"); fi

if [ -e "$SWEEP/sweep.yml" ]; then
  $PY sweep.py --resume "$SWEEP" "${ADDRESS[@]}"
else
  $PY sweep.py --config sweeps/results.yml --out "$SWEEP" "${ADDRESS[@]}"
fi

R="$SWEEP/runs"
evaluate() {  # evaluate ENV NAME BEST_FIXED_STEP: every agent on the same 300 auctions, then the IC audit
  local env=$1 name=$2 best=$3
  $PY evaluate.py --env "$env" --episodes 100 --seeds 0 1 2 --output "$OUT/eval_$name" --no-progress \
      --sweep "$SWEEP" \
      --agents diffusion-seed0="$R/diffusion/${env}_1" diffusion-seed1="$R/diffusion/${env}_2" \
               diffusion-seed2="$R/diffusion/${env}_3" clairvoyant greedy random \
               "fixed-best=fixed-step:step=$best" adaptive \
      --compare diffusion fixed-best --compare diffusion random --compare diffusion ppo \
      --compare diffusion adaptive --compare diffusion-seed0 fixed-best --compare diffusion-seed1 fixed-best \
      --compare diffusion-seed2 fixed-best --compare ppo fixed-best --compare adaptive fixed-best
  $PY evaluate.py ic-audit --env "$env" --markets 2000 --deviations 2 --output "$OUT/ic_$name" --no-progress \
      --agents "fixed-best=fixed-step:step=$best" random adaptive diffusion-seed0="$R/diffusion/${env}_1"
}
# The best fixed steps: python -m benchmarks.adaptive_vs_fixed --env <id> (ioa_gym.coupling.two_tier.BEST_FIXED_STEPS).
evaluate IoA-DDA-v0 classic 1.42
evaluate IoA-DDA-StrategyProof-v0 strategy-proof "[4.0,1.0]"
evaluate IoA-DDA-DoubleClock-v0 double-clock 0.713
$PY figures.py --out "$OUT/figures" --runs "$SWEEP" --budget full
