"""Compiled Tier-1 solver: Algorithm 2 and the fast Algorithm 1 of ``ioa_gym.tier1.stackelberg`` in numba.

The NumPy solver of ``stackelberg.py`` batches every leader and candidate price of a sweep into one array
solve, but on the default scenario (20 WAs, 6 leaders) its arrays hold a few thousand numbers and its
time is the overhead of thousands of small NumPy calls. This module runs the same algorithm (the same
sweeps, modes, searches, refinements and certificate; see ``_search._PriceSearch`` and
``_sweeps._iterate`` for the reasoning) as scalar loops compiled by numba, one WA's KKT solve
(Eq. 10) at a time. It follows the NumPy solver step by step, so the two return the same equilibria up
to rounding (the Newton iteration of the simplex multiplier stops per WA here, per batch there);
benchmarks/bench_tier1.py compares them.

Compiled on first use and cached on disk (``cache=True``); ``error_model="numpy"`` keeps IEEE division
(inf and NaN where the NumPy code runs under ``np.errstate(all="ignore")``).

One module on purpose, although it is long: numba keys a cached function on its own source file only,
so a compiled function that calls compiled functions of another module keeps running their old code
after they change, until the cache is cleared (numba's documented cache limitation). Every function
here calls the others, so they share one file. The scenario physics, which calls none of them, is in
``ioa_gym.tier1._scenario_kernel``.
"""

from __future__ import annotations

import math
from typing import Literal, TypedDict

import numpy as np
from numba import njit, prange
from numba import types as nb

from ioa_gym.tier1._records import Followers, Leaders, SearchState

_F, _I, _B = nb.float64, nb.int64, nb.boolean
_F1, _F2, _F3, _I1, _B1 = _F[::1], _F[:, ::1], _F[:, :, ::1], _I[::1], _B[::1]

_NEWTON_ITERS = 60
_NEWTON_TOL = 1e-11
_MAX_REFINE_PASSES = 12
_APPROXIMATE_EXITS = 8
_WINDOW_MIN = 1e-3
_WINDOW_MAX = 1.0
_EQUILIBRIUM_GAP = 5e-4
_DAMPING_MAX = 0.9
_CERTIFICATE_WAIT = 3
_FIRST_SCAN = np.array([-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5])

# Fields of a point: own price, utility U, dU/dp, load W, dW/dp.
_P, _V, _S, _W, _WS = 0, 1, 2, 3, 4
# Rows of the exits array (4, L, N): WA n's exit price from leader l, its term of dW/dp just left of
# the exit, its multiplier mu_{-l} without l, and the sum of its other ratios without the simplex.
_EXIT_PRICE, _EXIT_SLOPE, _EXIT_MU, _EXIT_OTHERS = 0, 1, 2, 3
# Jacobi modes (see _sweeps._iterate).
_WINDOW, _CAREFUL, _EXACT = 0, 1, 2


class _JitOptions(TypedDict):
    """``njit``'s options for every kernel here: a TypedDict, so that ``njit(**_JIT)`` type-checks."""

    cache: bool
    error_model: Literal["python", "numpy"]
    nogil: bool


_JIT: _JitOptions = {"cache": True, "error_model": "numpy", "nogil": True}


@njit(**_JIT)
def _newton_multiplier(m, omega, mu):
    """The simplex multiplier of one binding WA by Newton's method on 1/H_A(mu) = omega/(|A| + 1) from a
    start ``mu`` left of the root (see _kkt._solve_simplex); returns
    (mu, sum_active 1/(m_l + mu)^2)."""
    slope = 0.0
    for _ in range(_NEWTON_ITERS):
        harmonic = 0.0
        active = 0.0
        slope = 0.0
        for l in range(m.shape[0]):
            x = m[l] + mu
            if x < omega:
                inv = 1.0 / x
                harmonic += inv
                active += 1.0
                slope += inv * inv
        n_active_plus_one = active + 1.0
        residual = omega * harmonic - n_active_plus_one
        if residual < _NEWTON_TOL:
            break
        mu += residual * harmonic / (n_active_plus_one * slope)
    return mu, slope


@njit(**_JIT)
def _kkt(m, omega, out, mu_start=0.0):
    """One WA's ratios (Eq. 10) for marginal costs m (L,) into ``out``; returns (mu, q) with q the inverse
    curvature 1 / (omega sum_active 1/(m_l + mu)^2) where the simplex binds, else (0, 0). Newton starts
    at max(omega/2 - min m, 0, mu_start): any mu_start left of the root (a multiplier of the same WA
    with one leader fewer) keeps the iteration monotone and shortens it."""
    n_leaders = m.shape[0]
    total = 0.0
    half = 0.5 * omega
    for l in range(n_leaders):
        x = m[l]
        if x < half:
            x = half
        r = omega / x - 1.0
        if r < 0.0:
            r = 0.0
        out[l] = r
        total += r
    if not total > 1.0 + 1e-12:
        return 0.0, 0.0
    smallest = np.inf
    for l in range(n_leaders):
        if m[l] < smallest:
            smallest = m[l]
    mu = half - smallest
    if mu < mu_start:
        mu = mu_start
    if mu < 0.0:
        mu = 0.0
    mu, slope = _newton_multiplier(m, omega, mu)
    total = 0.0
    for l in range(n_leaders):
        r = omega / (m[l] + mu) - 1.0
        if r < 0.0:
            r = 0.0
        out[l] = r
        total += r
    if total > 1.0:
        for l in range(n_leaders):
            out[l] /= total
    return mu, 1.0 / (omega * slope)


@njit(**_JIT)
def _kkt_own(m, omega, leader, mu_start):
    """Leader ``leader``'s ratio and the inverse curvature q of one WA whose simplex binds (the Newton
    iteration of ``_kkt`` from max(omega/2 - min m, 0, mu_start), without the other ratios)."""
    n_leaders = m.shape[0]
    smallest = np.inf
    for l in range(n_leaders):
        if m[l] < smallest:
            smallest = m[l]
    mu = 0.5 * omega - smallest
    if mu < mu_start:
        mu = mu_start
    if mu < 0.0:
        mu = 0.0
    mu, slope = _newton_multiplier(m, omega, mu)
    ratio = omega / (m[leader] + mu) - 1.0
    if ratio < 0.0:
        ratio = 0.0
    return ratio, 1.0 / (omega * slope)


