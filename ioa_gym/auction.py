"""Tier 2: the Double Dutch Auction (DDA) between overloaded FAs (buyers) and AAs (sellers).

Plain NumPy, no Gymnasium or torch. Equation numbers (T2.x) refer to Sec. 4 of ``docs/model.md``
(the Tier-2 section). Three variants (``VARIANTS``; :func:`make_auction` builds any of them):

- ``"classic"`` (default): the clocks move in turns, switching when the active side accepts; the
  marginal units that accept in the crossing tick are dropped; the longer side is rationed by
  acceptance order. IR and SBB are exact, IC is not (measure it with :func:`max_misreport_gain`).
- ``"strategy-proof"``: the clocks alternate on a fixed pattern and eligibility compares each report
  with the clearing price directly (proxy bidding). Exactly IR, IC and SBB as long as the step
  sequence ignores acceptances (a fixed step does).
- ``"double-clock"`` (:class:`DoubleClockAuction`): an ascending buyer clock and a descending seller clock
  from which participants exit; the clocks meet at one price and the active units trade there. Exactly IR,
  IC (dominant strategy) and SBB for every auctioneer that reads only the public history, learned or not.

The hot path is :meth:`DoubleDutchAuction.tick`: units are sorted once at construction, so an
acceptance is a pointer advance and a tick allocates nothing unless some unit accepts.

This module is the public face of Tier 2; the names live in ``ioa_gym._auction_market`` (the market
and its welfare benchmark), ``ioa_gym._auction_mechanism`` (the Double Dutch Auction and
the results), ``ioa_gym._auction_double_clock`` (the double-clock auction), ``ioa_gym._auction_play``
(auctioneers, ``make_auction``, playing an auction to its end) and ``ioa_gym._auction_analysis`` (the
misreport audit). None of them
imports Tier 1: markets built from a Tier-1 equilibrium come from ``ioa_gym.markets``.
"""

from __future__ import annotations

from ioa_gym._auction_analysis import MisreportReport, max_misreport_gain
from ioa_gym._auction_double_clock import DOUBLE_CLOCK, DoubleClockAuction
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
    DDA_VARIANTS,
    DEFAULT_PRICE_BOUNDS,
    SELLER,
    VARIANTS,
    AcceptanceRecord,
    AuctionResult,
    DoubleDutchAuction,
    Seed,
)
from ioa_gym._auction_mechanism import _sorted_units as _sorted_units
from ioa_gym._auction_mechanism import check_auction_options as check_auction_options
from ioa_gym._auction_play import Auction, StepPolicy, fixed_step, make_auction, run_auction, run_fixed_step

__all__ = [
    "BUYER",
    "DDA_VARIANTS",
    "DOUBLE_CLOCK",
    "DEFAULT_PRICE_BOUNDS",
    "MAX_UNITS",
    "SELLER",
    "Seed",
    "VARIANTS",
    "AcceptanceRecord",
    "Auction",
    "AuctionResult",
    "DoubleClockAuction",
    "DoubleDutchAuction",
    "Market",
    "MisreportReport",
    "StepPolicy",
    "efficient_welfare",
    "fixed_step",
    "make_auction",
    "max_misreport_gain",
    "run_auction",
    "run_fixed_step",
    "sample_market",
    "welfare_efficiency",
]
