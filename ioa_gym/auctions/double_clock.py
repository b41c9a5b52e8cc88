"""The double-clock auction (T2.14-T2.17, docs/model.md, Sec. 4): an ascending buyer clock, a descending
seller clock, and exits; registered as the mechanism ``"double-clock"``.

Exactly individually rational, dominant-strategy incentive compatible and strongly budget balanced for
*every* auctioneer whose steps depend only on the public history (clock prices, exits, rounds): the
proofs are in docs/model.md. So the clock steps can be learned from that history without giving up any
of the three properties.
"""

from __future__ import annotations

import math

import numpy as np

from ioa_gym.auctions.clock import BUYER, SELLER, AuctionResult, ClockAuction, Seed, settle, sorted_units
from ioa_gym.auctions.market import Market
from ioa_gym.auctions.mechanism import IncentiveGuarantee, Mechanism, observation_layout, register_mechanism

__all__ = ["DOUBLE_CLOCK", "DoubleClockAuction"]


def _check_step(name: str, step: object) -> float:
    try:
        value = float(step)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number > 0, got {step!r}") from None
    if isinstance(step, (bool, np.bool_)) or not 0.0 < value < math.inf:
        raise ValueError(f"{name} must be a finite number > 0, got {step!r}")
    return value


class DoubleClockAuction(ClockAuction):
    """One double-clock auction over a reported :class:`~ioa_gym.auctions.Market` (T2.14-T2.17).

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
        as :class:`~ioa_gym.auctions.DoubleDutchAuction` draws it.
    """

    variant = "double-clock"

    def __init__(
        self,
        market: Market,
        price_bounds: tuple[float, float] | None = None,
        max_rounds: int = 1000,
        seed: Seed = None,
    ) -> None:
        lower, upper = self._validate(market, price_bounds, max_rounds, seed)
        # Rationing priorities per unit in participant order, from the seed alone (no report moves a unit
        # in the queue), drawn in DoubleDutchAuction's order.
        rng = np.random.default_rng(seed)
        self._buyer_priority = rng.permutation(market.total_buyer_units)
        self._seller_priority = rng.permutation(market.total_seller_units)
        # Units sorted once (buyers by value descending, sellers by cost ascending): the active units of a
        # side are always a prefix, and an exit shortens it from the end.
        self._buyer_order, self._seller_order, self._buyer_sorted, self._seller_sorted = sorted_units(market)
        self._buyer_active = len(self._buyer_sorted)
        self._seller_active = len(self._seller_sorted)
        # Largest unit count among the participants of the first k sorted units, for every k (public: unit
        # counts are not reports): the active participants of a side are those of a prefix.
        self._buyer_largest = _prefix_largest(self._buyer_order, market.buyer_unit_owners, market.buyer_units)
        self._seller_largest = _prefix_largest(
            self._seller_order, market.seller_unit_owners, market.seller_units
        )
        self._start_clocks(lower, upper)
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

    def public_counts(self) -> tuple[int, int]:
        """The units that have exited each side (this mechanism's public history)."""
        return self.buyer_units_exited, self.seller_units_exited

    @property
    def clock_gap(self) -> float:
        """P_S - P_B: the buyer clock ascends towards the descending seller clock."""
        return self._seller_price - self._buyer_price

    def active_clock_falls(self) -> bool:
        """The seller clock falls, the buyer clock rises."""
        return self.active_clock != BUYER

    def state_key(self) -> tuple:
        """The clocks (with the round count): the exits follow from them."""
        return (self._rounds, self._buyer_price, self._seller_price)

    def unit_reports(self) -> tuple[list[float], list[float]]:
        return self._buyer_sorted, self._seller_sorted

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

    # -- clearing (T2.17; result() is ClockAuction's) -------------------------------------------------

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


def double_clock_efficiency_bound(
    auction: DoubleClockAuction, optimum: float, cache: dict | None = None
) -> float:
    """Upper bound of the efficiency a double-clock auction can still end with: only units still active can
    trade, so at most their efficient welfare."""
    if optimum <= 0.0:
        return 1.0
    values = auction._buyer_sorted[: auction.buyer_units_active]
    costs = auction._seller_sorted[: auction.seller_units_active]
    gains = [v - c for v, c in zip(values, costs, strict=False) if v > c]
    return min(1.0, math.fsum(gains) / optimum)


def _auction(
    market: Market, price_bounds: tuple[float, float] | None, max_rounds: int, seed: Seed
) -> DoubleClockAuction:
    return DoubleClockAuction(market, price_bounds, max_rounds, seed)


_EXITS = observation_layout("exited")

DOUBLE_CLOCK = register_mechanism(
    Mechanism(
        name=DoubleClockAuction.variant,
        auction=_auction,
        counted="exited",
        efficiency_bound=double_clock_efficiency_bound,
        incentive=IncentiveGuarantee(
            policy_reads=_EXITS, proof="docs/model.md, Sec. 4: any policy of the public history (T2.14-T2.17)"
        ),
        best_fixed_step=0.713,
        description="double-clock auction with exits (IR, IC and SBB under every auctioneer)",
    )
)
"""The double-clock auction: a looped batch (a tick of this mechanism moves one clock and compares one unit
per side, a few microseconds per row). Its best fixed step, 0.713: ``python -m benchmarks.adaptive_vs_fixed
--env IoA-DDA-DoubleClock-v0``."""
