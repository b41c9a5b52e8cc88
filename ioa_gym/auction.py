"""Tier 2: the Double Dutch Auction (DDA) between overloaded FAs (buyers) and AAs (sellers).

Plain NumPy, no Gymnasium or torch. Equation numbers (T2.x) refer to the Tier-2 section of
``docs/model.md``. Two variants:

- ``"classic"`` (default): the clocks move in turns, switching when the active side accepts; the
  marginal units that accept in the crossing tick are dropped; the longer side is rationed by
  acceptance order. IR and SBB are exact, IC is not (measure it with :func:`max_misreport_gain`).
- ``"strategy-proof"``: the clocks alternate on a fixed pattern and eligibility compares each report
  with the clearing price directly (proxy bidding). Exactly IR, IC and SBB as long as the step
  sequence ignores acceptances (a fixed step does).

The hot path is :meth:`DoubleDutchAuction.tick`: units are sorted once at construction, so an
acceptance is a pointer advance and a tick allocates nothing unless some unit accepts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

__all__ = [
    "BUYER",
    "DEFAULT_PRICE_BOUNDS",
    "SELLER",
    "Seed",
    "VARIANTS",
    "AcceptanceRecord",
    "AuctionResult",
    "DoubleDutchAuction",
    "Market",
    "MisreportReport",
    "StepPolicy",
    "efficient_welfare",
    "fixed_step",
    "max_misreport_gain",
    "run_auction",
    "run_fixed_step",
    "sample_market",
    "welfare_efficiency",
]

# Public parameters of the mechanism. The default must never be derived from the reports (that would
# let a participant move the clocks' range, breaking IC).
DEFAULT_PRICE_BOUNDS: tuple[float, float] = (0.0, 30.0)
VARIANTS: tuple[str, ...] = ("classic", "strategy-proof")
BUYER = "buyer"
SELLER = "seller"

Seed = int | np.random.Generator | np.random.SeedSequence | None
"""Seed of the rationing order: anything ``np.random.default_rng`` takes (a Generator is used as is)."""


# ----------------------------------------------------------------------------------------------------
# Market
# ----------------------------------------------------------------------------------------------------


def _price_array(name: str, values: object) -> np.ndarray:
    """Validate a 1-D array of finite per-unit values or costs; return a read-only float copy."""
    try:
        array = np.array(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a 1-D array of finite numbers, got {values!r}") from exc
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {array.shape}")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValueError(f"{name} must be finite numbers, got {array[bad[0]]} at index {bad[0]}")
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
    if raw.dtype.kind not in "iuf" and raw.size:
        raise ValueError(f"{name} must be integers >= 0, got dtype {raw.dtype}")
    as_float = raw.astype(float)
    bad = np.flatnonzero(~np.isfinite(as_float) | (as_float < 0) | (as_float != np.round(as_float)))
    if bad.size:
        raise ValueError(f"{name} must be integers >= 0, got {raw[bad[0]]} at index {bad[0]}")
    array = as_float.astype(np.int64)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Market:
    """Reported Tier-2 market (T2.1): buyers (overloaded FAs) and sellers (AAs), per-unit prices.

    Values and costs are the *reported* ones, so a caller can study misreports. A participant with
    k units is k unit traders with the same value (or cost).

    Args:
        buyer_values: reported per-unit value v_j of each buyer, shape (n_buyers,), finite.
        buyer_units: units demanded by each buyer, integers >= 0, shape (n_buyers,).
        seller_costs: reported per-unit cost c_k of each seller, shape (n_sellers,), finite.
        seller_units: units offered by each seller, integers >= 0, shape (n_sellers,).
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
    def from_valid_arrays(cls, buyer_values: np.ndarray, buyer_units: np.ndarray, seller_costs: np.ndarray,
                          seller_units: np.ndarray) -> Market:
        """A market from arrays the caller guarantees valid (1-D float64 finite values and costs, 1-D
        int64 units >= 0 of matching lengths, owned by the market from now on), without the checks of
        the constructor: for markets the package builds itself on every env reset."""
        market = object.__new__(cls)
        for name, array in (("buyer_values", buyer_values), ("buyer_units", buyer_units),
                            ("seller_costs", seller_costs), ("seller_units", seller_units)):
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
        :func:`efficient_welfare` and :class:`DoubleDutchAuction`."""
        values = [value for value, units in zip(self.buyer_values.tolist(), self.buyer_units.tolist(),
                                                strict=True) for _ in range(units)]
        costs = [cost for cost, units in zip(self.seller_costs.tolist(), self.seller_units.tolist(),
                                             strict=True) for _ in range(units)]
        return values, costs

    @cached_property
    def _unit_owner_lists(self) -> tuple[list[int], list[int]]:
        """(buyer unit owners, seller unit owners) as Python lists: :attr:`buyer_unit_owners` and
        :attr:`seller_unit_owners`, for the scalar clearing code."""
        return ([buyer for buyer, units in enumerate(self.buyer_units.tolist()) for _ in range(units)],
                [seller for seller, units in enumerate(self.seller_units.tolist()) for _ in range(units)])

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
    n_b = int(rng.integers(n_buyers[0], n_buyers[1] + 1))
    n_s = int(rng.integers(n_sellers[0], n_sellers[1] + 1))
    buyer_values = rng.uniform(values[0], values[1], n_b)
    buyer_units = rng.integers(units[0], units[1] + 1, n_b)
    seller_costs = rng.uniform(costs[0], costs[1], n_s)
    seller_units = rng.integers(units[0], units[1] + 1, n_s)
    if _bounded(values) and _bounded(costs) and isinstance(units[0], (int, np.integer)) and units[0] >= 0:
        # Valid by construction (fresh 1-D float64 draws between finite bounds, int64 counts >= 0 of
        # matching lengths): skip the constructor's checks, most of the cost of a synthetic market.
        return Market.from_valid_arrays(buyer_values, buyer_units, seller_costs, seller_units)
    # Unusual ranges (e.g. units below 0): the constructor reports what is invalid.
    return Market(buyer_values, buyer_units, seller_costs, seller_units)


def _bounded(bounds: tuple[float, float]) -> bool:
    """Whether a (low, high) range of `sample_market` is two numbers within +/-1e300, so that uniform
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


