"""Tier 2: many Double Dutch Auctions ticked together, one row per auction (docs/model.md, T2.2-T2.10).

:class:`DoubleDutchAuctionBatch` plays, row by row, exactly what :class:`ioa_gym.auctions.DoubleDutchAuction`
plays: for the same market, seed and steps it gives bitwise the same clocks, acceptances and
:class:`~ioa_gym.auctions.AuctionResult` (tests/ioa_gym/envs/test_vector_env.py). Starting rows (their
rationing draws, sorted units and efficient welfare), ticking and clearing are compiled by numba
(``_dutch_kernel``) and work on all the rows they are given in one call: :meth:`start_many` and
:meth:`clear_many` are what the native vector env calls for the sub-envs that reset or end together; the
one-row :meth:`start` and :meth:`result` are the :class:`~ioa_gym.auctions.batch.AuctionBatch` interface.

The batch that the classic and strategy-proof mechanisms declare (``ioa_gym.auctions.double_dutch``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from ioa_gym.auctions import _dutch_kernel as kernel
from ioa_gym.auctions.batch import AuctionBatch, ClearedRows, RowMarkets
from ioa_gym.auctions.clock import AuctionResult, Seed
from ioa_gym.auctions.double_dutch import check_dda_variant
from ioa_gym.auctions.market import Market, MarketArrays, generator_list

__all__ = ["ClearedRows", "DoubleDutchAuctionBatch", "generator_list"]


class DoubleDutchAuctionBatch(AuctionBatch):
    """``n_auctions`` Double Dutch Auctions with shared public parameters, ticked together (T2.2-T2.10).

    Row ``i`` holds nothing (and is ``done``) until :meth:`start` gives it a market; it can be restarted on
    another market at any time. The public state is one array per quantity, indexed by row:
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
        self._accepted = np.zeros((n, 2), dtype=np.int64)
        self._n_units = np.zeros((n, 2), dtype=np.int64)
        self._n_participants = np.zeros((n, 2), dtype=np.int64)
        self.markets: RowMarkets = RowMarkets(n)
        self._started = np.zeros(n, dtype=bool)
        self._cleared = np.full(n, None, dtype=object)
        """The ``_ClearedDutchRows`` of each row's :meth:`result` since its clearing (None before)."""
        self._slots = 0
        self._widen(2)

    @property
    def buyer_units_accepted(self) -> np.ndarray:
        """Buyer units that have accepted the buyer clock, per row (a view)."""
        return self._accepted[:, 0]

    @property
    def seller_units_accepted(self) -> np.ndarray:
        """Seller units that have accepted the seller clock, per row (a view)."""
        return self._accepted[:, 1]

    def _widen(self, slots: int) -> None:
        """Give every side at least ``slots`` unit slots, keeping the rows' contents (doubling: rare)."""
        slots = max(slots, 2 * self._slots)
        n, current = self.n_auctions, self._slots

        def wider(name: str, fill: float, dtype: type) -> np.ndarray:
            array: np.ndarray = np.full((n, 2, slots), fill, dtype=dtype)
            if current:
                array[:, :, :current] = getattr(self, name)[:, :, :current]
            return array

        self._keys = wider("_keys", -math.inf, float)
        self._order = wider("_order", 0, np.int64)
        self._priority = wider("_priority", 0, np.int64)
        self._owner = wider("_owner", 0, np.int64)
        self._report = wider("_report", 0.0, float)
        self._accept_prices = wider("_accept_prices", math.nan, float)
        self._accept_rounds = wider("_accept_rounds", 0, np.int64)
        self._slots = slots

    def _state(self) -> tuple:
        lower, upper = self.price_bounds
        return (
            self._keys,
            self._order,
            self._priority,
            self._owner,
            self._report,
            self._accept_prices,
            self._accept_rounds,
            self._n_units,
            self._n_participants,
            self._accepted,
            self.buyer_price,
            self.seller_price,
            self.buyer_turn,
            self.rounds,
            self.done,
            self.crossed,
            self.closing_price,
            self.last_step,
            lower,
            upper,
        )

    # -- starting auctions ---------------------------------------------------------------------------

    def start(self, row: int, market: Market, seed: Seed = None) -> None:
        """(Re)start row ``row`` on ``market``: clocks at the bounds, nothing accepted, buyer clock first.

        ``seed`` is used as :class:`~ioa_gym.auctions.DoubleDutchAuction` uses it (a Generator is advanced
        by the same draws), so the row rations exactly like that auction would.
        """
        if not 0 <= row < self.n_auctions:
            raise ValueError(f"row must be in [0, {self.n_auctions - 1}], got {row}")
        if not isinstance(market, Market):
            raise ValueError(f"market must be a Market, got {type(market).__name__}")
        self.start_many(np.array([row]), [market], generator_list([np.random.default_rng(seed)]), np.zeros(1))

    def start_many(
        self, rows: np.ndarray, markets: Sequence[Market] | MarketArrays, rngs: object, streams: np.ndarray
    ) -> np.ndarray:
        """(Re)start each row of ``rows`` on its market in one compiled call, the k-th row's rationing drawn
        from the generator ``rngs[streams[k]]`` (advanced as :meth:`start` advances it); returns each
        market's efficient welfare SW_opt (T2.11), bitwise ``efficient_welfare(market)``. ``markets``: one
        ``Market`` per row (``markets[row]`` is then that very object) or their ``MarketArrays`` (a row's
        ``Market`` is built when ``markets[row]`` is first read).

        :param rngs: a typed list of generators (:func:`generator_list`; building one costs about 14 us a
            generator, so a vector env keeps one for its sub-envs and passes their indices as ``streams``).
        """
        rows = np.asarray(rows, dtype=np.int64)
        streams = np.asarray(streams, dtype=np.int64)
        given = None
        if not isinstance(markets, MarketArrays):
            given, markets = markets, MarketArrays.from_markets(markets)
        while True:
            optimum, needed = kernel.start_rows(
                rows,
                rngs,
                streams,
                markets.buyer_values,
                markets.buyer_units,
                markets.buyer_start,
                markets.seller_costs,
                markets.seller_units,
                markets.seller_start,
                self._state(),
                (self.buyer_units, self.seller_units, self._started),
            )
            if not needed:
                break
            self._widen(needed)  # a market with more units than the rows have slots: rare
        self.markets.assign(rows, markets, given)
        self._cleared[rows] = None
        return optimum

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
        row, failure = kernel.tick(self._state(), steps, ticking, self._classic, self.max_rounds)
        if failure == 1:
            raise ValueError(f"step must be a finite number > 0, got {steps[row]!r} in row {row}")
        if failure == 2:
            raise RuntimeError(f"row {row} is done (or has no market); start() it instead of tick()")

    # -- clearing ------------------------------------------------------------------------------------

    def clear_many(self, rows: np.ndarray) -> ClearedRows:
        """Clear the ended rows of ``rows`` (T2.6-T2.10) in one compiled call: their outcome's scalars, and
        each row's whole :class:`~ioa_gym.auctions.AuctionResult` from ``result(k)``, built when asked.

        :raises RuntimeError: if a row's auction is not done yet (or was never started).
        """
        rows = np.asarray(rows, dtype=np.int64)
        failed, traded, welfare, rational, balanced, *rest = kernel.clear_rows(
            rows, self._state(), self._classic, self._started
        )
        if failed >= 0:
            raise RuntimeError(f"the auction of row {failed} is not done yet; keep calling tick()")
        per_participant, participants, prices, rounds, crossed = rest
        return _ClearedDutchRows(
            traded,
            welfare,
            rational,
            balanced,
            rounds,
            crossed,
            per_participant,
            participants,
            prices,
            [None] * rows.shape[0],
        )

    def result(self, row: int) -> AuctionResult:
        """Clear row ``row`` (T2.6-T2.10) as :meth:`DoubleDutchAuction.result
        <ioa_gym.auctions.DoubleDutchAuction.result>` clears it. Only callable once the row is done.

        :raises RuntimeError: if the row's auction is not done yet (or was never started).
        """
        cleared = self._cleared[row]
        if cleared is None:
            cleared = self._cleared[row] = self.clear_many(np.array([row]))
        return cast(ClearedRows, cleared).result(0)

    def public_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Per row, the units that have accepted each clock (``DoubleDutchAuction.public_counts``)."""
        return self.buyer_units_accepted, self.seller_units_accepted


@dataclass(frozen=True, eq=False)
class _ClearedDutchRows(ClearedRows):
    """Cleared rows of the compiled batch: what each row's ``AuctionResult`` is built from (as ``settle``
    builds it), copied at clearing so that it outlives the row's restart."""

    per_participant: np.ndarray
    participants: np.ndarray
    clearing_price: np.ndarray
    built: list[AuctionResult | None]

    def result(self, k: int) -> AuctionResult:
        result = self.built[k]
        if result is None:
            result = self.built[k] = self._build(k)
        return result

    def _build(self, k: int) -> AuctionResult:
        n_buyers, n_sellers = self.participants[k].tolist()
        buyer_traded = self.per_participant[k, 0, :n_buyers].astype(np.int64)
        seller_traded = self.per_participant[k, 1, :n_sellers].astype(np.int64)
        rounds, crossed = int(self.rounds[k]), bool(self.crossed[k])
        if int(self.units_traded[k]) == 0:
            return AuctionResult(
                clearing_price=math.nan,
                buyer_units_traded=buyer_traded,
                seller_units_traded=seller_traded,
                buyer_payments=np.zeros(n_buyers),
                seller_revenues=np.zeros(n_sellers),
                units_traded=0,
                social_welfare=0.0,
                rounds=rounds,
                crossed=crossed,
                individually_rational=True,
                budget_balanced=True,
            )
        price = float(self.clearing_price[k])
        return AuctionResult(
            clearing_price=price,
            buyer_units_traded=buyer_traded,
            seller_units_traded=seller_traded,
            buyer_payments=buyer_traded * price,
            seller_revenues=seller_traded * price,
            units_traded=int(self.units_traded[k]),
            social_welfare=float(self.social_welfare[k]),
            rounds=rounds,
            crossed=crossed,
            individually_rational=bool(self.individually_rational[k]),
            budget_balanced=bool(self.budget_balanced[k]),
        )