@njit(**_JIT)
def ratios_with_share(prices, share, followers):
    """Every WA's best response (N, L) to ``prices`` with the FAs' overflow shares phi (Eq. 8-10)."""
    direct_t, aerial_t, n_ma, work, omega = followers
    n_wa, n_leaders = direct_t.shape
    ratios = np.empty((n_wa, n_leaders))
    m = np.empty(n_leaders)
    for n in range(n_wa):
        for l in range(n_leaders):
            a = direct_t[n, l]
            if l >= n_ma:
                a += share[l - n_ma] * aerial_t[n, l - n_ma]
            m[l] = prices[l] * work[n] + a
        _kkt(m, omega[n], ratios[n])
    return ratios


@njit(**_JIT)
def _loads(prices, adjustment_t, work, omega, out):
    n_wa, n_leaders = adjustment_t.shape
    m = np.empty(n_leaders)
    o = np.empty(n_leaders)
    for l in range(n_leaders):
        out[l] = 0.0
    for n in range(n_wa):
        for l in range(n_leaders):
            m[l] = prices[l] * work[n] + adjustment_t[n, l]
        _kkt(m, omega[n], o)
        for l in range(n_leaders):
            out[l] += o[l] * work[n]


@njit(**_JIT)
def _set_base(prices, share, direct_t, aerial_t, n_ma, work, adjustment_t, base_t):
    """The marginal costs (N, L) the next searches respond to: prices and the FAs' phi (Eq. 8-9)."""
    n_wa, n_leaders = direct_t.shape
    for n in range(n_wa):
        for l in range(n_leaders):
            a = direct_t[n, l]
            if l >= n_ma:
                a += share[l - n_ma] * aerial_t[n, l - n_ma]
            adjustment_t[n, l] = a
            base_t[n, l] = prices[l] * work[n] + a


@njit(**_JIT)
def _exits(state):
    """``_exits_of`` every leader."""
    _exits_of(state, np.arange(state.base.shape[1]))


@njit(**_JIT)
def _exits_of(state, selected):
    """Exit prices (L, N) of the WAs from each ``selected`` leader and the exiting WA's term of dW/dp just
    left of its exit (see _search._PriceSearch.exits): WA n uses leader l iff m_{n,l} + mu_{-l} < omega_n,
    mu_{-l} the multiplier of its KKT solution without l. Where l is unused at the full solution (or
    the simplex does not bind), removing it changes nothing: only the leaders a binding WA uses need a
    solve of their own. Also kept, for ``_evaluate``: mu_{-l} (where its Newton iterations start) and the
    sum of the WA's other unconstrained ratios (where mu_{-l} = 0, l's own ratio then decides whether
    the simplex binds, and where it does not the ratio is in closed form). A leader's rows depend on no
    other leader's, so a search of some leaders computes only theirs (the others' rows are left as they
    were)."""
    base_t, adjustment_t, work, work_sq, omega, exits = state
    n_wa, n_leaders = base_t.shape
    m = np.empty(n_leaders)
    o = np.empty(n_leaders)
    full = np.empty(n_leaders)
    for n in range(n_wa):
        s = 1.0 / omega[n]
        for l in range(n_leaders):
            m[l] = base_t[n, l]
        unconstrained = 0.0
        for l in range(n_leaders):
            r = omega[n] / max(m[l], 0.5 * omega[n]) - 1.0
            if r > 0.0:
                unconstrained += r
                o[l] = r
            else:
                o[l] = 0.0
        for l in range(n_leaders):
            exits[_EXIT_OTHERS, l, n] = unconstrained - o[l]
        mu_all, q_all = _kkt(m, omega[n], full)
        for leader in selected:
            mu, q = mu_all, q_all
            if mu_all > 0.0 and full[leader] > 0.0:
                m[leader] = np.inf
                mu, q = _kkt(m, omega[n], o)
                m[leader] = base_t[n, leader]
            exits[_EXIT_PRICE, leader, n] = (omega[n] - mu - adjustment_t[n, leader]) / work[n]
            exits[_EXIT_SLOPE, leader, n] = -work_sq[n] * s / (1.0 + s * q)
            exits[_EXIT_MU, leader, n] = mu


@njit(**_JIT)
def _evaluate(
    leader,
    price,
    cost,
    capacity,
    offset,
    aerial_price,
    state,
    m,
    o,
    point,
):
    """Point (price, U, U', W, W') of ``leader`` at its own ``price``, the others at the base; U written as
    p W - cost min(W, capacity) - pi max(W - capacity, 0) + offset. The WAs past their exit price are
    skipped (o = 0 there); where the simplex does not bind, o_l is in closed form; where it does, the
    Newton iteration starts at mu_{-l}."""
    base_t, adjustment_t, work, work_sq, omega, exits = state
    n_wa, n_leaders = base_t.shape
    load = 0.0
    load_slope = 0.0
    for n in range(n_wa):
        if not price < exits[_EXIT_PRICE, leader, n]:
            continue
        own = price * work[n] + adjustment_t[n, leader]
        ratio = omega[n] / max(own, 0.5 * omega[n]) - 1.0
        if ratio < 0.0:
            ratio = 0.0
        q = 0.0
        if not ratio + exits[_EXIT_OTHERS, leader, n] <= 1.0 + 1e-12:
            for l in range(n_leaders):
                m[l] = base_t[n, l]
            m[leader] = own
            ratio, q = _kkt_own(m, omega[n], leader, exits[_EXIT_MU, leader, n])
        load += ratio * work[n]
        if ratio > 0.0 and ratio < 1.0:
            s = (ratio + 1.0) * (ratio + 1.0) / omega[n]
            load_slope += (1.0 - q * s) * s * work_sq[n]
    load_slope = -load_slope
    excess = load - capacity
    if not excess > 0.0:
        excess = 0.0
    value = price * load
    value -= cost * (load - excess)
    value -= aerial_price * excess
    value += offset
    effective = price - cost
    if excess > 0.0:
        effective -= aerial_price - cost
    point[_P] = price
    point[_V] = value
    point[_S] = effective * load_slope + load
    point[_W] = load
    point[_WS] = load_slope


