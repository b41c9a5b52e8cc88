"""The Double Dutch Auction mechanism (T2.2-T2.10, docs/model.md, Sec. 4): the auction, its results
and acceptance-blind auctioneers. Part of ``ioa_gym.auction``, which re-exports every public name
here; import them from there.

The hot path is :meth:`DoubleDutchAuction.tick`: units are sorted once at construction, so an
acceptance is a pointer advance and a tick allocates nothing unless some unit accepts.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from ioa_gym._auction_market import _SCALAR_UNITS, Market

# Public parameters of the mechanism. The default must never be derived from the reports (that would
# let a participant move the clocks' range, breaking IC).
DEFAULT_PRICE_BOUNDS: tuple[float, float] = (0.0, 30.0)
VARIANTS: tuple[str, ...] = ("classic", "strategy-proof", "double-clock")
"""Every Tier-2 mechanism: the two Double Dutch Auctions (:class:`DoubleDutchAuction`) and the double-clock
auction (``ioa_gym.auction.DoubleClockAuction``); ``ioa_gym.auction.make_auction`` builds any of them."""
DDA_VARIANTS: tuple[str, ...] = ("classic", "strategy-proof")
"""The variants of :class:`DoubleDutchAuction`."""
BUYER = "buyer"
SELLER = "seller"

Seed = int | np.random.Generator | np.random.SeedSequence | None
"""Seed of the rationing order: anything ``np.random.default_rng`` takes (a Generator is used as is)."""


# ----------------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class AcceptanceRecord:
    """Clock acceptances of one side, per unit in participant order (unit expansion of T2.1).

    :ivar owners: participant index of each unit.
    :ivar reports: reported value (buyers) or cost (sellers) of each unit.
    :ivar accepted: whether the unit accepted a clock price before the auction ended.
    :ivar prices: acceptance price (T2.3), nan if not accepted.
    :ivar rounds: acceptance round (1-based tick index), -1 if not accepted.
    """

    owners: np.ndarray
    reports: np.ndarray
    accepted: np.ndarray
    prices: np.ndarray
    rounds: np.ndarray


@dataclass(frozen=True, eq=False)
class AuctionResult:
    """Outcome of one DDA (T2.6-T2.10), checked against the reports.

    :ivar clearing_price: p* paid and received per traded unit; nan if no unit trades.
    :ivar buyer_units_traded: units bought by each buyer, int array (n_buyers,).
    :ivar seller_units_traded: units sold by each seller, int array (n_sellers,).
    :ivar buyer_payments: units bought times p* per buyer (T2.9).
    :ivar seller_revenues: units sold times p* per seller (T2.9).
    :ivar units_traded: q of (T2.8).
    :ivar social_welfare: sum over traded units of reported v - c (T2.10).
    :ivar rounds: ticks played (rounds of information exchange).
    :ivar crossed: True if the clocks crossed, False if the round limit ended the auction.
    :ivar individually_rational: every traded buyer unit has v >= p* and seller unit c <= p*.
    :ivar budget_balanced: both sides trade q units and every traded unit pays / receives exactly p*,
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
        return (
            buyer_order.tolist(),
            seller_order.tolist(),
            market.buyer_unit_values[buyer_order].tolist(),
            market.seller_unit_costs[seller_order].tolist(),
        )
    values, costs = market._unit_lists
    buyer_order = sorted(range(len(values)), key=values.__getitem__, reverse=True)
    seller_order = sorted(range(len(costs)), key=costs.__getitem__)
    return (
        buyer_order,
        seller_order,
        [values[unit] for unit in buyer_order],
        [costs[unit] for unit in seller_order],
    )


