"""Where Tier-2 markets come from: the Tier-1 equilibrium (overloaded FAs buy, AAs sell), or a
synthetic distribution (docs/model.md, Sec. 3). NumPy, and Python scalars where the arrays hold only a
few FAs and AAs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ioa_gym.auctions.market import (
    Market,
    MarketArrays,
    generator_list,
    is_tradable,
    sample_market,
    sample_tradable_markets,
)
from ioa_gym.tier1.batch import sample_slots
from ioa_gym.tier1.scenario import Scenario, ScenarioConfig
from ioa_gym.tier1.stackelberg import Equilibrium, solve_equilibrium

__all__ = [
    "OVERFLOW_EPS",
    "market_from_equilibrium",
    "market_from_solution",
    "sample_synthetic_market",
    "sample_synthetic_markets",
    "sample_tier1_market",
    "sample_tier1_market_arrays",
    "sample_tier1_markets",
    "synthetic_tradable_probability",
]

# Numerical slack: an FA whose load exceeds capacity by less than this (Gcycles) is at capacity.
OVERFLOW_EPS = 1e-6


def market_from_equilibrium(
    scenario: Scenario, equilibrium: Equilibrium, unit_size: float | None = None
) -> Market:
    """Tier-2 market of one slot (Eq. 14-15): each overloaded FA j demands ceil(Q_j / u) units at
    private per-unit value p_j + zeta_j (its price plus what an unserved Gcycle costs it); each AA k
    offers floor(S_k / u) units at private per-unit cost eps kappa f_k^2 + hover_k. Prices are per
    Gcycle; a unit is u Gcycles (u = ``unit_size``, default the scenario's)."""
    return market_from_solution(scenario, equilibrium.prices, equilibrium.overflow, unit_size)


def market_from_solution(
    scenario: Scenario, prices: np.ndarray, overflow: np.ndarray, unit_size: float | None = None
) -> Market:
    """:func:`market_from_equilibrium` from a solution's leader prices (L,) and FA overflows Q_j (J,) alone
    (``ioa_gym.tier1.batch.solve_slots`` keeps no more)."""
    u = scenario.config.unit_size if unit_size is None else float(unit_size)
    if not u > 0:
        raise ValueError(f"unit_size must be > 0, got {unit_size}")
    # A few FAs and AAs: Python scalars cost less here than NumPy calls on 3-element arrays.
    fa_prices = prices[scenario.fa_slice].tolist()
    premiums = scenario.fa_value_premium.tolist()
    values, demand = [], []
    for j, excess in enumerate(overflow.tolist()):
        if excess > OVERFLOW_EPS:
            values.append(fa_prices[j] + premiums[j])
            demand.append(math.ceil(excess / u - 1e-9))
    costs = scenario.aa_unit_cost.tolist()
    supply = [math.floor(s / u + 1e-9) for s in scenario.aa_supply.tolist()]
    if not all(math.isfinite(v) for v in values + costs):
        raise ValueError(
            "market_from_equilibrium: the equilibrium gives non-finite buyer values or seller costs"
        )
    # Valid by construction (finite values, units >= 0 of matching lengths): skip the re-validation.
    return Market.from_valid_arrays(
        np.array(values, dtype=float),
        np.array(demand, dtype=np.int64),
        np.array(costs, dtype=float),
        np.array(supply, dtype=np.int64),
    )


def sample_tier1_market(
    config: ScenarioConfig, rng: np.random.Generator, max_attempts: int = 100, **solver_kwargs: Any
) -> tuple[Market, Scenario, Equilibrium]:
    """Sample slots (scenario -> Stackelberg equilibrium -> market) until the market is tradable
    (``is_tradable``); raise ValueError naming the options that decide tradability after ``max_attempts``
    slots without one (e.g. capacities so large that no FA is ever overloaded: the env refuses the plainly
    impossible cases at construction, ``ioa_gym.envs.dda_config``)."""
    for _ in range(max_attempts):
        scenario = config.sample(rng)
        equilibrium = solve_equilibrium(scenario, **solver_kwargs)
        market = market_from_equilibrium(scenario, equilibrium)
        if is_tradable(market):
            return market, scenario, equilibrium
    raise _untradable(config, max_attempts)


def _untradable(config: ScenarioConfig, max_attempts: int) -> ValueError:
    """The error of a stream that found no tradable market, naming the options that decide it."""
    return ValueError(
        f"no tradable Tier-2 market in {max_attempts} sampled slots: no FA was overloaded or no AA "
        f"offered a whole unit or no trade had gains. The options that decide it: unit_size="
        f"{config.unit_size}, aa_supply_range={config.aa_supply_range}, fa_capacity_range="
        f"{config.fa_capacity_range}, n_wa={config.n_wa}, n_fa={config.n_fa}, n_aa={config.n_aa}, "
        f"task_data_range={config.task_data_range}, task_intensity_range={config.task_intensity_range}; "
        "lower fa_capacity_range or unit_size, raise n_wa / n_aa / aa_supply_range, or use "
        "market_source='synthetic'"
    )


def sample_tier1_markets(
    config: ScenarioConfig, rngs: Sequence[np.random.Generator], max_attempts: int = 100, **solver_kwargs: Any
) -> list[Market]:
    """:func:`sample_tier1_market` for several streams at once: the market each generator of ``rngs`` would
    give, slot for slot (:func:`sample_tier1_market_arrays` on them, as ``Market`` objects). The same markets,
    bitwise, as calling :func:`sample_tier1_market` on each generator in turn (tested); ValueError as it
    raises when a stream finds no tradable market in ``max_attempts`` slots. With ``method="numpy"`` (the
    reference solver, one slot at a time) it is :func:`sample_tier1_market` on each generator in turn."""
    if solver_kwargs.get("method", "compiled") != "compiled":
        return [sample_tier1_market(config, rng, max_attempts, **solver_kwargs)[0] for rng in rngs]
    streams = np.arange(len(rngs), dtype=np.int64)
    markets = sample_tier1_market_arrays(config, generator_list(rngs), streams, max_attempts, **solver_kwargs)
    return [markets.market(k) for k in range(markets.count)]


def sample_tier1_market_arrays(
    config: ScenarioConfig, rngs: object, streams: np.ndarray, max_attempts: int = 100, **solver_kwargs: Any
) -> MarketArrays:
    """For each k the market :func:`sample_tier1_market` draws from generator ``rngs[streams[k]]`` (a numba
    typed list, ``ioa_gym.auctions.market.generator_list``; the generators advance as it advances them), in
    compiled calls over the batch: each attempt draws the slots of the streams still without a tradable
    market (``ioa_gym.tier1.batch.sample_slots``: the draws, their physics and their solve over all cores)
    and builds and checks their markets in one call (``_markets_kernel.tier1_markets``); the loop runs over
    attempts, not streams. The same markets, bitwise (tested). ValueError as :func:`sample_tier1_market`
    raises it when a stream finds no tradable market in ``max_attempts`` slots."""
    from ioa_gym.coupling._markets_kernel import tier1_markets

    streams = np.asarray(streams, dtype=np.int64)
    count, n_fa, n_aa = streams.shape[0], config.n_fa, config.n_aa
    values, demand = np.zeros((count, n_fa)), np.zeros((count, n_fa), np.int64)
    costs, supply = np.zeros((count, n_aa)), np.zeros((count, n_aa), np.int64)
    sizes = np.zeros((count, 4), np.int64)
    pending = np.arange(count)
    for _ in range(max_attempts):
        if not pending.shape[0]:
            break
        slots, solved = sample_slots(config, rngs, streams[pending], **solver_kwargs)
        drawn = tier1_markets(
            solved.prices,
            solved.overflow,
            slots.fa_value_premium,
            slots.aa_unit_cost,
            slots.aa_supply,
            config.n_ma,
            float(config.unit_size),
            OVERFLOW_EPS,
        )
        if not drawn[5].all():
            raise ValueError(
                "market_from_equilibrium: the equilibrium gives non-finite buyer values or seller costs"
            )
        tradable = drawn[4]
        found = pending[tradable]
        values[found], demand[found], supply[found], sizes[found] = (part[tradable] for part in drawn[:4])
        costs[found] = slots.aa_unit_cost[tradable]
        pending = pending[~tradable]
    if pending.shape[0]:
        raise _untradable(config, max_attempts)
    buyers = np.arange(n_fa) < sizes[:, :1]  # row-major: market k's buyers, then market k + 1's
    buyer_start, seller_start = (np.zeros(count + 1, np.int64) for _ in range(2))
    np.cumsum(sizes[:, 0], out=buyer_start[1:])
    np.cumsum(sizes[:, 1], out=seller_start[1:])
    return MarketArrays(
        values[buyers],
        demand[buyers],
        buyer_start,
        costs.reshape(-1),
        supply.reshape(-1),
        seller_start,
        sizes,
    )


def sample_synthetic_market(
    rng: np.random.Generator,
    n_buyers: tuple[int, int],
    n_sellers: tuple[int, int],
    units: tuple[int, int],
    values: tuple[float, float],
    costs: tuple[float, float],
    max_attempts: int = 1000,
) -> Market:
    """Synthetic market (uniform counts, units, values and costs), resampled until tradable; ValueError
    naming the synthetic_* ranges after ``max_attempts`` draws without one (the env refuses ranges whose
    draws are rarely tradable at construction, ``synthetic_tradable_probability``)."""
    for _ in range(max_attempts):
        market = sample_market(rng, n_buyers, n_sellers, units, values, costs)
        if is_tradable(market):
            return market
    raise _no_synthetic_market(n_buyers, n_sellers, values, costs, max_attempts)


def _no_synthetic_market(
    n_buyers: tuple[int, int],
    n_sellers: tuple[int, int],
    values: tuple[float, float],
    costs: tuple[float, float],
    max_attempts: int,
) -> ValueError:
    return ValueError(
        f"no tradable synthetic market in {max_attempts} draws: no buyer's value exceeded a seller's cost; "
        f"synthetic_values={values} must overlap synthetic_costs={costs} more (synthetic_buyers="
        f"{n_buyers}, synthetic_sellers={n_sellers})"
    )


def sample_synthetic_markets(
    rngs: object,
    streams: np.ndarray,
    n_buyers: tuple[int, int],
    n_sellers: tuple[int, int],
    units: tuple[int, int],
    values: tuple[float, float],
    costs: tuple[float, float],
    max_attempts: int = 1000,
) -> MarketArrays:
    """:func:`sample_synthetic_market` for several streams in one compiled call: for each k the market that
    generator ``rngs[streams[k]]`` (a numba typed list, ``ioa_gym.auctions.market.generator_list``) would
    give, draw for draw (tested), as flat arrays. The ranges are an env's checked ones (``DDAEnvConfig``);
    ValueError as :func:`sample_synthetic_market` raises it when a stream finds no tradable market."""
    markets, failed = sample_tradable_markets(
        rngs, streams, n_buyers, n_sellers, units, values, costs, max_attempts
    )
    if failed >= 0:
        raise _no_synthetic_market(n_buyers, n_sellers, values, costs, max_attempts)
    return markets


def synthetic_tradable_probability(
    n_buyers: int, n_sellers: int, values: tuple[float, float], costs: tuple[float, float]
) -> float:
    """Probability that a synthetic market of ``n_buyers`` buyers and ``n_sellers`` sellers (each with
    at least one unit) is tradable: that the largest of the uniform values exceeds the smallest of the
    uniform costs. The fewest participants give the smallest probability. Computed by quadrature over the
    smallest cost's quantiles (4096 points, well under a millisecond)."""
    v0, v1 = values
    c0, c1 = costs
    if c1 > c0:
        u = (np.arange(4096) + 0.5) / 4096
        min_cost = c0 + (c1 - c0) * (1.0 - (1.0 - u) ** (1.0 / n_sellers))
    else:
        min_cost = np.array([c0])
    if v1 > v0:
        below = np.clip((min_cost - v0) / (v1 - v0), 0.0, 1.0)  # P(one value <= the smallest cost)
    else:
        below = (min_cost >= v0).astype(float)
    return float(1.0 - np.mean(below**n_buyers))
