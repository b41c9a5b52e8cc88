"""The reported Tier-2 market (T2.1) and its welfare benchmark (T2.11-T2.12): the *Market* and
*Welfare* parts of docs/model.md, Sec. 4. Every mechanism plays a :class:`Market`; ``ioa_gym.auctions``
re-exports its public names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

# ----------------------------------------------------------------------------------------------------
# Market
# ----------------------------------------------------------------------------------------------------

MAX_UNITS = 10**6
"""Upper bound of the units of one side of a market (per participant and in all). An auction expands every
unit into its own entry of several lists and arrays (values, owners, acceptance order), tens of bytes each,
so 10**6 units are about 0.1 GB; far larger counts ran out of memory, and counts beyond int64 wrapped to
negative totals."""


MAX_ABS_PRICE = 1e12
"""Bound of every buyer value and seller cost (|x| <= 1e12): welfare sums of up to ``MAX_UNITS`` units stay
finite and exact enough (1e308 overflowed them to inf)."""


def _price_array(name: str, values: object) -> np.ndarray:
    """Validate a 1-D array of finite per-unit values or costs in [-MAX_ABS_PRICE, MAX_ABS_PRICE] (real
    numbers, not bools or strings); return a read-only float copy."""
    try:
        raw = np.asarray(values)
    except (TypeError, ValueError):
        raw = None
    if raw is None or (raw.size and raw.dtype.kind not in "iuf"):
        raise ValueError(
            f"{name} must be a 1-D array of finite numbers (no bools or strings), got {values!r}"
        )
    array = np.array(raw, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {array.shape}")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValueError(f"{name} must be finite numbers, got {array[bad[0]]} at index {bad[0]}")
    bad = np.flatnonzero(np.abs(array) > MAX_ABS_PRICE)
    if bad.size:
        raise ValueError(
            f"{name} must lie in [-{MAX_ABS_PRICE:g}, {MAX_ABS_PRICE:g}] (MAX_ABS_PRICE), got "
            f"{array[bad[0]]} at index {bad[0]}"
        )
    array.setflags(write=False)
    return array


def _unit_array(name: str, units: object, expected_length: int, values_name: str) -> np.ndarray:
    """Validate a 1-D array of unit counts (integers >= 0); return a read-only int64 copy."""
    raw = np.asarray(units)
    if raw.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {raw.shape}")
    if raw.shape[0] != expected_length:
        raise ValueError(
            f"{name} must have one entry per entry of {values_name} ({expected_length}), got {raw.shape[0]}"
        )
    if raw.dtype.kind not in "iuf" and raw.size:  # bools and strings too
        raise ValueError(f"{name} must be integers >= 0 (no bools or strings), got dtype {raw.dtype}")
    as_float = raw.astype(float)
    bad = np.flatnonzero(~np.isfinite(as_float) | (as_float < 0) | (as_float != np.round(as_float)))
    if bad.size:
        raise ValueError(f"{name} must be integers >= 0, got {raw[bad[0]]} at index {bad[0]}")
    total = float(as_float.sum())
    if total > MAX_UNITS:
        raise ValueError(
            f"{name} must be integers in [0, {MAX_UNITS}] adding up to at most {MAX_UNITS} (MAX_UNITS, "
            f"the units one side of an auction can hold in memory), got a total of {total:.6g} units"
        )
    array = as_float.astype(np.int64)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Market:
    """Reported Tier-2 market (T2.1): buyers (overloaded FAs) and sellers (AAs), per-unit prices.

    Values and costs are the *reported* ones, so a caller can study misreports. A participant with
    k units is k unit traders with the same value (or cost).

    :param buyer_values: reported per-unit value v_j of each buyer, shape (n_buyers,), finite.
    :param buyer_units: units demanded by each buyer, integers >= 0, shape (n_buyers,).
    :param seller_costs: reported per-unit cost c_k of each seller, shape (n_sellers,), finite.
    :param seller_units: units offered by each seller, integers >= 0, shape (n_sellers,).
    """

    buyer_values: np.ndarray
    buyer_units: np.ndarray
    seller_costs: np.ndarray
    seller_units: np.ndarray

    def __post_init__(self) -> None:
        buyer_values = _price_array("buyer_values", self.buyer_values)
        seller_costs = _price_array("seller_costs", self.seller_costs)
        buyer_units = _unit_array("buyer_units", self.buyer_units, buyer_values.shape[0], "buyer_values")
        seller_units = _unit_array("seller_units", self.seller_units, seller_costs.shape[0], "seller_costs")
        object.__setattr__(self, "buyer_values", buyer_values)
        object.__setattr__(self, "buyer_units", buyer_units)
        object.__setattr__(self, "seller_costs", seller_costs)
        object.__setattr__(self, "seller_units", seller_units)

    @classmethod
    def from_valid_arrays(
        cls,
        buyer_values: np.ndarray,
        buyer_units: np.ndarray,
        seller_costs: np.ndarray,
        seller_units: np.ndarray,
    ) -> Market:
        """A market from arrays the caller guarantees valid (1-D float64 finite values and costs, 1-D
        int64 units >= 0 of matching lengths, owned by the market from now on), without the checks of
        the constructor: for markets the package builds itself on every env reset."""
        market = object.__new__(cls)
        for name, array in (
            ("buyer_values", buyer_values),
            ("buyer_units", buyer_units),
            ("seller_costs", seller_costs),
            ("seller_units", seller_units),
        ):
            array.setflags(write=False)
            object.__setattr__(market, name, array)
        return market

    @property
    def n_buyers(self) -> int:
        """Number of buyers (overloaded FAs)."""
        return int(self.buyer_values.shape[0])

    @property
    def n_sellers(self) -> int:
        """Number of sellers (AAs)."""
        return int(self.seller_costs.shape[0])

    # The totals and the unit lists below are summed and expanded in Python: a market has a handful of
    # participants, and NumPy's per-call overhead (a few us) is most of what a reset costs otherwise.

    @cached_property
    def total_buyer_units(self) -> int:
        """Units demanded in all."""
        return sum(self.buyer_units.tolist())

    @cached_property
    def total_seller_units(self) -> int:
        """Units offered in all."""
        return sum(self.seller_units.tolist())

    @cached_property
    def _unit_lists(self) -> tuple[list[float], list[float]]:
        """(buyer unit values, seller unit costs) as Python lists in participant order: the same
        entries as :attr:`buyer_unit_values` and :attr:`seller_unit_costs`, for the scalar code of
        :func:`efficient_welfare` and :class:`~ioa_gym.auctions.DoubleDutchAuction`."""
        values = [
            value
            for value, units in zip(self.buyer_values.tolist(), self.buyer_units.tolist(), strict=True)
            for _ in range(units)
        ]
        costs = [
            cost
            for cost, units in zip(self.seller_costs.tolist(), self.seller_units.tolist(), strict=True)
            for _ in range(units)
        ]
        return values, costs

    @cached_property
    def _unit_owner_lists(self) -> tuple[list[int], list[int]]:
        """(buyer unit owners, seller unit owners) as Python lists: :attr:`buyer_unit_owners` and
        :attr:`seller_unit_owners`, for the scalar clearing code."""
        return (
            [buyer for buyer, units in enumerate(self.buyer_units.tolist()) for _ in range(units)],
            [seller for seller, units in enumerate(self.seller_units.tolist()) for _ in range(units)],
        )

    @cached_property
    def buyer_unit_owners(self) -> np.ndarray:
        """Buyer index of each buyer unit, in participant order (unit expansion of T2.1)."""
        return np.repeat(np.arange(self.n_buyers), self.buyer_units)

    @cached_property
    def seller_unit_owners(self) -> np.ndarray:
        """Seller index of each seller unit, in participant order."""
        return np.repeat(np.arange(self.n_sellers), self.seller_units)

    @cached_property
    def buyer_unit_values(self) -> np.ndarray:
        """Reported value of each buyer unit, aligned with :attr:`buyer_unit_owners`."""
        return np.repeat(self.buyer_values, self.buyer_units)

    @cached_property
    def seller_unit_costs(self) -> np.ndarray:
        """Reported cost of each seller unit, aligned with :attr:`seller_unit_owners`."""
        return np.repeat(self.seller_costs, self.seller_units)

    def with_buyer_value(self, buyer: int, value: float) -> Market:
        """Return a copy of the market in which buyer ``buyer`` reports ``value`` instead."""
        if not 0 <= buyer < self.n_buyers:
            raise ValueError(f"buyer must be in [0, {self.n_buyers - 1}], got {buyer}")
        values = self.buyer_values.copy()
        values[buyer] = value
        return replace(self, buyer_values=values)

    def with_seller_cost(self, seller: int, cost: float) -> Market:
        """Return a copy of the market in which seller ``seller`` reports ``cost`` instead."""
        if not 0 <= seller < self.n_sellers:
            raise ValueError(f"seller must be in [0, {self.n_sellers - 1}], got {seller}")
        costs = self.seller_costs.copy()
        costs[seller] = cost
        return replace(self, seller_costs=costs)


@dataclass(frozen=True, eq=False)
class MarketArrays:
    """Several markets as flat arrays with offsets, what compiled code draws markets into and starts auctions
    on without a :class:`Market` object per market: market ``k``'s buyers are
    ``buyer_values[buyer_start[k]:buyer_start[k + 1]]`` (and ``buyer_units``), its sellers likewise.

    The arrays are valid as a :class:`Market`'s (finite float64 values and costs, int64 units >= 0);
    ``market(k)`` builds market ``k``. (No ``len``: a vector env stores one object for many rows in an object
    array.)
    """

    buyer_values: np.ndarray
    buyer_units: np.ndarray
    buyer_start: np.ndarray
    seller_costs: np.ndarray
    seller_units: np.ndarray
    seller_start: np.ndarray
    known_sizes: np.ndarray | None = field(default=None, repr=False)
    """:attr:`sizes`, when the producer of the arrays has counted them."""

    @property
    def count(self) -> int:
        """Number of markets."""
        return int(self.buyer_start.shape[0] - 1)

    @classmethod
    def from_markets(cls, markets: Sequence[Market]) -> MarketArrays:
        """The markets' participants, flattened in order."""
        buyer_start = np.zeros(len(markets) + 1, dtype=np.int64)
        seller_start = np.zeros(len(markets) + 1, dtype=np.int64)
        buyer_start[1:] = np.cumsum([market.n_buyers for market in markets])
        seller_start[1:] = np.cumsum([market.n_sellers for market in markets])
        empty = (np.zeros(0), np.zeros(0, np.int64))
        return cls(
            np.concatenate([empty[0], *(market.buyer_values for market in markets)]),
            np.concatenate([empty[1], *(market.buyer_units for market in markets)]),
            buyer_start,
            np.concatenate([empty[0], *(market.seller_costs for market in markets)]),
            np.concatenate([empty[1], *(market.seller_units for market in markets)]),
            seller_start,
        )

    def market(self, k: int) -> Market:
        """Market ``k`` (a new :class:`Market` over copies of its rows)."""
        b0, b1 = int(self.buyer_start[k]), int(self.buyer_start[k + 1])
        s0, s1 = int(self.seller_start[k]), int(self.seller_start[k + 1])
        return Market.from_valid_arrays(
            self.buyer_values[b0:b1].copy(),
            self.buyer_units[b0:b1].copy(),
            self.seller_costs[s0:s1].copy(),
            self.seller_units[s0:s1].copy(),
        )

    @cached_property
    def sizes(self) -> np.ndarray:
        """Per market, shape (count, 4): buyers, sellers, buyer units and seller units (the compiled samplers
        give it with the arrays)."""
        if self.known_sizes is not None:
            return self.known_sizes
        sizes = np.empty((self.count, 4), dtype=np.int64)
        sizes[:, 0], sizes[:, 1] = np.diff(self.buyer_start), np.diff(self.seller_start)
        for column, (units, start) in enumerate(
            ((self.buyer_units, self.buyer_start), (self.seller_units, self.seller_start))
        ):
            running = np.zeros(units.shape[0] + 1, dtype=np.int64)
            np.cumsum(units, out=running[1:])
            sizes[:, 2 + column] = running[start[1:]] - running[start[:-1]]
        return sizes

    def sample(self, rngs: object, streams: np.ndarray) -> tuple[np.ndarray, MarketArrays]:
        """For each k, market ``integers(0, count)`` of these drawn uniformly with generator
        ``rngs[streams[k]]`` (a typed list, :func:`generator_list`), in one compiled call: the indices drawn
        and the markets gathered."""
        from ioa_gym.auctions import _market_kernel

        index, values, demand, buyer_start, costs, supply, seller_start, sizes = _market_kernel.sample_pool(
            rngs,
            np.asarray(streams, dtype=np.int64),
            self.buyer_values,
            self.buyer_units,
            self.buyer_start,
            self.seller_costs,
            self.seller_units,
            self.seller_start,
        )
        return index, MarketArrays(values, demand, buyer_start, costs, supply, seller_start, sizes)


