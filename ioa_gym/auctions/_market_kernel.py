"""Markets of many streams drawn in one compiled call (docs/model.md, Sec. 3-4): the synthetic markets of
``sample_market`` redrawn until tradable, and uniform draws from a pool of markets (the slot store), each
stream being a NumPy ``Generator`` of a numba typed list. Numba's ``Generator`` methods (``integers``,
``uniform``) draw bit for bit what NumPy's draw and advance the same generator, so every stream gives exactly
the markets of the Python functions, draw for draw (tests/ioa_gym/auctions/test_market_arrays.py).

The output is flat: participants of all markets concatenated, with offsets (``MarketArrays``' layout). Nothing
here calls compiled code of another module (numba's cache watches a function's own file alone).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _room(array, needed):  # pragma: no cover - compiled
    """``array``, or a copy at least twice as long when it holds fewer than ``needed`` entries."""
    if needed <= array.shape[0]:
        return array
    bigger = np.empty(max(needed, 2 * array.shape[0]), array.dtype)
    bigger[: array.shape[0]] = array
    return bigger


@njit(cache=True, nogil=True)
def sample_synthetic(  # pragma: no cover - compiled
    rngs, streams, buyers, sellers, units, values, costs, max_attempts
):
    """For each k, a synthetic market drawn from generator ``rngs[streams[k]]`` as ``sample_market`` draws it
    (buyer count, seller count, buyer values, buyer units, seller costs, seller units), redrawn until tradable
    (both sides hold units and the highest value of a unit exceeds the lowest cost: SW_opt > 0) at most
    ``max_attempts`` times. ``buyers``, ``sellers`` and ``units`` are inclusive integer ranges (low, high),
    ``values`` and ``costs`` float ranges. Returns the flat arrays and offsets, the markets' sizes (buyers,
    sellers, buyer units, seller units) and the first k whose stream found no tradable market (-1 when every
    one did; the streams after it are not drawn from)."""
    k_total = streams.shape[0]
    guess = max(k_total * buyers[1], 1)
    buyer_values, buyer_units = np.empty(guess), np.empty(guess, np.int64)
    guess = max(k_total * sellers[1], 1)
    seller_costs, seller_units = np.empty(guess), np.empty(guess, np.int64)
    buyer_start = np.zeros(k_total + 1, np.int64)
    seller_start = np.zeros(k_total + 1, np.int64)
    sizes = np.zeros((k_total, 4), np.int64)
    for k in range(k_total):
        rng = rngs[streams[k]]
        found = False
        for _ in range(max_attempts):
            n_b = rng.integers(buyers[0], buyers[1] + 1)
            n_s = rng.integers(sellers[0], sellers[1] + 1)
            drawn_values = rng.uniform(values[0], values[1], n_b)
            drawn_demand = rng.integers(units[0], units[1] + 1, n_b)
            drawn_costs = rng.uniform(costs[0], costs[1], n_s)
            drawn_supply = rng.integers(units[0], units[1] + 1, n_s)
            highest, lowest = -np.inf, np.inf
            demand = supply = 0
            for b in range(n_b):
                demand += drawn_demand[b]
                if drawn_demand[b] > 0:
                    highest = max(highest, drawn_values[b])
            for s in range(n_s):
                supply += drawn_supply[s]
                if drawn_supply[s] > 0:
                    lowest = min(lowest, drawn_costs[s])
            # Both sides hold units (else an infinity) and the best pair trades with gains: SW_opt > 0.
            if highest > -np.inf and lowest < np.inf and highest - lowest > 0.0:
                found = True
                break
        if not found:
            return (
                buyer_values[:0],
                buyer_units[:0],
                buyer_start,
                seller_costs[:0],
                seller_units[:0],
                seller_start,
                sizes,
                k,
            )
        b0, s0 = buyer_start[k], seller_start[k]
        buyer_values = _room(buyer_values, b0 + n_b)
        buyer_units = _room(buyer_units, b0 + n_b)
        seller_costs = _room(seller_costs, s0 + n_s)
        seller_units = _room(seller_units, s0 + n_s)
        buyer_values[b0 : b0 + n_b] = drawn_values
        buyer_units[b0 : b0 + n_b] = drawn_demand
        seller_costs[s0 : s0 + n_s] = drawn_costs
        seller_units[s0 : s0 + n_s] = drawn_supply
        buyer_start[k + 1] = b0 + n_b
        seller_start[k + 1] = s0 + n_s
        sizes[k, 0], sizes[k, 1], sizes[k, 2], sizes[k, 3] = n_b, n_s, demand, supply
    return (
        buyer_values[: buyer_start[k_total]].copy(),
        buyer_units[: buyer_start[k_total]].copy(),
        buyer_start,
        seller_costs[: seller_start[k_total]].copy(),
        seller_units[: seller_start[k_total]].copy(),
        seller_start,
        sizes,
        -1,
    )


@njit(cache=True, nogil=True)
def sample_pool(  # pragma: no cover - compiled
    rngs, streams, buyer_values, buyer_units, buyer_start, seller_costs, seller_units, seller_start
):
    """For each k, the index of a market of the pool (flat arrays and offsets of ``size`` markets) drawn
    uniformly with ``rngs[streams[k]]`` (one ``integers(0, size)`` draw, as ``SlotStore.sample_index``), and
    those markets gathered into flat arrays and offsets, with their sizes (buyers, sellers, buyer units,
    seller units)."""
    k_total = streams.shape[0]
    size = buyer_start.shape[0] - 1
    index = np.empty(k_total, np.int64)
    new_buyer_start = np.zeros(k_total + 1, np.int64)
    new_seller_start = np.zeros(k_total + 1, np.int64)
    for k in range(k_total):
        market = rngs[streams[k]].integers(0, size)
        index[k] = market
        new_buyer_start[k + 1] = new_buyer_start[k] + buyer_start[market + 1] - buyer_start[market]
        new_seller_start[k + 1] = new_seller_start[k] + seller_start[market + 1] - seller_start[market]
    values, demand = np.empty(new_buyer_start[k_total]), np.empty(new_buyer_start[k_total], np.int64)
    costs, supply = np.empty(new_seller_start[k_total]), np.empty(new_seller_start[k_total], np.int64)
    sizes = np.zeros((k_total, 4), np.int64)
    for k in range(k_total):
        market = index[k]
        b0, s0 = new_buyer_start[k], new_seller_start[k]
        sizes[k, 0] = buyer_start[market + 1] - buyer_start[market]
        sizes[k, 1] = seller_start[market + 1] - seller_start[market]
        for j in range(sizes[k, 0]):
            values[b0 + j] = buyer_values[buyer_start[market] + j]
            demand[b0 + j] = buyer_units[buyer_start[market] + j]
            sizes[k, 2] += demand[b0 + j]
        for j in range(sizes[k, 1]):
            costs[s0 + j] = seller_costs[seller_start[market] + j]
            supply[s0 + j] = seller_units[seller_start[market] + j]
            sizes[k, 3] += supply[s0 + j]
    return index, values, demand, new_buyer_start, costs, supply, new_seller_start, sizes
