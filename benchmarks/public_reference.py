"""A public-information reference on the incentive-compatible DDA ids (issue 25, point 2), beside the
clairvoyant.

    python -m benchmarks.public_reference [--env IoA-DDA-StrategyProof-v0 | IoA-DDA-DoubleClock-v0] [--quick]
        [--train-markets 3000] [--train-seed 10] [--heldout-seeds 0 1 2] [--heldout-markets 100]

The strategy-proof observation shows nothing that depends on the reports before the auction ends (the clock
prices, the turn and the rounds follow from the auctioneer's own steps; the market's size is known at the
start), so a policy of the public history is a step schedule chosen from the first observation, and its
return depends on where the clocks meet (:mod:`ioa_gym.analysis.public_reference`). The reference: the
meeting rule with a target price per class of the public market size. On the double clock the exits are
public and arrive during the auction, and they set which clock moves: public policies are closed-loop, and
the reference adds a closed-loop rule of the observation (``SlowdownPolicy``: slow price, step, margin).

1. Training markets: episodes 0 .. N-1 of evaluation seed ``--train-seed`` (reset seed 2**32 + 10**6 seed +
   i, :mod:`ioa_gym.analysis.seeding`), disjoint from the held-out seeds. The returns of every target of a
   grid (strategy-proof: 3 to 12 by 0.125; double clock: 4 to 9 by 0.25, as the meeting rule creeps there)
   on each of them; on the double clock also of every parameter triple of the closed-loop rule's grid.
2. The binning of the public features (number of quantile bins of buyer units, seller units, buyers) chosen
   by 5-fold cross-validation on the training markets; the best target per class fitted on all of them; the
   closed-loop rule's parameters of the best mean training return.
3. Held-out: episodes 0 .. M-1 of each ``--heldout-seeds`` (by default the 300 auctions of docs/results.md's
   IC tables), every auctioneer played through the env: (a) the fitted per-class policy, (b) the in-sample
   best target per class (fitted on the held-out markets themselves: optimistic), the best single target
   (fitted on training), on the double clock (c) the closed-loop rule fitted on training and its in-sample
   best parameters (optimistic), the mechanism's best fixed step, the adaptive rule and the clairvoyant
   ceiling; plus the best target (and closed-loop parameters) per market (knowing the market: no public
   policy, an upper bound of that rule).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.analysis.policies import AdaptiveStepPolicy, ClairvoyantPolicy
from ioa_gym.analysis.public_reference import (
    PublicClasses,
    PublicClassPolicy,
    SlowdownPolicy,
    class_keys,
    fit_targets,
    public_returns,
    select_classes,
    target_returns,
)
from ioa_gym.analysis.rollout import play, predictor
from ioa_gym.analysis.seeding import episode_seed

ENV_ID = "IoA-DDA-StrategyProof-v0"
DOUBLE_CLOCK_ID = "IoA-DDA-DoubleClock-v0"
FEATURES = ("buyer_units", "seller_units", "n_buyers")
TARGETS = tuple(float(t) for t in np.round(np.arange(3.0, 12.0001, 0.125), 4))
TARGETS_OF = {ENV_ID: TARGETS, DOUBLE_CLOCK_ID: tuple(float(t) for t in np.arange(4.0, 9.0001, 0.25))}
"""The target grid per env: on the double clock a clock that has reached its target and keeps the turn creeps
on by the smallest step (tens of rounds), so a coarser grid keeps the run to minutes."""
CANDIDATES: tuple[dict[str, int], ...] = (
    *({"buyer_units": k} for k in (1, 2, 3, 4, 6, 8, 12, 16)),
    *({"buyer_units": k, "seller_units": s} for k in (4, 8) for s in (2, 3)),
    {"buyer_units": 8, "n_buyers": 3},
)
"""Binnings tried by cross-validation: feature -> number of quantile bins."""
RULE_GRID = tuple(
    itertools.product((6.0, 6.5, 7.0, 7.5, 8.0, 8.5), (0.05, 0.1, 0.15, 0.25, 0.35), (0.0, 0.5, 1.0, 2.0))
)
"""The closed-loop rule's grid: (slow_price, step, margin) of ``SlowdownPolicy``."""
LOCKSTEP = 50


