"""Does adaptivity pay on IoA-DDA-v0? The adaptive reference auctioneer against fixed steps, paired on
the same pre-sampled Tier-1 markets and rationing seeds.

    python -m benchmarks.adaptive_vs_fixed [--markets 600] [--steps 12]

Prints each fixed step's mean return, efficiency and rounds, the best one, and the adaptive rule's
paired gain over it with its standard error (quoted in docs/model.md, Sec. 5)."""

from __future__ import annotations

import argparse

import gymnasium as gym
import numpy as np

import ioa_gym  # noqa: F401
from ioa_gym.markets import sample_tier1_market
from ioa_gym.policies import AdaptiveStepPolicy, FixedStepPolicy


def play(env, policy, markets) -> np.ndarray:
    """(return, efficiency, rounds) per market; market k is played with reset seed k."""
    rows = []
    for k, market in enumerate(markets):
        obs, _ = env.reset(seed=k, options={"market": market})
        total = 0.0
        while True:
            action, _ = policy.predict(obs)
            obs, reward, terminated, truncated, info = env.step(action)
            total += reward
            if terminated or truncated:
                break
        rows.append((total, info["efficiency"], info["rounds"]))
    return np.array(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--markets", type=int, default=600)
    parser.add_argument("--steps", type=int, default=12, help="fixed steps, geometric in [0.6, 4]")
    parser.add_argument("--seed", type=int, default=123, help="seed of the market sample")
    args = parser.parse_args()
    env = gym.make("IoA-DDA-v0")
    base = env.unwrapped
    rng = np.random.default_rng(args.seed)
    markets = [sample_tier1_market(base.scenario_config, rng)[0] for _ in range(args.markets)]
    fixed = {}
    for step in np.geomspace(0.6, base.config.step_max, args.steps):
        fixed[float(step)] = play(env, FixedStepPolicy(env, step), markets)
        r = fixed[float(step)]
        print(f"fixed step {step:6.3f}: return {r[:, 0].mean():.4f}  efficiency {r[:, 1].mean():.4f}  "
              f"rounds {r[:, 2].mean():6.1f}")
    best = max(fixed, key=lambda s: fixed[s][:, 0].mean())
    adaptive = play(env, AdaptiveStepPolicy(env), markets)
    gain = adaptive[:, 0] - fixed[best][:, 0]
    print(f"adaptive       : return {adaptive[:, 0].mean():.4f}  efficiency {adaptive[:, 1].mean():.4f}  "
          f"rounds {adaptive[:, 2].mean():6.1f}")
    print(f"best fixed step {best:.3f}; adaptive's paired gain {gain.mean():+.4f} "
          f"+/- {gain.std(ddof=1) / np.sqrt(gain.size):.4f} (standard error, {gain.size} markets)")


if __name__ == "__main__":
    main()