_SCALAR_UNITS = 512
"""Up to this many units (both sides together), sorting and matching run on Python lists: faster than
NumPy's per-call overhead on small markets; larger markets take the array path."""


def _efficient_welfare(market: Market) -> float:
    if market.total_buyer_units + market.total_seller_units > _SCALAR_UNITS:
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


# ----------------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class AcceptanceRecord:
    """Clock acceptances of one side, per unit in participant order (unit expansion of T2.1).

    Attributes:
        owners: participant index of each unit.
        reports: reported value (buyers) or cost (sellers) of each unit.
        accepted: whether the unit accepted a clock price before the auction ended.
        prices: acceptance price (T2.3), nan if not accepted.
        rounds: acceptance round (1-based tick index), -1 if not accepted.
    """

    owners: np.ndarray
    reports: np.ndarray
    accepted: np.ndarray
    prices: np.ndarray
    rounds: np.ndarray


@dataclass(frozen=True, eq=False)
class AuctionResult:
    """Outcome of one DDA (T2.6-T2.10), checked against the reports.

    Attributes:
        clearing_price: p* paid and received per traded unit; nan if no unit trades.
        buyer_units_traded: units bought by each buyer, int array (n_buyers,).
        seller_units_traded: units sold by each seller, int array (n_sellers,).
        buyer_payments: units bought times p* per buyer (T2.9).
        seller_revenues: units sold times p* per seller (T2.9).
        units_traded: q of (T2.8).
        social_welfare: sum over traded units of reported v - c (T2.10).
        rounds: ticks played (rounds of information exchange).
        crossed: True if the clocks crossed, False if the round limit ended the auction.
        individually_rational: every traded buyer unit has v >= p* and seller unit c <= p*.
        budget_balanced: both sides trade q units and every traded unit pays / receives exactly p*,
            so total payments equal total revenues (q p*) and the auctioneer keeps nothing.
    """

    clearing_price: float
    buyer_units_traded: np.ndarray
    seller_units_traded: np.ndarray
    buyer_payments: np.ndarray
    seller_revenues: np.ndarray
    units_traded: int
    social_welfare: float
    rounds: int
    crossed: bool
    individually_rational: bool
    budget_balanced: bool


