"""The Double Dutch Auction (T2.2-T2.10, docs/model.md, Sec. 4), the paper's Tier-2 mechanism, under its two
rule sets, each registered as a mechanism:

- ``"classic"`` (the default): the clocks move in turns, switching when the active side accepts; the marginal
  units that accept in the crossing tick are dropped; the longer side is rationed by acceptance order. IR and
  SBB are exact, IC is not (``ioa_gym.auctions.max_misreport_gain`` measures it).
- ``"strategy-proof"``: the clocks alternate on a fixed pattern and eligibility compares each report with the
  clearing price directly (proxy bidding). Exactly IR, IC and SBB as long as the step sequence ignores
  acceptances, which its observation hides.

The two share one auction class (:class:`DoubleDutchAuction`) and one batch
(``ioa_gym.auctions.double_dutch_batch``): the rule sets differ in a few lines of each. The hot path is
:meth:`DoubleDutchAuction.tick`: units are sorted once at construction, so an acceptance is a pointer advance
and a tick allocates nothing unless some unit accepts.
"""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from ioa_gym.auctions.clock import (
    BUYER,
    SELLER,
    AcceptanceRecord,
    AuctionResult,
    ClockAuction,
    Seed,
    settle,
    sorted_units,
)
from ioa_gym.auctions.market import Market
from ioa_gym.auctions.mechanism import (
    IncentiveGuarantee,
    Mechanism,
    get_mechanism,
    observation_layout,
    register_mechanism,
)

if TYPE_CHECKING:
    from ioa_gym.auctions.double_dutch_batch import DoubleDutchAuctionBatch

__all__ = ["CLASSIC", "DEFAULT_MECHANISM", "STRATEGY_PROOF", "DoubleDutchAuction", "check_dda_variant"]

_RULES = {"classic": True, "strategy-proof": False}
"""The Double Dutch Auction's rule sets: whether the classic rules apply (turns on acceptance, acceptance
eligibility, rationing by acceptance order) or the strategy-proof ones."""


def check_dda_variant(variant: str) -> bool:
    """Whether ``variant`` is the classic rule set of the Double Dutch Auction (True) or the strategy-proof
    one (False); else ValueError naming the registered mechanisms, or pointing to ``make_auction`` for a
    mechanism of another auction."""
    get_mechanism(variant)
    if variant not in _RULES:
        raise ValueError(
            f"variant must be one of {tuple(_RULES)} for a Double Dutch Auction, got {variant!r}; "
            f"ioa_gym.auctions.make_auction builds the auction of any mechanism"
        )
    return _RULES[variant]


