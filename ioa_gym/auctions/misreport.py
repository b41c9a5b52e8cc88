"""The DDA's incentive-compatibility audit: the largest gain from a unilateral misreport (T2.13; the
*Measured IC gap* part of docs/model.md, Sec. 4), for any registered mechanism and any auctioneer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ioa_gym.auctions.clock import BUYER, SELLER, AuctionResult, Seed
from ioa_gym.auctions.double_dutch import DEFAULT_MECHANISM
from ioa_gym.auctions.market import Market
from ioa_gym.auctions.play import StepPolicy, fixed_step, make_auction, run_auction
from ioa_gym.checks import check_seed

MAX_DEVIATIONS = 10**6
"""Upper bound of ``max_misreport_gain``'s ``n_deviations`` (each one replays the auction per participant)."""

# ----------------------------------------------------------------------------------------------------
# Incentive compatibility audit
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MisreportReport:
    """Largest gain from a unilateral misreport found by :func:`max_misreport_gain` (T2.13).

    :ivar max_gain: largest true-utility gain over all participants and sampled reports, >= 0.
    :ivar side: ``"buyer"`` or ``"seller"`` who achieves it; None if no report gains.
    :ivar participant: index of that participant on its side; -1 if none.
    :ivar report: the misreported value or cost; nan if none.
    :ivar true_value: that participant's true value or cost; nan if none.
    :ivar truthful_utility: its true utility when truthful.
    :ivar deviating_utility: its true utility under the misreport.
    :ivar buyer_gains: best gain found per buyer (>= 0).
    :ivar seller_gains: best gain found per seller (>= 0).
    :ivar auctions_run: number of auctions replayed with a misreport.
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


def _utility(result: AuctionResult, is_buyer: bool, index: int, true_value: float) -> float:
    """True utility (T2.13) of participant ``index`` of one side in ``result``, at its true value or cost."""
    units = int((result.buyer_units_traded if is_buyer else result.seller_units_traded)[index])
    if units == 0:
        return 0.0
    surplus = true_value - result.clearing_price if is_buyer else result.clearing_price - true_value
    return units * surplus


def _as_policy(step: float | Sequence[float] | StepPolicy) -> StepPolicy:
    return step if callable(step) else fixed_step(step)


def max_misreport_gain(
    market: Market,
    step: float | Sequence[float] | StepPolicy,
    variant: str = DEFAULT_MECHANISM,
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

    :param market: the true market.
    :param step: a fixed step, a (buyer_step, seller_step) pair, or a step policy. A policy must be
        deterministic given the public state, or the replays compare different auctioneers.
    :param variant: a registered mechanism (:func:`~ioa_gym.auctions.make_auction`).
    :param price_bounds: as in :class:`~ioa_gym.auctions.DoubleDutchAuction`.
    :param max_rounds: as in :class:`~ioa_gym.auctions.DoubleDutchAuction`.
    :param seed: as in :class:`~ioa_gym.auctions.DoubleDutchAuction`.
    :param n_deviations: random misreports per participant (>= 0), besides the 4 near p*.
    :param rng: generator (or seed) for the random misreports.
    """
    if (
        not isinstance(n_deviations, (int, np.integer))
        or isinstance(n_deviations, bool)
        or not 0 <= n_deviations <= MAX_DEVIATIONS
    ):
        raise ValueError(f"n_deviations must be an integer in [0, {MAX_DEVIATIONS}], got {n_deviations!r}")
    check_seed(rng, "rng")
    check_seed(seed)
    policy = _as_policy(step)
    rng = np.random.default_rng(rng)
    truthful_auction = make_auction(market, variant, price_bounds, max_rounds, seed)
    while not truthful_auction.done:
        truthful_auction.tick(policy(truthful_auction))
    truthful = truthful_auction.result()
    lower, upper = truthful_auction.price_bounds
    width = upper - lower
    anchor = truthful_auction.closing_price
    near_price = anchor + width * np.array([1e-6, -1e-6, 1e-2, -1e-2])
    n_scaled = int(n_deviations) // 2
    gains = {BUYER: np.zeros(market.n_buyers), SELLER: np.zeros(market.n_sellers)}
    best: tuple[float, str | None, int, float, float, float, float]
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
            baseline = _utility(truthful, is_buyer, index, true_value)
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
                deviating = _utility(outcome, is_buyer, index, true_value)
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
