"""Tier 2: many auctions ticked together, one row per auction (docs/model.md, T2.2-T2.17).

Plain NumPy, no Gymnasium or torch. :class:`DoubleDutchAuctionBatch` plays, row by row, exactly what
:class:`ioa_gym.auctions.DoubleDutchAuction` plays: for the same market, seed and steps it gives bitwise the
same clocks, acceptances and :class:`~ioa_gym.auctions.AuctionResult` (``tests/test_vector_env.py``). A
:meth:`~DoubleDutchAuctionBatch.tick` moves the active clock of every chosen row with a few array
operations over all rows; Python works per auction only when one starts (its rationing priorities are
drawn from its own seed, in :class:`DoubleDutchAuction`'s order) and when one is cleared.

Layout: each row keeps its units sorted as in :class:`DoubleDutchAuction` (buyers by value descending,
sellers by cost ascending) under one key that accepts when ``key >= limit``: the value of a buyer unit
against P_B, minus the cost of a seller unit against -P_S (negation is exact, so the comparison is the
mechanism's). The accepted units of a side are a prefix (T2.3); a tick compares, per row, the first unit
not yet accepted of the side that moves, and repeats only while some row accepts again, so it costs a
few operations on arrays of one entry per row, whatever the markets' sizes.

The batch that the classic and strategy-proof mechanisms declare (``ioa_gym.auctions.double_dutch``); the
interface is :class:`ioa_gym.auctions.batch.AuctionBatch`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ioa_gym.auctions.batch import AuctionBatch
from ioa_gym.auctions.clock import AuctionResult, Seed, settle, sorted_units
from ioa_gym.auctions.double_dutch import check_dda_variant
from ioa_gym.auctions.market import Market

__all__ = ["DoubleDutchAuctionBatch"]

_BUYERS, _SELLERS = 0, 1


class _Side(NamedTuple):
    """One side of a row's auction, kept for clearing."""

    order: list[int]
    """Participant-order unit index of each sorted unit."""
    reports: list[float]
    """Value (buyers) or cost (sellers) of each sorted unit."""
    priority: np.ndarray
    """Rationing priority of each unit in participant order, as drawn at start()."""


