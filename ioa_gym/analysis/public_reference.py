"""A public-information reference for the incentive-compatible DDA ids (issue 25, point 2; docs/results.md).

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

On IoA-DDA-DoubleClock-v0 the exits are public and arrive during the auction, and they set which clock moves
(the turn rule), so a public policy is closed-loop and the argument above does not hold. The meeting rule
still plays there (:func:`meeting_steps` heads either clock direction; one step per tick is the moving
clock's), but it cannot park a clock at its target: a clock that has reached it and keeps the turn creeps on
by the smallest step. The closed-loop reference there:

* :class:`SlowdownPolicy`: both clocks at the largest step to a *slow price*, then a small step scaled by
  how far the moving side's active units exceed the other side's (the exits): three parameters, fitted on a
  grid;
* :func:`public_returns`: the return of any auctioneer given as a function of the observation on given
  markets, the env's auction cloned and the observation rebuilt after every tick as the env builds it.

Needs only NumPy and Gymnasium (no agents, no torch).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from ioa_gym.analysis.policies import AdaptiveStepPolicy, _ReferencePolicy
from ioa_gym.auctions import BUYER, efficient_welfare, welfare_efficiency
from ioa_gym.envs.access import dda_env

FEATURE_SCALES = {
    "n_buyers": "max_buyers",
    "n_sellers": "max_sellers",
    "buyer_units": "max_units",
    "seller_units": "max_units",
}
"""Public market-size entries of the observation and the config field each is normalised by."""

StepRule = Callable[[np.ndarray], "float | tuple[float, float]"]
"""An auctioneer as a function of one observation: the step of the next tick, or (buyer_step, seller_step)
on an env with per-clock steps."""


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
    size: ``table[classes.of_counts(counts)]``, ``default_target`` for a class not in the table (None: the
    meeting price of the mechanism's best fixed step). Reads only the observation (clock prices, the turn,
    the market's size), so every incentive-compatible mechanism stays IC under it; needs one
    (IoA-DDA-StrategyProof-v0, IoA-DDA-DoubleClock-v0). With one step per tick (the double clock) it gives
    the moving clock's step of the pair (:meth:`meeting_steps`)."""

    def __init__(
        self,
        env: gym.Env | Any,
        classes: PublicClasses,
        table: Mapping[tuple[int, ...], float],
        default_target: float | None = None,
    ) -> None:
        super().__init__(env, target_price=default_target)
        if not self.env.mechanism.incentive_compatible:
            raise ValueError(
                "PublicClassPolicy plays the meeting rule as a public-information reference: it needs an "
                "incentive-compatible mechanism (IoA-DDA-StrategyProof-v0, IoA-DDA-DoubleClock-v0), got "
                f"{self.env.mechanism.name!r}"
            )
        low, high = self.env.config.price_bounds
        for key, target in table.items():
            if not low < target < high:
                raise ValueError(f"target {target} of class {key} must lie inside the price bounds")
        self.classes, self.table = classes, dict(table)
        self._per_clock = bool(self.env.config.per_clock_steps)

    def target_of(self, obs: np.ndarray) -> float:
        """The target of the class of ``obs``."""
        key = self.classes.of_counts(self.classes.counts(self.env, obs))
        return self.table.get(key, self.target_price)

    def meeting_steps(self, obs: np.ndarray, target: float) -> tuple[float, float]:
        """(buyer_step, seller_step) of the meeting rule towards ``target``: each clock covers its distance to
        the target in as few ticks as the largest step allows, the two spread over the same number of ticks;
        once the standing clock has reached the target, the moving one crosses with the largest step. The
        buyer clock descends towards the seller clock (the DDAs: bit for bit
        ``AdaptiveStepPolicy._meeting_steps``) or ascends (the double clock), read from their order. Where the
        turn follows the exits (the double clock) a clock that has reached the target and keeps the turn
        moves on by the smallest step."""
        buyer = self._lower + float(obs[self._price_entries[0]]) * self._span
        seller = self._lower + float(obs[self._price_entries[1]]) * self._span
        tolerance = 1e-3 * self._span
        buyer_active = obs[self._buyer_active] > 0.5
        if buyer < seller:  # the buyer clock ascends
            standing = seller <= target + tolerance if buyer_active else buyer >= target - tolerance
            distances = max(target - buyer, 0.0), max(seller - target, 0.0)
        else:
            standing = seller >= target - tolerance if buyer_active else buyer <= target + tolerance
            distances = max(buyer - target, 0.0), max(target - seller, 0.0)
        if standing:
            return self._step_max, self._step_max  # the standing clock is at the target: cross it
        ticks = max(1, *(math.ceil(d / self._step_max - 1e-9) for d in distances))
        low, high = self._step_min, self._step_max
        return min(max(distances[0] / ticks, low), high), min(max(distances[1] / ticks, low), high)

    def step_towards(self, obs: np.ndarray, target: float) -> float | tuple[float, float]:
        """The action's step(s) of the meeting rule towards ``target``: the pair with per-clock steps, else
        the moving clock's step."""
        pair = self.meeting_steps(obs, target)
        if self._per_clock:
            return pair
        return pair[0] if obs[self._buyer_active] > 0.5 else pair[1]

    def _step_size(self, obs: np.ndarray) -> float | tuple[float, float]:
        return self.step_towards(obs, self.target_of(obs))


