"""Tier-2 markets of many solved Tier-1 slots in one compiled call (docs/model.md, Sec. 3): what
``markets.market_from_solution`` and ``is_tradable`` compute for one slot, for a batch of slots.

Each slot's market has at most J buyers (its overloaded FAs, in FA order) and exactly K sellers (its AAs), so
the markets are written into (B, J) and (B, K) arrays with a buyer count per row; ``markets.py`` flattens the
tradable ones into a ``MarketArrays``. Nothing here calls compiled code of another module (numba's cache
watches a function's own file alone).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def tier1_markets(
    prices, overflow, premium, aa_cost, aa_supply, n_ma, unit, overflow_eps
):  # pragma: no cover
    """The market of each slot b from its solution (leader prices (B, L), FA overflows Q_j (B, J)) and its
    draws (FA value premia (B, J), AA unit costs and supplies (B, K)), as ``market_from_solution`` builds it
    with unit size ``unit``: a buyer per FA with Q_j > ``overflow_eps``, value p_j + zeta_j and
    ceil(Q_j / u - 1e-9) units; a seller per AA, cost c_k and floor(S_k / u + 1e-9) units. Returns the
    buyers' values and units (B, J) (the first ``n_buyers[b]`` of row b), the sellers' units (B, K), per row
    the sizes (buyers, sellers, buyer units, seller units), whether the market is tradable (``is_tradable``:
    units on both sides and a unit value above a unit cost, SW_opt > 0) and whether its values and costs are
    finite."""
    count, n_fa = overflow.shape
    n_aa = aa_cost.shape[1]
    values = np.zeros((count, n_fa))
    demand = np.zeros((count, n_fa), np.int64)
    supply = np.zeros((count, n_aa), np.int64)
    sizes = np.zeros((count, 4), np.int64)
    tradable = np.zeros(count, np.bool_)
    finite = np.ones(count, np.bool_)
    for b in range(count):
        n_b = 0
        highest, lowest = -np.inf, np.inf
        for j in range(n_fa):
            excess = overflow[b, j]
            if excess > overflow_eps:
                value = prices[b, n_ma + j] + premium[b, j]
                units = math.ceil(excess / unit - 1e-9)
                values[b, n_b], demand[b, n_b] = value, units
                n_b += 1
                sizes[b, 2] += units
                finite[b] = finite[b] and math.isfinite(value)
                if units > 0:
                    highest = max(highest, value)
        for k in range(n_aa):
            units = math.floor(aa_supply[b, k] / unit + 1e-9)
            supply[b, k] = units
            sizes[b, 3] += units
            finite[b] = finite[b] and math.isfinite(aa_cost[b, k])
            if units > 0:
                lowest = min(lowest, aa_cost[b, k])
        sizes[b, 0], sizes[b, 1] = n_b, n_aa
        # Both sides hold units (else an infinity) and the best pair trades with gains: SW_opt > 0.
        tradable[b] = sizes[b, 2] > 0 and sizes[b, 3] > 0 and highest - lowest > 0.0
    return values, demand, supply, sizes, tradable, finite