def generator_list(generators: Sequence[np.random.Generator]) -> object:
    """The generators as a numba typed list, the form compiled code draws from (the same generator objects:
    drawing in compiled code advances them; building the list costs about 14 us a generator, replacing one
    item 8 us, so keep one list per set of streams)."""
    from numba import typed

    return typed.List(generators)


def sample_tradable_markets(
    rngs: object,
    streams: np.ndarray,
    n_buyers: tuple[int, int],
    n_sellers: tuple[int, int],
    units: tuple[int, int],
    values: tuple[float, float],
    costs: tuple[float, float],
    max_attempts: int,
) -> tuple[MarketArrays, int]:
    """For each k, the market :func:`sample_market` draws from generator ``rngs[streams[k]]`` (a typed list,
    :func:`generator_list`), redrawn until tradable (:func:`is_tradable`) at most ``max_attempts`` times: the
    same draws, bit for bit, in one compiled call. Returns the markets and the first k whose stream found none
    (-1 when every one did). The ranges must be valid ones (``units`` low >= 0, finite bounds)."""
    from ioa_gym.auctions import _market_kernel

    values_, demand, buyer_start, costs_, supply, seller_start, sizes, failed = (
        _market_kernel.sample_synthetic(
            rngs,
            np.asarray(streams, dtype=np.int64),
            (int(n_buyers[0]), int(n_buyers[1])),
            (int(n_sellers[0]), int(n_sellers[1])),
            (int(units[0]), int(units[1])),
            (float(values[0]), float(values[1])),
            (float(costs[0]), float(costs[1])),
            int(max_attempts),
        )
    )
    return MarketArrays(values_, demand, buyer_start, costs_, supply, seller_start, sizes), int(failed)