# ----------------------------------------------------------------------------------------------------
# The auction
# ----------------------------------------------------------------------------------------------------


def _sorted_units(market: Market) -> tuple[list[int], list[int], list[float], list[float]]:
    """Unit order of each side (participant-order unit indices: buyers by value descending, sellers by
    cost ascending, ties in participant order, as ``np.argsort(..., kind="stable")``) and the sorted
    values and costs. Python's sort is stable too, also with ``reverse=True``; on the few units of a
    typical market it is faster than NumPy's calls. Shared with ``ioa_gym.auction_batch``."""
    if market.total_buyer_units + market.total_seller_units > _SCALAR_UNITS:
        buyer_order = np.argsort(-market.buyer_unit_values, kind="stable")
        seller_order = np.argsort(market.seller_unit_costs, kind="stable")
        return (buyer_order.tolist(), seller_order.tolist(), market.buyer_unit_values[buyer_order].tolist(),
                market.seller_unit_costs[seller_order].tolist())
    values, costs = market._unit_lists
    buyer_order = sorted(range(len(values)), key=values.__getitem__, reverse=True)
    seller_order = sorted(range(len(costs)), key=costs.__getitem__)
    return (buyer_order, seller_order, [values[unit] for unit in buyer_order],
            [costs[unit] for unit in seller_order])


