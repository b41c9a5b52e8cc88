"""Auctioneers and playing an auction to its end, for every registered Tier-2 mechanism (docs/model.md,
Sec. 4).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ioa_gym.auctions.clock import BUYER, AuctionResult, ClockAuction, Seed
from ioa_gym.auctions.double_dutch import DEFAULT_MECHANISM
from ioa_gym.auctions.market import Market
from ioa_gym.auctions.mechanism import get_mechanism
from ioa_gym.checks import is_real

__all__ = ["Auction", "StepPolicy", "fixed_step", "make_auction", "run_auction", "run_fixed_step"]

Auction = ClockAuction
"""Any Tier-2 auction: the same public state (clock prices, ``active_clock``, rounds, ``done``, ...),
``tick(step)`` and ``result()`` (:class:`~ioa_gym.auctions.clock.ClockAuction`)."""


def make_auction(
    market: Market,
    variant: str = DEFAULT_MECHANISM,
    price_bounds: tuple[float, float] | None = None,
    max_rounds: int = 1000,
    seed: Seed = None,
) -> ClockAuction:
    """The auction of the registered mechanism ``variant`` (``ioa_gym.auctions.mechanism_names()``) on
    ``market``."""
    return get_mechanism(variant).make_auction(market, price_bounds, max_rounds, seed)


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
    if is_real(step):
        steps: tuple[object, ...] = (step, step)
        names = ("step", "step")
    elif isinstance(step, (tuple, list, np.ndarray)) and len(step) == 2:
        steps = tuple(step)
        names = ("buyer step", "seller step")
    else:
        raise ValueError(f"step must be a number > 0 or a (buyer_step, seller_step) pair, got {step!r}")
    checked: list[float] = []
    for name, value in zip(names, steps, strict=True):
        if not is_real(value):
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
    variant: str = DEFAULT_MECHANISM,
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
    variant: str = DEFAULT_MECHANISM,
    price_bounds: tuple[float, float] | None = None,
    max_rounds: int = 1000,
    seed: Seed = None,
) -> AuctionResult:
    """Play one auction with a fixed step (or a fixed (buyer_step, seller_step) pair)."""
    return run_auction(market, fixed_step(step), variant, price_bounds, max_rounds, seed)