def sample_market(
    rng: np.random.Generator,
    n_buyers: tuple[int, int] = (2, 5),
    n_sellers: tuple[int, int] = (2, 7),
    units: tuple[int, int] = (1, 4),
    values: tuple[float, float] = (4.0, 12.0),
    costs: tuple[float, float] = (1.0, 9.0),
) -> Market:
    """Draw a synthetic market: counts uniform on the inclusive integer ranges, prices uniform.

    The defaults are the small random markets of the project spec (2-5 buyers, 2-7 sellers, 1-4 units
    each, values in [4, 12], costs in [1, 9]).
    """
    for name, (low, high) in (("n_buyers", n_buyers), ("n_sellers", n_sellers), ("units", units)):
        # Checked before anything is drawn: the arrays are allocated before the Market checks them.
        if not all(
            isinstance(bound, int | np.integer) and not isinstance(bound, bool) for bound in (low, high)
        ):
            raise ValueError(f"{name} must be a (low, high) pair of integers, got {(low, high)!r}")
        if not 0 <= low <= high <= MAX_UNITS:
            raise ValueError(f"{name} must satisfy 0 <= low <= high <= {MAX_UNITS}, got {(low, high)!r}")
    n_b = int(rng.integers(n_buyers[0], n_buyers[1] + 1))
    n_s = int(rng.integers(n_sellers[0], n_sellers[1] + 1))
    buyer_values = rng.uniform(values[0], values[1], n_b)
    buyer_units = rng.integers(units[0], units[1] + 1, n_b)
    seller_costs = rng.uniform(costs[0], costs[1], n_s)
    seller_units = rng.integers(units[0], units[1] + 1, n_s)
    if (
        _bounded(values)
        and _bounded(costs)
        and isinstance(units[0], (int, np.integer))
        and units[0] >= 0
        and units[1] * max(n_b, n_s) <= MAX_UNITS
    ):
        # Valid by construction (fresh 1-D float64 draws between finite bounds, int64 counts >= 0 of
        # matching lengths): skip the constructor's checks, most of the cost of a synthetic market.
        return Market.from_valid_arrays(buyer_values, buyer_units, seller_costs, seller_units)
    # Unusual ranges (e.g. units below 0): the constructor reports what is invalid.
    return Market(buyer_values, buyer_units, seller_costs, seller_units)