def check_auction_options(variant: str, price_bounds: tuple[float, float] | None,
                          max_rounds: int) -> tuple[float, float]:
    """Validate a DDA's variant, public price bounds (default `DEFAULT_PRICE_BOUNDS`) and round limit;
    return the bounds as floats. Shared by `DoubleDutchAuction` and the batched auctions."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    lower, upper = DEFAULT_PRICE_BOUNDS if price_bounds is None else price_bounds
    lower, upper = float(lower), float(upper)
    if not (math.isfinite(lower) and math.isfinite(upper) and lower < upper):
        raise ValueError(f"price_bounds must be finite with lower < upper, got ({lower}, {upper})")
    if isinstance(max_rounds, bool) or int(max_rounds) != max_rounds or max_rounds < 1:
        raise ValueError(f"max_rounds must be an integer >= 1, got {max_rounds!r}")
    return lower, upper


class DoubleDutchAuction:
    """One Double Dutch Auction over a reported :class:`Market` (T2.2-T2.10).

    The buyer clock P_B starts at the upper price bound and descends; the seller clock P_S starts at
    the lower bound and ascends. Each :meth:`tick` moves the active clock (``active_clock`` is
    ``"buyer"`` or ``"seller"``) by a step the auctioneer chooses. The buyer clock moves first.

    Public state an auctioneer may observe: ``buyer_price``, ``seller_price``, ``active_clock``,
    ``rounds``, ``max_rounds``, ``price_bounds``, ``last_step``, ``buyer_units_accepted``,
    ``seller_units_accepted``, ``done``, ``crossed`` and the market's sizes (``market.n_buyers``,
    ``market.total_buyer_units``, ...). The reports themselves are private: a step policy must not
    read ``market.buyer_values`` or the acceptance records' ``reports``.

    Args:
        market: the reported market.
        variant: ``"classic"`` (turns switch on acceptance; IC not exact) or ``"strategy-proof"``
            (fixed alternation, proxy eligibility; IC exact for acceptance-blind steps).
        price_bounds: public (lower, upper) clock start prices, finite, lower < upper. Defaults to
            :data:`DEFAULT_PRICE_BOUNDS`; never derived from the reports.
        max_rounds: tick limit (>= 1); reaching it without a crossing ends the auction (T2.5).
        seed: seed of ``np.random.default_rng`` for the rationing order drawn at construction; a
            Generator (e.g. an env's ``np_random``) is used as is and advanced (faster than a seed).
    """

    def __init__(
        self,
        market: Market,
        variant: str = "classic",
        price_bounds: tuple[float, float] | None = None,
        max_rounds: int = 1000,
        seed: Seed = None,
    ) -> None:
        if not isinstance(market, Market):
            raise ValueError(f"market must be a Market, got {type(market).__name__}")
        lower, upper = check_auction_options(variant, price_bounds, max_rounds)

        self.market = market
        self.variant = variant
        self.price_bounds = (lower, upper)
        self.max_rounds = int(max_rounds)
        self._classic = variant == "classic"

        # Rationing priorities per unit in participant order: drawn from the seed alone, so no report
        # can change a unit's place in the queue.
        rng = np.random.default_rng(seed)
        self._buyer_priority = rng.permutation(market.total_buyer_units)
        self._seller_priority = rng.permutation(market.total_seller_units)

        # Units sorted once (buyers by value descending, sellers by cost ascending) so that the
        # accepted units are always a prefix and acceptance is a pointer advance (T2.3).
        self._buyer_order, self._seller_order, self._buyer_sorted, self._seller_sorted = _sorted_units(market)
        self._n_buyer_units = len(self._buyer_sorted)
        self._n_seller_units = len(self._seller_sorted)

        # Acceptance prices and rounds in sorted order; their lengths are the accepted counts.
        self._buyer_accept_prices: list[float] = []
        self._buyer_accept_rounds: list[int] = []
        self._seller_accept_prices: list[float] = []
        self._seller_accept_rounds: list[int] = []

        self._buyer_price = upper
        self._seller_price = lower
        self._buyer_turn = True
        self._rounds = 0
        self._last_step = math.nan
        self._done = False
        self._crossed = False
        self._closing_price = math.nan
        self._result: AuctionResult | None = None

    # -- public state --------------------------------------------------------------------------------

    @property
    def buyer_price(self) -> float:
        """Buyer clock P_B (descending)."""
        return self._buyer_price

    @property
    def seller_price(self) -> float:
        """Seller clock P_S (ascending)."""
        return self._seller_price

    @property
    def active_clock(self) -> str:
        """Clock that the next tick moves: ``"buyer"`` or ``"seller"``."""
        return BUYER if self._buyer_turn else SELLER

    @property
    def rounds(self) -> int:
        """Ticks played so far."""
        return self._rounds

    @property
    def last_step(self) -> float:
        """Step of the latest tick (nan before the first)."""
        return self._last_step

    @property
    def buyer_units_accepted(self) -> int:
        """Buyer units that have accepted the buyer clock."""
        return len(self._buyer_accept_prices)

    @property
    def seller_units_accepted(self) -> int:
        """Seller units that have accepted the seller clock."""
        return len(self._seller_accept_prices)

    @property
    def done(self) -> bool:
        """True once the clocks crossed or the round limit was reached."""
        return self._done

    @property
    def crossed(self) -> bool:
        """True if the auction ended by a crossing P_B <= P_S."""
        return self._crossed

    @property
    def closing_price(self) -> float:
        """Price p* of (T2.6) once done, whether or not any unit trades; nan before."""
        return self._closing_price

    @property
    def buyer_record(self) -> AcceptanceRecord:
        """Acceptances of the buyer units so far, per unit in participant order."""
        return self._record(
            self._buyer_order,
            self._buyer_accept_prices,
            self._buyer_accept_rounds,
            self.market.buyer_unit_owners,
            self.market.buyer_unit_values,
        )

    @property
    def seller_record(self) -> AcceptanceRecord:
        """Acceptances of the seller units so far, per unit in participant order."""
        return self._record(
            self._seller_order,
            self._seller_accept_prices,
            self._seller_accept_rounds,
            self.market.seller_unit_owners,
            self.market.seller_unit_costs,
        )

    @staticmethod
    def _record(
        order: list[int], prices: list[float], rounds: list[int], owners: np.ndarray, reports: np.ndarray
    ) -> AcceptanceRecord:
        n_units = len(order)
        accepted_units = np.array(order[: len(prices)], dtype=np.intp)
        accepted = np.zeros(n_units, dtype=bool)
        accepted[accepted_units] = True
        unit_prices = np.full(n_units, np.nan)
        unit_prices[accepted_units] = prices
        unit_rounds = np.full(n_units, -1, dtype=np.int64)
        unit_rounds[accepted_units] = rounds
        return AcceptanceRecord(owners, reports, accepted, unit_prices, unit_rounds)

    # -- dynamics ------------------------------------------------------------------------------------

    def tick(self, step: float) -> None:
        """Move the active clock by ``step`` (> 0, finite), record acceptances, check the end (T2.2-T2.5).

        Raises:
            ValueError: if ``step`` is not a finite number > 0.
            RuntimeError: if the auction is already done.
        """
        if self._done:
            raise RuntimeError("the auction is done; call result() instead of tick()")
        try:
            step = float(step)
        except (TypeError, ValueError):
            raise ValueError(f"step must be a finite number > 0, got {step!r}") from None
        if not 0.0 < step < math.inf:
            raise ValueError(f"step must be a finite number > 0, got {step!r}")
        self._rounds += 1
        self._last_step = step
        if self._buyer_turn:
            price = self._buyer_price - step
            self._buyer_price = price
            values = self._buyer_sorted
            start = accepted = len(self._buyer_accept_prices)
            while accepted < self._n_buyer_units and values[accepted] >= price:
                accepted += 1
            if accepted > start:
                self._buyer_accept_prices.extend([price] * (accepted - start))
                self._buyer_accept_rounds.extend([self._rounds] * (accepted - start))
            if price <= self._seller_price:
                self._finish(crossed=True, closing_price=self._seller_price)
                return
            # Classic: keep ticking until a buyer accepts (T2.4), or pass the turn once no buyer unit is
            # left to accept (ticking on could only cross the seller clock early); strategy-proof:
            # always alternate.
            self._buyer_turn = self._classic and accepted == start and accepted < self._n_buyer_units
        else:
            price = self._seller_price + step
            self._seller_price = price
            costs = self._seller_sorted
            start = accepted = len(self._seller_accept_prices)
            while accepted < self._n_seller_units and costs[accepted] <= price:
                accepted += 1
            if accepted > start:
                self._seller_accept_prices.extend([price] * (accepted - start))
                self._seller_accept_rounds.extend([self._rounds] * (accepted - start))
            if price >= self._buyer_price:
                self._finish(crossed=True, closing_price=self._buyer_price)
                return
            self._buyer_turn = not self._classic or accepted > start or accepted == self._n_seller_units
        if self._rounds >= self.max_rounds:
            # Round limit before a crossing (T2.6): p* is the midpoint of the two clocks.
            self._finish(crossed=False, closing_price=0.5 * (self._buyer_price + self._seller_price))

    def _finish(self, crossed: bool, closing_price: float) -> None:
        self._done = True
        self._crossed = crossed
        self._closing_price = closing_price

    # -- clearing ------------------------------------------------------------------------------------

    def result(self) -> AuctionResult:
        """Clear the auction (T2.6-T2.10). Only callable once :attr:`done`.

        Raises:
            RuntimeError: if the auction is not done yet.
        """
        if not self._done:
            raise RuntimeError("the auction is not done yet; keep calling tick()")
        if self._result is None:
            self._result = self._clear()
        return self._result

    def _eligible_count(self, sorted_reports: list[float], accept_prices: list[float], buyer: bool) -> int:
        """Number of eligible units (T2.7); they are always a prefix of the sorted units."""
        price = self._closing_price
        if not self._classic:
            # Proxy bidding: the report itself is compared with p*.
            if buyer:
                return sum(1 for value in sorted_reports if value >= price)
            return sum(1 for cost in sorted_reports if cost <= price)
        if not self._crossed:
            return len(accept_prices)
        # Acceptance prices are monotone along the prefix; drop the units that accepted past p*.
        if buyer:
            return sum(1 for accepted_at in accept_prices if accepted_at >= price)
        return sum(1 for accepted_at in accept_prices if accepted_at <= price)

    def _ration(
        self, order: list[int], rounds: list[int], priority: np.ndarray, n_eligible: int, q: int
    ) -> list[int]:
        """Units (participant-order indices) that trade among the first ``n_eligible`` sorted ones (T2.8).

        Python lists throughout: a market has a few units, where NumPy's per-call overhead dominates.
        """
        eligible_units = order[:n_eligible]
        if q >= n_eligible:
            return eligible_units
        priorities = priority.tolist()
        eligible_priorities = [priorities[unit] for unit in eligible_units]
        if self._classic:
            # Earliest acceptance first; ties (same round) by the priority drawn at construction
            # (distinct, so the ranking is unique).
            ranking = sorted(range(n_eligible), key=lambda i: (rounds[i], eligible_priorities[i]))
        else:
            ranking = sorted(range(n_eligible), key=eligible_priorities.__getitem__)
        return [eligible_units[i] for i in ranking[:q]]

    def _clear(self) -> AuctionResult:
        market = self.market
        price = self._closing_price
        n_buyer_eligible = self._eligible_count(self._buyer_sorted, self._buyer_accept_prices, buyer=True)
        n_seller_eligible = self._eligible_count(self._seller_sorted, self._seller_accept_prices, buyer=False)
        q = min(n_buyer_eligible, n_seller_eligible)
        buyer_units = self._ration(
            self._buyer_order, self._buyer_accept_rounds, self._buyer_priority, n_buyer_eligible, q
        )
        seller_units = self._ration(
            self._seller_order, self._seller_accept_rounds, self._seller_priority, n_seller_eligible, q
        )
        buyer_owners, seller_owners = market._unit_owner_lists
        buyer_counts, seller_counts = [0] * market.n_buyers, [0] * market.n_sellers
        for unit in buyer_units:
            buyer_counts[buyer_owners[unit]] += 1
        for unit in seller_units:
            seller_counts[seller_owners[unit]] += 1
        buyer_traded = np.array(buyer_counts, dtype=np.int64)
        seller_traded = np.array(seller_counts, dtype=np.int64)
        if q == 0:
            price = math.nan
            buyer_payments = np.zeros(market.n_buyers)
            seller_revenues = np.zeros(market.n_sellers)
            welfare = 0.0
            rational = True
            balanced = True
        else:
            buyer_payments = buyer_traded * price
            seller_revenues = seller_traded * price
            unit_values, unit_costs = market._unit_lists
            traded_values = [unit_values[unit] for unit in buyer_units]
            traded_costs = [unit_costs[unit] for unit in seller_units]
            # One correctly rounded sum, like efficient_welfare: SW <= SW_opt then holds in floats too.
            welfare = math.fsum([*traded_values, *(-cost for cost in traded_costs)])
            rational = min(traded_values) >= price >= max(traded_costs)
            # Both sides pay / receive the same p* per unit (payments built above), so SBB reduces
            # to both sides trading the same number of units.
            balanced = sum(buyer_counts) == sum(seller_counts) == q
        return AuctionResult(
            clearing_price=price,
            buyer_units_traded=buyer_traded,
            seller_units_traded=seller_traded,
            buyer_payments=buyer_payments,
            seller_revenues=seller_revenues,
            units_traded=q,
            social_welfare=welfare,
            rounds=self._rounds,
            crossed=self._crossed,
            individually_rational=rational,
            budget_balanced=balanced,
        )


# ----------------------------------------------------------------------------------------------------
# Auctioneers
# ----------------------------------------------------------------------------------------------------

StepPolicy = Callable[[DoubleDutchAuction], float]
"""An auctioneer: reads the auction's public state and returns the next step (> 0)."""


def fixed_step(step: float | Sequence[float]) -> StepPolicy:
    """Acceptance-blind auctioneer: one step for both clocks, or a (buyer_step, seller_step) pair.

    Such a policy keeps the strategy-proof variant exactly IC; a pair lets the clocks meet elsewhere
    than at the middle of the bounds.
    """
    if isinstance(step, (int, float, np.number)):
        steps: tuple[object, ...] = (step, step)
        names = ("step", "step")
    else:
        steps = tuple(step)
        names = ("buyer step", "seller step")
    if len(steps) != 2:
        raise ValueError(f"step must be a number or a (buyer_step, seller_step) pair, got {step!r}")
    checked: list[float] = []
    for name, value in zip(names, steps, strict=True):
        try:
            value = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}") from None
        if not 0.0 < value < math.inf:
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        checked.append(value)
    buyer_step, seller_step = checked
    if buyer_step == seller_step:
        return lambda auction: buyer_step
    return lambda auction: buyer_step if auction.active_clock == BUYER else seller_step


