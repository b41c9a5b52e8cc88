"""The parts every Tier-2 mechanism shares (docs/model.md, Sec. 4): public parameters, the results of an
auction (T2.6-T2.10), the settlement at one price, and :class:`ClockAuction`, the base class of every
mechanism's auction (its public clock state and the defaults of what a mechanism may refine).

Plain NumPy; nothing of Tier 1.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from ioa_gym.auctions.market import SCALAR_UNITS, Market
from ioa_gym.checks import check_seed, is_real

__all__ = [
    "BUYER",
    "DEFAULT_PRICE_BOUNDS",
    "SELLER",
    "AcceptanceRecord",
    "AuctionResult",
    "ClockAuction",
    "Seed",
    "check_auction_options",
    "settle",
    "sorted_units",
]

# Public parameters of the mechanism. The default must never be derived from the reports (that would
# let a participant move the clocks' range, breaking IC).
DEFAULT_PRICE_BOUNDS: tuple[float, float] = (0.0, 30.0)
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
# Clearing and the shared auction state
# ----------------------------------------------------------------------------------------------------


def sorted_units(market: Market) -> tuple[list[int], list[int], list[float], list[float]]:
    """Unit order of each side (participant-order unit indices: buyers by value descending, sellers by
    cost ascending, ties in participant order, as ``np.argsort(..., kind="stable")``) and the sorted
    values and costs. Python's sort is stable too, also with ``reverse=True``; on the few units of a
    typical market it is faster than NumPy's calls. Shared by every mechanism, single and batched."""
    if market.total_buyer_units + market.total_seller_units > SCALAR_UNITS:
        buyer_argsort = np.argsort(-market.buyer_unit_values, kind="stable")
        seller_argsort = np.argsort(market.seller_unit_costs, kind="stable")
        return (
            buyer_argsort.tolist(),
            seller_argsort.tolist(),
            market.buyer_unit_values[buyer_argsort].tolist(),
            market.seller_unit_costs[seller_argsort].tolist(),
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


def check_auction_options(price_bounds: tuple[float, float] | None, max_rounds: int) -> tuple[float, float]:
    """Validate an auction's public price bounds (default ``DEFAULT_PRICE_BOUNDS``) and round limit; return
    the bounds as floats. Shared by every mechanism, single and batched (its variant is checked by
    ``ioa_gym.auctions.get_mechanism``)."""
    bounds = DEFAULT_PRICE_BOUNDS if price_bounds is None else price_bounds
    # Fast path (every env reset): a tuple of two floats, as the envs' checked configs hold.
    if not (
        type(bounds) is tuple and len(bounds) == 2 and type(bounds[0]) is float and type(bounds[1]) is float
    ):
        if (
            not isinstance(bounds, (tuple, list, np.ndarray))
            or len(bounds) != 2
            or not all(is_real(b) for b in bounds)
        ):
            raise ValueError(
                f"price_bounds must be a (lower, upper) pair of finite numbers with lower < upper, "
                f"got {bounds!r}"
            )
    lower, upper = float(bounds[0]), float(bounds[1])
    if not (math.isfinite(lower) and math.isfinite(upper) and lower < upper):
        raise ValueError(f"price_bounds must be finite with lower < upper, got ({lower}, {upper})")
    if type(max_rounds) is not int and (not is_real(max_rounds) or int(max_rounds) != max_rounds):
        raise ValueError(f"max_rounds must be an integer >= 1, got {max_rounds!r}")
    if max_rounds < 1:
        raise ValueError(f"max_rounds must be an integer >= 1, got {max_rounds!r}")
    return lower, upper


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


class ClockAuction:
    """The base of every Tier-2 mechanism's auction: a buyer clock and a seller clock that move, one tick at a
    time, by steps an auctioneer chooses, until the auction ends and is cleared.

    The public state an auctioneer may observe: ``buyer_price``, ``seller_price``, ``active_clock``,
    ``rounds``, ``max_rounds``, ``price_bounds``, ``last_step``, ``done``, ``crossed``, ``clock_gap``,
    ``public_counts()`` and the market's sizes. A mechanism subclasses it (see ``ioa_gym.auctions.mechanism``
    for how it is registered), sets ``variant`` to its registered name, calls :meth:`_validate` and
    :meth:`_start_clocks` in its constructor ``(market, price_bounds=None, max_rounds=1000, seed=None)``, and
    implements ``active_clock``, :meth:`tick` and :meth:`_clear` (usually with :func:`settle`). The other
    methods have defaults that a mechanism refines where it knows more (the clairvoyant search uses them).
    """

    variant: str = ""
    """The mechanism's registered name (``ioa_gym.auctions.get_mechanism``)."""
    market: Market
    price_bounds: tuple[float, float]
    max_rounds: int

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

    def _validate(
        self, market: Market, price_bounds: tuple[float, float] | None, max_rounds: int, seed: Seed
    ) -> tuple[float, float]:
        """Check the constructor's arguments (ValueError naming the bad one), keep the market, the bounds
        and the round limit; returns the bounds as floats."""
        if not isinstance(market, Market):
            raise ValueError(f"market must be a Market, got {type(market).__name__}")
        lower, upper = check_auction_options(price_bounds, max_rounds)
        if seed is not None and not isinstance(seed, np.random.Generator):
            check_seed(seed)
        self.market = market
        self.price_bounds = (lower, upper)
        self.max_rounds = int(max_rounds)
        return lower, upper

    def _start_clocks(self, buyer_price: float, seller_price: float) -> None:
        """The state before the first tick: the clocks at these prices, no round played."""
        self._buyer_price = buyer_price
        self._seller_price = seller_price
        self._rounds = 0
        self._last_step = math.nan
        self._done = False
        self._crossed = False
        self._closing_price = math.nan
        self._result = None

    # -- what a mechanism implements ------------------------------------------------------------------

    @property
    def active_clock(self) -> str:
        """Clock that the next tick moves: ``"buyer"`` or ``"seller"``."""
        raise NotImplementedError

    def tick(self, step: float) -> None:
        """Move the active clock by ``step`` (a finite number > 0) and update the state (``done`` at the end).

        :raises ValueError: if ``step`` is not a finite number > 0.
        :raises RuntimeError: if the auction is already done.
        """
        raise NotImplementedError

    # -- defaults a mechanism may refine ---------------------------------------------------------------

    @property
    def clock_gap(self) -> float:
        """How far the clocks still have to move, together, before the auction ends by their meeting
        (default: P_B - P_S, for a buyer clock that descends towards an ascending seller clock)."""
        return self._buyer_price - self._seller_price

    def ticks_to_end(self, step_max: float) -> int:
        """A lower bound of the ticks still needed before the auction can end by itself, each at most
        ``step_max`` (the clairvoyant search prunes with it). Default: the clocks must meet,
        ceil(clock_gap / step_max); a mechanism that can stop before they meet must return less."""
        return max(1, math.ceil(self.clock_gap / step_max - 1e-12))

    def active_clock_falls(self) -> bool:
        """Whether the active clock's price falls when it ticks (default: the buyer clock falls)."""
        return self.active_clock == BUYER

    def public_counts(self) -> tuple[int, int]:
        """The (buyer, seller) unit counts of the public history that the observation shows, as the
        mechanism's ``counted`` word names them (accepted, exited...); default (0, 0)."""
        return 0, 0

    def state_key(self) -> tuple | None:
        """Everything that decides the auction's future (the round count included), for the clairvoyant
        search to meet a state only once; None (the default): no key, every state is searched."""
        return None

    def unit_reports(self) -> tuple[list[float], list[float]]:
        """The reported unit values (descending) and costs (ascending): where a clock tick changes what
        happens, for the clairvoyant search (which sees the reports)."""
        return sorted_units(self.market)[2:]

    # -- shared ----------------------------------------------------------------------------------------

    def clone(self) -> ClockAuction:
        """An independent copy of the auction in its current state (the same market, rationing draw and
        clocks): ticking either leaves the other as it was. For searches over step sequences
        (``ioa_gym.auctions.oracle``)."""
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
        """The :class:`AuctionResult` of the ended auction (the mechanism's clearing rule)."""
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
