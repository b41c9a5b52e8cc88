"""A public-information reference on IoA-DDA-StrategyProof-v0 (issue 25, point 2), beside the clairvoyant.

    python -m benchmarks.public_reference [--quick] [--train-markets 3000] [--train-seed 10]
                                          [--heldout-seeds 0 1 2] [--heldout-markets 100]

The strategy-proof observation shows nothing that depends on the reports before the auction ends (the clock
prices, the turn and the rounds follow from the auctioneer's own steps; the market's size is known at the
start), so a policy of the public history is a step schedule chosen from the first observation, and its
return depends on where the clocks meet (:mod:`ioa_gym.analysis.public_reference`). The reference: the
meeting rule with a target price per class of the public market size.

1. Training markets: episodes 0 .. N-1 of evaluation seed ``--train-seed`` (reset seed 2**32 + 10**6 seed +
   i, :mod:`ioa_gym.analysis.seeding`), disjoint from the held-out seeds. The returns of every target of a
   grid (3 to 12 by 0.125) on each of them.
2. The binning of the public features (number of quantile bins of buyer units, seller units, buyers) chosen
   by 5-fold cross-validation on the training markets; the best target per class fitted on all of them.
3. Held-out: episodes 0 .. M-1 of each ``--heldout-seeds`` (by default the 300 auctions of docs/results.md's
   IC tables), every auctioneer played through the env: (a) the fitted per-class policy, (b) the in-sample
   best target per class (fitted on the held-out markets themselves: optimistic), the best single target
   (fitted on training), the best fixed pair (4, 1) and the clairvoyant ceiling; plus the best target per
   market (knowing the market: no public policy, an upper bound of the meeting rule).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.analysis.policies import ClairvoyantPolicy
from ioa_gym.analysis.public_reference import (
    PublicClasses,
    PublicClassPolicy,
    class_keys,
    fit_targets,
    select_classes,
    target_returns,
)
from ioa_gym.analysis.rollout import play, predictor
from ioa_gym.analysis.seeding import episode_seed

ENV_ID = "IoA-DDA-StrategyProof-v0"
FEATURES = ("buyer_units", "seller_units", "n_buyers")
TARGETS = tuple(float(t) for t in np.round(np.arange(3.0, 12.0001, 0.125), 4))
CANDIDATES: tuple[dict[str, int], ...] = (
    *({"buyer_units": k} for k in (1, 2, 3, 4, 6, 8, 12, 16)),
    *({"buyer_units": k, "seller_units": s} for k in (4, 8) for s in (2, 3)),
    {"buyer_units": 8, "n_buyers": 3},
)
"""Binnings tried by cross-validation: feature -> number of quantile bins."""
LOCKSTEP = 50


def run(policy_of: Callable[[gym.Env], Any], seeds: Sequence[int], single: bool = False) -> np.ndarray:
    """(return, efficiency, rounds) per reset seed, the policy played through the env."""
    envs = [gym.make(ENV_ID) for _ in range(1 if single else min(LOCKSTEP, len(seeds)))]
    rows = []
    policy = predictor(policy_of(envs[0]))
    for start in range(0, len(seeds), len(envs)):
        chunk = seeds[start : start + len(envs)]
        for episode in play(envs[: len(chunk)], policy, chunk):
            rows.append((episode.total_reward, episode.info["efficiency"], episode.info["rounds"]))
    return np.array(rows, float)


def paired(a: np.ndarray, b: np.ndarray) -> str:
    """Mean of a - b with its 95 % half-width (1.96 standard errors over the paired auctions)."""
    diff = a - b
    half = 1.96 * diff.std(ddof=1) / np.sqrt(len(diff))
    return f"{diff.mean():+.3f} +/- {half:.3f}"


def main(argv: Sequence[str] | None = None) -> None:  # noqa: PLR0915 - a report, top to bottom
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="400 training, 40 held-out markets")
    parser.add_argument("--train-markets", type=int, default=3000)
    parser.add_argument("--train-seed", type=int, default=10)
    parser.add_argument("--heldout-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--heldout-markets", type=int, default=100, help="per held-out seed")
    args = parser.parse_args(argv)
    if args.quick:
        args.train_markets, args.heldout_seeds, args.heldout_markets = 400, [0], 40
    if args.train_seed in args.heldout_seeds:
        parser.error("--train-seed must differ from every --heldout-seeds (disjoint markets)")
    print("command:", " ".join(["python -m benchmarks.public_reference", *sys.argv[1:]]))
    start = time.perf_counter()
    env = gym.make(ENV_ID)
    train = [episode_seed(args.train_seed, i) for i in range(args.train_markets)]
    held = [episode_seed(s, i) for s in args.heldout_seeds for i in range(args.heldout_markets)]
    print(
        f"training: episodes 0-{args.train_markets - 1} of evaluation seed {args.train_seed}; held-out: "
        f"episodes 0-{args.heldout_markets - 1} of seeds {args.heldout_seeds} ({len(held)} auctions); "
        f"{len(TARGETS)} targets {TARGETS[0]}-{TARGETS[-1]}"
    )
    returns, counts = target_returns(env, train, TARGETS, FEATURES)
    bins, scores = select_classes(returns, counts, FEATURES, CANDIDATES, TARGETS)
    for candidate, score in zip(CANDIDATES, scores, strict=True):
        print(f"  cross-validated {candidate}: {score:.4f}")
    classes = PublicClasses.quantiles({name: counts[:, FEATURES.index(name)].tolist() for name in bins}, bins)
    table, default, sizes = fit_targets(returns, class_keys(classes, counts, FEATURES), TARGETS)
    held_returns, held_counts = target_returns(env, held, TARGETS, FEATURES)
    held_keys = class_keys(classes, held_counts, FEATURES)
    in_table, _, held_sizes = fit_targets(held_returns, held_keys, TARGETS)
    print(f"chosen binning {bins}, edges {dict(classes.edges)}; best single target {default}")
    for key in table:
        print(
            f"  class {key}: target {table[key]:.3f} ({sizes[key]} training markets); in-sample "
            f"{in_table.get(key, float('nan')):.3f} ({held_sizes.get(key, 0)} held-out markets)"
        )

    rows = {
        "(a) public per-class target (held-out)": run(
            lambda e: PublicClassPolicy(e, classes, table, default), held
        ),
        "(b) in-sample best per class": run(lambda e: PublicClassPolicy(e, classes, in_table, default), held),
        f"best single target {default}": run(lambda e: PublicClassPolicy(e, classes, {}, default), held),
        "best fixed pair (4, 1)": run(lambda e: _FixedPair(e, (4.0, 1.0)), held),
        "clairvoyant ceiling": run(ClairvoyantPolicy, held, single=True),
    }
    column = {t: j for j, t in enumerate(TARGETS)}
    simulated = np.array([held_returns[i, column[table.get(k, default)]] for i, k in enumerate(held_keys)])
    assert np.allclose(simulated, rows["(a) public per-class target (held-out)"][:, 0], atol=1e-9)
    ceiling, fixed = rows["clairvoyant ceiling"][:, 0], rows["best fixed pair (4, 1)"][:, 0]
    n = len(held)
    print(
        f"\n| auctioneer ({n} held-out auctions) | mean return +/- s.e. | efficiency | rounds "
        f"| / ceiling | - ceiling (95 % CI) | - fixed pair (95 % CI) |"
    )
    print("|---|---:|---:|---:|---:|---|---|")
    for name, data in rows.items():
        ret = data[:, 0]
        print(
            f"| {name} | {ret.mean():.3f} +/- {ret.std(ddof=1) / np.sqrt(n):.3f} | {data[:, 1].mean():.3f} "
            f"| {data[:, 2].mean():.1f} | {ret.mean() / ceiling.mean():.3f} | {paired(ret, ceiling)} "
            f"| {paired(ret, fixed)} |"
        )
    best = held_returns.max(axis=1)
    se = best.std(ddof=1) / np.sqrt(n)
    print(
        f"| best target per market (knows the market) | {best.mean():.3f} +/- {se:.3f} | - | - |"
        f" {best.mean() / ceiling.mean():.3f} | {paired(best, ceiling)} | {paired(best, fixed)} |"
    )
    print(f"\n{len(table)} classes; {time.perf_counter() - start:.0f} s")


class _FixedPair:
    """A constant step pair (buyer, seller), SB3 style."""

    def __init__(self, env: Any, pair: tuple[float, float]) -> None:
        self.action = np.asarray(env.unwrapped.step_to_action(pair))

    def predict(self, observation: np.ndarray, *args: Any, **kwargs: Any) -> tuple[np.ndarray, None]:
        obs = np.asarray(observation)
        return (np.tile(self.action, (len(obs), 1)) if obs.ndim == 2 else self.action.copy()), None


if __name__ == "__main__":
    main()