def run(
    env_id: str, policy_of: Callable[[gym.Env], Any], seeds: Sequence[int], single: bool = False
) -> np.ndarray:
    """(return, efficiency, rounds) per reset seed, the policy played through the env."""
    envs = [gym.make(env_id) for _ in range(1 if single else min(LOCKSTEP, len(seeds)))]
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


def _targets(
    env_id: str, env: gym.Env, train: list[int], held: list[int]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Fit the per-class targets; play (a), (b) and the best single target. Returns the rows played and the
    simulated returns to check them by and to take the per-market best of."""
    targets = TARGETS_OF[env_id]
    print(f"{len(targets)} targets {targets[0]}-{targets[-1]}")
    returns, counts = target_returns(env, train, targets, FEATURES)
    bins, scores = select_classes(returns, counts, FEATURES, CANDIDATES, targets)
    for candidate, score in zip(CANDIDATES, scores, strict=True):
        print(f"  cross-validated {candidate}: {score:.4f}")
    classes = PublicClasses.quantiles({name: counts[:, FEATURES.index(name)].tolist() for name in bins}, bins)
    table, default, sizes = fit_targets(returns, class_keys(classes, counts, FEATURES), targets)
    held_returns, held_counts = target_returns(env, held, targets, FEATURES)
    held_keys = class_keys(classes, held_counts, FEATURES)
    in_table, _, held_sizes = fit_targets(held_returns, held_keys, targets)
    print(f"chosen binning {bins}, edges {dict(classes.edges)}; best single target {default}")
    for key in table:
        print(
            f"  class {key}: target {table[key]:.3f} ({sizes[key]} training markets); in-sample "
            f"{in_table.get(key, float('nan')):.3f} ({held_sizes.get(key, 0)} held-out markets)"
        )
    rows = {
        "(a) public per-class target (held-out)": run(
            env_id, lambda e: PublicClassPolicy(e, classes, table, default), held
        ),
        "(b) in-sample best per class": run(
            env_id, lambda e: PublicClassPolicy(e, classes, in_table, default), held
        ),
        f"best single target {default}": run(
            env_id, lambda e: PublicClassPolicy(e, classes, {}, default), held
        ),
    }
    column = {t: j for j, t in enumerate(targets)}
    simulated = np.array([held_returns[i, column[table.get(k, default)]] for i, k in enumerate(held_keys)])
    assert np.allclose(simulated, rows["(a) public per-class target (held-out)"][:, 0], atol=1e-9)
    print(f"{len(table)} classes")
    return rows, {"best target per market (knows the market)": held_returns.max(axis=1)}


def _closed_loop(
    env_id: str, env: gym.Env, train: list[int], held: list[int]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Fit the closed-loop rule's parameters on the training markets and pick the in-sample best on the
    held-out ones; play both (empty where the observation counts no exits)."""
    try:
        rules = [SlowdownPolicy(env, *params).step_size for params in RULE_GRID]
    except ValueError as error:
        print(f"no closed-loop rule: {error}")
        return {}, {}
    train_returns = public_returns(env, train, rules).mean(axis=0)
    held_returns = public_returns(env, held, rules)
    fitted, in_sample = int(np.argmax(train_returns)), int(np.argmax(held_returns.mean(axis=0)))
    print(f"closed-loop rule, {len(RULE_GRID)} (slow_price, step, margin); best mean training returns:")
    for j in np.argsort(-train_returns)[:5]:
        print(f"  {RULE_GRID[j]}: {train_returns[j]:.4f} (held-out {held_returns[:, j].mean():.4f})")
    print(f"fitted {RULE_GRID[fitted]}; in-sample best on the held-out markets {RULE_GRID[in_sample]}")
    rows = {
        f"(c) closed-loop rule {RULE_GRID[fitted]} (fitted on training)": run(
            env_id, lambda e: SlowdownPolicy(e, *RULE_GRID[fitted]), held
        ),
        f"(c) closed-loop rule, in-sample best {RULE_GRID[in_sample]}": run(
            env_id, lambda e: SlowdownPolicy(e, *RULE_GRID[in_sample]), held
        ),
    }
    for (name, data), j in zip(rows.items(), (fitted, in_sample), strict=True):
        assert np.allclose(data[:, 0], held_returns[:, j], atol=1e-9), name
    return rows, {"best closed-loop parameters per market (knows the market)": held_returns.max(axis=1)}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--env", default=ENV_ID, choices=sorted(TARGETS_OF))
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
    env = gym.make(args.env)
    train = [episode_seed(args.train_seed, i) for i in range(args.train_markets)]
    held = [episode_seed(s, i) for s in args.heldout_seeds for i in range(args.heldout_markets)]
    print(
        f"{args.env}; training: episodes 0-{args.train_markets - 1} of evaluation seed {args.train_seed}; "
        f"held-out: episodes 0-{args.heldout_markets - 1} of seeds {args.heldout_seeds} "
        f"({len(held)} auctions)"
    )
    rows, bests = _targets(args.env, env, train, held)
    loop_rows, loop_bests = _closed_loop(args.env, env, train, held)
    fixed_step = env.unwrapped.mechanism.best_fixed_step
    fixed_name = f"best fixed {'pair' if isinstance(fixed_step, tuple) else 'step'} {fixed_step}"
    rows.update(loop_rows)
    rows[fixed_name] = run(args.env, lambda e: _Fixed(e, fixed_step), held)
    rows["adaptive (hand-written)"] = run(args.env, AdaptiveStepPolicy, held)
    rows["clairvoyant ceiling"] = run(args.env, ClairvoyantPolicy, held, single=True)
    _table(rows, {**bests, **loop_bests}, fixed_name)
    print(f"\n{time.perf_counter() - start:.0f} s")


def _table(rows: dict[str, np.ndarray], bests: dict[str, np.ndarray], fixed_name: str) -> None:
    """The Markdown table: played rows, then the per-market bests (simulated returns only)."""
    ceiling, fixed = rows["clairvoyant ceiling"][:, 0], rows[fixed_name][:, 0]
    n = len(ceiling)
    print(
        f"\n| auctioneer ({n} held-out auctions) | mean return +/- s.e. | efficiency | rounds "
        f"| / ceiling | - ceiling (95 % CI) | - best fixed (95 % CI) |"
    )
    print("|---|---:|---:|---:|---:|---|---|")
    for name, data in rows.items():
        ret = data[:, 0]
        print(
            f"| {name} | {ret.mean():.3f} +/- {ret.std(ddof=1) / np.sqrt(n):.3f} | {data[:, 1].mean():.3f} "
            f"| {data[:, 2].mean():.1f} | {ret.mean() / ceiling.mean():.3f} | {paired(ret, ceiling)} "
            f"| {paired(ret, fixed)} |"
        )
    for name, best in bests.items():
        se = best.std(ddof=1) / np.sqrt(n)
        print(
            f"| {name} | {best.mean():.3f} +/- {se:.3f} | - | - |"
            f" {best.mean() / ceiling.mean():.3f} | {paired(best, ceiling)} | {paired(best, fixed)} |"
        )


class _Fixed:
    """A constant step (or (buyer, seller) pair with per-clock steps), SB3 style."""

    def __init__(self, env: Any, step: float | tuple[float, float]) -> None:
        self.action = np.asarray(env.unwrapped.step_to_action(step))

    def predict(self, observation: np.ndarray, *args: Any, **kwargs: Any) -> tuple[np.ndarray, None]:
        obs = np.asarray(observation)
        return (np.tile(self.action, (len(obs), 1)) if obs.ndim == 2 else self.action.copy()), None


if __name__ == "__main__":
    main()