def simulate(
    env: Any, first_obs: np.ndarray, rule: StepRule, trace: list[np.ndarray] | None = None
) -> tuple[float, float, int]:
    """(return, efficiency, rounds) of the auctioneer ``rule`` on a clone of ``env``'s running auction from
    its start (``first_obs``: its first observation), ticked as ``env.step`` ticks it: the rule's step
    through ``step_to_action`` and back, the moving clock's. After every tick the observation is rebuilt as
    the env builds it, every entry but ``last_step`` (NaN here: no rule of this module reads it); ``trace``
    (a list) receives a copy of each. Needs the unwrapped env, reset and not yet stepped, without an
    observation history."""
    cfg, names = env.config, env.obs_names
    if cfg.history_length != 1:
        raise ValueError("simulate rebuilds one observation frame: it needs history_length 1")
    word = env.mechanism.counted
    counted = (
        f"buyer_units_{word}",
        f"seller_units_{word}",
        f"buyer_{word}_last_tick",
        f"seller_{word}_last_tick",
    )
    rebuilt = ("buyer_price", "seller_price", "clock_gap", "buyer_clock_active", "round_fraction", *counted)
    entries = [(position, names.index(name)) for position, name in enumerate(rebuilt) if name in names]
    auction, obs = env.auction.clone(), np.array(first_obs, dtype=np.float32)
    lower, span = cfg.price_bounds[0], cfg.price_bounds[1] - cfg.price_bounds[0]
    buyer_units, seller_units = env.market.total_buyer_units or 1, env.market.total_seller_units or 1
    while not auction.done:
        steps = env.action_to_step(env.step_to_action(rule(obs)))
        before = auction.public_counts()
        auction.tick(float(steps[1] if len(steps) > 1 and auction.active_clock != BUYER else steps[0]))
        counts = auction.public_counts()
        values = (
            min(max((auction.buyer_price - lower) / span, 0.0), 1.0),
            min(max((auction.seller_price - lower) / span, 0.0), 1.0),
            min(max(auction.clock_gap / span, -1.0), 1.0),
            1.0 if auction.active_clock == BUYER else 0.0,
            auction.rounds / auction.max_rounds,
            counts[0] / buyer_units,
            counts[1] / seller_units,
            (counts[0] - before[0]) / buyer_units,
            (counts[1] - before[1]) / seller_units,
        )
        for position, index in entries:
            obs[index] = values[position]
        if "last_step" in names:
            obs[names.index("last_step")] = np.nan
        if trace is not None:
            trace.append(obs.copy())
    result = auction.result()
    efficiency = welfare_efficiency(result.social_welfare, efficient_welfare(env.market))
    return float(efficiency - cfg.eta * result.rounds), float(efficiency), int(result.rounds)


def _single_env(env: gym.Env | Any, purpose: str) -> Any:
    base = dda_env(env, purpose)
    if base is not getattr(env, "unwrapped", env):
        raise ValueError(f"{purpose} needs a single IoA-DDA env (it clones the env's auction)")
    return base


def public_returns(env: gym.Env | Any, reset_seeds: Sequence[int], rules: Sequence[StepRule]) -> np.ndarray:
    """``returns[i, j]``: the return of ``rules[j]`` on the market of ``env.reset(seed=reset_seeds[i])`` (the
    auction the env plays there, rationing draw included), by :func:`simulate`."""
    base = _single_env(env, "public_returns")
    returns = np.empty((len(reset_seeds), len(rules)))
    for i, seed in enumerate(reset_seeds):
        first_obs, _ = base.reset(seed=int(seed))
        for j, rule in enumerate(rules):
            returns[i, j] = simulate(base, first_obs, rule)[0]
    return returns


