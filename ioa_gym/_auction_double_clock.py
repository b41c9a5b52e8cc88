"""The double-clock auction (T2.14-T2.17, docs/model.md, Sec. 4): an ascending buyer clock, a descending
seller clock, and exits. Part of ``ioa_gym.auction``, which re-exports every public name here; import them
from there.

Exactly individually rational, dominant-strategy incentive compatible and strongly budget balanced for
*every* auctioneer whose steps depend only on the public history (clock prices, exits, rounds): the
proofs are in docs/model.md. So the clock steps can be learned from that history without giving up any
of the three properties.
"""

from __future__ import annotations

import math

import numpy as np

from ioa_gym._auction_market import Market
from ioa_gym._auction_mechanism import (
    BUYER,
    SELLER,
    AuctionResult,
    Seed,
    _ClockState,
    _sorted_units,
    check_auction_options,
    check_seed,
    settle,
)

DOUBLE_CLOCK = "double-clock"


def _check_step(name: str, step: object) -> float:
    try:
        value = float(step)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number > 0, got {step!r}") from None
    if isinstance(step, (bool, np.bool_)) or not 0.0 < value < math.inf:
        raise ValueError(f"{name} must be a finite number > 0, got {step!r}")
    return value


class DoubleClockAuction(_ClockState):
    """One double-clock auction over a reported :class:`~ioa_gym.auction.Market` (T2.14-T2.17).

    The buyer clock P_B starts at the lower price bound and ascends; the seller clock P_S starts at the
    upper bound and descends. A buyer (all its units together) is *active* while its reported value is at
    least P_B and exits for good once P_B passes it; a seller is active while its reported cost is at most
    P_S. Each tick moves one clock, chosen from the public counts (T2.14). The clocks never cross: when a
    tick would take them past each other they meet at one price m
    (T2.15), and the auction ends. If ``max_rounds`` ticks pass first, the last tick moves both clocks to
    their midpoint (T2.16). The active units then trade at m (T2.17): the shorter side all of them, the
    longer side the first ones in a random priority order drawn at construction.

    Public state an auctioneer may observe (the *public history*): ``buyer_price``, ``seller_price``,
    ``active_clock`` (which clock the next tick moves, T2.14), ``rounds``, ``max_rounds``,
    ``price_bounds``, ``last_step``, ``buyer_units_active``, ``seller_units_active``,
    ``buyer_units_exited``, ``seller_units_exited``, ``done``, ``crossed`` (True when the clocks met,
    False at the round limit) and the market's sizes (unit counts are not reports). The reports are
    private.

    :param market: the reported market.
    :param price_bounds: public (lower, upper) clock start prices (default ``DEFAULT_PRICE_BOUNDS``).
    :param max_rounds: tick limit (>= 1); the last tick clears at the clocks' midpoint (T2.16).
    :param seed: seed of the rationing order (``np.random.default_rng``; a Generator is used as is), drawn
        as :class:`~ioa_gym.auction.DoubleDutchAuction` draws it.
    """

    variant = DOUBLE_CLOCK

    def __init__(
        self,
        market: Market,
        price_bounds: tuple[float, float] | None = None,
        max_rounds: int = 1000,
        seed: Seed = None,
    ) -> None:
        if not isinstance(market, Market):
            raise ValueError(f"market must be a Market, got {type(market).__name__}")
        lower, upper = check_auction_options(DOUBLE_CLOCK, price_bounds, max_rounds)
        if seed is not None and not isinstance(seed, np.random.Generator):
            check_seed(seed)
        self.market = market
        self.price_bounds = (lower, upper)
        self.max_rounds = int(max_rounds)
        # Rationing priorities per unit in participant order, from the seed alone (no report moves a unit
        # in the queue), drawn in DoubleDutchAuction's order.
        rng = np.random.default_rng(seed)
        self._buyer_priority = rng.permutation(market.total_buyer_units)
        self._seller_priority = rng.permutation(market.total_seller_units)
        # Units sorted once (buyers by value descending, sellers by cost ascending): the active units of a
        # side are always a prefix, and an exit shortens it from the end.
        self._buyer_order, self._seller_order, self._buyer_sorted, self._seller_sorted = _sorted_units(market)
        self._buyer_active = len(self._buyer_sorted)
        self._seller_active = len(self._seller_sorted)
        # Largest unit count among the participants of the first k sorted units, for every k (public: unit
        # counts are not reports): the active participants of a side are those of a prefix.
        self._buyer_largest = _prefix_largest(self._buyer_order, market.buyer_unit_owners, market.buyer_units)
        self._seller_largest = _prefix_largest(
            self._seller_order, market.seller_unit_owners, market.seller_units
        )
        self._buyer_price = lower
        self._seller_price = upper
        self._rounds = 0
        self._last_step = math.nan
        self._done = False
        self._crossed = False
        self._closing_price = math.nan
        self._result: AuctionResult | None = None
        # Reports outside the bounds exit (or stay) at the start prices, round 0.
        self._exit()

    # -- public state --------------------------------------------------------------------------------

    @property
    def active_clock(self) -> str:
        """Clock that the next tick moves (T2.14): ``"buyer"`` or ``"seller"``."""
        return BUYER if self._buyer_moves() else SELLER

    def _buyer_moves(self) -> bool:
        """The turn rule (T2.14), on public counts only: a side's clock moves while that side stays covered
        (at least as many units as the other side) even if its largest active participant exits; when
        neither side is, the clock of the short side (the buyers' on a tie) moves towards the other."""
        demand, supply = self._buyer_active, self._seller_active
        if demand - self._buyer_largest[demand] >= supply:
            return True
        if supply - self._seller_largest[supply] >= demand:
            return False
        return demand <= supply

    @property
    def buyer_units_active(self) -> int:
        """Buyer units still in the auction (their buyers' values are at least P_B)."""
        return self._buyer_active

    @property
    def seller_units_active(self) -> int:
        """Seller units still in the auction (their sellers' costs are at most P_S)."""
        return self._seller_active

    @property
    def buyer_units_exited(self) -> int:
        """Buyer units that have left the auction."""
        return len(self._buyer_sorted) - self._buyer_active

    @property
    def seller_units_exited(self) -> int:
        """Seller units that have left the auction."""
        return len(self._seller_sorted) - self._seller_active

    # -- dynamics ------------------------------------------------------------------------------------

    def tick(self, step: float) -> None:
        """Play one round (T2.14-T2.16): the clock named by :attr:`active_clock` moves by ``step`` (a finite
        number > 0) towards the other one, and the units whose reports it passes exit.

        :raises ValueError: if ``step`` is not a finite number > 0.
        :raises RuntimeError: if the auction is already done.
        """
        if self._done:
            raise RuntimeError("the auction is done; call result() instead of tick()")
        step = _check_step("step", step)
        self._rounds += 1
        self._last_step = step
        low, high = self._buyer_price, self._seller_price
        if self._buyer_moves():
            price = low + step
            if price >= high:  # the clocks would cross (or touch, in floating point): they meet (T2.15)
                self._end(high, crossed=True)
                return
            self._buyer_price = price
        else:
            price = high - step
            if price <= low:
                self._end(low, crossed=True)
                return
            self._seller_price = price
        if self._rounds >= self.max_rounds:
            # Round limit (T2.16): this last tick moves both clocks on to their midpoint.
            self._end(0.5 * (self._buyer_price + self._seller_price), crossed=False)
            return
        self._exit()

    def _exit(self) -> None:
        """Exits at the current clocks: buyer units whose value is below P_B, seller units whose cost is
        above P_S (a participant's units share its report, so they leave together)."""
        values, price, active = self._buyer_sorted, self._buyer_price, self._buyer_active
        while active and values[active - 1] < price:
            active -= 1
        self._buyer_active = active
        costs, price, active = self._seller_sorted, self._seller_price, self._seller_active
        while active and costs[active - 1] > price:
            active -= 1
        self._seller_active = active

    def _end(self, price: float, crossed: bool) -> None:
        self._buyer_price = self._seller_price = price
        self._exit()
        self._finish(crossed, price)

    # -- clearing (T2.17; result() is _ClockState's) -------------------------------------------------

    def _clear(self) -> AuctionResult:
        demand, supply = self._buyer_active, self._seller_active
        q = min(demand, supply)
        buyer_units = _ration(self._buyer_order, self._buyer_priority, demand, q)
        seller_units = _ration(self._seller_order, self._seller_priority, supply, q)
        return settle(
            self.market, self._closing_price, buyer_units, seller_units, self._rounds, self._crossed
        )


def _prefix_largest(order: list[int], owners: np.ndarray, units: np.ndarray) -> list[int]:
    """``largest[k]`` = the largest unit count among the owners of the first ``k`` units of ``order``."""
    owner_of, units_of = owners.tolist(), units.tolist()
    largest, running = [0], 0
    for unit in order:
        running = max(running, units_of[owner_of[unit]])
        largest.append(running)
    return largest


def _ration(order: list[int], priority: np.ndarray, n_active: int, q: int) -> list[int]:
    """Units (participant-order indices) that trade among the ``n_active`` active ones: all of them, or
    the ``q`` first by priority (T2.17)."""
    active_units = order[:n_active]
    if q >= n_active:
        return active_units
    priorities = priority.tolist()
    return sorted(active_units, key=priorities.__getitem__)[:q]