def _bounded(bounds: tuple[float, float]) -> bool:
    """Whether a (low, high) range of ``sample_market`` is two numbers within +/-1e300, so that uniform
    draws between them are finite."""
    try:
        return all(-1e300 <= float(bound) <= 1e300 for bound in bounds)
    except (TypeError, ValueError):
        return False


def efficient_welfare(market: Market) -> float:
    """Efficient benchmark SW_opt (T2.11): values descending against costs ascending, trade if v >= c.
    Computed once per market (a market is immutable) and kept on it."""
    cached = market.__dict__.get("_efficient_welfare")
    if cached is None:
        cached = market.__dict__["_efficient_welfare"] = _efficient_welfare(market)
    return cached


SCALAR_UNITS = 512
"""Up to this many units (both sides together), sorting and matching run on Python lists: faster than
NumPy's per-call overhead on small markets; larger markets take the array path."""


def _efficient_welfare(market: Market) -> float:
    if market.total_buyer_units + market.total_seller_units > SCALAR_UNITS:
        return _efficient_welfare_arrays(market)
    values, costs = (sorted(units) for units in market._unit_lists)
    values.reverse()  # descending; the order of equal values does not matter here
    # The same pairs, trade test and fsum terms (in the same order) as the array path.
    traded = [(value, cost) for value, cost in zip(values, costs, strict=False) if value - cost > 0.0]
    return math.fsum([*(value for value, _ in traded), *(-cost for _, cost in traded)])


def _efficient_welfare_arrays(market: Market) -> float:
    values = np.sort(market.buyer_unit_values)[::-1]
    costs = np.sort(market.seller_unit_costs)
    pairs = min(values.shape[0], costs.shape[0])
    gains = values[:pairs] - costs[:pairs]
    trade = gains > 0.0  # exact: the sign of a float difference is never rounded away
    return math.fsum([*values[:pairs][trade].tolist(), *(-costs[:pairs][trade]).tolist()])


def welfare_efficiency(social_welfare: float, optimum: float) -> float:
    """Welfare efficiency SW / SW_opt (T2.12); 1.0 when no trade can create welfare (SW_opt = 0)."""
    if optimum <= 0.0:
        return 1.0
    return social_welfare / optimum


def is_tradable(market: Market) -> bool:
    """A market worth auctioning: both sides present and some trade creates welfare (SW_opt > 0)."""
    return market.total_buyer_units > 0 and market.total_seller_units > 0 and efficient_welfare(market) > 0.0