def check_auction_options(
    variant: str, price_bounds: tuple[float, float] | None, max_rounds: int
) -> tuple[float, float]:
    """Validate a DDA's variant, public price bounds (default ``DEFAULT_PRICE_BOUNDS``) and round limit;
    return the bounds as floats. Shared by ``DoubleDutchAuction`` and the batched auctions."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    bounds = DEFAULT_PRICE_BOUNDS if price_bounds is None else price_bounds
    # Fast path (every env reset): a tuple of two floats, as the envs' checked configs hold.
    if not (
        type(bounds) is tuple and len(bounds) == 2 and type(bounds[0]) is float and type(bounds[1]) is float
    ):
        if (
            not isinstance(bounds, (tuple, list, np.ndarray))
            or len(bounds) != 2
            or not all(_is_real(b) for b in bounds)
        ):
            raise ValueError(
                f"price_bounds must be a (lower, upper) pair of finite numbers with lower < upper, "
                f"got {bounds!r}"
            )
    lower, upper = float(bounds[0]), float(bounds[1])
    if not (math.isfinite(lower) and math.isfinite(upper) and lower < upper):
        raise ValueError(f"price_bounds must be finite with lower < upper, got ({lower}, {upper})")
    if type(max_rounds) is not int and (
        not _is_real(max_rounds) or int(max_rounds) != max_rounds  # type: ignore[arg-type]
    ):
        raise ValueError(f"max_rounds must be an integer >= 1, got {max_rounds!r}")
    if max_rounds < 1:  # type: ignore[operator]
        raise ValueError(f"max_rounds must be an integer >= 1, got {max_rounds!r}")
    return lower, upper


def check_dda_variant(variant: str) -> None:
    """A variant of the Double Dutch Auction (else ValueError pointing to ``make_auction``)."""
    if variant not in DDA_VARIANTS:
        raise ValueError(
            f"variant must be one of {DDA_VARIANTS} for a Double Dutch Auction, got {variant!r}; the "
            f"'double-clock' mechanism is DoubleClockAuction (ioa_gym.auction.make_auction builds any)"
        )


def _is_real(value: object) -> bool:
    """A real number (Python or NumPy), not a bool or a string."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def check_seed(seed: object, name: str = "seed") -> None:
    """A seed of ``np.random.default_rng``: None, an integer >= 0, a Generator or a SeedSequence (else
    ValueError naming ``name``)."""
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return
    if not (isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)) and seed >= 0):
        raise ValueError(
            f"{name} must be None, an integer >= 0, a numpy.random.Generator or a SeedSequence, got {seed!r}"
        )


def settle(
    market: Market, price: float, buyer_units: list[int], seller_units: list[int], rounds: int, crossed: bool
) -> AuctionResult:
    """The :class:`AuctionResult` of trading ``buyer_units`` and ``seller_units`` (participant-order unit
    indices, as many on each side) at ``price`` (T2.9-T2.10): units per participant, payments and revenues
    at the one price, the welfare of the reports, and the IR and SBB checks. Nothing traded: the clearing
    price is nan. Shared by every mechanism, single or batched.

    Python lists throughout: a market has a few units, where NumPy's per-call overhead dominates.
    """
    buyer_owners, seller_owners = market._unit_owner_lists
    buyer_counts, seller_counts = [0] * market.n_buyers, [0] * market.n_sellers
    for unit in buyer_units:
        buyer_counts[buyer_owners[unit]] += 1
    for unit in seller_units:
        seller_counts[seller_owners[unit]] += 1
    buyer_traded = np.array(buyer_counts, dtype=np.int64)
    seller_traded = np.array(seller_counts, dtype=np.int64)
    q = len(buyer_units)
    if q == 0:
        return AuctionResult(
            clearing_price=math.nan,
            buyer_units_traded=buyer_traded,
            seller_units_traded=seller_traded,
            buyer_payments=np.zeros(market.n_buyers),
            seller_revenues=np.zeros(market.n_sellers),
            units_traded=0,
            social_welfare=0.0,
            rounds=rounds,
            crossed=crossed,
            individually_rational=True,
            budget_balanced=True,
        )
    unit_values, unit_costs = market._unit_lists
    traded_values = [unit_values[unit] for unit in buyer_units]
    traded_costs = [unit_costs[unit] for unit in seller_units]
    return AuctionResult(
        clearing_price=price,
        buyer_units_traded=buyer_traded,
        seller_units_traded=seller_traded,
        buyer_payments=buyer_traded * price,
        seller_revenues=seller_traded * price,
        units_traded=q,
        # One correctly rounded sum, like efficient_welfare: SW <= SW_opt then holds in floats too.
        social_welfare=math.fsum([*traded_values, *(-cost for cost in traded_costs)]),
        rounds=rounds,
        crossed=crossed,
        individually_rational=min(traded_values) >= price >= max(traded_costs),
        # Both sides pay / receive the same price per unit (payments built above), so SBB reduces to both
        # sides trading the same number of units.
        budget_balanced=sum(buyer_counts) == sum(seller_counts) == q,
    )


