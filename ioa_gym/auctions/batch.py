"""Many auctions of one mechanism ticked together, one row per auction (docs/model.md, T2.2-T2.17): what the
native vector env steps.

:class:`AuctionBatch` is the interface, with the public state as one array per quantity, indexed by row.
:class:`LoopedAuctionBatch` implements it for any mechanism with one single auction per row (the default of a
mechanism that declares no batch of its own); ``ioa_gym.auctions.double_dutch_batch`` ticks the Double Dutch
Auctions as arrays. :func:`make_batch` builds the batch a mechanism declares.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast, overload

import numpy as np

from ioa_gym.auctions.clock import BUYER, AuctionResult, ClockAuction, Seed, check_auction_options
from ioa_gym.auctions.market import Market, MarketArrays, efficient_welfare
from ioa_gym.auctions.mechanism import get_mechanism

if TYPE_CHECKING:
    from ioa_gym.auctions.mechanism import Mechanism

__all__ = ["AuctionBatch", "ClearedRows", "LoopedAuctionBatch", "RowMarkets", "RowResults", "make_batch"]


@dataclass(frozen=True, eq=False)
class ClearedRows:
    """What :meth:`AuctionBatch.clear_many` gives for the rows it cleared, in their order: the units traded
    (q of T2.8), the social welfare of the reports (T2.10), the IR and SBB checks, the rounds played and
    whether the clocks crossed, and each row's whole
    :class:`~ioa_gym.auctions.AuctionResult` from :meth:`result` (built when asked; it stays valid after the
    row restarts)."""

    units_traded: np.ndarray
    social_welfare: np.ndarray
    individually_rational: np.ndarray
    budget_balanced: np.ndarray
    rounds: np.ndarray
    crossed: np.ndarray

    @classmethod
    def of(cls, results: Sequence[AuctionResult]) -> ClearedRows:
        """The rows of finished results."""
        return _ResultRows(
            np.array([r.units_traded for r in results], dtype=np.int64),
            np.array([r.social_welfare for r in results], dtype=float),
            np.array([r.individually_rational for r in results], dtype=bool),
            np.array([r.budget_balanced for r in results], dtype=bool),
            np.array([r.rounds for r in results], dtype=np.int64),
            np.array([r.crossed for r in results], dtype=bool),
            tuple(results),
        )

    def result(self, k: int) -> AuctionResult:
        """The ``AuctionResult`` of the k-th cleared row."""
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class _ResultRows(ClearedRows):
    results: tuple[AuctionResult, ...]

    def result(self, k: int) -> AuctionResult:
        return self.results[k]


class RowMarkets(Sequence["Market | None"]):
    """The market of each row of a batch, as a read-only sequence: a :class:`Market` built when first asked
    from the :class:`MarketArrays` the row was started on (or the very ``Market`` it was given). Equal to a
    list of the same markets."""

    def __init__(self, n_rows: int) -> None:
        self._sources = np.full(n_rows, None, dtype=object)
        self._index = np.zeros(n_rows, dtype=np.int64)
        self._built = np.full(n_rows, None, dtype=object)

    def assign(self, rows: np.ndarray, arrays: MarketArrays, given: Sequence[Market] | None = None) -> None:
        """Rows ``rows`` now play the markets of ``arrays`` in order (``given``: those markets as objects)."""
        self._sources[rows] = arrays
        self._index[rows] = np.arange(rows.shape[0])
        if given is None:
            self._built[rows] = None
        else:
            built = np.empty(len(given), dtype=object)
            built[:] = list(given)
            self._built[rows] = built

    def __len__(self) -> int:
        return int(self._sources.shape[0])

    @overload
    def __getitem__(self, row: int) -> Market | None: ...
    @overload
    def __getitem__(self, row: slice) -> list[Market | None]: ...
    def __getitem__(self, row: int | slice) -> Market | None | list[Market | None]:
        if isinstance(row, slice):
            return [self[i] for i in range(len(self))[row]]
        row = range(len(self))[row]  # negative indices, IndexError
        market = self._built[row]
        if market is None and self._sources[row] is not None:
            market = self._built[row] = self._sources[row].market(int(self._index[row]))
        return market

    def __iter__(self) -> Iterator[Market | None]:
        return (self[i] for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RowMarkets({list(self)!r})"


class RowResults(Sequence["AuctionResult | None"]):
    """Per row of a batch, the ``AuctionResult`` of its last auction that ended (None before the first), as a
    read-only sequence: rows point into the :class:`ClearedRows` they were cleared in, and a result is built
    when read (a vector env's ``last_results``). Equal to a list of the same results."""

    def __init__(self, n_rows: int) -> None:
        self._rows = np.full(n_rows, None, dtype=object)
        self._index = np.zeros(n_rows, dtype=np.int64)

    def keep(self, rows: np.ndarray, cleared: ClearedRows) -> None:
        """Rows ``rows`` ended with the rows of ``cleared``, in order."""
        self._rows[rows] = cleared
        self._index[rows] = np.arange(rows.shape[0])

    def __len__(self) -> int:
        return int(self._rows.shape[0])

    @overload
    def __getitem__(self, row: int) -> AuctionResult | None: ...
    @overload
    def __getitem__(self, row: slice) -> list[AuctionResult | None]: ...
    def __getitem__(self, row: int | slice) -> AuctionResult | None | list[AuctionResult | None]:
        if isinstance(row, slice):
            return [self[i] for i in range(len(self))[row]]
        row = range(len(self))[row]
        cleared = self._rows[row]
        return None if cleared is None else cast(ClearedRows, cleared).result(int(self._index[row]))

    def __iter__(self) -> Iterator[AuctionResult | None]:
        return (self[i] for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RowResults({list(self)!r})"


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
        self.markets: Sequence[Market | None] = [None] * n
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
        if ticking.shape != (self.n_auctions,):
            raise ValueError(f"ticking must have shape ({self.n_auctions},), got {ticking.shape}")
        return steps, ticking

    def _check_row(self, row: int) -> None:
        if not 0 <= row < self.n_auctions:
            raise ValueError(f"row must be in [0, {self.n_auctions - 1}], got {row}")

    def start(self, row: int, market: Market, seed: Seed = None) -> None:
        """(Re)start row ``row`` on ``market`` (``seed``: its rationing draw, as the single auction takes
        it)."""
        raise NotImplementedError

    def start_many(
        self, rows: np.ndarray, markets: Sequence[Market] | MarketArrays, rngs: Any, streams: np.ndarray
    ) -> np.ndarray:
        """(Re)start each row of ``rows`` on its market, the k-th with generator ``rngs[streams[k]]`` as its
        seed (a sequence of generators, or a numba typed list of them); returns each market's SW_opt
        (``efficient_welfare``). This default starts one row at a time (:meth:`start`)."""
        if isinstance(markets, MarketArrays):
            markets = [markets.market(k) for k in range(markets.count)]
        for k, row in enumerate(np.asarray(rows).tolist()):
            self.start(row, markets[k], seed=rngs[int(streams[k])])
        return np.array([efficient_welfare(market) for market in markets], dtype=float)

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

    def clear_many(self, rows: np.ndarray) -> ClearedRows:
        """Clear the ended rows of ``rows`` (:meth:`result` of each; this default clears one at a time).

        :raises RuntimeError: if a row's auction is not done yet (or was never started).
        """
        return ClearedRows.of([self.result(row) for row in np.asarray(rows).tolist()])

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
        self._markets: list[Market | None] = [None] * n
        self.markets = self._markets
        self.buyer_counts = np.zeros(n, dtype=np.int64)
        self.seller_counts = np.zeros(n, dtype=np.int64)
        self._gap = np.zeros(n)

    def start(self, row: int, market: Market, seed: Seed = None) -> None:
        self._check_row(row)
        self.auctions[row] = self.mechanism.make_auction(market, self.price_bounds, self.max_rounds, seed)
        self._markets[row] = market
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