def run_auction(
    market: Market,
    step_policy: StepPolicy,
    variant: str = "classic",
    price_bounds: tuple[float, float] | None = None,
    max_rounds: int = 1000,
    seed: Seed = None,
) -> AuctionResult:
    """Play one auction to the end, asking ``step_policy(auction)`` for every step."""
    auction = DoubleDutchAuction(market, variant, price_bounds, max_rounds, seed)
    while not auction.done:
        auction.tick(step_policy(auction))
    return auction.result()


def run_fixed_step(
    market: Market,
    step: float | Sequence[float],
    variant: str = "classic",
    price_bounds: tuple[float, float] | None = None,
    max_rounds: int = 1000,
    seed: Seed = None,
) -> AuctionResult:
    """Play one auction with a fixed step (or a fixed (buyer_step, seller_step) pair)."""
    return run_auction(market, fixed_step(step), variant, price_bounds, max_rounds, seed)


# ----------------------------------------------------------------------------------------------------
# Incentive compatibility audit
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MisreportReport:
    """Largest gain from a unilateral misreport found by :func:`max_misreport_gain` (T2.13).

    Attributes:
        max_gain: largest true-utility gain over all participants and sampled reports, >= 0.
        side: ``"buyer"`` or ``"seller"`` who achieves it; None if no report gains.
        participant: index of that participant on its side; -1 if none.
        report: the misreported value or cost; nan if none.
        true_value: that participant's true value or cost; nan if none.
        truthful_utility: its true utility when truthful.
        deviating_utility: its true utility under the misreport.
        buyer_gains: best gain found per buyer (>= 0).
        seller_gains: best gain found per seller (>= 0).
        auctions_run: number of auctions replayed with a misreport.
    """

    max_gain: float
    side: str | None
    participant: int
    report: float
    true_value: float
    truthful_utility: float
    deviating_utility: float
    buyer_gains: np.ndarray
    seller_gains: np.ndarray
    auctions_run: int


