"""Incentive-compatibility audit of an auctioneer policy on IoA-DDA-v0 (docs/model.md, T2.13).

For any policy with Stable-Baselines3's ``predict`` (a trained model, a baseline, a reference policy),
through the environment itself:

1. Market ``k`` of audit seed ``s`` is the market that ``env.reset(seed=market_seed(s, k))`` samples, with
   ``market_seed(s, k) = 2**32 + 1_000_000 * s + k``: the markets of ``evaluate.py``'s episodes of
   evaluation seed ``s``.
2. The truthful auction is replayed with ``env.reset(seed=market_seed(s, k), options={"market": market})``
   and the policy's deterministic actions.
3. For each participant with at least one unit, in the order buyers then sellers, the misreports are
   drawn as :func:`ioa_gym.auctions.max_misreport_gain` draws them: ``n_deviations // 2`` values
   true x U[0.5, 1.5], the rest U[lower, upper] of the price bounds (from
   ``np.random.default_rng((market_seed(s, k), 1))``), and the truthful closing price
   p* +/- 1e-6 W, +/- 1e-2 W (W the bounds' width). Each misreport (``Market.with_buyer_value`` /
   ``with_seller_cost``) is replayed with the *same* reset seed, so the rationing order is the same. A
   misreport that leaves the reported market untradable (the env refuses to play it) earns 0: no IR
   mechanism trades there.
4. The participant's gain is its true utility under the misreport minus under truth, from the final
   info's clearing price and the env's ``last_result`` (its units): a buyer trading x units earns
   x (true value - clearing price), a seller x (clearing price - true cost).

Per market: the largest gain over participants and misreports, and that gain over SW_opt. Per policy:
mean and max of both over markets, and the share of markets where some misreport gains (more than
``GAIN_TOLERANCE``). For a fixed step this is exactly ``max_misreport_gain`` on the same markets and
misreports (tested). It is a lower bound on the true IC gap (sampled deviations).

All replays of a market run in lockstep, and the policy is asked once per distinct observation (a
cache keyed by the observation's bytes), with the misses predicted as one batch. So identical public
states always get bitwise-identical actions, whichever replay or batch they occur in: the audit compares
one deterministic auctioneer with itself, never two numerically different ones (batched and single
predictions of a network can differ in the last bits).

This module needs only NumPy and Gymnasium: a policy is a plain callable ``policy(observations) ->
actions`` (a batch in, one action per row out), or anything with SB3's ``predict``. The command line
(``evaluate.py ic-audit``: loading trained agents, progress, result files) is
:mod:`agents.evaluation.ic_audit`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

import gymnasium as gym
import numpy as np

from ioa_gym.analysis.rollout import Policy, play, predictor
from ioa_gym.analysis.seeding import SEED_STRIDE, episode_seed
from ioa_gym.auctions import BUYER, SELLER, AuctionResult, Market, is_tradable
from ioa_gym.checks import is_int
from ioa_gym.envs.access import dda_env
from ioa_gym.envs.dda import DoubleDutchAuctionEnv

MISREPORT_STREAM = 1
"""Second entropy word of the misreport generator (the first is the market's reset seed)."""
GAIN_TOLERANCE = 1e-9
"""A market counts as having a gain when its largest gain exceeds this (money units)."""
NEAR_PRICE_OFFSETS = (1e-6, -1e-6, 1e-2, -1e-2)
"""Misreports at p* + offset x (bounds' width), as in max_misreport_gain."""


market_seed = episode_seed
"""Reset seed of market ``index`` of audit seed ``seed``: :func:`ioa_gym.analysis.seeding.episode_seed`, the
rule of evaluate.py's episodes."""


def misreport_rng(reset_seed: int) -> np.random.Generator:
    """Generator of the random misreports of the market with reset seed ``reset_seed``."""
    return np.random.default_rng((int(reset_seed), MISREPORT_STREAM))


@dataclass(frozen=True)
class MarketAudit:
    """Audit of one market: the truthful outcome and the most profitable misreport found.

    ``side`` is ``"buyer"`` or ``"seller"`` (None when no misreport gains), ``participant`` its index,
    ``report`` its misreported value or cost, ``gain_ratio`` = ``max_gain`` / ``efficient_welfare``.
    """

    index: int
    reset_seed: int
    n_buyers: int
    n_sellers: int
    buyer_units: int
    seller_units: int
    efficient_welfare: float
    truthful_efficiency: float
    truthful_rounds: int
    truthful_units_traded: int
    clearing_price: float
    closing_price: float
    max_gain: float
    gain_ratio: float
    side: str | None
    participant: int
    report: float
    true_value: float
    truthful_utility: float
    deviating_utility: float
    auctions_run: int
    policy_calls: int


@dataclass
class ICAuditResult:
    """Audit of one policy over a set of markets.

    ``mechanism`` is the env's mechanism, ``incentive_compatible`` whether it declares an incentive guarantee
    (``ioa_gym.auctions.Mechanism.incentive``): there every gain the audit finds is a defect, not a
    measurement."""

    policy: str
    env_id: str
    env_kwargs: dict[str, Any]
    seed: int
    n_deviations: int
    markets: list[MarketAudit] = field(default_factory=list)
    mechanism: str = ""
    incentive_compatible: bool = False

    def _values(self, name: str) -> np.ndarray:
        return np.array([getattr(market, name) for market in self.markets], dtype=float)

    def summary(self) -> dict[str, Any]:
        """Mean and max over markets of the largest gain and gain / SW_opt; share of markets with a gain."""
        gains, ratios = self._values("max_gain"), self._values("gain_ratio")
        empty = not self.markets
        return {
            "policy": self.policy,
            "markets": len(self.markets),
            "auctions_replayed": int(sum(market.auctions_run for market in self.markets)),
            "mean_gain": math.nan if empty else float(gains.mean()),
            "max_gain": math.nan if empty else float(gains.max()),
            "mean_gain_ratio": math.nan if empty else float(np.nanmean(ratios)),
            "max_gain_ratio": math.nan if empty else float(np.nanmax(ratios)),
            "share_with_gain": math.nan if empty else float(np.mean(gains > GAIN_TOLERANCE)),
            "mean_truthful_efficiency": math.nan
            if empty
            else float(self._values("truthful_efficiency").mean()),
            "mean_truthful_rounds": math.nan if empty else float(self._values("truthful_rounds").mean()),
        }

    def to_dict(self) -> dict[str, Any]:
        """Settings, summary and per-market records."""
        return {
            "policy": self.policy,
            "env_id": self.env_id,
            "env_kwargs": self.env_kwargs,
            "seed": self.seed,
            "n_deviations": self.n_deviations,
            "mechanism": self.mechanism,
            "incentive_compatible": self.incentive_compatible,
            "summary": self.summary(),
            "markets": [asdict(market) for market in self.markets],
        }


def sample_markets(
    env_id: str, env_kwargs: Mapping[str, Any] | None, n_markets: int, seed: int = 0
) -> list[Market]:
    """The markets ``env.reset(seed=market_seed(seed, k))`` samples, k = 0 .. n_markets - 1."""
    env = gym.make(env_id, **dict(env_kwargs or {}))
    try:
        base = dda_env(env, "the IC audit")
        markets = []
        for index in range(n_markets):
            env.reset(seed=market_seed(seed, index))
            assert base.market is not None
            markets.append(base.market)
        return markets
    finally:
        env.close()


class _Replayer:
    """Plays auctions on given markets in lockstep (:func:`ioa_gym.analysis.rollout.play`), with the policy
    asked once per distinct observation of a market (a cache keyed by the observation's bytes)."""

    def __init__(self, env_id: str, env_kwargs: Mapping[str, Any], policy: Policy | Any) -> None:
        self.env_id, self.env_kwargs = env_id, dict(env_kwargs)
        # Anything with SB3's predict goes through it (an SB3 model's torch policy is callable too).
        self.policy: Policy = predictor(policy, deterministic=True) if hasattr(policy, "predict") else policy
        self.envs: list[DoubleDutchAuctionEnv] = []
        self.cache: dict[bytes, Any] = {}
        self.policy_calls = 0

    def _env(self, index: int) -> DoubleDutchAuctionEnv:
        while len(self.envs) <= index:
            self.envs.append(dda_env(gym.make(self.env_id, **self.env_kwargs), "the IC audit"))
        return self.envs[index]

    def _actions(self, observations: np.ndarray) -> list[Any]:
        keys = [observation.tobytes() for observation in observations]
        first = {key: observations[i] for i, key in reversed(list(enumerate(keys))) if key not in self.cache}
        missing = list(first)
        if missing:
            actions = np.asarray(self.policy(np.stack([first[key] for key in missing])))
            if actions.shape[0] != len(missing):
                raise ValueError(
                    f"the policy returned {actions.shape[0]} actions for a batch of {len(missing)}"
                )
            self.policy_calls += 1
            for key, action in zip(missing, actions, strict=True):
                self.cache[key] = action.copy()
        return [self.cache[key] for key in keys]

    def play(self, markets: Sequence[Market], reset_seed: int) -> list[_Played]:
        """The auction on each market, all reset with ``reset_seed``."""
        envs = [self._env(index) for index in range(len(markets))]
        episodes = play(envs, self._actions, [reset_seed] * len(markets), [{"market": m} for m in markets])
        played = []
        for env, episode in zip(envs, episodes, strict=True):
            assert episode.terminated and env.last_result is not None  # the unwrapped env's auction ends
            played.append(_Played(episode.info, float(episode.info["clearing_price"]), env.last_result))
        return played


class _Played(NamedTuple):
    """One replayed auction: its final info, its closing price (p* of T2.6) and its ``AuctionResult``."""

    info: dict[str, Any]
    closing_price: float
    result: AuctionResult


def true_utility(result: AuctionResult, price: float, side: str, index: int, true_value: float) -> float:
    """T2.13 from an auction's result and closing price: buyer x (true value - p*), seller x (p* - true
    cost), x units traded."""
    units = int((result.buyer_units_traded if side == BUYER else result.seller_units_traded)[index])
    if units == 0:
        return 0.0
    return units * (true_value - price if side == BUYER else price - true_value)


def sample_misreports(
    true_value: float,
    rng: np.random.Generator,
    n_deviations: int,
    price_bounds: tuple[float, float],
    closing_price: float,
) -> list[float]:
    """Misreports of one participant, drawn in max_misreport_gain's order (reports equal to the truth
    are dropped)."""
    lower, upper = price_bounds
    n_scaled = n_deviations // 2
    reports = np.concatenate(
        [
            true_value * rng.uniform(0.5, 1.5, n_scaled),
            rng.uniform(lower, upper, n_deviations - n_scaled),
            closing_price + (upper - lower) * np.array(NEAR_PRICE_OFFSETS),
        ]
    )
    return [report for report in reports.tolist() if report != true_value]


def audit_market(
    replayer: _Replayer, market: Market, index: int, reset_seed: int, n_deviations: int
) -> MarketAudit:
    """Largest misreport gain on one market (see the module docstring)."""
    replayer.cache = {}
    calls_before = replayer.policy_calls
    env = replayer._env(0)
    price_bounds = env.config.price_bounds
    (truthful,) = replayer.play([market], reset_seed)
    closing_price = truthful.closing_price
    rng = misreport_rng(reset_seed)
    deviations: list[tuple[str, int, float, float, Market]] = []
    for side in (BUYER, SELLER):
        values = market.buyer_values if side == BUYER else market.seller_costs
        units = market.buyer_units if side == BUYER else market.seller_units
        for participant in range(values.shape[0]):
            if units[participant] == 0:
                continue
            true_value = float(values[participant])
            for report in sample_misreports(true_value, rng, n_deviations, price_bounds, closing_price):
                deviated = (
                    market.with_buyer_value(participant, report)
                    if side == BUYER
                    else market.with_seller_cost(participant, report)
                )
                deviations.append((side, participant, true_value, report, deviated))
    # A misreport can leave the reported market untradable (no reported value above any reported cost), which
    # the env refuses to play; no IR mechanism trades there (a trade needs v >= p >= c), so every
    # participant's utility is 0 without a replay.
    playable = [deviation[4] for deviation in deviations if is_tradable(deviation[4])]
    played = iter(replayer.play(playable, reset_seed) if playable else [])
    outcomes = [next(played) if is_tradable(deviation[4]) else None for deviation in deviations]
    best: tuple[float, str | None, int, float, float, float, float] = (
        0.0,
        None,
        -1,
        math.nan,
        math.nan,
        0.0,
        0.0,
    )
    for (side, participant, true_value, report, _), outcome in zip(deviations, outcomes, strict=True):
        baseline = true_utility(truthful.result, closing_price, side, participant, true_value)
        deviating = (
            0.0
            if outcome is None
            else true_utility(outcome.result, outcome.closing_price, side, participant, true_value)
        )
        if deviating - baseline > best[0]:
            best = (deviating - baseline, side, participant, report, true_value, baseline, deviating)
    welfare = float(truthful.info["efficient_welfare"])
    return MarketAudit(
        index=index,
        reset_seed=reset_seed,
        n_buyers=market.n_buyers,
        n_sellers=market.n_sellers,
        buyer_units=market.total_buyer_units,
        seller_units=market.total_seller_units,
        efficient_welfare=welfare,
        truthful_efficiency=float(truthful.info["efficiency"]),
        truthful_rounds=int(truthful.info["rounds"]),
        truthful_units_traded=int(truthful.info["units_traded"]),
        clearing_price=float(truthful.result.clearing_price),  # nan when no unit trades
        closing_price=float(closing_price),
        max_gain=best[0],
        gain_ratio=best[0] / welfare if welfare > 0 else math.nan,
        side=best[1],
        participant=best[2],
        report=best[3],
        true_value=best[4],
        truthful_utility=best[5],
        deviating_utility=best[6],
        auctions_run=len(deviations),
        policy_calls=replayer.policy_calls - calls_before,
    )


def audit_policy(
    policy: Policy | Any,
    env_id: str = "IoA-DDA-v0",
    env_kwargs: Mapping[str, Any] | None = None,
    n_markets: int = 100,
    seed: int = 0,
    n_deviations: int = 24,
    label: str = "policy",
    markets: Sequence[Market] | None = None,
    on_market: Callable[[], None] | None = None,
) -> ICAuditResult:
    """Audit ``policy`` on ``n_markets`` markets of ``env_id``.

    :param policy: anything with SB3's ``predict`` (asked with ``deterministic=True``), else a plain callable
        ``policy(observations) -> actions`` (a batch in, one action per row out).
    :param env_kwargs: env options, e.g. ``{"variant": "strategy-proof"}``.
    :param seed: audit seed (market k is reset with ``market_seed(seed, k)``).
    :param n_deviations: random misreports per participant, besides the 4 near the closing price.
    :param markets: the markets of :func:`sample_markets` (same arguments), to share them across policies;
        at least ``n_markets`` of them (the first ``n_markets`` are audited).
    :param on_market: called after each market (progress bars).

    Every argument is checked before the first market is audited (ValueError naming it).
    """
    if not is_int(n_deviations) or n_deviations < 0:
        raise ValueError(f"n_deviations must be an integer >= 0, got {n_deviations!r}")
    if not is_int(n_markets) or not 1 <= n_markets <= SEED_STRIDE:
        raise ValueError(f"n_markets must be an integer in [1, {SEED_STRIDE}], got {n_markets!r}")
    if not is_int(seed) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0 (the audit seed), got {seed!r}")
    if env_kwargs is not None and not isinstance(env_kwargs, Mapping):
        raise ValueError(f"env_kwargs must be a mapping of env options (or None), got {env_kwargs!r}")
    if policy is None or not (callable(policy) or callable(getattr(policy, "predict", None))):
        raise ValueError(
            f"policy must have SB3's predict() or be a callable observations -> actions, got {policy!r}"
        )
    if on_market is not None and not callable(on_market):
        raise ValueError(f"on_market must be a callable of no arguments (or None), got {on_market!r}")
    if markets is not None:
        if not isinstance(markets, Sequence) or len(markets) < n_markets:
            got = f"{len(markets)} markets" if isinstance(markets, Sequence) else repr(markets)
            raise ValueError(
                f"markets must be a sequence of at least n_markets={n_markets} Markets (sample_markets), "
                f"got {got}"
            )
        if not all(isinstance(market, Market) for market in markets[:n_markets]):
            raise ValueError("markets must hold ioa_gym.auctions.Market objects (sample_markets)")
    env_kwargs = dict(env_kwargs or {})
    if markets is None:
        markets = sample_markets(env_id, env_kwargs, n_markets, seed)
    replayer = _Replayer(env_id, env_kwargs, policy)
    mechanism = replayer._env(0).mechanism
    result = ICAuditResult(
        policy=label,
        env_id=env_id,
        env_kwargs=env_kwargs,
        seed=int(seed),
        n_deviations=int(n_deviations),
        mechanism=mechanism.name,
        incentive_compatible=mechanism.incentive_compatible,
    )
    try:
        for index, market in enumerate(markets[:n_markets]):
            result.markets.append(
                audit_market(replayer, market, index, market_seed(seed, index), int(n_deviations))
            )
            if on_market is not None:
                on_market()
    finally:
        for env in replayer.envs:
            env.close()
    return result


MARKET_COLUMNS = (
    "policy",
    "index",
    "reset_seed",
    "n_buyers",
    "n_sellers",
    "buyer_units",
    "seller_units",
    "efficient_welfare",
    "truthful_efficiency",
    "truthful_rounds",
    "truthful_units_traded",
    "clearing_price",
    "closing_price",
    "max_gain",
    "gain_ratio",
    "side",
    "participant",
    "report",
    "true_value",
    "truthful_utility",
    "deviating_utility",
    "auctions_run",
    "policy_calls",
)
"""Columns of the per-market records (``ic_markets.csv``): the policy's label, then :class:`MarketAudit`."""


__all__ = [
    "GAIN_TOLERANCE",
    "MARKET_COLUMNS",
    "MISREPORT_STREAM",
    "NEAR_PRICE_OFFSETS",
    "ICAuditResult",
    "MarketAudit",
    "audit_market",
    "audit_policy",
    "market_seed",
    "misreport_rng",
    "sample_markets",
    "sample_misreports",
    "true_utility",
]


if __name__ == "__main__":
    import sys

    print(
        "the IC audit's command line is: evaluate.py ic-audit --help (or ioa-evaluate ic-audit)",
        file=sys.stderr,
    )
    raise SystemExit(2)
