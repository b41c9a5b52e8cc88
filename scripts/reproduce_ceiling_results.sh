#!/usr/bin/env bash
# Reproduce the "ceilings, latency and coupling" part of docs/results.md (issue 13):
#   1. SAC and TD3 (default hyperparameters of agents/hyperparams/) for 50k steps, seeds 0-2, on
#      IoA-DDA-StrategyProof-v0, beside the diffusion and PPO runs of scripts/reproduce_ic_results.sh
#      (IC_RUNS, 100k steps; their first 50k steps are what the learning-speed table compares);
#   2. every agent and the clairvoyant ceiling on the same 300 auctions of each mechanism (evaluate.py);
#   3. every figure and table, learning speed and sensitivity included (figures.py --runs, full budget).
# About 1.5 hours of a 2-core CPU for the training (the six runs two at a time), 15 minutes for the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
IC_RUNS=${IC_RUNS:-runs/ic}
RUNS=${RUNS:-runs/speed}
ALL=${ALL:-runs/all}
OUT=${OUT:-results/ceiling-$(date +%Y%m%d-%H%M%S)}
PY=.venv/bin/python
ENV=IoA-DDA-StrategyProof-v0
for folder in "$RUNS" "$ALL"; do
  if [ -e "$folder" ]; then
    echo "reproduce_ceiling_results.sh: $folder exists; set RUNS / ALL to new folders" >&2
    exit 2
  fi
done
if [ ! -d "$IC_RUNS/diffusion" ]; then
  echo "reproduce_ceiling_results.sh: no $IC_RUNS/diffusion; run scripts/reproduce_ic_results.sh first" >&2
  exit 2
fi

for algo in sac td3; do
  (for seed in 0 1 2; do  # one after the other, so that run folder _1 is seed 0, _2 seed 1, _3 seed 2
    $PY train.py --algo $algo --env $ENV -n 50000 --seed $seed -f "$RUNS" --eval-freq 5000 \
        --eval-episodes 30 --num-threads 1 --device cpu
  done) &
done
wait

# One folder with every learner's runs (links), as figures.py --runs reads them: <algo>/<env id>_<n>.
for algo in diffusion ppo; do
  mkdir -p "$ALL/$algo"
  for run in "$IC_RUNS/$algo"/*_*; do ln -s "$(realpath "$run")" "$ALL/$algo/$(basename "$run")"; done
done
for algo in sac td3; do
  mkdir -p "$ALL/$algo"
  for run in "$RUNS/$algo"/*_*; do ln -s "$(realpath "$run")" "$ALL/$algo/$(basename "$run")"; done
done

evaluate() {  # evaluate ENV BEST_FIXED_STEP LEARNERS...: the 300 auctions of the results tables
  local env=$1 step=$2
  shift 2
  local agents=(clairvoyant)
  for algo in "$@"; do agents+=("$algo=$ALL/$algo/${env}_*"); done
  $PY evaluate.py --env "$env" --episodes 100 --seeds 0 1 2 --output "$OUT/eval-$env" --no-progress \
      --agents "${agents[@]}" best-fixed=fixed-step:step="$step" adaptive random greedy
}
evaluate IoA-DDA-v0 1.42
evaluate IoA-DDA-DoubleClock-v0 0.713 diffusion ppo
evaluate IoA-DDA-StrategyProof-v0 "[4.0,1.0]" diffusion ppo sac td3
$PY figures.py --out "$OUT/figures" --runs "$ALL" --budget full
