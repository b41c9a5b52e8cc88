"""Many auctions of one mechanism ticked together, one row per auction (docs/model.md, T2.2-T2.17): what the
native vector env steps.

:class:`AuctionBatch` is the interface, with the public state as one array per quantity, indexed by row.
:class:`LoopedAuctionBatch` implements it for any mechanism with one single auction per row (the default of a
mechanism that declares no batch of its own); ``ioa_gym.auctions.double_dutch_batch`` ticks the Double Dutch
Auctions as arrays. :func:`make_batch` builds the batch a mechanism declares.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ioa_gym.auctions.clock import BUYER, AuctionResult, ClockAuction, Seed, check_auction_options
from ioa_gym.auctions.market import Market
from ioa_gym.auctions.mechanism import get_mechanism

if TYPE_CHECKING:
    from ioa_gym.auctions.mechanism import Mechanism

__all__ = ["AuctionBatch", "LoopedAuctionBatch", "make_batch"]


class AuctionBatch:
    """``n_auctions`` auctions with shared public parameters; no row started (every row done).

    The public state, one array per quantity indexed by row: ``buyer_price``, ``seller_price``,
    ``buyer_turn`` (True when the buyer clock moves next), ``rounds``, ``done``, ``crossed``,
    ``closing_price`` (once done, else nan), ``last_step``, and the units of each side in all
    (``buyer_units``, ``seller_units``); ``markets`` holds the rows' markets. A subclass implements
    :meth:`start`, :meth:`tick`, :meth:`result` and :meth:`public_counts`.

    :param n_auctions: number of rows (>= 1).
    :param price_bounds: public (lower, upper) clock start prices (default ``DEFAULT_PRICE_BOUNDS``).
    :param max_rounds: tick limit of every auction (>= 1).
    """

    variant: str = ""
    """The mechanism's registered name."""

    def __init__(self, n_auctions: int, price_bounds: tuple[float, float] | None, max_rounds: int) -> None:
        if isinstance(n_auctions, bool) or int(n_auctions) != n_auctions or n_auctions < 1:
            raise ValueError(f"n_auctions must be an integer >= 1, got {n_auctions!r}")
        lower, upper = check_auction_options(price_bounds, max_rounds)
        n = int(n_auctions)
        self.n_auctions = n
        self.price_bounds = (lower, upper)
        self.max_rounds = int(max_rounds)
        self.markets: list[Market | None] = [None] * n
        self.buyer_price = np.full(n, math.nan)
        self.seller_price = np.full(n, math.nan)
        self.buyer_turn = np.ones(n, dtype=bool)
        self.rounds = np.zeros(n, dtype=np.int64)
        self.done = np.ones(n, dtype=bool)
        self.crossed = np.zeros(n, dtype=bool)
        self.closing_price = np.full(n, math.nan)
        self.last_step = np.full(n, math.nan)
        self.buyer_units = np.zeros(n, dtype=np.int64)
        self.seller_units = np.zeros(n, dtype=np.int64)

    def _tick_arguments(self, steps: np.ndarray, ticking: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """``tick``'s steps as floats of shape (n_auctions,) (else ValueError) and its mask (default all)."""
        steps = np.asarray(steps, dtype=float)
        if steps.shape != (self.n_auctions,):
            raise ValueError(f"steps must have shape ({self.n_auctions},), got {steps.shape}")
        ticking = np.ones(self.n_auctions, dtype=bool) if ticking is None else np.asarray(ticking, dtype=bool)
        return steps, ticking

    def _check_row(self, row: int) -> None:
        if not 0 <= row < self.n_auctions:
            raise ValueError(f"row must be in [0, {self.n_auctions - 1}], got {row}")

    def start(self, row: int, market: Market, seed: Seed = None) -> None:
        """(Re)start row ``row`` on ``market`` (``seed``: its rationing draw, as the single auction takes
        it)."""
        raise NotImplementedError

    def tick(self, steps: np.ndarray, ticking: np.ndarray | None = None) -> None:
        """Tick every ticking row by its step (``steps`` of shape (n_auctions,); ``ticking`` a bool mask,
        default all).

        :raises ValueError: if a ticking row's step is not a finite number > 0.
        :raises RuntimeError: if a ticking row is done (or was never started).
        """
        raise NotImplementedError

    def result(self, row: int) -> AuctionResult:
        """Clear row ``row``, as its single auction clears. Only callable once the row is done.

        :raises RuntimeError: if the row's auction is not done yet (or was never started).
        """
        raise NotImplementedError

    def public_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Per row, the (buyer, seller) unit counts of the public history (``ClockAuction.public_counts``)."""
        raise NotImplementedError

    def clock_gap(self, out: np.ndarray | None = None) -> np.ndarray:
        """Per row, ``ClockAuction.clock_gap`` (default P_B - P_S), into ``out`` when given."""
        return np.subtract(self.buyer_price, self.seller_price, out=out)


class LoopedAuctionBatch(AuctionBatch):
    """A batch of any mechanism: one single auction per row, ticked in a Python loop over the rows (the same
    auction, hence bitwise the same clocks and results, as a single env's).

    :param mechanism: the registered mechanism (or its name).
    :param n_auctions: number of rows (>= 1).
    :param price_bounds: public (lower, upper) clock start prices.
    :param max_rounds: tick limit of every auction (>= 1).
    """

    def __init__(
        self,
        mechanism: Mechanism | str,
        n_auctions: int,
        price_bounds: tuple[float, float] | None = None,
        max_rounds: int = 1000,
    ) -> None:
        self.mechanism = get_mechanism(mechanism) if isinstance(mechanism, str) else mechanism
        self.variant = self.mechanism.name
        super().__init__(n_auctions, price_bounds, max_rounds)
        n = self.n_auctions
        self.auctions: list[ClockAuction | None] = [None] * n
        self.buyer_counts = np.zeros(n, dtype=np.int64)
        self.seller_counts = np.zeros(n, dtype=np.int64)
        self._gap = np.zeros(n)

    def start(self, row: int, market: Market, seed: Seed = None) -> None:
        self._check_row(row)
        self.auctions[row] = self.mechanism.make_auction(market, self.price_bounds, self.max_rounds, seed)
        self.markets[row] = market
        self.buyer_units[row] = market.total_buyer_units
        self.seller_units[row] = market.total_seller_units
        self._sync(row)

    def _sync(self, row: int) -> None:
        auction = self.auctions[row]
        assert auction is not None
        self.buyer_price[row], self.seller_price[row] = auction.buyer_price, auction.seller_price
        self.buyer_turn[row] = auction.active_clock == BUYER
        self.rounds[row] = auction.rounds
        self.buyer_counts[row], self.seller_counts[row] = auction.public_counts()
        self._gap[row] = auction.clock_gap
        self.done[row], self.crossed[row] = auction.done, auction.crossed
        self.closing_price[row], self.last_step[row] = auction.closing_price, auction.last_step

    def tick(self, steps: np.ndarray, ticking: np.ndarray | None = None) -> None:
        steps, ticking = self._tick_arguments(steps, ticking)
        rows = np.flatnonzero(ticking).tolist()
        for row in rows:
            if self.done[row]:
                raise RuntimeError(f"row {row} is done (or has no market); start() it instead of tick()")
        step_list = steps.tolist()
        for row in rows:
            auction = self.auctions[row]
            assert auction is not None
            try:
                auction.tick(step_list[row])
            except ValueError as error:
                raise ValueError(f"{error} in row {row}") from None
            self._sync(row)

    def result(self, row: int) -> AuctionResult:
        auction = self.auctions[row]
        if auction is None or not auction.done:
            raise RuntimeError(f"the auction of row {row} is not done yet; keep calling tick()")
        return auction.result()

    def public_counts(self) -> tuple[np.ndarray, np.ndarray]:
        return self.buyer_counts, self.seller_counts

    def clock_gap(self, out: np.ndarray | None = None) -> np.ndarray:
        if out is None:
            return self._gap.copy()
        out[:] = self._gap
        return out


def make_batch(
    n_auctions: int,
    variant: str,
    price_bounds: tuple[float, float] | None = None,
    max_rounds: int = 1000,
) -> AuctionBatch:
    """The batch of ``variant``'s auctions (:func:`ioa_gym.auctions.make_auction`, batched): the registered
    mechanism's own batch class, or a :class:`LoopedAuctionBatch`."""
    return get_mechanism(variant).make_batch(n_auctions, price_bounds, max_rounds)
