"""The clairvoyant auctioneer: the best return any auctioneer could get on an auction (docs/model.md, Sec. 5).

An auctioneer chooses one step per tick and earns ``SW / SW_opt - eta * rounds`` (the DDA envs' return).
:func:`clairvoyant` finds the step sequence that maximises it, over a finite step set (a discrete env's
``step_sizes``) or over a step range (a continuous env's [step_min, step_max]), seeing everything a real
auctioneer must not: the values, the costs and the rationing draw. It is an upper bound to read learned
auctioneers against, not a baseline a real auctioneer could use.

The search is a depth-first branch and bound over tick sequences:

- every node is a copy of the auction (:meth:`~ioa_gym.auctions.DoubleDutchAuction.clone`), ticked by the
  mechanism's own code, so the oracle plays exactly the auction every agent plays;
- a node is cut when even its best conceivable end cannot beat the best sequence found so far: an
  efficiency of at most :func:`efficiency_bound`, the mechanism's own bound (1 for the classic DDA; for the
  strategy-proof DDA the best welfare over the clearing prices still possible; for the double clock the
  efficient welfare of the units still active; 1 for a mechanism that declares none), reached in no fewer
  than ``ClockAuction.ticks_to_end(step_max)`` more ticks (the clocks' meeting: ``ceil(clock_gap /
  step_max)``, unless the mechanism can stop earlier);
- a state met again after the same number of ticks (``ClockAuction.state_key``: the same clocks and
  acceptances) is not searched twice (a mechanism without a state key is searched exhaustively);
- the search starts from the best fixed step of the set, and tries large steps first.

When it ends within ``max_nodes`` nodes the result is the optimum over the step set (``exact=True``); a
tested brute force over every sequence agrees on small markets. Otherwise it returns the best sequence
found (``exact=False``), still a valid sequence and at least as good as every fixed step of the set.

Over a step range (a continuous env) the search tries, at each tick, only the event-aligned steps of
:func:`event_steps`: what a tick does depends only on which reports and whether the other clock lie within
its step, and within such a class the farthest landing leaves the most progress (on the strategy-proof DDA,
whose clocks alternate whatever happens, it also tries step_min, so that a clock can wait). The steps stay
half a margin away from every report and from the other clock, so that the plan survives the float32
rounding of an env action (the env plays exactly what was planned; tested). What this leaves out is landing
*exactly* on a point, e.g. the two clocks touching in exact arithmetic, which can spare the marginal units
of the crossing tick: a set of measure zero that an auctioneer acting through an env action does not hit in
practice (docs/results.md counts the auctions where any agent beat the ceiling: none). On a finite step set
(a discrete env) it is exact without that caveat.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from ioa_gym.auctions.clock import BUYER, ClockAuction
from ioa_gym.auctions.market import efficient_welfare, welfare_efficiency
from ioa_gym.auctions.mechanism import get_mechanism
from ioa_gym.auctions.play import Auction

__all__ = [
    "DEFAULT_MAX_NODES",
    "EVENT_MARGIN",
    "OracleResult",
    "clairvoyant",
    "efficiency_bound",
    "event_steps",
]

DEFAULT_MAX_NODES = 200_000
"""Node budget of one search (each node is one tick of a cloned auction, a few microseconds)."""


@dataclass(frozen=True)
class OracleResult:
    """The clairvoyant auctioneer's play of one auction.

    :ivar value: its return, efficiency - eta * rounds (from the auction's state when searched).
    :ivar efficiency: SW / SW_opt of the auction it ends.
    :ivar rounds: ticks of the auction at its end (those played before the search included).
    :ivar steps: the steps it takes, in order.
    :ivar exact: the search finished: ``value`` is the optimum over the step set.
    :ivar nodes: ticks the search played.
    """

    value: float
    efficiency: float
    rounds: int
    steps: tuple[float, ...]
    exact: bool
    nodes: int


def efficiency_bound(auction: ClockAuction, optimum: float, cache: dict | None = None) -> float:
    """An upper bound of the efficiency the auction can still end with: its mechanism's
    ``efficiency_bound`` (``ioa_gym.auctions.mechanism``), else 1 (e.g. the classic DDA: any trade may
    still happen)."""
    if optimum <= 0.0:
        return 1.0
    bound = get_mechanism(auction.variant).efficiency_bound
    return 1.0 if bound is None else bound(auction, optimum, cache)


def _end_value(auction: Auction, optimum: float, eta: float) -> tuple[float, float]:
    efficiency = welfare_efficiency(auction.result().social_welfare, optimum)
    return efficiency - eta * auction.rounds, efficiency


def check_steps(steps: Sequence[float] | np.ndarray) -> tuple[float, ...]:
    """A non-empty set of finite steps > 0, as a tuple sorted from the largest (else ValueError)."""
    try:
        array = np.asarray(steps, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"steps must be a sequence of finite numbers > 0, got {steps!r}") from None
    if array.size == 0 or not np.all(np.isfinite(array)) or not np.all(array > 0.0):
        raise ValueError(f"steps must be a non-empty sequence of finite numbers > 0, got {steps!r}")
    return tuple(sorted(set(array.tolist()), reverse=True))


def play_steps(auction: Auction, steps: Sequence[float]) -> Auction:
    """A copy of ``auction`` ticked by ``steps`` in turn (the last one repeated until the auction ends)."""
    twin = auction.clone()
    i = 0
    while not twin.done:
        twin.tick(steps[min(i, len(steps) - 1)])
        i += 1
    return twin


EVENT_MARGIN = 1e-4
"""How far short of, or past, a report (or the other clock) an event-aligned step lands: far more than the
rounding of a float32 action (about 1e-6 on a step of 4), so that the step an env makes of the action
lands on the same side."""


def event_steps(auction: Auction, step_min: float, step_max: float) -> tuple[float, ...]:
    """The steps worth trying from ``auction``'s state when any step in [step_min, step_max] is allowed,
    largest first. What a tick does depends only on which reports (values and costs) and whether the other
    clock lie within its step; between two such points the farthest landing leaves the most progress for
    later. So: for each point b ahead within reach, the steps b - margin (just short of it) and b + margin
    (just past it), and step_max; all clipped to [step_min, step_max]. The strategy-proof DDA alternates its
    clocks on a fixed pattern, so a clock may have to wait for the other there: it also tries step_min
    (without it, fixed step pairs beat the search on some auctions)."""
    buyer_moves = auction.active_clock == BUYER
    here = auction.buyer_price if buyer_moves else auction.seller_price
    there = auction.seller_price if buyer_moves else auction.buyer_price
    # The direction the active clock moves (the DDA's buyer clock and the double clock's seller clock fall).
    falling = auction.active_clock_falls()
    gap = abs(there - here)
    candidates = {min(step_max, gap + EVENT_MARGIN), gap - EVENT_MARGIN}
    if get_mechanism(auction.variant).fixed_alternation:
        # The clocks alternate whatever happens (the strategy-proof DDA), so a clock may have to wait for the
        # other: the smallest step lets it creep instead of landing at the far end of its class.
        candidates.add(step_min)
    values, costs = auction.unit_reports()
    points = [*values, *costs]
    for report in points:
        distance = here - report if falling else report - here
        if 0.0 < distance < gap:
            candidates.add(distance - EVENT_MARGIN)
            candidates.add(distance + EVENT_MARGIN)
    points.append(there)
    steps = []
    for step in sorted({min(max(step, step_min), step_max) for step in candidates}, reverse=True):
        # A landing within half a margin of a point (a clipped step can make one) would make the outcome
        # hang on rounding: leave it out, unless nothing else is left.
        landing = here - step if falling else here + step
        if all(abs(landing - point) >= 0.5 * EVENT_MARGIN for point in points):
            steps.append(step)
    return tuple(steps) or (step_max,)


def clairvoyant(
    auction: Auction,
    eta: float,
    steps: Sequence[float] | np.ndarray | None = None,
    step_range: tuple[float, float] | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> OracleResult:
    """The best step sequence from ``auction``'s current state (not modified), see the module docstring:
    over the finite set ``steps`` (a discrete env's step sizes), or, given ``step_range`` = (step_min,
    step_max), over the event-aligned steps of :func:`event_steps` (a continuous env's). ``eta`` >= 0 is the
    cost of a tick."""
    if auction.done:
        raise ValueError("auction is already done: there is no step left to choose")
    if (steps is None) == (step_range is None):
        raise ValueError("give exactly one of steps (a finite step set) and step_range (step_min, step_max)")
    if steps is not None:
        step_set = check_steps(steps)
        largest = step_set[0]
        fixed = step_set
    else:
        pair = tuple(step_range) if isinstance(step_range, (tuple, list, np.ndarray)) else ()
        if len(pair) != 2 or not all(isinstance(x, (int, float)) and 0.0 < x < math.inf for x in pair):
            raise ValueError(
                f"step_range must be a pair (step_min, step_max) of finite numbers > 0, got {step_range!r}"
            )
        low, high = sorted(float(x) for x in pair)
        largest = high
        fixed = tuple(np.geomspace(low, high, 12)[::-1].tolist()) if high > low else (high,)
    if not (isinstance(eta, (int, float)) and math.isfinite(eta) and eta >= 0.0):
        raise ValueError(f"eta must be a finite number >= 0, got {eta!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be an integer >= 1, got {max_nodes!r}")
    optimum = efficient_welfare(auction.market)
    start_rounds = auction.rounds

    # The incumbent: the best fixed step (of the set, or of a geometric grid over the range).
    best_steps: tuple[float, ...]
    best_value, best_efficiency, best_rounds, best_steps = -math.inf, 0.0, 0, ()
    nodes = 0
    for step in fixed:
        end = play_steps(auction, [step])
        nodes += end.rounds - start_rounds
        value, efficiency = _end_value(end, optimum, eta)
        if value > best_value:
            best_value, best_efficiency, best_rounds = value, efficiency, end.rounds
            best_steps = (step,) * (end.rounds - start_rounds)

    seen: set[tuple] = set()
    cache: dict = {}
    path: list[float] = []
    complete = True

    def bound(node: Auction) -> float:
        ticks = node.ticks_to_end(largest)
        ticks = min(ticks, node.max_rounds - node.rounds)
        return efficiency_bound(node, optimum, cache) - eta * (node.rounds + ticks)

    def search(node: Auction) -> None:
        nonlocal best_value, best_efficiency, best_rounds, best_steps, nodes, complete
        # step_range_f is None only when the step set was given (steps).
        choices = (
            step_set if steps is not None else event_steps(node, *cast("tuple[float, float]", step_range_f))
        )
        for step in choices:
            if nodes >= max_nodes:
                complete = False
                return
            child = node.clone()
            child.tick(step)
            nodes += 1
            path.append(step)
            if child.done:
                value, efficiency = _end_value(child, optimum, eta)
                if value > best_value + 1e-12:
                    best_value, best_efficiency, best_rounds = value, efficiency, child.rounds
                    best_steps = tuple(path)
            elif bound(child) > best_value + 1e-12:
                key = child.state_key()
                if key is None:
                    search(child)
                elif key not in seen:
                    seen.add(key)
                    search(child)
            path.pop()

    step_range_f = None if step_range is None else (fixed[-1], largest)
    if bound(auction) > best_value + 1e-12:
        search(auction)
    return OracleResult(
        value=best_value,
        efficiency=best_efficiency,
        rounds=best_rounds,
        steps=best_steps,
        exact=complete,
        nodes=nodes,
    )