@njit(**_JIT)
def _nan_max(a, b):
    """max(a, b) that keeps a nan, as NumPy's .max() does (Python's and numba's max may drop it)."""
    if a != a or b != b:
        return np.nan
    return a if a >= b else b


@njit(**_JIT)
def _clamp01(s):
    """np.fmin(np.fmax(s, 0), 1): NaN becomes 0."""
    if not s > 0.0:
        return 0.0
    if s > 1.0:
        return 1.0
    return s


@njit(**_JIT)
def _hermite_peak(a, b, value_a, value_b, slope_a, slope_b):
    """Maximiser and maximum on [a, b] of the cubic Hermite interpolant of U (_search._hermite_peak)."""
    width = b - a
    d0 = width * slope_a
    d1 = width * slope_b
    rise = value_b - value_a
    quad = 3.0 * (d0 + d1) - 6.0 * rise
    lin = d1 - d0 - quad
    disc = lin * lin - 4.0 * quad * d0
    if not disc > 0.0:
        disc = 0.0
    s = _clamp01(2.0 * d0 / (math.sqrt(disc) - lin))
    if d1 >= 0.0:
        s = 1.0
    if d0 <= 0.0:
        s = 0.0
    value = value_a + s * (d0 + s * (3.0 * rise - 2.0 * d0 - d1 + s * (d0 + d1 - 2.0 * rise)))
    return a + s * width, value


@njit(**_JIT)
def _bound(capacity, aerial_price, lo, hi):
    """Upper bound of U on a piece between points lo and hi (_search._PriceSearch._bound)."""
    width = hi[_P] - lo[_P]
    if lo[_W] > capacity and lo[_P] < aerial_price:
        return hi[_V] - hi[_S] * width
    reach = (hi[_V] - lo[_V] - hi[_S] * width) / (lo[_S] - hi[_S])
    if not reach > 0.0:
        reach = 0.0
    if reach > width:
        reach = width
    return lo[_V] + lo[_S] * reach


@njit(**_JIT)
def _model_peak(capacity, cost, offset, aerial_price, lo, hi):
    """Maximum of the cubic model of U between lo and hi, with the FA capacity kink located where the
    load crosses the capacity inside (_search._PriceSearch._model_peak)."""
    peak, peak_value = _hermite_peak(lo[_P], hi[_P], lo[_V], hi[_V], lo[_S], hi[_S])
    if not (lo[_W] > capacity and hi[_W] <= capacity):
        return peak, peak_value
    a = lo[_P]
    width = hi[_P] - lo[_P]
    fall = lo[_W] - hi[_W]
    d0 = width * lo[_WS]
    d1 = width * hi[_WS]
    s = (lo[_W] - capacity) / fall
    s2 = s * s
    model = lo[_W] - (3.0 - 2.0 * s) * s2 * fall + ((s - 2.0) * s + 1.0) * s * d0 + (s - 1.0) * s2 * d1
    derivative = 6.0 * (s - 1.0) * s * fall + ((3.0 * s - 4.0) * s + 1.0) * d0 + (3.0 * s - 2.0) * s * d1
    s = _clamp01(s - (model - capacity) / derivative)
    kink = a + s * width
    kink_load_slope = derivative / width
    kink_value = (kink - cost) * capacity + offset
    slope_over = capacity + (kink - aerial_price) * kink_load_slope
    slope_under = capacity + (kink - cost) * kink_load_slope
    left, left_value = _hermite_peak(a, kink, lo[_V], kink_value, lo[_S], slope_over)
    right, right_value = _hermite_peak(kink, hi[_P], kink_value, hi[_V], slope_under, hi[_S])
    if left_value >= right_value:
        return left, left_value
    return right, right_value


@njit(nb.void(_F2, _I, _I1), **_JIT)
def _sort_points(points, count, labels):
    """Stable insertion sort of points[:count] (and their labels) by price."""
    for i in range(1, count):
        j = i
        while j > 0 and points[j - 1, _P] > points[j, _P]:
            for f in range(5):
                points[j - 1, f], points[j, f] = points[j, f], points[j - 1, f]
            labels[j - 1], labels[j] = labels[j], labels[j - 1]
            j -= 1


@njit(_I(_F2, _I), **_JIT)
def _argmax_value(points, count):
    best = 0
    for k in range(1, count):
        if points[k, _V] > points[best, _V]:
            best = k
    return best


@njit(**_JIT)
def _is_open(lo, hi, resolution, bound, best_value, threshold):
    width = hi[_P] - lo[_P]
    undecided = bound > threshold and best_value <= threshold and width > 1e-9 * hi[_P]
    return width > resolution or undecided