class _ClockState:
    """The public clock state every mechanism shares (read-only properties over its attributes)."""

    _buyer_price: float
    _seller_price: float
    _rounds: int
    _last_step: float
    _done: bool
    _crossed: bool
    _closing_price: float

    @property
    def buyer_price(self) -> float:
        """Buyer clock P_B."""
        return self._buyer_price

    @property
    def seller_price(self) -> float:
        """Seller clock P_S."""
        return self._seller_price

    @property
    def rounds(self) -> int:
        """Ticks played so far."""
        return self._rounds

    @property
    def last_step(self) -> float:
        """Step of the latest tick (nan before the first)."""
        return self._last_step

    @property
    def done(self) -> bool:
        """True once the auction has ended (its clocks met or crossed, or the round limit)."""
        return self._done

    @property
    def crossed(self) -> bool:
        """True if the clocks ended the auction (crossed, or met), False if the round limit did."""
        return self._crossed

    @property
    def closing_price(self) -> float:
        """The price the auction closed at, whether or not any unit trades; nan before the end."""
        return self._closing_price

    _result: AuctionResult | None = None

    def clone(self) -> _ClockState:
        """An independent copy of the auction in its current state (the same market, rationing draw and
        clocks): ticking either leaves the other as it was. For searches over step sequences
        (``ioa_gym.oracle``)."""
        twin = copy.copy(self)
        twin._copy_history()
        return twin

    def _copy_history(self) -> None:
        """Replace the mutable containers a tick appends to by copies (a mechanism that keeps any)."""

    def _finish(self, crossed: bool, closing_price: float) -> None:
        self._done = True
        self._crossed = crossed
        self._closing_price = closing_price

    def _clear(self) -> AuctionResult:
        raise NotImplementedError

    def result(self) -> AuctionResult:
        """Clear the auction (the mechanism's rules; computed once). Only callable once :attr:`done`.

        :raises RuntimeError: if the auction is not done yet.
        """
        if not self._done:
            raise RuntimeError("the auction is not done yet; keep calling tick()")
        if self._result is None:
            self._result = self._clear()
        return self._result


class DoubleDutchAuction(_ClockState):
    """One Double Dutch Auction over a reported :class:`~ioa_gym.auction.Market` (T2.2-T2.10).

    The buyer clock P_B starts at the upper price bound and descends; the seller clock P_S starts at
    the lower bound and ascends. Each :meth:`tick` moves the active clock (``active_clock`` is
    ``"buyer"`` or ``"seller"``) by a step the auctioneer chooses. The buyer clock moves first.

    Public state an auctioneer may observe: ``buyer_price``, ``seller_price``, ``active_clock``,
    ``rounds``, ``max_rounds``, ``price_bounds``, ``last_step``, ``buyer_units_accepted``,
    ``seller_units_accepted``, ``done``, ``crossed`` and the market's sizes (``market.n_buyers``,
    ``market.total_buyer_units``, ...). The reports themselves are private: a step policy must not
    read ``market.buyer_values`` or the acceptance records' ``reports``.

    :param market: the reported market.
    :param variant: ``"classic"`` (turns switch on acceptance; IC not exact) or ``"strategy-proof"``
        (fixed alternation, proxy eligibility; IC exact for acceptance-blind steps).
    :param price_bounds: public (lower, upper) clock start prices, finite, lower < upper. Defaults to
        :data:`DEFAULT_PRICE_BOUNDS`; never derived from the reports.
    :param max_rounds: tick limit (>= 1); reaching it without a crossing ends the auction (T2.5).
    :param seed: seed of ``np.random.default_rng`` for the rationing order drawn at construction; a
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
        check_dda_variant(variant)
        if seed is not None and not isinstance(seed, np.random.Generator):
            check_seed(seed)

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
    def active_clock(self) -> str:
        """Clock that the next tick moves: ``"buyer"`` or ``"seller"``."""
        return BUYER if self._buyer_turn else SELLER

    @property
    def buyer_units_accepted(self) -> int:
        """Buyer units that have accepted the buyer clock."""
        return len(self._buyer_accept_prices)

    @property
    def seller_units_accepted(self) -> int:
        """Seller units that have accepted the seller clock."""
        return len(self._seller_accept_prices)

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

    def _copy_history(self) -> None:
        self._buyer_accept_prices = self._buyer_accept_prices.copy()
        self._buyer_accept_rounds = self._buyer_accept_rounds.copy()
        self._seller_accept_prices = self._seller_accept_prices.copy()
        self._seller_accept_rounds = self._seller_accept_rounds.copy()

    # -- dynamics ------------------------------------------------------------------------------------

    def tick(self, step: float) -> None:
        """Move the active clock by ``step`` (> 0, finite), record acceptances, check the end (T2.2-T2.5).

        :raises ValueError: if ``step`` is not a finite number > 0.
        :raises RuntimeError: if the auction is already done.
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

    # -- clearing (T2.6-T2.10; result() is _ClockState's) ---------------------------------------------

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
        n_buyer_eligible = self._eligible_count(self._buyer_sorted, self._buyer_accept_prices, buyer=True)
        n_seller_eligible = self._eligible_count(self._seller_sorted, self._seller_accept_prices, buyer=False)
        q = min(n_buyer_eligible, n_seller_eligible)
        buyer_units = self._ration(
            self._buyer_order, self._buyer_accept_rounds, self._buyer_priority, n_buyer_eligible, q
        )
        seller_units = self._ration(
            self._seller_order, self._seller_accept_rounds, self._seller_priority, n_seller_eligible, q
        )
        return settle(
            self.market, self._closing_price, buyer_units, seller_units, self._rounds, self._crossed
        )
