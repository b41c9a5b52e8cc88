"""The tiers coupled both ways (docs/model.md, Sec. 3): the FAs' aerial price is the Tier-2 clearing price.

In Tier 1 an FA prices its service expecting to pay pi per Gcycle for the overflow it forwards to the AAs
(Eq. 11b); ``ScenarioConfig.aerial_price`` fixes pi. Here pi is what the Tier-2 auction actually charges:

    pi_0 = aerial_price;  pi_{k+1} = (1 - damping) p*(pi_k) + damping pi_k

where p*(pi) is the price at which the auction of the slot's market closes when Tier 1 is solved with
aerial price pi, played by a named reference auctioneer (default: the fixed step
``REFERENCE_STEP``, the best fixed step of IoA-DDA-v0, with the auction's rationing drawn from seed 0 each
time, so that p* is a function of pi). The iteration stops when pi moves by less than ``tol`` (a fixed
point), when it returns within ``tol`` of an earlier iterate other than the last (a cycle, reported with
its period, never hidden), or after ``max_iter`` updates. A slot with no tradable market has no clearing
price: pi stays where it is (the fixed point is immediate; ``traded`` says so).

:func:`realised_fa_utilities` gives each FA's utility once the auction has cleared: its revenue and own
computing cost as in Eq. (11b), the payments for the units it bought, and, for overflow it did not buy, its
value per Gcycle (the market's ``p_j + zeta_j``: the refund and the penalty of an unserved Gcycle).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from ioa_gym.auctions import (
    CLASSIC,
    DEFAULT_MECHANISM,
    Auction,
    AuctionResult,
    Market,
    fixed_step,
    is_tradable,
    make_auction,
)
from ioa_gym.checks import check_int, check_scalar
from ioa_gym.coupling.markets import OVERFLOW_EPS, market_from_equilibrium
from ioa_gym.tier1.scenario import Scenario, ScenarioConfig
from ioa_gym.tier1.stackelberg import Equilibrium, solve_equilibrium

REFERENCE_STEP: float = CLASSIC.best_fixed_step  # type: ignore[assignment]
"""The reference auctioneer's fixed step, whatever the mechanism: the best fixed step on IoA-DDA-v0's Tier-1
markets, 1.42 (``python -m benchmarks.adaptive_vs_fixed``, docs/results.md). Each mechanism's own best fixed
step is its ``Mechanism.best_fixed_step``."""
COUPLINGS = ("none", "clearing")
"""How the FAs' aerial price is set: ``"none"``, the scenario's constant; ``"clearing"``, this module's fixed
point."""


@dataclass(frozen=True, eq=False)
class TwoTierResult:
    """One slot with the tiers coupled.

    :ivar aerial_price: pi of the last Tier-1 solve.
    :ivar price_history: every pi tried, pi_0 first (iterations + 1,).
    :ivar converged: pi moved by less than ``tol`` in the last update (or there was no market).
    :ivar cycle_period: the period of the cycle pi entered (>= 2), 0 if none was detected.
    :ivar iterations: updates of pi made.
    :ivar traded: the last market was tradable and the auction closed at a price.
    :ivar scenario: the slot with ``config.aerial_price`` = ``aerial_price``.
    :ivar equilibrium: Tier 1 at that price.
    :ivar market: its Tier-2 market.
    :ivar result: the reference auctioneer's auction of it (None when not tradable).
    :ivar clearing_price: the price that auction closed at (nan when not tradable).
    :ivar residual: |clearing_price - aerial_price|, how far the last pi is from a true fixed point (0 when
        not tradable; below ``tol`` when converged without damping).
    :ivar fa_utilities: each FA's realised utility after that auction (J,).
    :ivar unserved: each FA's overflow (Gcycles) that it did not buy (J,).
    """

    aerial_price: float
    price_history: np.ndarray
    converged: bool
    cycle_period: int
    iterations: int
    traded: bool
    scenario: Scenario
    equilibrium: Equilibrium
    market: Market
    result: AuctionResult | None
    clearing_price: float
    residual: float
    fa_utilities: np.ndarray
    unserved: np.ndarray


def with_aerial_price(scenario: Scenario, price: float) -> Scenario:
    """The same slot (the same arrays) with the FAs' aerial price set to ``price``."""
    config = scenario.config.replace(aerial_price=float(price))
    return dataclasses.replace(scenario, config=config)


