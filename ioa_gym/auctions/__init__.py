"""Tier 2: the auctions between overloaded FAs (buyers) and AAs (sellers) (docs/model.md, Sec. 4).

Plain NumPy, no Gymnasium or torch, nothing of Tier 1 (markets built from a Tier-1 equilibrium come from
``ioa_gym.coupling``). Equation numbers (T2.x) refer to docs/model.md, Sec. 4.

Mechanisms are plug-ins (:mod:`ioa_gym.auctions.mechanism`): each declares its auction class, its batch, its
public observation, its efficiency bound and its incentive guarantee, and registers itself; every part of
the package looks them up by name (:func:`get_mechanism`, :func:`mechanism_names`). The built-in ones:

- ``"classic"`` (default) and ``"strategy-proof"``: the Double Dutch Auction under its two rule sets
  (:mod:`ioa_gym.auctions.double_dutch`);
- ``"double-clock"``: an ascending buyer clock and a descending seller clock with exits
  (:mod:`ioa_gym.auctions.double_clock`), exactly IR, IC and SBB under every auctioneer.

Modules: ``market`` (the market and its welfare benchmark), ``clock`` (results, settlement, the
:class:`ClockAuction` base class), ``mechanism`` (the registry), ``double_dutch``, ``double_clock``, ``batch``
and ``double_dutch_batch`` (many auctions ticked together), ``play`` (auctioneers, playing an auction to its
end), ``misreport`` (the IC audit of one market) and ``oracle`` (the clairvoyant search).
"""

from __future__ import annotations

# The built-in mechanisms register themselves when imported, in this order: the paper's first.
# isort: off
import ioa_gym.auctions.double_dutch  # noqa: F401
import ioa_gym.auctions.double_clock  # noqa: F401

# isort: on
from ioa_gym.auctions.batch import AuctionBatch, LoopedAuctionBatch, make_batch
from ioa_gym.auctions.clock import (
    BUYER,
    DEFAULT_PRICE_BOUNDS,
    SELLER,
    AcceptanceRecord,
    AuctionResult,
    ClockAuction,
    Seed,
    check_auction_options,
    settle,
    sorted_units,
)
from ioa_gym.auctions.double_clock import DOUBLE_CLOCK, DoubleClockAuction
from ioa_gym.auctions.double_dutch import CLASSIC, DEFAULT_MECHANISM, STRATEGY_PROOF, DoubleDutchAuction
from ioa_gym.auctions.double_dutch_batch import DoubleDutchAuctionBatch
from ioa_gym.auctions.market import (
    MAX_UNITS,
    Market,
    efficient_welfare,
    is_tradable,
    sample_market,
    welfare_efficiency,
)
from ioa_gym.auctions.mechanism import (
    IncentiveGuarantee,
    Mechanism,
    get_mechanism,
    mechanism_names,
    observation_layout,
    register_mechanism,
    unregister_mechanism,
)
from ioa_gym.auctions.misreport import MisreportReport, max_misreport_gain
from ioa_gym.auctions.play import Auction, StepPolicy, fixed_step, make_auction, run_auction, run_fixed_step

__all__ = [
    "BUYER",
    "CLASSIC",
    "DEFAULT_MECHANISM",
    "DEFAULT_PRICE_BOUNDS",
    "DOUBLE_CLOCK",
    "MAX_UNITS",
    "SELLER",
    "STRATEGY_PROOF",
    "AcceptanceRecord",
    "Auction",
    "AuctionBatch",
    "AuctionResult",
    "ClockAuction",
    "DoubleClockAuction",
    "DoubleDutchAuction",
    "DoubleDutchAuctionBatch",
    "IncentiveGuarantee",
    "LoopedAuctionBatch",
    "Market",
    "Mechanism",
    "MisreportReport",
    "Seed",
    "StepPolicy",
    "check_auction_options",
    "efficient_welfare",
    "fixed_step",
    "get_mechanism",
    "is_tradable",
    "make_auction",
    "make_batch",
    "max_misreport_gain",
    "mechanism_names",
    "observation_layout",
    "register_mechanism",
    "run_auction",
    "run_fixed_step",
    "sample_market",
    "settle",
    "sorted_units",
    "unregister_mechanism",
    "welfare_efficiency",
]

_REMOVED = {
    "VARIANTS": "ioa_gym.auctions.mechanism_names() (the registered mechanisms)",
    "DDA_VARIANTS": "ioa_gym.auctions.double_dutch.check_dda_variant (the Double Dutch Auction's rule sets)",
}


def __getattr__(name: str) -> object:
    """Names this package no longer has fail loudly, naming their replacement (as Gymnasium's wrappers do)."""
    if name in _REMOVED:
        raise AttributeError(f"ioa_gym.auctions.{name} was removed in ioa-gym 0.2; use {_REMOVED[name]}")
    raise AttributeError(f"module 'ioa_gym.auctions' has no attribute {name!r}")
