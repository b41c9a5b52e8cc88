"""Does adaptivity pay on IoA-DDA-v0 (or another IoA-DDA id)? The adaptive reference auctioneer against fixed
steps, paired on the same Tier-1 markets and rationing seeds.

    python -m benchmarks.adaptive_vs_fixed [--env IoA-DDA-v0] [--markets 600] [--steps 12] [--seed 0]

On an id with a step per clock (IoA-DDA-StrategyProof-v0) the fixed auctioneers are step *pairs*: equal
steps make the strategy-proof clocks meet at the middle of the price bounds, so the pairs are chosen to meet
at 4, 5, ..., 10 (buyer and seller steps in the ratio (upper - m) : (m - lower)) with their sum in
{0.5, 1, 2, 4, 5} (where both steps lie in [step_min, step_max]).

Market ``k`` is the one ``evaluate.py``'s episode ``k`` of evaluation seed ``--seed`` meets
(:mod:`ioa_gym.analysis.seeding`); every auctioneer plays it with that reset seed, through the project's one
episode loop (:func:`ioa_gym.analysis.rollout.play`). Prints each fixed step's mean return, efficiency and
rounds, the best one, and the adaptive rule's paired gain over it with its standard error (quoted in
docs/model.md, Sec. 5)."""

from __future__ import annotations

import argparse

import gymnasium as gym
import numpy as np

import ioa_gym  # noqa: F401
from agents.baselines import FixedStepAgent
from ioa_gym.analysis.ic_audit import sample_markets
from ioa_gym.analysis.policies import AdaptiveStepPolicy
from ioa_gym.analysis.rollout import play, predictor
from ioa_gym.analysis.seeding import episode_seed

ENV_ID = "IoA-DDA-v0"


def returns(env: gym.Env, policy, markets, seed: int) -> np.ndarray:
    """(return, efficiency, rounds) per market; market k is played with reset seed episode_seed(seed, k)."""
    rows = []
    for k, market in enumerate(markets):
        (episode,) = play([env], predictor(policy), [episode_seed(seed, k)], [{"market": market}])
        rows.append((episode.total_reward, episode.info["efficiency"], episode.info["rounds"]))
    return np.array(rows)


def _text(step: float | tuple[float, float]) -> str:
    return f"{step:.3f}" if isinstance(step, float) else str(step)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", default=ENV_ID, help="an IoA-DDA id")
    parser.add_argument("--markets", type=int, default=600)
    parser.add_argument("--steps", type=int, default=12, help="fixed steps, geometric in [0.6, 4]")
    parser.add_argument("--seed", type=int, default=0, help="evaluation seed of the markets")
    args = parser.parse_args()
    env = gym.make(args.env)
    markets = sample_markets(args.env, {}, args.markets, args.seed)
    config = env.unwrapped.config
    if config.per_clock_steps:
        lower, upper = config.price_bounds
        candidates = [
            (round(total * (upper - m) / (upper - lower), 4), round(total * (m - lower) / (upper - lower), 4))
            for m in range(4, 11)
            for total in (0.5, 1.0, 2.0, 4.0, 5.0)
        ]
        candidates = [c for c in candidates if min(c) >= config.step_min and max(c) <= config.step_max]
    else:
        candidates = np.geomspace(0.6, config.step_max, args.steps).tolist()
    fixed = {}
    for step in candidates:
        fixed[step] = r = returns(env, FixedStepAgent(env, step=step), markets, args.seed)
        print(
            f"fixed step {_text(step):>16}: return {r[:, 0].mean():.4f}  efficiency {r[:, 1].mean():.4f}  "
            f"rounds {r[:, 2].mean():6.1f}"
        )
    best = max(fixed, key=lambda s: fixed[s][:, 0].mean())
    adaptive = returns(env, AdaptiveStepPolicy(env), markets, args.seed)
    gain = adaptive[:, 0] - fixed[best][:, 0]
    print(
        f"adaptive       : return {adaptive[:, 0].mean():.4f}  efficiency {adaptive[:, 1].mean():.4f}  "
        f"rounds {adaptive[:, 2].mean():6.1f}"
    )
    print(
        f"best fixed step {_text(best)}; adaptive's paired gain {gain.mean():+.4f} "
        f"+/- {gain.std(ddof=1) / np.sqrt(gain.size):.4f} (standard error, {gain.size} markets)"
    )


if __name__ == "__main__":
    main()