class DoubleDutchAuction(ClockAuction):
    """One Double Dutch Auction over a reported :class:`~ioa_gym.auctions.Market` (T2.2-T2.10).

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
        classic = check_dda_variant(variant)
        lower, upper = self._validate(market, price_bounds, max_rounds, seed)
        self.variant = variant
        self._classic = classic

        # Rationing priorities per unit in participant order: drawn from the seed alone, so no report
        # can change a unit's place in the queue.
        rng = np.random.default_rng(seed)
        self._buyer_priority = rng.permutation(market.total_buyer_units)
        self._seller_priority = rng.permutation(market.total_seller_units)

        # Units sorted once (buyers by value descending, sellers by cost ascending) so that the
        # accepted units are always a prefix and acceptance is a pointer advance (T2.3).
        self._buyer_order, self._seller_order, self._buyer_sorted, self._seller_sorted = sorted_units(market)
        self._n_buyer_units = len(self._buyer_sorted)
        self._n_seller_units = len(self._seller_sorted)

        # Acceptance prices and rounds in sorted order; their lengths are the accepted counts.
        self._buyer_accept_prices: list[float] = []
        self._buyer_accept_rounds: list[int] = []
        self._seller_accept_prices: list[float] = []
        self._seller_accept_rounds: list[int] = []

        self._buyer_turn = True
        self._start_clocks(upper, lower)

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

    def public_counts(self) -> tuple[int, int]:
        """The units that have accepted each clock (the classic observation's public history)."""
        return len(self._buyer_accept_prices), len(self._seller_accept_prices)

    def state_key(self) -> tuple:
        """The clocks, the turn and every acceptance so far (with the round count)."""
        return (
            self._rounds,
            self._buyer_price,
            self._seller_price,
            self._buyer_turn,
            tuple(self._buyer_accept_prices),
            tuple(self._seller_accept_prices),
            tuple(self._buyer_accept_rounds),
            tuple(self._seller_accept_rounds),
        )

    def unit_reports(self) -> tuple[list[float], list[float]]:
        return self._buyer_sorted, self._seller_sorted

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

    # -- clearing (T2.6-T2.10; result() is ClockAuction's) ---------------------------------------------

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


# ----------------------------------------------------------------------------------------------------
# The two mechanisms
# ----------------------------------------------------------------------------------------------------


def _proxy_welfare(auction: DoubleDutchAuction, n_buyers: int, n_sellers: int) -> float:
    """Welfare of the strategy-proof DDA's clearing with these many eligible units on each side."""
    q = min(n_buyers, n_sellers)
    if q == 0:
        return 0.0
    buyers = auction._ration(auction._buyer_order, [], auction._buyer_priority, n_buyers, q)
    sellers = auction._ration(auction._seller_order, [], auction._seller_priority, n_sellers, q)
    values, costs = auction.market._unit_lists
    return math.fsum([*(values[u] for u in buyers), *(-costs[u] for u in sellers)])


def strategy_proof_efficiency_bound(
    auction: DoubleDutchAuction, optimum: float, cache: dict | None = None
) -> float:
    """Upper bound of the efficiency a strategy-proof DDA can still end with: its clearing price will lie
    between the clocks and eligibility compares each report with it (proxy bidding), so the best welfare over
    the prices between the clocks, with the auction's own rationing draw."""
    if optimum <= 0.0:
        return 1.0
    low, high = auction.seller_price, auction.buyer_price
    points = sorted(
        {low, high, *(r for r in auction._buyer_sorted + auction._seller_sorted if low < r < high)}
    )
    prices = points + [0.5 * (a + b) for a, b in zip(points, points[1:], strict=False)]
    best = -math.inf
    for price in prices:
        n_buyers = sum(1 for value in auction._buyer_sorted if value >= price)
        n_sellers = sum(1 for cost in auction._seller_sorted if cost <= price)
        key = (n_buyers, n_sellers)
        welfare = None if cache is None else cache.get(key)
        if welfare is None:
            welfare = _proxy_welfare(auction, n_buyers, n_sellers)
            if cache is not None:
                cache[key] = welfare
        best = max(best, welfare)
    return min(1.0, best / optimum)


def _auction(
    variant: str, market: Market, price_bounds: tuple[float, float] | None, max_rounds: int, seed: Seed
) -> DoubleDutchAuction:
    return DoubleDutchAuction(market, variant, price_bounds, max_rounds, seed)


def _batch(
    variant: str, n_auctions: int, price_bounds: tuple[float, float] | None, max_rounds: int
) -> DoubleDutchAuctionBatch:
    from ioa_gym.auctions.double_dutch_batch import DoubleDutchAuctionBatch

    return DoubleDutchAuctionBatch(n_auctions, variant, price_bounds, max_rounds)


_ACCEPTANCES = observation_layout("accepted")
_BLIND = tuple(name for name in _ACCEPTANCES if "accepted" not in name)
"""The strategy-proof DDA's observation: its acceptances reveal reports, and a step that reacted to them would
make the clearing price depend on the reports (T2.13), so the observation hides them and every policy keeps
the variant IC."""

CLASSIC = register_mechanism(
    Mechanism(
        name="classic",
        auction=partial(_auction, "classic"),
        batch=partial(_batch, "classic"),
        counted="accepted",
        best_fixed_step=1.42,
        description="Double Dutch Auction, clocks switching on acceptance (the paper's; IR and SBB, not IC)",
    )
)
"""The classic Double Dutch Auction. Its best fixed step, 1.42, on the default Tier-1 markets:
``python -m benchmarks.adaptive_vs_fixed`` (docs/results.md)."""

STRATEGY_PROOF = register_mechanism(
    Mechanism(
        name="strategy-proof",
        auction=partial(_auction, "strategy-proof"),
        batch=partial(_batch, "strategy-proof"),
        counted="accepted",
        observation_names=_BLIND,
        efficiency_bound=strategy_proof_efficiency_bound,
        incentive=IncentiveGuarantee(
            policy_reads=_BLIND, proof="docs/model.md, Sec. 4: acceptance-blind steps, proxy eligibility"
        ),
        best_fixed_step=(4.0, 1.0),
        fixed_alternation=True,
        description="Double Dutch Auction, fixed alternation and proxy bidding (IR, IC and SBB)",
    )
)
"""The strategy-proof Double Dutch Auction. Its best fixed step is the pair (4.0, 1.0) (a symmetric schedule
meets mid-range and trades nothing): ``python -m benchmarks.adaptive_vs_fixed --env
IoA-DDA-StrategyProof-v0``."""

DEFAULT_MECHANISM = CLASSIC.name
"""The mechanism of the envs and functions that take a ``variant`` (the paper's)."""