def buyer_fas(equilibrium: Equilibrium) -> list[int]:
    """The FA (index j) behind each buyer of ``market_from_equilibrium``'s market, in buyer order."""
    return [j for j, excess in enumerate(equilibrium.overflow.tolist()) if excess > OVERFLOW_EPS]


def realised_fa_utilities(
    scenario: Scenario, equilibrium: Equilibrium, result: AuctionResult | None
) -> tuple[np.ndarray, np.ndarray]:
    """Each FA's utility after the Tier-2 auction ``result`` of the slot's market (None: nothing bought),
    and its overflow that was not bought (Gcycles), both (J,):

        p_j W_j - c_j min(W_j, Cap_j) - (payment for its units) - (p_j + zeta_j) max(0, Q_j - u units_j).
    """
    fa = scenario.fa_slice
    prices, loads = equilibrium.prices[fa], equilibrium.loads[fa]
    cost = scenario.leader_unit_cost[fa]
    bought = np.zeros(scenario.n_fa)
    paid = np.zeros(scenario.n_fa)
    if result is not None:
        for buyer, j in enumerate(buyer_fas(equilibrium)):
            bought[j] = result.buyer_units_traded[buyer] * scenario.config.unit_size
            paid[j] = result.buyer_payments[buyer] * scenario.config.unit_size
    unserved = np.maximum(equilibrium.overflow - bought, 0.0)
    unserved[equilibrium.overflow <= OVERFLOW_EPS] = 0.0
    value = prices + scenario.fa_value_premium
    utilities = prices * loads - cost * np.minimum(loads, scenario.fa_capacity) - paid - value * unserved
    return utilities, unserved


def _play(
    market: Market,
    policy: Callable[[Auction], float],
    variant: str,
    bounds: tuple[float, float],
    max_rounds: int,
) -> tuple[AuctionResult, float]:
    auction = make_auction(market, variant, bounds, max_rounds, seed=0)
    while not auction.done:
        auction.tick(policy(auction))
    return auction.result(), auction.closing_price


_Payload = TypeVar("_Payload")


@dataclass(frozen=True, eq=False)
class PriceIteration(Generic[_Payload]):
    """Where :func:`iterate_price` stopped: the prices tried (the last one is where ``payload`` was
    computed), whether it converged, the period of a detected cycle (0 if none)."""

    history: list[float]
    converged: bool
    cycle_period: int
    payload: _Payload


def iterate_price(
    solve: Callable[[float], tuple[float | None, _Payload]],
    start: float,
    tol: float,
    max_iter: int,
    damping: float = 0.0,
) -> PriceIteration[_Payload]:
    """Iterate pi <- (1 - damping) f(pi) + damping pi from ``start``, where ``solve(pi)`` returns (f(pi),
    payload), f(pi) None when there is no price to follow. Stops at a fixed point (a move below ``tol``, or
    f None), at a cycle (the new pi within ``tol`` of an earlier iterate other than the last; its period is
    reported) or after ``max_iter`` updates. The payload returned is the one of the last pi solved."""
    history = [float(start)]
    while True:
        target, payload = solve(history[-1])
        if target is None:
            return PriceIteration(history, True, 0, payload)
        if len(history) > max_iter:
            return PriceIteration(history, False, 0, payload)
        new = (1.0 - damping) * float(target) + damping * history[-1]
        if abs(new - history[-1]) < tol:
            return PriceIteration(history, True, 0, payload)
        earlier = [k for k in range(len(history) - 1) if abs(new - history[k]) < tol]
        if earlier:
            return PriceIteration(history, False, len(history) - earlier[-1], payload)
        history.append(new)


