"""The Double Dutch Auction batch compiled by numba: starting rows (their rationing draws and sorted units),
ticking every row, clearing the rows that ended (docs/model.md, T2.2-T2.10). The same rules, step for step,
as ``DoubleDutchAuction`` (``double_dutch.py``), which stays the readable definition; tests check that every
row gives that auction's clocks, acceptances and results bit for bit.

Layout, per row and side (0 buyers, 1 sellers), over ``slots`` unit slots: ``keys`` the sorted units'
reports under one key that accepts when ``key >= limit`` (a buyer unit's value against P_B, minus a seller
unit's cost against -P_S; padded with -inf, one spare slot at least), ``order`` the participant-order index of
each sorted unit, ``priority`` each participant-order unit's rationing priority, ``owner`` and ``report``
each participant-order unit's participant and report, ``accept_price`` and ``accept_round`` of the sorted
units; per row and side, ``n_units`` and ``n_participants``.

One module on purpose: the functions call ``fsum`` of ``_fsum_kernel`` only, and numba's cache watches a
function's own file alone, so nothing here may call compiled code of another module that could change
without this file changing (``fsum`` is a finished port of CPython's).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.np.random.random_methods import random_interval

from ioa_gym.auctions._fsum_kernel import fsum

_BUYERS, _SELLERS = 0, 1


@njit(cache=True, error_model="numpy", nogil=True)
def _stable_order(reports: np.ndarray, descending: bool) -> np.ndarray:  # pragma: no cover - compiled
    """Indices sorting ``reports`` (descending or ascending), ties in index order: Python's stable sort,
    also with ``reverse=True``."""
    keys = -reports if descending else reports.copy()
    return np.argsort(keys, kind="mergesort")


@njit(cache=True, error_model="numpy", nogil=True)
def _permutation(rng, n):  # pragma: no cover - compiled
    """``rng.permutation(n)``, draw for draw: NumPy's Fisher-Yates shuffle of ``arange(n)`` with
    ``random_interval``, swapping in place (numba's own ``permutation`` copies through a generic N-d
    ``shuffle``, five times slower)."""
    out = np.arange(n)
    bitgen = rng.bit_generator
    for i in range(n - 1, 0, -1):
        j = np.intp(random_interval(bitgen, i))
        out[i], out[j] = out[j], out[i]
    return out


@njit(cache=True, error_model="numpy", nogil=True)
def start_rows(  # pragma: no cover - compiled
    rows,
    rngs,
    streams,
    buyer_values,
    buyer_units,
    buyer_start,
    seller_costs,
    seller_units,
    seller_start,
    state,
    started,
):
    """(Re)start each row of ``rows`` on its market (participants ``buyer_start[k]:buyer_start[k + 1]`` of
    the flat arrays for the k-th row, likewise the sellers), drawing its rationing priorities from its
    generator ``rngs[streams[k]]`` (a typed list) as ``DoubleDutchAuction`` does (buyers' permutation, then
    sellers'). ``state`` holds the arrays of the layout (module docstring) and the clock arrays. Writes into
    ``started`` (the batch's buyer units, seller units and started flag, per row) and returns each started
    row's efficient welfare SW_opt (T2.11) and 0; or, when a side of a market has more units than ``slots`` -
    1 (one spare slot), starts nothing and returns the number of slots needed."""
    (
        keys,
        order,
        priority,
        owner,
        report,
        accept_price,
        accept_round,
        n_units,
        n_participants,
        accepted,
        buyer_price,
        seller_price,
        buyer_turn,
        rounds,
        done,
        crossed,
        closing_price,
        last_step,
        lower,
        upper,
    ) = state
    slots = keys.shape[2]
    optimum = np.empty(rows.shape[0])
    most = 0
    for k in range(rows.shape[0]):
        for side in range(2):
            start = buyer_start if side == _BUYERS else seller_start
            units = buyer_units if side == _BUYERS else seller_units
            count = 0
            for p in range(start[k], start[k + 1]):
                count += units[p]
            most = max(most, count)
    if most >= slots:
        return optimum, most + 1
    for k in range(rows.shape[0]):
        row = rows[k]
        rng = rngs[streams[k]]
        for side in range(2):
            start = buyer_start if side == _BUYERS else seller_start
            units = buyer_units if side == _BUYERS else seller_units
            reports = buyer_values if side == _BUYERS else seller_costs
            # Expand the participants into units, in participant order.
            n = 0
            for p in range(start[k], start[k + 1]):
                for _ in range(units[p]):
                    owner[row, side, n] = p - start[k]
                    report[row, side, n] = reports[p]
                    n += 1
            n_participants[row, side] = start[k + 1] - start[k]
            n_units[row, side] = n
            accepted[row, side] = 0
        # The rationing priorities: the buyers' permutation first, then the sellers'.
        for side in range(2):
            drawn = _permutation(rng, n_units[row, side])
            n = n_units[row, side]
            ranks = _stable_order(report[row, side, :n], side == _BUYERS)
            for u in range(n):
                order[row, side, u] = ranks[u]
                priority[row, side, u] = drawn[u]
                value = report[row, side, ranks[u]]
                keys[row, side, u] = value if side == _BUYERS else -value
            for u in range(n, slots):
                keys[row, side, u] = -np.inf
        # SW_opt (T2.11): values descending against costs ascending, each pair with a gain, summed exactly.
        pairs = min(n_units[row, 0], n_units[row, 1])
        terms = np.empty(2 * max(pairs, 1))
        n_terms = 0
        for u in range(pairs):
            value, cost = keys[row, 0, u], -keys[row, 1, u]
            if value - cost > 0.0:
                terms[n_terms] = value
                terms[n_terms + 1] = -cost
                n_terms += 2
        optimum[k] = fsum(terms, n_terms)
        started[0][row], started[1][row], started[2][row] = n_units[row, 0], n_units[row, 1], True
        buyer_price[row], seller_price[row] = upper, lower
        buyer_turn[row] = True
        rounds[row] = 0
        done[row] = False
        crossed[row] = False
        closing_price[row] = np.nan
        last_step[row] = np.nan
    return optimum, 0


@njit(cache=True, error_model="numpy", nogil=True)
def tick(state, steps, ticking, classic, max_rounds):  # pragma: no cover - compiled
    """Move the active clock of each ticking row by its step, record acceptances, check the end
    (T2.2-T2.5), as ``DoubleDutchAuction.tick``. First checks every ticking row and ticks none if one fails:
    returns (-1, 0) when all ticked, else (row, 1) for the first row whose step is not a finite number > 0 or
    (row, 2) for the first that is done."""
    (
        keys,
        order,
        priority,
        owner,
        report,
        accept_price,
        accept_round,
        n_units,
        n_participants,
        accepted,
        buyer_price,
        seller_price,
        buyer_turn,
        rounds,
        done,
        crossed,
        closing_price,
        last_step,
        lower,
        upper,
    ) = state
    n_rows = keys.shape[0]
    for row in range(n_rows):
        if ticking[row]:
            if not (steps[row] > 0.0 and steps[row] < np.inf):  # nan fails both comparisons
                return row, 1
            if done[row]:
                return row, 2
    for row in range(n_rows):
        if not ticking[row]:
            continue
        step = steps[row]
        rounds[row] += 1
        last_step[row] = step
        if buyer_turn[row]:
            price = buyer_price[row] - step
            buyer_price[row] = price
            side, limit = _BUYERS, price
        else:
            price = seller_price[row] + step
            seller_price[row] = price
            side, limit = _SELLERS, -price
        first = accepted[row, side]
        unit = first
        while unit < n_units[row, side] and keys[row, side, unit] >= limit:
            accept_price[row, side, unit] = price
            accept_round[row, side, unit] = rounds[row]
            unit += 1
        accepted[row, side] = unit
        if buyer_price[row] <= seller_price[row]:
            # Crossing (T2.5) by either clock: p* is the clock that did not move (T2.6).
            crossed[row] = True
            done[row] = True
            closing_price[row] = seller_price[row] if side == _BUYERS else buyer_price[row]
            continue
        if classic:
            # T2.4: the buyer clock keeps the turn until a buyer accepts (or no buyer unit is left), then
            # the seller clock until a seller accepts (or none is left).
            if side == _BUYERS:
                buyer_turn[row] = unit == first and unit < n_units[row, _BUYERS]
            else:
                buyer_turn[row] = unit > first or unit == n_units[row, _SELLERS]
        else:
            buyer_turn[row] = side == _SELLERS
        if rounds[row] >= max_rounds:
            # Round limit before a crossing (T2.6): p* is the midpoint of the two clocks.
            done[row] = True
            closing_price[row] = 0.5 * (buyer_price[row] + seller_price[row])
    return -1, 0


@njit(cache=True, error_model="numpy", nogil=True)
def _eligible(state, row, side, classic, price):  # pragma: no cover - compiled
    """Number of eligible units of one side (T2.7); they are always a prefix of the sorted units."""
    (
        keys,
        order,
        priority,
        owner,
        report,
        accept_price,
        accept_round,
        n_units,
        n_participants,
        accepted,
        buyer_price,
        seller_price,
        buyer_turn,
        rounds,
        done,
        crossed,
        closing_price,
        last_step,
        lower,
        upper,
    ) = state
    count = 0
    if not classic:
        # Proxy bidding: the report itself is compared with p*.
        limit = price if side == _BUYERS else -price
        for unit in range(n_units[row, side]):
            if keys[row, side, unit] >= limit:
                count += 1
        return count
    if not crossed[row]:
        return accepted[row, side]
    # Acceptance prices are monotone along the prefix; drop the units that accepted past p*.
    for unit in range(accepted[row, side]):
        at = accept_price[row, side, unit]
        if (side == _BUYERS and at >= price) or (side == _SELLERS and at <= price):
            count += 1
    return count


@njit(cache=True, error_model="numpy", nogil=True)
def _ration(state, row, side, classic, n_eligible, q, traded):  # pragma: no cover - compiled
    """Write into ``traded`` the participant-order units that trade among the first ``n_eligible`` sorted
    ones (T2.8): all of them, or the ``q`` first by (acceptance round, priority) (classic) or by priority."""
    order, priority, accept_round = state[1], state[2], state[6]
    if q >= n_eligible:
        for position in range(n_eligible):
            traded[position] = order[row, side, position]
        return
    ranking_keys = np.empty(n_eligible, np.int64)
    for position in range(n_eligible):
        unit_priority = priority[row, side, order[row, side, position]]
        # Priorities are distinct and below the unit count: (round, priority) as one integer key.
        rank = accept_round[row, side, position] if classic else 0
        ranking_keys[position] = rank * (n_eligible + n_units_bound(state, row, side)) + unit_priority
    ranking = np.argsort(ranking_keys, kind="mergesort")
    for k in range(q):
        traded[k] = order[row, side, ranking[k]]


@njit(cache=True, error_model="numpy", nogil=True)
def n_units_bound(state, row, side):  # pragma: no cover - compiled
    """An upper bound of the rationing priorities of one side of a row (its unit count)."""
    return state[7][row, side]


@njit(cache=True, error_model="numpy", nogil=True)
def clear_rows(rows, state, classic, started):  # pragma: no cover - compiled
    """Clear each ended row of ``rows`` (T2.6-T2.10) as ``DoubleDutchAuction.result`` does. Returns the first
    row that is not done or never ``started`` (-1 when every one ended: nothing is cleared otherwise) and per
    row the units traded q, the social welfare of the reports (summed exactly), whether every traded unit is
    IR and whether the trade is SBB, the units each participant trades (rows, 2 sides, participants), the
    participants per side (rows, 2), p*, the rounds played and whether the clocks crossed."""
    (
        keys,
        order,
        priority,
        owner,
        report,
        accept_price,
        accept_round,
        n_units,
        n_participants,
        accepted,
        buyer_price,
        seller_price,
        buyer_turn,
        rounds,
        done,
        crossed,
        closing_price,
        last_step,
        lower,
        upper,
    ) = state
    n_rows = rows.shape[0]
    most = 1
    failed = -1
    participants = np.empty((n_rows, 2), np.int64)
    prices, played, crossings = np.empty(n_rows), np.empty(n_rows, np.int64), np.empty(n_rows, np.bool_)
    for k in range(n_rows):
        row = rows[k]
        if failed < 0 and not (done[row] and started[row]):
            failed = row
        most = max(most, n_participants[row, 0], n_participants[row, 1])
        participants[k, 0], participants[k, 1] = n_participants[row, 0], n_participants[row, 1]
        prices[k], played[k], crossings[k] = closing_price[row], rounds[row], crossed[row]
    if failed >= 0:
        n_rows = 0
    units_traded = np.zeros(n_rows, np.int64)
    welfare = np.zeros(n_rows)
    rational = np.ones(n_rows, np.bool_)
    balanced = np.ones(n_rows, np.bool_)
    per_participant = np.zeros((n_rows, 2, most), np.int64)
    for k in range(n_rows):
        row = rows[k]
        price = closing_price[row]
        n_buyers = _eligible(state, row, _BUYERS, classic, price)
        n_sellers = _eligible(state, row, _SELLERS, classic, price)
        q = min(n_buyers, n_sellers)
        units_traded[k] = q
        if q == 0:
            continue
        traded = np.empty((2, q), np.int64)
        _ration(state, row, _BUYERS, classic, n_buyers, q, traded[0])
        _ration(state, row, _SELLERS, classic, n_sellers, q, traded[1])
        terms = np.empty(2 * q)
        lowest_value, highest_cost = np.inf, -np.inf
        for j in range(q):
            value = report[row, _BUYERS, traded[0, j]]
            cost = report[row, _SELLERS, traded[1, j]]
            terms[j] = value
            terms[q + j] = -cost
            lowest_value = min(lowest_value, value)
            highest_cost = max(highest_cost, cost)
            per_participant[k, _BUYERS, owner[row, _BUYERS, traded[0, j]]] += 1
            per_participant[k, _SELLERS, owner[row, _SELLERS, traded[1, j]]] += 1
        welfare[k] = fsum(terms, 2 * q)
        rational[k] = lowest_value >= price >= highest_cost
        balanced[k] = per_participant[k, _BUYERS].sum() == per_participant[k, _SELLERS].sum() == q
    return (
        failed,
        units_traded,
        welfare,
        rational,
        balanced,
        per_participant,
        participants,
        prices,
        played,
        crossings,
    )