class DoubleDutchAuctionBatch(AuctionBatch):
    """``n_auctions`` Double Dutch Auctions with shared public parameters, ticked together (T2.2-T2.10).

    Row ``i`` holds nothing (and is ``done``) until :meth:`start` gives it a market; it can be restarted
    on another market at any time. The public state is one array per quantity, indexed by row:
    ``buyer_price``, ``seller_price``, ``buyer_turn`` (True when the buyer clock moves next), ``rounds``,
    ``buyer_units_accepted``, ``seller_units_accepted``, ``done``, ``crossed``, ``closing_price`` (p* of
    T2.6 once done, else nan), ``last_step``, and the units of each side in all (``buyer_units``,
    ``seller_units``); ``markets`` holds the rows' markets. Like a single auction's, this state is public
    information; the reports are not.

    :param n_auctions: number of rows (>= 1).
    :param variant: ``"classic"`` or ``"strategy-proof"``, as in
    :class:`~ioa_gym.auctions.DoubleDutchAuction`.
    :param price_bounds: public (lower, upper) clock start prices, finite, lower < upper (default
        :data:`~ioa_gym.auctions.DEFAULT_PRICE_BOUNDS`).
    :param max_rounds: tick limit of every auction (>= 1) (T2.5).
    """

    def __init__(
        self,
        n_auctions: int,
        variant: str = "classic",
        price_bounds: tuple[float, float] | None = None,
        max_rounds: int = 1000,
    ) -> None:
        classic = check_dda_variant(variant)
        super().__init__(n_auctions, price_bounds, max_rounds)
        lower, upper = self.price_bounds
        n = self.n_auctions
        self.variant = variant
        self._classic = classic
        self.buyer_price[:], self.seller_price[:] = upper, lower  # the buyer clock descends
        self.buyer_units_accepted = np.zeros(n, dtype=np.int64)
        self.seller_units_accepted = np.zeros(n, dtype=np.int64)

        # Keys, acceptance prices and acceptance rounds of the sorted units, shape (rows, 2 sides, slots);
        # each side has one padding slot (key -inf) after its last unit, so the next unit always exists.
        self._slots = 0
        self._keys = np.full((n, 2, 1), -math.inf)
        self._accept_prices = np.full((n, 2, 1), math.nan)
        self._accept_rounds = np.zeros((n, 2, 1), dtype=np.int64)
        self._row_start = np.zeros(n, dtype=np.int64)
        # Per row and side: the sorted units' participant-order indices, the sorted values (buyers) or
        # costs (sellers), and the rationing priority of each unit in participant order. Python lists
        # (priorities as drawn): clearing works on a few units, where NumPy's per-call overhead dominates.
        self._sides: list[tuple[_Side, _Side] | None] = [None] * n
        self._results: list[AuctionResult | None] = [None] * n

    # -- starting an auction -------------------------------------------------------------------------

    def start(self, row: int, market: Market, seed: Seed = None) -> None:
        """(Re)start row ``row`` on ``market``: clocks at the bounds, nothing accepted, buyer clock first.

        ``seed`` is used as :class:`~ioa_gym.auctions.DoubleDutchAuction` uses it (a Generator is advanced
        by the same draws), so the row rations exactly like that auction would.
        """
        if not 0 <= row < self.n_auctions:
            raise ValueError(f"row must be in [0, {self.n_auctions - 1}], got {row}")
        if not isinstance(market, Market):
            raise ValueError(f"market must be a Market, got {type(market).__name__}")
        rng = np.random.default_rng(seed)
        buyer_priority = rng.permutation(market.total_buyer_units)
        seller_priority = rng.permutation(market.total_seller_units)
        buyer_order, seller_order, values, costs = sorted_units(market)
        n_buyer_units, n_seller_units = len(values), len(costs)
        if max(n_buyer_units, n_seller_units) >= self._slots:
            self._widen(max(n_buyer_units, n_seller_units) + 1)

        # The whole row in one assignment, padded with -inf keys.
        slots = self._slots
        self._keys[row] = (
            values + [-math.inf] * (slots - n_buyer_units),
            [-cost for cost in costs] + [-math.inf] * (slots - n_seller_units),
        )
        self._sides[row] = (
            _Side(buyer_order, values, buyer_priority),
            _Side(seller_order, costs, seller_priority),
        )
        self._results[row] = None
        self.markets[row] = market
        self.buyer_units[row] = n_buyer_units
        self.seller_units[row] = n_seller_units
        self.buyer_price[row], self.seller_price[row] = self.price_bounds[1], self.price_bounds[0]
        self.buyer_turn[row] = True
        self.rounds[row] = self.buyer_units_accepted[row] = self.seller_units_accepted[row] = 0
        self.done[row] = self.crossed[row] = False
        self.closing_price[row] = self.last_step[row] = math.nan

    def _widen(self, slots: int) -> None:
        """Give every side at least ``slots`` slots (doubling, so this is rare)."""
        slots = max(slots, 2 * self._slots)
        n, current = self.n_auctions, self._slots

        def widen(array: np.ndarray, fill: float) -> np.ndarray:
            wider = np.full((n, 2, slots), fill, dtype=array.dtype)
            wider[:, :, :current] = array[:, :, :current]
            return wider

        self._keys = widen(self._keys, -math.inf)
        self._accept_prices = widen(self._accept_prices, math.nan)
        self._accept_rounds = widen(self._accept_rounds, 0)
        self._slots = slots
        self._row_start = np.arange(n, dtype=np.int64) * 2 * slots

    # -- dynamics ------------------------------------------------------------------------------------

    def tick(self, steps: np.ndarray, ticking: np.ndarray | None = None) -> None:
        """Move the active clock of each ticking row by its step, record acceptances, check the end
        (T2.2-T2.5): :meth:`DoubleDutchAuction.tick <ioa_gym.auctions.DoubleDutchAuction.tick>` on every
        ticking row at once.

        :param steps: step of each row, shape (n_auctions,); finite and > 0 on the ticking rows (the others
            are ignored).
        :param ticking: bool mask of the rows that tick (default all).

        :raises ValueError: if a ticking row's step is not a finite number > 0.
        :raises RuntimeError: if a ticking row is done (or was never started).
        """
        steps, ticking = self._tick_arguments(steps, ticking)
        bad = ticking & ~((steps > 0.0) & (steps < math.inf))  # nan fails both comparisons
        if bad.any():
            row = int(np.argmax(bad))
            raise ValueError(f"step must be a finite number > 0, got {steps[row]!r} in row {row}")
        if (ticking & self.done).any():
            row = int(np.argmax(ticking & self.done))
            raise RuntimeError(f"row {row} is done (or has no market); start() it instead of tick()")

        self.rounds += ticking
        np.copyto(self.last_step, steps, where=ticking)
        buyer_side = ticking & self.buyer_turn
        seller_side = ticking & ~self.buyer_turn
        buyer_price, seller_price = self.buyer_price, self.seller_price
        np.subtract(buyer_price, steps, out=buyer_price, where=buyer_side)
        np.add(seller_price, steps, out=seller_price, where=seller_side)

        # Acceptances (T2.3): advance each row's pointer while its next unit's key reaches the limit
        # (+inf on rows that do not tick: no key reaches it).
        price = np.where(self.buyer_turn, buyer_price, seller_price)
        limit = np.where(buyer_side, buyer_price, np.where(seller_side, -seller_price, math.inf))
        start = self._row_start + np.where(
            self.buyer_turn, self.buyer_units_accepted, self._slots + self.seller_units_accepted
        )
        keys, accept_prices = self._keys.reshape(-1), self._accept_prices.reshape(-1)
        accept_rounds = self._accept_rounds.reshape(-1)
        pointer = start.copy()
        while True:
            accepting = np.flatnonzero(keys[pointer] >= limit)
            if not accepting.size:
                break
            units = pointer[accepting]
            accept_prices[units] = price[accepting]
            accept_rounds[units] = self.rounds[accepting]
            pointer[accepting] += 1
        accepted = pointer - start
        self.buyer_units_accepted = self.buyer_units_accepted + accepted * buyer_side
        self.seller_units_accepted = self.seller_units_accepted + accepted * seller_side

        # Crossing (T2.5) by either clock: p* is the clock that did not move (T2.6).
        crossed = ticking & (buyer_price <= seller_price)
        np.copyto(self.closing_price, np.where(buyer_side, seller_price, buyer_price), where=crossed)
        # Turns of the rows still open. Classic: the buyer clock keeps the turn until a buyer accepts
        # (or no buyer unit is left), then the seller clock until a seller accepts (T2.4);
        # strategy-proof: always alternate.
        still_open = ticking & ~crossed
        if self._classic:
            keep_buyer = (accepted == 0) & (self.buyer_units_accepted < self.buyer_units)
            pass_seller = (accepted > 0) | (self.seller_units_accepted == self.seller_units)
            np.copyto(self.buyer_turn, np.where(buyer_side, keep_buyer, pass_seller), where=still_open)
        else:
            np.copyto(self.buyer_turn, seller_side, where=still_open)
        # Round limit before a crossing (T2.6): p* is the midpoint of the two clocks.
        limited = still_open & (self.rounds >= self.max_rounds)
        np.copyto(self.closing_price, 0.5 * (buyer_price + seller_price), where=limited)
        self.crossed |= crossed
        self.done |= crossed | limited

    # -- clearing ------------------------------------------------------------------------------------

    def result(self, row: int) -> AuctionResult:
        """Clear row ``row`` (T2.6-T2.10) as :meth:`DoubleDutchAuction.result
        <ioa_gym.auctions.DoubleDutchAuction.result>` clears it. Only callable once the row is done.

        :raises RuntimeError: if the row's auction is not done yet (or was never started).
        """
        if not self.done[row] or self.markets[row] is None:
            raise RuntimeError(f"the auction of row {row} is not done yet; keep calling tick()")
        if self._results[row] is None:
            self._results[row] = self._clear(row)
        return self._results[row]  # type: ignore[return-value]

    def public_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Per row, the units that have accepted each clock (``DoubleDutchAuction.public_counts``)."""
        return self.buyer_units_accepted, self.seller_units_accepted

    def _eligible(self, row: int, side: int, price: float) -> int:
        """Number of eligible units of one side (T2.7); they are always a prefix of the sorted units."""
        if not self._classic:
            # Proxy bidding: the report itself is compared with p*.
            n_units = int(self.buyer_units[row] if side == _BUYERS else self.seller_units[row])
            keys, limit = self._keys[row, side, :n_units].tolist(), price if side == _BUYERS else -price
            return sum(key >= limit for key in keys)
        accepted = int(self.buyer_units_accepted[row] if side == _BUYERS else self.seller_units_accepted[row])
        if not self.crossed[row]:
            return accepted
        # Acceptance prices are monotone along the prefix; drop the units that accepted past p*.
        accept_prices = self._accept_prices[row, side, :accepted].tolist()
        if side == _BUYERS:
            return sum(accepted_at >= price for accepted_at in accept_prices)
        return sum(accepted_at <= price for accepted_at in accept_prices)

    def _ration(self, row: int, side: int, n_eligible: int, q: int) -> list[int]:
        """Sorted positions of the units of one side that trade among the first ``n_eligible`` (T2.8), in
        the order :class:`~ioa_gym.auctions.DoubleDutchAuction` ranks them. Priorities are distinct, so
        the ranking is one (the NumPy lexsort / stable argsort of the single auction gives the same)."""
        if q >= n_eligible:
            return list(range(n_eligible))
        sides = self._sides[row]
        assert sides is not None  # the row was started
        unit_side = sides[side]
        priority = unit_side.priority.tolist()
        priorities = [priority[unit] for unit in unit_side.order[:n_eligible]]
        if self._classic:
            # Earliest acceptance first; ties (same round) by the priority drawn at start().
            rounds = self._accept_rounds[row, side, :n_eligible].tolist()
            ranking = sorted(range(n_eligible), key=lambda position: (rounds[position], priorities[position]))
        else:
            ranking = sorted(range(n_eligible), key=priorities.__getitem__)
        return ranking[:q]

    def _clear(self, row: int) -> AuctionResult:
        price = float(self.closing_price[row])
        n_buyer_eligible = self._eligible(row, _BUYERS, price)
        n_seller_eligible = self._eligible(row, _SELLERS, price)
        q = min(n_buyer_eligible, n_seller_eligible)
        sides, market = self._sides[row], self.markets[row]
        assert sides is not None and market is not None  # result() checked the row was started
        buyer_side, seller_side = sides
        buyer_units = [
            buyer_side.order[position] for position in self._ration(row, _BUYERS, n_buyer_eligible, q)
        ]
        seller_units = [
            seller_side.order[position] for position in self._ration(row, _SELLERS, n_seller_eligible, q)
        ]
        return settle(
            market,
            price,
            buyer_units,
            seller_units,
            int(self.rounds[row]),
            bool(self.crossed[row]),
        )