def _as_policy(step: float | Sequence[float] | StepPolicy) -> StepPolicy:
    return step if callable(step) else fixed_step(step)


def max_misreport_gain(
    market: Market,
    step: float | Sequence[float] | StepPolicy,
    variant: str = "classic",
    price_bounds: tuple[float, float] | None = None,
    max_rounds: int = 1000,
    seed: Seed = None,
    n_deviations: int = 24,
    rng: np.random.Generator | int | None = None,
) -> MisreportReport:
    """Largest gain in true utility a participant gets from a unilateral misreport (T2.13).

    ``market`` holds the true values and costs (the truthful reports). For each participant with at
    least one unit, the auction is replayed with the same ``seed`` (same rationing order) and the same
    auctioneer, that participant reporting instead each of: ``n_deviations // 2`` values
    true x U[0.5, 1.5], ``n_deviations - n_deviations // 2`` values U[lower, upper] of the price
    bounds, and p* +/- 1e-6 W and p* +/- 1e-2 W, with p* the truthful closing price and W the bounds'
    width. The true utility is x (v - p*) for a buyer and x (p* - c) for a seller that trades x units,
    with its *true* v or c.

    Args:
        market: the true market.
        step: a fixed step, a (buyer_step, seller_step) pair, or a step policy. A policy must be
            deterministic given the public state, or the replays compare different auctioneers.
        variant, price_bounds, max_rounds, seed: as in :class:`DoubleDutchAuction`.
        n_deviations: random misreports per participant (>= 0), besides the 4 near p*.
        rng: generator (or seed) for the random misreports.
    """
    if isinstance(n_deviations, bool) or int(n_deviations) != n_deviations or n_deviations < 0:
        raise ValueError(f"n_deviations must be an integer >= 0, got {n_deviations!r}")
    policy = _as_policy(step)
    rng = np.random.default_rng(rng)
    truthful_auction = DoubleDutchAuction(market, variant, price_bounds, max_rounds, seed)
    while not truthful_auction.done:
        truthful_auction.tick(policy(truthful_auction))
    truthful = truthful_auction.result()
    lower, upper = truthful_auction.price_bounds
    width = upper - lower
    anchor = truthful_auction.closing_price
    near_price = anchor + width * np.array([1e-6, -1e-6, 1e-2, -1e-2])
    n_scaled = int(n_deviations) // 2

    def utility(result: AuctionResult, is_buyer: bool, index: int, true_value: float) -> float:
        units = int((result.buyer_units_traded if is_buyer else result.seller_units_traded)[index])
        if units == 0:
            return 0.0
        surplus = true_value - result.clearing_price if is_buyer else result.clearing_price - true_value
        return units * surplus

    gains = {BUYER: np.zeros(market.n_buyers), SELLER: np.zeros(market.n_sellers)}
    best = (0.0, None, -1, math.nan, math.nan, 0.0, 0.0)
    auctions_run = 0
    for side in (BUYER, SELLER):
        is_buyer = side == BUYER
        true_values = market.buyer_values if is_buyer else market.seller_costs
        units = market.buyer_units if is_buyer else market.seller_units
        for index in range(true_values.shape[0]):
            if units[index] == 0:
                continue
            true_value = float(true_values[index])
            baseline = utility(truthful, is_buyer, index, true_value)
            reports = np.concatenate(
                [
                    true_value * rng.uniform(0.5, 1.5, n_scaled),
                    rng.uniform(lower, upper, int(n_deviations) - n_scaled),
                    near_price,
                ]
            )
            for report in reports.tolist():
                if report == true_value:
                    continue
                deviated = (
                    market.with_buyer_value(index, report)
                    if is_buyer
                    else market.with_seller_cost(index, report)
                )
                outcome = run_auction(deviated, policy, variant, price_bounds, max_rounds, seed)
                auctions_run += 1
                deviating = utility(outcome, is_buyer, index, true_value)
                gain = deviating - baseline
                if gain > gains[side][index]:
                    gains[side][index] = gain
                if gain > best[0]:
                    best = (gain, side, index, report, true_value, baseline, deviating)
    return MisreportReport(
        max_gain=best[0],
        side=best[1],
        participant=best[2],
        report=best[3],
        true_value=best[4],
        truthful_utility=best[5],
        deviating_utility=best[6],
        buyer_gains=gains[BUYER],
        seller_gains=gains[SELLER],
        auctions_run=auctions_run,
    )