def target_returns(
    env: gym.Env | Any, reset_seeds: Sequence[int], targets: Sequence[float], features: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Returns of the meeting rule for every target on the markets of ``reset_seeds``, and the markets'
    public features as counts.

    :returns: ``(returns, counts)``: ``returns[i, j]`` the return of target ``targets[j]`` on the market of
        ``env.reset(seed=reset_seeds[i])`` (the auction the env plays there, rationing draw included);
        ``counts[i]`` the features of its first observation (:meth:`PublicClasses.counts`).
    """
    base = _single_env(env, "target_returns")
    policy = PublicClassPolicy(base, PublicClasses({}), {})  # a ValueError unless the mechanism is IC
    rules = [lambda obs, target=float(target): policy.step_towards(obs, target) for target in targets]
    probe = PublicClasses({name: () for name in features})
    returns = np.empty((len(reset_seeds), len(targets)))
    counts = np.empty((len(reset_seeds), len(features)), dtype=np.int64)
    for i, seed in enumerate(reset_seeds):
        first_obs, _ = base.reset(seed=int(seed))
        counts[i] = probe.counts(base, first_obs)
        for j, rule in enumerate(rules):
            returns[i, j] = simulate(base, first_obs, rule)[0]
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


class SlowdownPolicy(_ReferencePolicy):
    """A closed-loop auctioneer of the public history, for a mechanism whose observation counts exits
    (IoA-DDA-DoubleClock-v0), with three parameters:

    1. a clock short of ``slow_price`` moves towards it by the largest step (by the rest of the way when
       that is shorter: it stops there);
    2. at or past it, by ``step`` x max(1, ``margin`` x surplus), the surplus being the active units of the
       moving clock's side less those of the other side, in mean units per participant of the moving side
       (from the public market size): larger steps while that side has participants to spare, ``step`` when
       an exit could leave it short.

    Which clock moves is the mechanism's turn rule, on the exits; a step that reaches the other clock makes
    them meet. It reads only the observation (clock prices, the turn, the exited units, the market's size),
    so every incentive-compatible mechanism stays IC under it."""

    def __init__(self, env: gym.Env | Any, slow_price: float, step: float, margin: float = 0.0) -> None:
        super().__init__(env)
        cfg, names = self.env.config, self.env.obs_names
        if not self.env.mechanism.incentive_compatible or "buyer_units_exited" not in names:
            raise ValueError(
                "SlowdownPolicy needs an incentive-compatible mechanism whose observation counts exits "
                f"(IoA-DDA-DoubleClock-v0), got {self.env.mechanism.name!r}"
            )
        low, high = cfg.price_bounds
        if not low <= slow_price <= high:
            raise ValueError(f"slow_price must lie in the price bounds {cfg.price_bounds}, got {slow_price}")
        if not cfg.step_min <= step <= cfg.step_max:
            raise ValueError(f"step must be in [{cfg.step_min}, {cfg.step_max}], got {step}")
        if not 0.0 <= margin < math.inf:
            raise ValueError(f"margin must be a finite number >= 0, got {margin}")
        self.slow_price, self.step, self.margin = float(slow_price), float(step), float(margin)
        self._lower, self._span = low, high - low
        self._step_min, self._step_max = cfg.step_min, cfg.step_max
        self._entries = [
            names.index(name)
            for name in (
                "buyer_price",
                "seller_price",
                "buyer_clock_active",
                "buyer_units_exited",
                "seller_units_exited",
                "buyer_units",
                "seller_units",
                "n_buyers",
                "n_sellers",
            )
        ]
        self._scales = (cfg.max_units, cfg.max_units, cfg.max_buyers, cfg.max_sellers)

    def step_size(self, obs: np.ndarray) -> float:
        """The step of the next tick (the moving clock's)."""
        buyer_price, seller_price, turn, buyers_out, sellers_out, *sizes = (
            float(obs[i]) for i in self._entries
        )
        buyer = self._lower + buyer_price * self._span
        seller = self._lower + seller_price * self._span
        buyer_moves = turn > 0.5
        price = buyer if buyer_moves else seller
        rises = buyer_moves == (buyer < seller)  # the buyer clock ascends on the double clock
        distance = self.slow_price - price if rises else price - self.slow_price
        if distance > 1e-9 * self._span:
            step = distance
        else:
            buyer_units, seller_units, n_buyers, n_sellers = (
                round(size * scale) for size, scale in zip(sizes, self._scales, strict=True)
            )
            active = round(buyer_units * (1.0 - buyers_out)), round(seller_units * (1.0 - sellers_out))
            mine, other = active if buyer_moves else active[::-1]
            per_participant = buyer_units / n_buyers if buyer_moves else seller_units / n_sellers
            step = self.step * max(1.0, self.margin * (mine - other) / max(per_participant, 1.0))
        return min(max(step, self._step_min), self._step_max)

    def _step_size(self, obs: np.ndarray) -> float:
        return self.step_size(obs)


__all__ = [
    "FEATURE_SCALES",
    "PublicClassPolicy",
    "PublicClasses",
    "SlowdownPolicy",
    "StepRule",
    "class_keys",
    "fit_targets",
    "public_returns",
    "select_classes",
    "simulate",
    "target_returns",
]