@njit(**_JIT)
def _refine(
    leader,
    cost,
    capacity,
    offset,
    resolution,
    lo_in,
    hi_in,
    best_price,
    best_value,
    threshold,
    aerial_price,
    state,
    m,
    o,
):
    """Maximise U on a bracket on which it is unimodal until the bracket is no wider than the resolution
    (_search._PriceSearch.refine, one row). Returns (best price, best utility, upper bound)."""
    lo = lo_in.copy()
    hi = hi_in.copy()
    bound = _bound(capacity, aerial_price, lo, hi)
    joined = np.empty((8, 5))
    labels = np.zeros(8, np.int64)
    candidates = np.empty(6)
    for _ in range(_MAX_REFINE_PASSES):
        if not _is_open(lo, hi, resolution, bound, best_value, threshold):
            break
        a, b = lo[_P], hi[_P]
        peak, _ = _hermite_peak(a, b, lo[_V], hi[_V], lo[_S], hi[_S])
        step = 0.5 * resolution
        candidates[0] = peak - step
        candidates[1] = peak
        candidates[2] = peak + step
        crossing = lo[_W] > capacity and hi[_W] <= capacity
        kinks = (
            a + (lo[_W] - capacity) / -lo[_WS],
            a + (lo[_W] - capacity) / (lo[_W] - hi[_W]) * (b - a),
            b - (capacity - hi[_W]) / -hi[_WS],
        )
        quartiles = (0.25, 0.5, 0.75)
        for k in range(3):
            kink = kinks[k]
            candidates[3 + k] = kink if crossing and math.isfinite(kink) else a + (b - a) * quartiles[k]
        joined[0] = lo
        joined[1] = hi
        for k in range(6):
            price = min(max(candidates[k], a), b)
            _evaluate(
                leader,
                price,
                cost,
                capacity,
                offset,
                aerial_price,
                state,
                m,
                o,
                joined[2 + k],
            )
        _sort_points(joined, 8, labels)
        best = _argmax_value(joined, 8)
        value = joined[best, _V]
        if value > best_value:
            best_price = joined[best, _P]
            best_value = value
        neighbour = best + 1 if joined[best, _S] > 0.0 else best - 1
        neighbour = min(max(neighbour, 0), 7)
        lo[:] = joined[min(best, neighbour)]
        hi[:] = joined[max(best, neighbour)]
        bound = max(_bound(capacity, aerial_price, lo, hi), value)
    return best_price, best_value, bound


