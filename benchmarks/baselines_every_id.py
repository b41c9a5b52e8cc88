"""The reference auctioneers on every registered IoA-DDA id: random, greedy, the adaptive rule and the best
fixed step (or step pair) of a small grid, paired on the same Tier-1 markets and reset seeds.

    python -m benchmarks.baselines_every_id [--markets 300] [--seed 0] [--env IoA-DDA-v0 ...]

Market ``k`` is the one ``evaluate.py``'s episode ``k`` of evaluation seed ``--seed`` meets
(:mod:`ioa_gym.analysis.seeding`); every auctioneer plays it with that reset seed, through the project's one
episode loop (:func:`ioa_gym.analysis.rollout.play`). The fixed grid: every action of a discrete id; 14
steps geometric in [0.2, 4] on a Box id with one step; on an id with a step per clock, the pairs that meet
at 3, 4, ..., 12 (buyer and seller steps in the ratio (upper - m) : (m - lower)) with their sum in
{0.5, 1, 2, 3, 5} (both steps in [step_min, step_max]). Prints each agent's mean return and efficiency with
their standard errors over the markets (quoted in docs/model.md, Sec. 5).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

import ioa_gym  # noqa: F401  (registers the environments)
from agents.baselines import FixedStepAgent, GreedyAgent, RandomAgent
from ioa_gym.analysis.ic_audit import sample_markets
from ioa_gym.analysis.policies import AdaptiveStepPolicy
from ioa_gym.analysis.rollout import play, predictor
from ioa_gym.analysis.seeding import episode_seed
from ioa_gym.auctions.market import Market

ENV_IDS = ("IoA-DDA-v0", "IoA-DDA-Discrete-v0", "IoA-DDA-DoubleClock-v0", "IoA-DDA-StrategyProof-v0")
LOCKSTEP = 50
"""Envs played in lockstep (one policy call per round for all of them)."""


def scores(env_id: str, agent: Callable[[gym.Env], Any], markets: Sequence[Market], seed: int) -> np.ndarray:
    """(return, efficiency) per market: market k played with reset seed ``episode_seed(seed, k)``."""
    envs = [gym.make(env_id) for _ in range(min(LOCKSTEP, len(markets)))]
    policy = predictor(agent(envs[0]))
    rows = []
    for start in range(0, len(markets), len(envs)):
        chunk = range(start, min(start + len(envs), len(markets)))
        episodes = play(
            envs[: len(chunk)],
            policy,
            [episode_seed(seed, k) for k in chunk],
            [{"market": markets[k]} for k in chunk],
        )
        rows += [(episode.total_reward, episode.info["efficiency"]) for episode in episodes]
    return np.array(rows)


def fixed_grid(env: gym.Env) -> list[Any]:
    """The constant actions (as steps, or action indices of a discrete id) whose best is 'the best fixed'."""
    base = env.unwrapped
    config = base.config
    if base.step_sizes is not None:
        return [float(step) for step in base.step_sizes]
    if config.per_clock_steps:
        lower, upper = config.price_bounds
        pairs = [
            (total * (upper - m) / (upper - lower), total * (m - lower) / (upper - lower))
            for m in range(3, 13)
            for total in (0.5, 1.0, 2.0, 3.0, 5.0)
        ]
        return [p for p in pairs if min(p) >= config.step_min and max(p) <= config.step_max]
    return np.geomspace(0.2, config.step_max, 14).tolist()


def _line(name: str, rows: np.ndarray) -> str:
    n = len(rows)
    se = rows.std(axis=0, ddof=1) / np.sqrt(n)
    return (
        f"  {name:<26} return {rows[:, 0].mean():.4f} +/- {se[0]:.4f}   "
        f"efficiency {rows[:, 1].mean():.4f} +/- {se[1]:.4f}"
    )


def report(env_id: str, n_markets: int, seed: int) -> dict[str, np.ndarray]:
    """Play every agent on ``n_markets`` markets of ``env_id``; print and return (return, efficiency)."""
    markets = sample_markets(env_id, {}, n_markets, seed)
    env = gym.make(env_id)
    results = {
        "random": scores(env_id, lambda e: RandomAgent(e, seed=seed), markets, seed),
        "greedy": scores(env_id, GreedyAgent, markets, seed),
        "adaptive": scores(env_id, AdaptiveStepPolicy, markets, seed),
    }
    fixed = {
        step: scores(env_id, lambda e, s=step: FixedStepAgent(e, step=s), markets, seed)
        for step in fixed_grid(env)
    }
    best = max(fixed, key=lambda step: fixed[step][:, 0].mean())
    text = f"({best[0]:.3f}, {best[1]:.3f})" if isinstance(best, tuple) else f"{best:.3f}"
    results[f"best fixed {text}"] = fixed[best]
    print(f"{env_id}: {n_markets} markets of evaluation seed {seed}, {len(fixed)} fixed steps in the grid")
    for name, rows in results.items():
        print(_line(name, rows))
    gain = results["adaptive"][:, 0] - fixed[best][:, 0]
    se = gain.std(ddof=1) / np.sqrt(gain.size)
    print(f"  adaptive - best fixed: {gain.mean():+.4f} +/- {se:.4f} (paired standard error)")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--env", nargs="+", default=list(ENV_IDS), help="IoA-DDA ids")
    parser.add_argument("--markets", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0, help="evaluation seed of the markets")
    args = parser.parse_args()
    for env_id in args.env:
        start = time.perf_counter()
        report(env_id, args.markets, args.seed)
        print(f"  ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
