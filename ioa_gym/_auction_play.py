"""Auctioneers and playing an auction to its end, for every Tier-2 mechanism (docs/model.md, Sec. 4). Part
of ``ioa_gym.auction``, which re-exports every public name here; import them from there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ioa_gym._auction_double_clock import DOUBLE_CLOCK, DoubleClockAuction
from ioa_gym._auction_market import Market
from ioa_gym._auction_mechanism import BUYER, AuctionResult, DoubleDutchAuction, Seed, _is_real

Auction = DoubleDutchAuction | DoubleClockAuction
"""Any Tier-2 auction: the same public state (clock prices, ``active_clock``, rounds, ``done``, ...),
``tick(step)`` and ``result()``."""


def make_auction(
    market: Market,
    variant: str = "classic",
    price_bounds: tuple[float, float] | None = None,
    max_rounds: int = 1000,
    seed: Seed = None,
) -> Auction:
    """The auction of ``variant``: a :class:`DoubleDutchAuction` (``"classic"``, ``"strategy-proof"``) or a
    :class:`DoubleClockAuction` (``"double-clock"``), with the same arguments."""
    if variant == DOUBLE_CLOCK:
        return DoubleClockAuction(market, price_bounds, max_rounds, seed)
    return DoubleDutchAuction(market, variant, price_bounds, max_rounds, seed)


# ----------------------------------------------------------------------------------------------------
# Auctioneers
# ----------------------------------------------------------------------------------------------------

StepPolicy = Callable[[Auction], float]
"""An auctioneer: reads the auction's public state and returns the next step (> 0)."""


def fixed_step(step: float | Sequence[float]) -> StepPolicy:
    """Acceptance-blind auctioneer: one step for both clocks, or a (buyer_step, seller_step) pair (each
    clock's step when it moves).

    Such a policy keeps the strategy-proof variant exactly IC; a pair lets its clocks meet elsewhere than at
    the middle of the bounds. Every auctioneer, this one included, keeps the double-clock auction exactly IC.
    """
    if _is_real(step):
        steps: tuple[object, ...] = (step, step)
        names = ("step", "step")
    elif isinstance(step, (tuple, list, np.ndarray)) and len(step) == 2:
        steps = tuple(step)
        names = ("buyer step", "seller step")
    else:
        raise ValueError(f"step must be a number > 0 or a (buyer_step, seller_step) pair, got {step!r}")
    checked: list[float] = []
    for name, value in zip(names, steps, strict=True):
        if not _is_real(value):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        value = float(value)  # type: ignore[arg-type]
        if not 0.0 < value < math.inf:
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        checked.append(value)
    buyer_step, seller_step = checked
    if buyer_step == seller_step:
        return lambda auction: buyer_step
    return lambda auction: buyer_step if auction.active_clock == BUYER else seller_step


def run_auction(
    market: Market,
    step_policy: StepPolicy,
    variant: str = "classic",
    price_bounds: tuple[float, float] | None = None,
    max_rounds: int = 1000,
    seed: Seed = None,
) -> AuctionResult:
    """Play one auction to the end, asking ``step_policy(auction)`` for every step."""
    if not callable(step_policy):
        raise ValueError(
            f"step_policy must be a callable auction -> step (e.g. fixed_step(0.1)), got {step_policy!r}; "
            f"for a constant step use run_fixed_step(market, step)"
        )
    auction = make_auction(market, variant, price_bounds, max_rounds, seed)
    while not auction.done:
        auction.tick(step_policy(auction))
    return auction.result()


def run_fixed_step(
    market: Market,
    step: float | Sequence[float],
    variant: str = "classic",
    price_bounds: tuple[float, float] | None = None,
    max_rounds: int = 1000,
    seed: Seed = None,
) -> AuctionResult:
    """Play one auction with a fixed step (or a fixed (buyer_step, seller_step) pair)."""
    return run_auction(market, fixed_step(step), variant, price_bounds, max_rounds, seed)