@njit(**_JIT)
def _search(
    selected,
    lower,
    upper,
    exact,
    include,
    certify,
    leaders,
    state,
    out_price,
    out_value,
    out_included,
):
    """Each selected leader's best own price in [lower, upper] (_search._PriceSearch.search): U at
    the bounds, at every exit price inside (an even subsample past ``max_exits``) and at ``include`` (S, I);
    pieces where U' turns from > 0 to < 0 are refined (exact, and only where their tangent bound can
    beat the best point) or modelled (not exact). ``certify`` >= 0: pieces are refined against the middle
    include point's utility and the value returned is an upper bound. Writes the best prices, their
    utilities and the utilities at ``include`` (the max over a leader's rows)."""
    low, high, capacity_of, aerial_price, resolution_of, max_exits = leaders
    base_t, exits = state.base, state.exits
    n_sel = selected.shape[0]
    n_include = include.shape[1]
    n_wa, n_leaders = base_t.shape
    # Rows: one per selected leader; an FA with c > pi gets a second row (U is the max of two forms).
    row_slot = np.empty(2 * n_sel, np.int64)
    row_cost = np.empty(2 * n_sel)
    row_capacity = np.empty(2 * n_sel)
    row_offset = np.zeros(2 * n_sel)
    n_rows = n_sel
    for i in range(n_sel):
        leader = selected[i]
        row_slot[i] = i
        row_cost[i] = low[leader]
        row_capacity[i] = capacity_of[leader]
    for i in range(n_sel):
        leader = selected[i]
        if capacity_of[leader] < np.inf and low[leader] > aerial_price:
            row_capacity[i] = np.inf
            row_slot[n_rows] = i
            row_cost[n_rows] = aerial_price
            row_capacity[n_rows] = np.inf
            row_offset[n_rows] = (aerial_price - low[leader]) * capacity_of[leader]
            n_rows += 1
    most = max_exits if exact else min(max_exits, _APPROXIMATE_EXITS)
    size = 2 + min(n_wa, most) + n_include
    points = np.empty((n_rows, size, 5))
    left = np.empty((n_rows, size, 5))
    labels = np.empty((n_rows, size), np.int64)  # exiting WA, -1 for a bound, -2 - j for include j
    counts = np.zeros(n_rows, np.int64)
    m = np.empty(n_leaders)
    o = np.empty(n_leaders)
    exit_order = np.empty(n_wa, np.int64)
    exit_values = np.empty(n_wa)
    for i in range(n_sel):
        for j in range(n_include):
            out_included[i, j] = -np.inf
    for r in range(n_rows):
        slot = row_slot[r]
        leader = selected[slot]
        lo_r, hi_r = lower[slot], upper[slot]
        count = 0
        for n in range(n_wa):
            e = exits[_EXIT_PRICE, leader, n]
            if e > lo_r and e < hi_r:
                exit_order[count] = n
                exit_values[count] = e
                count += 1
        # Sort the exits inside by price (insertion sort: ties are measure zero).
        for i in range(1, count):
            key_n, key_e = exit_order[i], exit_values[i]
            j = i - 1
            while j >= 0 and exit_values[j] > key_e:
                exit_order[j + 1] = exit_order[j]
                exit_values[j + 1] = exit_values[j]
                j -= 1
            exit_order[j + 1] = key_n
            exit_values[j + 1] = key_e
        k = 0
        labels[r, 0] = -1
        points[r, 0, _P] = lo_r
        labels[r, 1] = -1
        points[r, 1, _P] = hi_r
        k = 2
        taken = count if count <= most else most
        for c in range(taken):
            index = c if count <= most else (c + 1) * count // (most + 1)
            n = exit_order[index]
            labels[r, k] = n
            points[r, k, _P] = min(exits[_EXIT_PRICE, leader, n] + 1e-8, hi_r)
            k += 1
        for j in range(n_include):
            labels[r, k] = -2 - j
            points[r, k, _P] = min(max(include[slot, j], lo_r), hi_r)
            k += 1
        counts[r] = k
        _sort_points(points[r], k, labels[r])
        for p in range(k):
            _evaluate(
                leader,
                points[r, p, _P],
                row_cost[r],
                row_capacity[r],
                row_offset[r],
                aerial_price,
                state,
                m,
                o,
                points[r, p],
            )
            left[r, p] = points[r, p]
            n = labels[r, p]
            if n >= 0:
                # Left of an exit the exiting WA still counts: its term of W', and (p - c) times it in U'.
                jump = exits[_EXIT_SLOPE, leader, n]
                effective = aerial_price if points[r, p, _W] > row_capacity[r] else row_cost[r]
                left[r, p, _S] += (points[r, p, _P] - effective) * jump
                left[r, p, _WS] += jump
            elif n <= -2:
                j = -2 - n
                if points[r, p, _V] > out_included[slot, j]:
                    out_included[slot, j] = points[r, p, _V]
    # Candidates (slot, price, value) in the NumPy solver's order: each row's best point, then pieces.
    n_max = n_rows * size
    cand_slot = np.empty(n_rows + n_max, np.int64)
    cand_price = np.empty(n_rows + n_max)
    cand_value = np.empty(n_rows + n_max)
    row_best_value = np.empty(n_rows)
    for r in range(n_rows):
        best = _argmax_value(points[r], counts[r])
        cand_slot[r] = row_slot[r]
        cand_price[r] = points[r, best, _P]
        cand_value[r] = points[r, best, _V]
        row_best_value[r] = points[r, best, _V]
    n_cand = n_rows
    for r in range(n_rows):
        slot = row_slot[r]
        leader = selected[slot]
        has_threshold = certify >= 0.0 and n_include > 0
        threshold = np.inf
        if has_threshold:
            middle = out_included[slot, n_include // 2]
            threshold = middle + certify * abs(middle)
        floor = row_best_value[r]
        if has_threshold and threshold > floor:
            floor = threshold
        for p in range(counts[r] - 1):
            lo = points[r, p]
            hi = left[r, p + 1]
            if not (lo[_S] > 0.0 and hi[_S] < 0.0 and points[r, p + 1, _P] > lo[_P]):
                continue
            if exact:
                bound = _bound(row_capacity[r], aerial_price, lo, hi)
                if not bound > floor + 1e-12 * abs(floor):
                    continue
                start_price = hi[_P] if hi[_V] > lo[_V] else lo[_P]
                peak_price, peak_value, peak_bound = _refine(
                    leader,
                    row_cost[r],
                    row_capacity[r],
                    row_offset[r],
                    resolution_of[leader],
                    lo,
                    hi,
                    start_price,
                    max(lo[_V], hi[_V]),
                    threshold,
                    aerial_price,
                    state,
                    m,
                    o,
                )
                if certify >= 0.0:
                    peak_value = peak_bound
            else:
                peak_price, peak_value = _model_peak(
                    row_capacity[r], row_cost[r], row_offset[r], aerial_price, lo, hi
                )
            cand_slot[n_cand] = slot
            cand_price[n_cand] = peak_price
            cand_value[n_cand] = peak_value
            n_cand += 1
    for i in range(n_sel):
        out_value[i] = -np.inf
    for c in range(n_cand):
        if cand_value[c] > out_value[cand_slot[c]]:
            out_value[cand_slot[c]] = cand_value[c]
    for c in range(n_cand):
        if cand_value[c] >= out_value[cand_slot[c]]:
            out_price[cand_slot[c]] = cand_price[c]


@njit(**_JIT)
def _scan(
    own,
    centre,
    leaders,
    state,
    out_price,
    out_value,
    out_utility,
    out_escaped,
):
    """Every leader's best response from its utility at the increasing own prices own (L, K)
    (_search._PriceSearch.scan)."""
    low, high, capacity_of, aerial_price = leaders.low, leaders.high, leaders.capacity, leaders.aerial_price
    n_leaders, n_points = own.shape
    m = np.empty(n_leaders)
    o = np.empty(n_leaders)
    pts = np.empty((n_points, 5))
    last = n_points - 1
    for leader in range(n_leaders):
        cost, capacity = low[leader], capacity_of[leader]
        for k in range(n_points):
            price = min(max(own[leader, k], low[leader]), high)
            own[leader, k] = price
            _evaluate(
                leader,
                price,
                cost,
                capacity,
                0.0,
                aerial_price,
                state,
                m,
                o,
                pts[k],
            )
        best = _argmax_value(pts, n_points)
        rising = pts[best, _S] > 0.0
        start = best - 1 + (1 if rising else 0)
        start = min(max(start, 0), last - 1)
        peak, peak_value = _model_peak(capacity, cost, 0.0, aerial_price, pts[start], pts[start + 1])
        if rising:
            out_escaped[leader] = best == last and own[leader, last] < high
        else:
            out_escaped[leader] = best == 0 and own[leader, 0] > low[leader]
        if pts[best, _V] >= peak_value:
            peak = own[leader, best]
            peak_value = pts[best, _V]
        out_price[leader] = peak
        out_value[leader] = peak_value
        out_utility[leader] = pts[centre, _V]


@njit(**_JIT)
def _jacobi_best_responses(
    prices,
    window,
    mode,
    leaders,
    state,
    found,
    value,
    utility,
):
    """Every leader's best response to the base prices (_sweeps._jacobi_best_responses). ``window``
    < 0: the first sweep's scan."""
    low, high = leaders.low, leaders.high
    n_leaders = prices.shape[0]
    everyone = np.arange(n_leaders)
    top = np.full(n_leaders, high)
    escaped = np.zeros(n_leaders, np.bool_)
    if mode == _EXACT:
        included = np.empty((n_leaders, 1))
        _search(
            everyone,
            low,
            top,
            True,
            prices.reshape(n_leaders, 1),
            -1.0,
            leaders,
            state,
            found,
            value,
            included,
        )
        utility[:] = included[:, 0]
        return
    if window < 0.0:
        offsets = _FIRST_SCAN
        own = np.empty((n_leaders, offsets.size))
        for leader in range(n_leaders):
            for k in range(offsets.size):
                own[leader, k] = prices[leader] + offsets[k]
        _scan(
            own,
            offsets.size // 2,
            leaders,
            state,
            found,
            value,
            utility,
            escaped,
        )
    elif mode == _WINDOW:
        own = np.empty((n_leaders, 3))
        for leader in range(n_leaders):
            own[leader, 0] = prices[leader] - window
            own[leader, 1] = prices[leader]
            own[leader, 2] = prices[leader] + window
        _scan(
            own,
            1,
            leaders,
            state,
            found,
            value,
            utility,
            escaped,
        )
    else:
        lower = np.maximum(prices - window, low)
        upper = np.minimum(prices + window, high)
        included = np.empty((n_leaders, 1))
        _search(
            everyone,
            lower,
            upper,
            False,
            prices.reshape(n_leaders, 1),
            -1.0,
            leaders,
            state,
            found,
            value,
            included,
        )
        utility[:] = included[:, 0]
        for leader in range(n_leaders):
            escaped[leader] = (found[leader] <= lower[leader] and lower[leader] > low[leader]) or (
                found[leader] >= upper[leader] and upper[leader] < high
            )
    count = 0
    for leader in range(n_leaders):
        if escaped[leader]:
            count += 1
    if count:
        subset = np.empty(count, np.int64)
        c = 0
        for leader in range(n_leaders):
            if escaped[leader]:
                subset[c] = leader
                c += 1
        sub_low = low[subset]
        sub_top = np.full(count, high)
        sub_found = np.empty(count)
        sub_value = np.empty(count)
        _search(
            subset,
            sub_low,
            sub_top,
            False,
            np.empty((count, 0)),
            -1.0,
            leaders,
            state,
            sub_found,
            sub_value,
            np.empty((count, 0)),
        )
        for c in range(count):
            found[subset[c]] = sub_found[c]
            value[subset[c]] = sub_value[c]


@njit(**_JIT)
def solve(initial_prices, followers, leaders, tol, max_iter, damping, gauss_seidel):
    """Algorithm 2 (_sweeps._iterate): returns (price history (T, L), phi history (T, J), converged)."""
    direct_t, aerial_t, n_ma, work, omega = followers
    high, capacity_of, resolution_of = leaders.high, leaders.capacity, leaders.resolution
    n_wa, n_leaders = direct_t.shape
    n_fa = n_leaders - n_ma
    work_sq = work * work
    # The histories grow by doubling: max_iter may be huge ("no limit") while a solve takes a few sweeps.
    price_history = np.empty((min(max_iter + 1, 64), n_leaders))
    share_history = np.empty((price_history.shape[0], n_fa))
    adjustment_t = np.empty((n_wa, n_leaders))
    base_t = np.empty((n_wa, n_leaders))
    exits = np.empty((4, n_leaders, n_wa))
    state = SearchState(base_t, adjustment_t, work, work_sq, omega, exits)
    low = leaders.low
    everyone = np.arange(n_leaders)
    top = np.full(n_leaders, high)
    capacity = capacity_of[n_ma:]
    prices = initial_prices.copy()
    share = np.zeros(n_fa)
    price_history[0] = prices
    share_history[0] = share
    length = 1
    mode = _WINDOW
    failed_certificates = 0
    waited = 0
    moved = np.inf
    last_move = np.inf
    window = -1.0
    best = np.empty(n_leaders)
    estimate = np.empty(n_leaders)
    utility = np.empty(n_leaders)
    loads = np.empty(n_leaders)
    near = np.empty((n_leaders, 3))
    one = np.empty(1, np.int64)
    one_price = np.empty(1)
    one_value = np.empty(1)
    no_include = np.empty((1, 0))
    while True:
        previous = prices.copy()
        previous_share = share.copy()
        _set_base(previous, previous_share, direct_t, aerial_t, n_ma, work, adjustment_t, base_t)
        _exits(state)
        have_best = False
        if moved < tol:
            certify = failed_certificates == 0 or gauss_seidel or waited >= _CERTIFICATE_WAIT
            if not certify:
                _jacobi_best_responses(
                    previous,
                    window,
                    mode,
                    leaders,
                    state,
                    best,
                    estimate,
                    utility,
                )
                have_best = True
                certify = True
                for leader in range(n_leaders):
                    if not estimate[leader] - utility[leader] <= _EQUILIBRIUM_GAP * abs(utility[leader]):
                        certify = False
                if not certify:
                    waited += 1
            if certify:
                for leader in range(n_leaders):
                    for k in range(3):
                        near[leader, k] = previous[leader] + resolution_of[leader] * (k - 1.0)
                included = np.empty((n_leaders, 3))
                _search(
                    everyone,
                    low,
                    top,
                    True,
                    near,
                    _EQUILIBRIUM_GAP,
                    leaders,
                    state,
                    best,
                    estimate,
                    included,
                )
                certified = True
                for leader in range(n_leaders):
                    middle = included[leader, 1]
                    if not estimate[leader] - middle <= _EQUILIBRIUM_GAP * abs(middle):
                        certified = False
                if certified:
                    return price_history[:length].copy(), share_history[:length].copy(), True
                if failed_certificates:
                    mode = _EXACT
                failed_certificates += 1
                waited = 0
                have_best = True
        if length > max_iter:
            return price_history[:length].copy(), share_history[:length].copy(), False
        if not gauss_seidel:
            if not have_best:
                _jacobi_best_responses(
                    previous,
                    window,
                    mode,
                    leaders,
                    state,
                    best,
                    estimate,
                    utility,
                )
            largest = 0.0
            for leader in range(n_leaders):
                largest = _nan_max(largest, abs(best[leader] - previous[leader]))
            window = min(max(2.0 * largest, _WINDOW_MIN), _WINDOW_MAX)
            prices = (1.0 - damping) * best + damping * previous
        else:
            prices = previous.copy()
            for leader in range(n_leaders):
                one[0] = leader
                _set_base(prices, previous_share, direct_t, aerial_t, n_ma, work, adjustment_t, base_t)
                _exits(state)
                _search(
                    one,
                    low[one],
                    top[one],
                    mode == _EXACT,
                    no_include,
                    -1.0,
                    leaders,
                    state,
                    one_price,
                    one_value,
                    no_include,
                )
                prices[leader] = (1.0 - damping) * one_price[0] + damping * prices[leader]
        _loads(prices, adjustment_t, work, omega, loads)
        share = np.empty(n_fa)
        for j in range(n_fa):
            w = loads[n_ma + j]
            share[j] = max(w - capacity[j], 0.0) / max(w, 1e-300)  # Eq. (12)
        if length == price_history.shape[0]:
            grown = np.empty((min(2 * length, max_iter + 1), n_leaders))
            grown[:length] = price_history
            price_history = grown
            grown_share = np.empty((grown.shape[0], n_fa))
            grown_share[:length] = share_history
            share_history = grown_share
        price_history[length] = prices
        share_history[length] = share
        length += 1
        last_move = moved
        moved = 0.0
        for leader in range(n_leaders):
            moved = _nan_max(moved, abs(prices[leader] - previous[leader]))
        for j in range(n_fa):
            moved = _nan_max(moved, abs(share[j] - previous_share[j]))
        careful = mode == _CAREFUL
        if mode == _CAREFUL:
            mode = _WINDOW
        if moved >= last_move:
            if mode == _WINDOW and not careful and not gauss_seidel:
                mode = _CAREFUL
            else:
                # A best-response cycle: damp harder so the iteration contracts onto the fixed point.
                damping = min(max(0.5, 0.5 * (1.0 + damping)), _DAMPING_MAX)


@njit(**_JIT)
def best_responses(prices, share, selected, followers, leaders):
    """Fast Algorithm 1 (stackelberg.best_response_prices): each selected leader's exact best response
    over [c_l, p_max] to the others' ``prices``, phi fixed at ``share``. Returns (prices, utilities)."""
    direct_t, aerial_t, n_ma, work, omega = followers
    n_wa, n_leaders = direct_t.shape
    work_sq = work * work
    adjustment_t = np.empty((n_wa, n_leaders))
    base_t = np.empty((n_wa, n_leaders))
    exits = np.empty((4, n_leaders, n_wa))
    state = SearchState(base_t, adjustment_t, work, work_sq, omega, exits)
    low, high = leaders.low, leaders.high
    _set_base(prices, share, direct_t, aerial_t, n_ma, work, adjustment_t, base_t)
    _exits_of(state, selected)
    count = selected.shape[0]
    found = np.empty(count)
    value = np.empty(count)
    no_include = np.empty((count, 0))
    _search(
        selected,
        low[selected],
        np.full(count, high),
        True,
        no_include,
        -1.0,
        leaders,
        state,
        found,
        value,
        no_include,
    )
    return found, value


@njit(**_JIT)
def ratio_history(price_history, share_history, followers):
    """The WAs' best responses (T, N, L) to every iterate of a history (prices and phi)."""
    direct_t, aerial_t, n_ma, work, omega = followers
    n_iterates = price_history.shape[0]
    n_wa, n_leaders = direct_t.shape
    ratios = np.empty((n_iterates, n_wa, n_leaders))
    m = np.empty(n_leaders)
    for t in range(n_iterates):
        for n in range(n_wa):
            for l in range(n_leaders):
                a = direct_t[n, l]
                if l >= n_ma:
                    a += share_history[t, l - n_ma] * aerial_t[n, l - n_ma]
                m[l] = price_history[t, l] * work[n] + a
            _kkt(m, omega[n], ratios[t, n])
    return ratios


@njit(**_JIT)
def outcome(ratios, prices, share, followers, low, capacity_of, aerial_price):
    """At the last iterate: loads W_l, FA overflow Q_j (Eq. 12), leader utilities (Eq. 11a-b) and
    follower utilities (Eq. 7); the compiled counterparts of leader_loads, overflow_of,
    leader_utilities and follower_utility in stackelberg.py."""
    direct_t, aerial_t, n_ma, work, omega = followers
    n_wa, n_leaders = ratios.shape
    n_fa = n_leaders - n_ma
    loads = np.zeros(n_leaders)
    follower = np.zeros(n_wa)
    for n in range(n_wa):
        for l in range(n_leaders):
            o = ratios[n, l]
            loads[l] += o * work[n]
            a = direct_t[n, l]
            if l >= n_ma:
                a += share[l - n_ma] * aerial_t[n, l - n_ma]
            follower[n] += omega[n] * math.log1p(o) - (prices[l] * work[n] + a) * o
    overflow = np.zeros(n_fa)
    leader = np.empty(n_leaders)
    for l in range(n_leaders):
        leader[l] = (prices[l] - low[l]) * loads[l]
        if l >= n_ma:
            excess = max(loads[l] - capacity_of[l], 0.0)
            overflow[l - n_ma] = excess
            leader[l] = prices[l] * loads[l] - low[l] * min(loads[l], capacity_of[l]) - aerial_price * excess
    return loads, overflow, leader, follower


@njit(cache=True, error_model="numpy", nogil=True, parallel=True)
def solve_batch(initial_prices, followers, leaders, tol, max_iter, damping, gauss_seidel):
    """``solve`` on a batch of slots of one scenario configuration, over all cores (numba's ``prange``): the
    records' arrays carry a first axis of B slots (``Followers.direct`` (B, N, L), ``Leaders.low`` (B, L),
    ...; ``n_ma``, ``high``, ``aerial_price`` and ``max_exits`` shared). Each slot runs exactly the
    single-slot ``solve`` and ``outcome``, so its results are those of one ``solve_equilibrium``. Returns the
    last iterate's prices (B, L) and phi (B, J), the FAs' overflow Q_j (B, J), converged (B,) and the sweeps
    made (B,)."""
    n_slots, n_leaders = initial_prices.shape
    n_fa = n_leaders - followers.n_ma
    prices = np.empty((n_slots, n_leaders))
    shares = np.empty((n_slots, n_fa))
    overflow = np.empty((n_slots, n_fa))
    converged = np.empty(n_slots, np.bool_)
    sweeps = np.empty(n_slots, np.int64)
    for b in prange(n_slots):
        slot = Followers(
            followers.direct[b], followers.aerial[b], followers.n_ma, followers.work[b], followers.omega[b]
        )
        ranges = Leaders(
            leaders.low[b],
            leaders.high,
            leaders.capacity[b],
            leaders.aerial_price,
            leaders.resolution[b],
            leaders.max_exits,
        )
        price_history, share_history, done = solve(
            initial_prices[b], slot, ranges, tol, max_iter, damping, gauss_seidel
        )
        last = price_history.shape[0] - 1
        final_prices = price_history[last].copy()
        final_share = share_history[last].copy()
        ratios = ratios_with_share(final_prices, final_share, slot)
        _, slot_overflow, _, _ = outcome(
            ratios, final_prices, final_share, slot, ranges.low, ranges.capacity, ranges.aerial_price
        )
        prices[b] = final_prices
        shares[b] = final_share
        overflow[b] = slot_overflow
        converged[b] = done
        sweeps[b] = last
    return prices, shares, overflow, converged, sweeps


@njit(**_JIT)
def pricing_step(prices, share, agent_price, leader, others, followers, leaders):
    """One slot of IoA-Stackelberg-v0 (docs/model.md, Sec. 6) in one call: the agent ``leader`` posts
    ``agent_price``, the ``others`` best-respond to it and to their own previous ``prices``
    (``best_responses``), the agent's own best response to the prices posted (the reward's oracle), then
    the WAs' responses, loads, utilities and the FAs' new phi (Eq. 12) at the posted prices, phi fixed at
    ``share`` meanwhile: what ``stackelberg.best_response_prices`` twice and ``slot_outcome`` compute, the
    same operations. Returns (posted (L,), best price, its utility, ratios (N, L), loads (L,), utilities
    (L,), new phi (J,))."""
    posted = prices.copy()
    posted[leader] = agent_price
    if others.shape[0]:
        found, _ = best_responses(posted, share, others, followers, leaders)
        for k in range(others.shape[0]):
            posted[others[k]] = found[k]
    own = np.empty(1, np.int64)
    own[0] = leader
    best_price, best_value = best_responses(posted, share, own, followers, leaders)
    ratios = ratios_with_share(posted, share, followers)
    loads, overflow, utilities, _ = outcome(
        ratios, posted, share, followers, leaders.low, leaders.capacity, leaders.aerial_price
    )
    n_ma = followers.n_ma
    new_share = np.zeros(overflow.shape[0])
    for j in range(overflow.shape[0]):
        if loads[n_ma + j] > 0.0:
            new_share[j] = overflow[j] / loads[n_ma + j]
    return posted, best_price[0], best_value[0], ratios, loads, utilities, new_share


@njit(**_JIT)
def _slot_records(followers, leaders, b):
    """Slot ``b``'s records from records with a first axis of slots (``n_ma``, ``high``, ``aerial_price``
    and ``max_exits`` shared)."""
    slot = Followers(
        followers.direct[b], followers.aerial[b], followers.n_ma, followers.work[b], followers.omega[b]
    )
    ranges = Leaders(
        leaders.low[b],
        leaders.high,
        leaders.capacity[b],
        leaders.aerial_price,
        leaders.resolution[b],
        leaders.max_exits,
    )
    return slot, ranges


@njit(cache=True, error_model="numpy", nogil=True, parallel=True)
def pricing_steps(prices, shares, agent_prices, leader, others, followers, leaders):
    """``pricing_step`` on B slots over all cores (numba's ``prange``), each row exactly the single call: the
    records carry a first axis of slots as ``solve_batch``'s do. Returns the posted prices (B, L), the best
    prices and their utilities (B,), ratios (B, N, L), loads and utilities (B, L) and the new phi (B, J)."""
    n_slots, n_leaders = prices.shape
    n_wa = followers.work.shape[1]
    n_fa = shares.shape[1]
    posted = np.empty((n_slots, n_leaders))
    best_price = np.empty(n_slots)
    best_value = np.empty(n_slots)
    ratios = np.empty((n_slots, n_wa, n_leaders))
    loads = np.empty((n_slots, n_leaders))
    utilities = np.empty((n_slots, n_leaders))
    new_shares = np.empty((n_slots, n_fa))
    for b in prange(n_slots):
        slot, ranges = _slot_records(followers, leaders, b)
        row = pricing_step(prices[b], shares[b], agent_prices[b], leader, others, slot, ranges)
        posted[b] = row[0]
        best_price[b] = row[1]
        best_value[b] = row[2]
        ratios[b] = row[3]
        loads[b] = row[4]
        utilities[b] = row[5]
        new_shares[b] = row[6]
    return posted, best_price, best_value, ratios, loads, utilities, new_shares


@njit(cache=True, error_model="numpy", nogil=True, parallel=True)
def outcomes_batch(prices, shares, followers, leaders):
    """The WAs' responses (B, N, L), loads and leader utilities (B, L) of B slots at their prices and phi,
    over all cores: per row ``ratios_with_share`` and ``outcome``, as ``solve_equilibrium`` computes its
    result's (the ratios of its last iterate by ``ratio_history``, the same operations)."""
    n_slots, n_leaders = prices.shape
    n_wa = followers.work.shape[1]
    ratios = np.empty((n_slots, n_wa, n_leaders))
    loads = np.empty((n_slots, n_leaders))
    utilities = np.empty((n_slots, n_leaders))
    for b in prange(n_slots):
        slot, ranges = _slot_records(followers, leaders, b)
        ratios[b] = ratios_with_share(prices[b], shares[b], slot)
        row_loads, _, row_utilities, _ = outcome(
            ratios[b], prices[b], shares[b], slot, ranges.low, ranges.capacity, ranges.aerial_price
        )
        loads[b] = row_loads
        utilities[b] = row_utilities
    return ratios, loads, utilities
