"""A public-information reference for the strategy-proof DDA (issue 25, point 2; docs/results.md).

On IoA-DDA-StrategyProof-v0 the auctioneer observes the two clock prices, their gap, whose turn it is, the
rounds played, the last step and the market's size (buyers, sellers, units per side), never an
acceptance. The clocks alternate on a fixed pattern and the auction ends when they cross (or at the round
limit), so every entry but the market's size is a function of the auctioneer's own past actions: nothing that
depends on the reports arrives before the auction has ended. A policy of the public history is therefore an
open-loop step schedule chosen from the first observation, i.e. from the market's size.

The clearing price is the standing clock's price at the crossing, every report is compared with it (proxy
eligibility) and the long side is rationed by a draw made at the start, so the efficiency of such a schedule
is a function of the meeting price alone, and its return that efficiency minus ``eta`` per round. The meeting
rule of :class:`~ioa_gym.analysis.policies.AdaptiveStepPolicy` reaches a given meeting price in (close to) the
fewest rounds the largest step allows; a slower approach only adds rounds. So the policies here choose one
meeting price (the *target*) per class of the first observation's public features:

* :class:`PublicClasses`: the class of an observation, from bins of public market-size entries;
* :func:`target_returns`: the return of the meeting rule for every target of a grid on given markets
  (the env's own auction, cloned and ticked with the env's action-to-step conversion: the return the env
  pays, tested);
* :func:`fit_targets`: the best target per class on training markets;
* :class:`PublicClassPolicy`: plays the fitted table, reading only the observation.

Needs only NumPy and Gymnasium (no agents, no torch).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from ioa_gym.analysis.policies import AdaptiveStepPolicy
from ioa_gym.auctions import BUYER, efficient_welfare, welfare_efficiency
from ioa_gym.envs.access import dda_env

FEATURE_SCALES = {
    "n_buyers": "max_buyers",
    "n_sellers": "max_sellers",
    "buyer_units": "max_units",
    "seller_units": "max_units",
}
"""Public market-size entries of the observation and the config field each is normalised by."""


@dataclass(frozen=True)
class PublicClasses:
    """Classes of the first observation: each feature (an entry of :data:`FEATURE_SCALES`) is read back as a
    count (entry x its scale, rounded) and binned by ``edges[feature]`` (a count below the first edge is bin
    0, at or above edge ``i`` bin ``i + 1``); the class is the tuple of bins. Reads only the observation."""

    edges: Mapping[str, tuple[float, ...]]

    def __post_init__(self) -> None:
        for name, values in self.edges.items():
            if name not in FEATURE_SCALES:
                raise ValueError(f"unknown feature {name!r}: one of {sorted(FEATURE_SCALES)}")
            if list(values) != sorted(values):
                raise ValueError(f"edges of {name!r} must be sorted, got {values!r}")

    def counts(self, env: Any, observation: np.ndarray) -> tuple[int, ...]:
        """The features of ``observation`` as counts, in ``edges`` order."""
        names, cfg = env.obs_names, env.config
        return tuple(
            int(round(float(observation[names.index(name)]) * getattr(cfg, FEATURE_SCALES[name])))
            for name in self.edges
        )

    def of_counts(self, counts: Sequence[int]) -> tuple[int, ...]:
        """The class of these feature counts."""
        return tuple(
            int(np.searchsorted(np.asarray(edges, float), count, side="right"))
            for edges, count in zip(self.edges.values(), counts, strict=True)
        )

    @classmethod
    def quantiles(cls, counts: Mapping[str, Sequence[int]], bins: Mapping[str, int]) -> PublicClasses:
        """Edges at the empirical quantiles of ``counts[name]`` (training markets), ``bins[name]`` bins each
        (fewer where counts tie)."""
        edges = {}
        for name, n_bins in bins.items():
            values = np.asarray(counts[name], float)
            cuts = np.quantile(values, np.arange(1, n_bins) / n_bins) if n_bins > 1 else []
            edges[name] = tuple(sorted({float(np.ceil(c)) for c in cuts if values.min() < np.ceil(c)}))
        return cls(edges)


class PublicClassPolicy(AdaptiveStepPolicy):
    """The meeting rule of :class:`AdaptiveStepPolicy` with its target chosen per class of the public market
    size: ``table[classes.of_counts(counts)]``, ``default_target`` for a class not in the table. Reads only
    the observation (clock prices, the turn, the market's size), so the step sequence ignores every report
    and the strategy-proof DDA stays IC. Needs per-clock steps and an observation without acceptances
    (IoA-DDA-StrategyProof-v0)."""

    def __init__(
        self,
        env: gym.Env | Any,
        classes: PublicClasses,
        table: Mapping[tuple[int, ...], float],
        default_target: float,
    ) -> None:
        super().__init__(env, target_price=default_target)
        if not self._meet:
            raise ValueError(
                "PublicClassPolicy plays the meeting rule: it needs per-clock steps and an observation "
                "without acceptances (IoA-DDA-StrategyProof-v0)"
            )
        low, high = self.env.config.price_bounds
        for key, target in table.items():
            if not low < target < high:
                raise ValueError(f"target {target} of class {key} must lie inside the price bounds")
        self.classes, self.table = classes, dict(table)

    def target_of(self, obs: np.ndarray) -> float:
        """The target of the class of ``obs``."""
        key = self.classes.of_counts(self.classes.counts(self.env, obs))
        return self.table.get(key, self.target_price)

    def _step_size(self, obs: np.ndarray) -> tuple[float, float]:
        return self._meeting_steps(obs, self.target_of(obs))


def _play_target(env: Any, policy: AdaptiveStepPolicy, first_obs: np.ndarray, target: float) -> float:
    """Return of the meeting rule towards ``target`` on a clone of ``env``'s running auction (at its start),
    ticked as ``env.step`` ticks it: the policy's step pair through ``step_to_action`` and back."""
    auction = env.auction.clone()
    cfg, obs = env.config, first_obs.copy()
    lower, span = cfg.price_bounds[0], cfg.price_bounds[1] - cfg.price_bounds[0]
    buyer_entry, seller_entry = env.obs_names.index("buyer_price"), env.obs_names.index("seller_price")
    active_entry = env.obs_names.index("buyer_clock_active")
    while not auction.done:
        steps = env.action_to_step(env.step_to_action(policy._meeting_steps(obs, target)))
        auction.tick(float(steps[0] if auction.active_clock == BUYER else steps[1]))
        obs[buyer_entry] = min(max((auction.buyer_price - lower) / span, 0.0), 1.0)
        obs[seller_entry] = min(max((auction.seller_price - lower) / span, 0.0), 1.0)
        obs[active_entry] = 1.0 if auction.active_clock == BUYER else 0.0
    result = auction.result()
    efficiency = welfare_efficiency(result.social_welfare, efficient_welfare(env.market))
    return float(efficiency - cfg.eta * result.rounds)


def target_returns(
    env: gym.Env | Any, reset_seeds: Sequence[int], targets: Sequence[float], features: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Returns of the meeting rule for every target on the markets of ``reset_seeds``, and the markets'
    public features as counts.

    :returns: ``(returns, counts)``: ``returns[i, j]`` the return of target ``targets[j]`` on the market of
        ``env.reset(seed=reset_seeds[i])`` (the auction the env plays there, rationing draw included);
        ``counts[i]`` the features of its first observation (:meth:`PublicClasses.counts`).
    """
    base = dda_env(env, "target_returns")
    if base is not getattr(env, "unwrapped", env):
        raise ValueError("target_returns needs a single IoA-DDA env (it clones the env's auction)")
    policy = AdaptiveStepPolicy(base)
    if not policy._meet:
        raise ValueError("target_returns needs IoA-DDA-StrategyProof-v0 (per-clock steps, no acceptances)")
    probe = PublicClasses({name: () for name in features})
    returns = np.empty((len(reset_seeds), len(targets)))
    counts = np.empty((len(reset_seeds), len(features)), dtype=np.int64)
    for i, seed in enumerate(reset_seeds):
        first_obs, _ = base.reset(seed=int(seed))
        counts[i] = probe.counts(base, first_obs)
        for j, target in enumerate(targets):
            returns[i, j] = _play_target(base, policy, first_obs, float(target))
    return returns, counts


def fit_targets(
    returns: np.ndarray, keys: Sequence[tuple[int, ...]], targets: Sequence[float]
) -> tuple[dict[tuple[int, ...], float], float, dict[tuple[int, ...], int]]:
    """The best target per class: the target of the largest mean return over the class's markets (the
    smallest such target on ties).

    :returns: ``(table, default, sizes)``: class -> target, the best target over all markets (for classes
        that no training market fell in), class -> number of markets.
    """
    returns = np.asarray(returns, float)
    if returns.shape != (len(keys), len(targets)):
        raise ValueError(f"returns must have shape ({len(keys)}, {len(targets)}), got {returns.shape}")
    table, sizes = {}, {}
    for key in sorted(set(keys)):
        rows = [i for i, k in enumerate(keys) if k == key]
        table[key] = float(targets[int(np.argmax(returns[rows].mean(axis=0)))])
        sizes[key] = len(rows)
    return table, float(targets[int(np.argmax(returns.mean(axis=0)))]), sizes


def class_keys(classes: PublicClasses, counts: np.ndarray, features: Sequence[str]) -> list[tuple[int, ...]]:
    """The class of each row of ``counts`` (columns in ``features`` order)."""
    columns = [list(features).index(name) for name in classes.edges]
    return [classes.of_counts(row[columns]) for row in np.asarray(counts)]


def select_classes(
    returns: np.ndarray,
    counts: np.ndarray,
    features: Sequence[str],
    candidates: Sequence[Mapping[str, int]],
    targets: Sequence[float],
    folds: int = 5,
) -> tuple[Mapping[str, int], list[float]]:
    """The candidate binning (feature -> number of quantile bins) whose fitted table earns the most on
    held-out folds of the training markets (``folds``-fold cross-validation, markets in order; edges and
    tables fitted on the other folds). Returns it and every candidate's cross-validated mean return."""
    returns, counts = np.asarray(returns, float), np.asarray(counts)
    fold_of = np.arange(len(returns)) % folds
    scores = []
    for bins in candidates:
        earned = np.empty(len(returns))
        for fold in range(folds):
            train, test = fold_of != fold, fold_of == fold
            classes = PublicClasses.quantiles(
                {name: counts[train, list(features).index(name)] for name in bins}, bins
            )
            table, default, _ = fit_targets(
                returns[train], class_keys(classes, counts[train], features), targets
            )
            column = {float(t): j for j, t in enumerate(targets)}
            for i, key in zip(np.flatnonzero(test), class_keys(classes, counts[test], features), strict=True):
                earned[i] = returns[i, column[table.get(key, default)]]
        scores.append(float(earned.mean()))
    return candidates[int(np.argmax(scores))], scores


__all__ = [
    "FEATURE_SCALES",
    "class_keys",
    "select_classes",
    "PublicClassPolicy",
    "PublicClasses",
    "fit_targets",
    "target_returns",
]
