"""Tier 2: the Double Dutch Auction (DDA) between overloaded FAs (buyers) and AAs (sellers).

Plain NumPy, no Gymnasium or torch. Equation numbers (T2.x) refer to Sec. 4 of ``docs/model.md``
(the Tier-2 section). Two variants:

- ``"classic"`` (default): the clocks move in turns, switching when the active side accepts; the
  marginal units that accept in the crossing tick are dropped; the longer side is rationed by
  acceptance order. IR and SBB are exact, IC is not (measure it with :func:`max_misreport_gain`).
- ``"strategy-proof"``: the clocks alternate on a fixed pattern and eligibility compares each report
  with the clearing price directly (proxy bidding). Exactly IR, IC and SBB as long as the step
  sequence ignores acceptances (a fixed step does).

The hot path is :meth:`DoubleDutchAuction.tick`: units are sorted once at construction, so an
acceptance is a pointer advance and a tick allocates nothing unless some unit accepts.

This module is the public face of Tier 2; the names live in ``ioa_gym._auction_market`` (the market
and its welfare benchmark), ``ioa_gym._auction_mechanism`` (the auction, its results and the
acceptance-blind auctioneers) and ``ioa_gym._auction_analysis`` (the misreport audit). None of them
imports Tier 1: markets built from a Tier-1 equilibrium come from ``ioa_gym.markets``.
"""

from __future__ import annotations

from ioa_gym._auction_analysis import MisreportReport, max_misreport_gain
from ioa_gym._auction_market import (
    MAX_UNITS,
    Market,
    efficient_welfare,
    sample_market,
    welfare_efficiency,
)
from ioa_gym._auction_market import _efficient_welfare as _efficient_welfare
from ioa_gym._auction_market import _efficient_welfare_arrays as _efficient_welfare_arrays
from ioa_gym._auction_mechanism import (
    BUYER,
    DEFAULT_PRICE_BOUNDS,
    SELLER,
    VARIANTS,
    AcceptanceRecord,
    AuctionResult,
    DoubleDutchAuction,
    Seed,
    StepPolicy,
    fixed_step,
    run_auction,
    run_fixed_step,
)
from ioa_gym._auction_mechanism import _sorted_units as _sorted_units
from ioa_gym._auction_mechanism import check_auction_options as check_auction_options

__all__ = [
    "BUYER",
    "DEFAULT_PRICE_BOUNDS",
    "MAX_UNITS",
    "SELLER",
    "Seed",
    "VARIANTS",
    "AcceptanceRecord",
    "AuctionResult",
    "DoubleDutchAuction",
    "Market",
    "MisreportReport",
    "StepPolicy",
    "efficient_welfare",
    "fixed_step",
    "max_misreport_gain",
    "run_auction",
    "run_fixed_step",
    "sample_market",
    "welfare_efficiency",
]