def solve_two_tier(
    scenario: Scenario,
    step_policy: Callable[[Auction], float] | None = None,
    variant: str = DEFAULT_MECHANISM,
    price_bounds: tuple[float, float] = (0.0, 30.0),
    max_rounds: int = 300,
    tol: float = 1e-3,
    max_iter: int = 50,
    damping: float = 0.0,
    **solver: Any,
) -> TwoTierResult:
    """Iterate Tier 1 and the Tier-2 auction on one slot until the aerial price is a fixed point (see the
    module docstring). ``step_policy`` is the reference auctioneer (auction -> step; default
    ``fixed_step(REFERENCE_STEP)``), ``variant``, ``price_bounds`` and ``max_rounds`` the auction's;
    ``solver`` goes to ``solve_equilibrium``. ``max_iter=0`` makes no update: the slot at the scenario's own
    aerial price, played by the same auctioneer (the uncoupled tiers)."""
    if not isinstance(scenario, Scenario):
        raise ValueError(
            f"scenario must be a Scenario (ScenarioConfig().sample(seed)), got {type(scenario).__name__}"
        )
    if scenario.n_fa == 0:
        raise ValueError("n_fa must be >= 1 to couple the tiers (only FAs buy aerial computing)")
    check_scalar("tol", tol, 0.0, 1e9, strict_low=True)
    check_int("max_iter", max_iter, 0, 10_000)
    check_scalar("damping", damping, 0.0, 1.0)
    if damping >= 1.0:
        raise ValueError(f"damping must lie in [0, 1), got {damping!r}")
    policy = fixed_step(REFERENCE_STEP) if step_policy is None else step_policy
    if not callable(policy):
        raise ValueError(f"step_policy must be a callable auction -> step, got {step_policy!r}")

    def solve(
        price: float,
    ) -> tuple[float | None, tuple[Scenario, Equilibrium, Market, AuctionResult | None, float]]:
        slot = with_aerial_price(scenario, price)
        equilibrium = solve_equilibrium(slot, **solver)
        market = market_from_equilibrium(slot, equilibrium)
        if not is_tradable(market):
            return None, (slot, equilibrium, market, None, math.nan)
        result, closing = _play(market, policy, variant, price_bounds, max_rounds)
        return closing, (slot, equilibrium, market, result, closing)

    fixed = iterate_price(solve, float(scenario.config.aerial_price), tol, max_iter, damping)
    slot, equilibrium, market, result, closing = fixed.payload
    utilities, unserved = realised_fa_utilities(slot, equilibrium, result)
    return TwoTierResult(
        aerial_price=fixed.history[-1],
        price_history=np.array(fixed.history),
        converged=fixed.converged,
        cycle_period=fixed.cycle_period,
        iterations=len(fixed.history) - 1,
        traded=result is not None,
        scenario=slot,
        equilibrium=equilibrium,
        market=market,
        result=result,
        clearing_price=closing,
        residual=0.0 if result is None else abs(closing - fixed.history[-1]),
        fa_utilities=utilities,
        unserved=unserved,
    )


def sample_coupled_market(
    config: ScenarioConfig, rng: np.random.Generator, max_attempts: int = 100, **options: Any
) -> tuple[Market, TwoTierResult]:
    """``ioa_gym.coupling.markets.sample_tier1_market`` with the tiers coupled: slots are sampled until the
    market at the aerial-price fixed point is tradable; ``options`` go to :func:`solve_two_tier`."""
    for _ in range(max_attempts):
        coupled = solve_two_tier(config.sample(rng), **options)
        if coupled.traded:
            return coupled.market, coupled
    raise ValueError(
        f"no tradable Tier-2 market in {max_attempts} sampled slots with the tiers coupled; see "
        "ioa_gym.coupling.markets.sample_tier1_market for the options that decide it"
    )
