"""``math.fsum`` compiled by numba: the correctly rounded sum of floats, for compiled code that must give the
welfare sums of the mechanisms bit for bit (``settle``, ``efficient_welfare`` sum with ``math.fsum``).

A correctly rounded sum is unique, so any exact algorithm returns ``math.fsum``'s value; this one is
CPython's own (Shewchuk's partials, then the round-half-even correction of the last two partials), ported
line by line. Finite inputs only (the markets' values and costs are checked finite, at most 1e12 in size).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["fsum"]


@njit(cache=True, nogil=True)
def fsum(values: np.ndarray, count: int) -> float:  # pragma: no cover - compiled
    """The correctly rounded sum of ``values[:count]`` (finite floats), as ``math.fsum``."""
    partials = np.empty(max(count, 1) + 2)
    n_partials = 0
    for index in range(count):
        x = values[index]
        kept = 0
        for j in range(n_partials):
            y = partials[j]
            if abs(x) < abs(y):
                x, y = y, x
            high = x + y
            low = y - (high - x)
            if low != 0.0:
                partials[kept] = low
                kept += 1
            x = high
        n_partials = kept
        if x != 0.0:
            partials[n_partials] = x
            n_partials += 1
    high = 0.0
    if n_partials > 0:
        n_partials -= 1
        high = partials[n_partials]
        low = 0.0
        while n_partials > 0:
            x = high
            n_partials -= 1
            y = partials[n_partials]
            high = x + y
            yr = high - x
            low = y - yr
            if low != 0.0:
                break
        # Round half to even: when the rest of the partials has the sign of the rounding error, the exact
        # sum lies beyond the half-way point.
        if n_partials > 0 and (
            (low < 0.0 and partials[n_partials - 1] < 0.0) or (low > 0.0 and partials[n_partials - 1] > 0.0)
        ):
            y = low * 2.0
            x = high + y
            yr = x - high
            if y == yr:
                high = x
    return high
