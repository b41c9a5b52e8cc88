"""Fast Algorithm 1 in batched NumPy: the leaders' best-response price search (``_PriceSearch``).

The NumPy reference of the Tier-1 solver (``method="numpy"`` of ``ioa_gym.tier1.stackelberg``), with
Algorithm 2's sweeps in ``ioa_gym.tier1._sweeps``; ``ioa_gym.tier1._solver_kernel`` runs the same search
compiled. Its resolution and exit budget (``_search_settings``) serve the compiled kernel too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import numpy as np

from ioa_gym.tier1._kkt import _solve_simplex
from ioa_gym.tier1.scenario import Scenario

_MAX_REFINE_PASSES = 12  # bracket refinements of one search; each shrinks the bracket


# Rows of a points array (5, R, K) of a search: for row r's leader at its K own prices, the price, the
# utility U, dU/dp, the load W and dW/dp (one-sided at a kink of U: from the side the point lies on).
_PRICE, _VALUE, _SLOPE, _LOAD, _LOAD_SLOPE = range(5)
_UNIT_WINDOW = np.array([-1.0, 0.0, 1.0])
# Approximate searches of a whole price range scan an even subsample of at most this many exit prices.
_APPROXIMATE_EXITS = 8


@dataclass
class _Rows:
    """What each row of a search maximises: leader ``leader``'s utility written as
    p W - cost min(W, capacity) - pi max(W - capacity, 0) + offset over [low, p_max]. ``slot`` is the
    position of the row's leader among the searched leaders."""

    slot: np.ndarray
    leader: np.ndarray
    cost: np.ndarray
    capacity: np.ndarray
    offset: np.ndarray
    low: np.ndarray

    def rows(self, selected: np.ndarray) -> _Rows:
        return _Rows(
            self.slot[selected],
            self.leader[selected],
            self.cost[selected],
            self.capacity[selected],
            self.offset[selected],
            self.low[selected],
        )


def _hermite_peak(
    a: np.ndarray,
    b: np.ndarray,
    value_a: np.ndarray,
    value_b: np.ndarray,
    slope_a: np.ndarray,
    slope_b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Maximiser and maximum on [a, b] of the cubic Hermite interpolant of U (values and slopes at both
    ends). With s = (p - a) / (b - a), dU/ds = A s^2 + B s + d0; where U' > 0 at a and < 0 at b its root
    where it turns negative, 2 d0 / (sqrt(B^2 - 4 A d0) - B), lies in (0, 1) (also for A = 0); where U'
    points out of [a, b] at an end, the maximum is at that end. (Call under np.errstate(all="ignore").)"""
    width = b - a
    d0, d1 = width * slope_a, width * slope_b
    rise = value_b - value_a
    quad = 3.0 * (d0 + d1) - 6.0 * rise
    lin = d1 - d0 - quad
    s = 2.0 * d0 / (np.sqrt(np.maximum(lin * lin - 4.0 * quad * d0, 0.0)) - lin)
    s = np.fmin(np.fmax(s, 0.0), 1.0)  # NaN (a zero-width bracket): 0
    s[d1 >= 0.0] = 1.0
    s[d0 <= 0.0] = 0.0
    value = value_a + s * (d0 + s * (3.0 * rise - 2.0 * d0 - d1 + s * (d0 + d1 - 2.0 * rise)))
    return a + s * width, value


def _search_settings(
    scenario: Scenario, grid_points: int = 17, refine_levels: int = 4, refine_points: int = 9
) -> tuple[np.ndarray, int]:
    """The searches' resolution per leader, (p_max - c_l) / (grid_points - 1) x (2 / (refine_points - 1))^
    refine_levels (a coarse scan followed by zooms of +-1 step), and their budget of exit prices per
    search, 4 (grid_points - 1); for ``_PriceSearch`` and the compiled kernel alike."""
    return _search_resolution(
        scenario.max_price, scenario.leader_unit_cost, grid_points, refine_levels, refine_points
    )


def _search_resolution(
    max_price: float,
    unit_cost: np.ndarray,
    grid_points: int = 17,
    refine_levels: int = 4,
    refine_points: int = 9,
) -> tuple[np.ndarray, int]:
    """:func:`_search_settings` from p_max and the leaders' unit costs c_l of any shape (a batch of slots:
    (B, L)), element for element the same numbers."""
    if int(grid_points) < 2:
        raise ValueError(f"grid_points must be >= 2, got {grid_points}")
    if int(refine_levels) < 0:
        raise ValueError(f"refine_levels must be >= 0, got {refine_levels}")
    if int(refine_points) < 3:
        raise ValueError(f"refine_points must be >= 3, got {refine_points}")
    resolution = (
        (max_price - unit_cost)
        / (int(grid_points) - 1)
        * (2.0 / (int(refine_points) - 1)) ** int(refine_levels)
    )
    return resolution, 4 * (int(grid_points) - 1)


class _PriceSearch:
    """Best-response prices of the leaders to the others' prices (fast Algorithm 1).

    Structure used: as leader l raises p_l, each WA's ratio o_{n,l} falls until, at its *exit price*,
    the WA stops using l (o_{n,l} = 0 from there on; the exit price follows in closed form from the
    WA's KKT solution without l). Between consecutive exit prices U_l is concave in p_l: the load
    W_l = sum_n G_n o_{n,l} is a sum of smooth convex decreasing responses whose other kinks (another
    leader joining a WA's active set, the simplex starting or stopping to bind, the FA capacity) all
    bend U_l downwards; at an exit, dU_l/dp jumps up, and the local maxima seen on a fine scan of U_l
    lie between such jumps. Two exceptions, both handled: an overloaded FA pricing below pi_j earns
    more the less it sells, so U_j rises there (not concavely) and has no maximum there; an FA whose
    unit cost c_j exceeds pi_j has U_j = max((p - c_j) W, (p - pi_j) W + (pi_j - c_j) Cap_j), a convex
    kink at W = Cap, and is searched as two rows, one per smooth form.

    Every evaluation is one batched KKT solve of shape (L, rows, points, N) that also gives the exact
    derivative: with the followers' active sets fixed, the implicit function theorem on mu gives
    d o_{n,l}/d p_l = -G_n s_l (1 - q s_l) (see ``_solve_simplex``), hence W', and U' = W + (p - c) W'
    (MA, FA below capacity) or W + (p - pi) W' (FA above capacity).

    ``search``: U and U' at the interval's ends, at ``include`` and at every exit price inside; at an exit
    the slope on its left adds the exiting WA's term. A piece between two points can hold a maximum
    only where U' > 0 at its left end and < 0 at its right end. ``exact``: such a piece can beat the
    best point by no more than its two tangents allow; those whose bound exceeds the best point are
    refined (``refine``) until their bracket is no wider than the resolution. With more than
    ``max_exits`` exits in an interval (many WAs) an even subsample is scanned; the pieces then contain
    exits and the search is no longer exact, but each WA's jump of U' is then small. Not ``exact``:
    the best piece's maximum is taken from a cubic model of U on it (``_model_peak``).

    ``scan`` (and ``window``, a scan of the current price and +-h around it): the cheap step of the
    Jacobi sweeps, one batched solve and no exit prices. U and U' at given prices; the best point and
    its neighbour on the side where U rises bracket the maximum, which comes from the cubic model on
    that bracket; the caller searches the whole range where U still rises out of the scanned prices
    (the best response moved further)."""

    def __init__(
        self, scenario: Scenario, grid_points: int = 17, refine_levels: int = 4, refine_points: int = 9
    ) -> None:
        self.resolution, self.max_exits = _search_settings(
            scenario, grid_points, refine_levels, refine_points
        )
        self.scenario = scenario
        self.fa = scenario.fa_slice
        self.work = scenario.task_work
        self.work_sq = self.work * self.work
        self.omega = scenario.satisfaction_weight
        self.low = scenario.leader_unit_cost
        self.high = scenario.max_price
        self.aerial_price = scenario.config.aerial_price
        self.direct_adjustment = np.ascontiguousarray(scenario.direct_cost_adjustment.T)  # (L, N)
        self.aerial_extra = np.ascontiguousarray(scenario.aerial_cost_extra.T)  # (J, N)
        self.capacity = np.full(self.low.size, np.inf)
        self.capacity[self.fa] = scenario.fa_capacity
        self.rows = self._rows(np.arange(self.low.size))
        everyone = np.arange(self.low.size)
        # One row per leader with its own utility (capacity kink included): what scans model.
        self.plain_rows = _Rows(
            everyone, everyone, self.low, self.capacity, np.zeros(everyone.size), self.low
        )
        self._tiled: dict[int, np.ndarray] = {}

    def _rows(self, leaders: np.ndarray) -> _Rows:
        slot = np.arange(leaders.size)
        cost, capacity = self.low[leaders], self.capacity[leaders]
        offset = np.zeros(leaders.size)
        split = np.flatnonzero((capacity < np.inf) & (cost > self.aerial_price))
        if split.size:
            # U = max((p - c) W, (p - pi) W + (pi - c) Cap): one row for each smooth form.
            over_offset = (self.aerial_price - cost[split]) * capacity[split]
            capacity = capacity.copy()
            capacity[split] = np.inf
            slot = np.concatenate((slot, split))
            cost = np.concatenate((cost, np.full(split.size, self.aerial_price)))
            capacity = np.concatenate((capacity, np.full(split.size, np.inf)))
            offset = np.concatenate((offset, over_offset))
        return _Rows(slot, leaders[slot], cost, capacity, offset, self.low[leaders[slot]])

    def _omega(self, count: int) -> np.ndarray:
        """omega tiled ``count`` times (the weights of ``count`` stacked copies of the WAs)."""
        tiled = self._tiled.get(count)
        if tiled is None:
            tiled = self._tiled[count] = np.tile(self.omega, count)
        return tiled

    def set_base(self, prices: np.ndarray, overflow_share: np.ndarray) -> None:
        """The leaders' prices and the FAs' phi that the next searches respond to."""
        self.adjustment = self.direct_adjustment.copy()
        self.adjustment[self.fa] += overflow_share[:, None] * self.aerial_extra
        self.base = prices[:, None] * self.work + self.adjustment  # (L, N) marginal costs
        self._exits: tuple[np.ndarray, np.ndarray] | None = None

    def loads(self, prices: np.ndarray) -> np.ndarray:
        """W_l when the leaders post ``prices``, phi as in the base (Eq. 10 then the loads)."""
        ratios, _, _ = _solve_simplex(prices[:, None] * self.work + self.adjustment, self.omega)
        return ratios @ self.work

    def exits(self) -> tuple[np.ndarray, np.ndarray]:
        """Exit prices (L, N) of the WAs from each leader, and the exiting WA's term of dW/dp just left
        of its exit (o = 0+, s = 1/omega, q from the others)."""
        if self._exits is None:
            n_leaders, n_wa = self.base.shape
            # Each WA's KKT solution without leader l: it uses l iff m_{n,l} + mu_{-l} < omega_n.
            without = np.empty((n_leaders, n_leaders, n_wa))
            without[...] = self.base[:, None, :]
            without[np.arange(n_leaders), np.arange(n_leaders)] = np.inf
            _, mu, inverse_curvature = _solve_simplex(
                without.reshape(n_leaders, -1), self._omega(n_leaders), sensitivities=True
            )
            price = (self.omega - mu.reshape(n_leaders, n_wa) - self.adjustment) / self.work
            s = 1.0 / self.omega
            self._exits = price, -self.work_sq * s / (1.0 + s * inverse_curvature.reshape(n_leaders, n_wa))
        return self._exits

    def evaluate(self, rows: _Rows, own: np.ndarray, sparse: bool = False) -> np.ndarray:
        """Points (5, R, K) of each row's leader at its own prices own (R, K), the others at the base.
        ``sparse``: solve only for the WAs that still use the leader at that price (below their exit
        price); the others have o = 0 there and add nothing to W and W'."""
        n_leaders, n_wa = self.base.shape
        n_rows, n_cand = own.shape
        if sparse:
            row, cand, wa = (own[:, :, None] < self.exits()[0][rows.leader, None, :]).nonzero()
            leader, column = rows.leader[row], np.arange(wa.size)
            m = self.base[:, wa]
            m[leader, column] = own[row, cand] * self.work[wa] + self.adjustment[leader, wa]
            omega = self.omega[wa]
            ratios, _, inverse_curvature = _solve_simplex(m, omega, sensitivities=True)
            o = ratios[leader, column]
        else:
            index = np.arange(n_rows)
            m = np.empty((n_leaders, n_rows, n_cand, n_wa))
            m[...] = self.base[:, None, None, :]
            m[rows.leader, index] = own[:, :, None] * self.work + self.adjustment[rows.leader, None, :]
            omega = self.omega
            ratios, _, inverse_curvature = _solve_simplex(
                m.reshape(n_leaders, -1), self._omega(n_rows * n_cand), sensitivities=True
            )
            o = ratios.reshape(m.shape)[rows.leader, index]  # (R, K, N)
            inverse_curvature = inverse_curvature.reshape(o.shape)
        s = o + 1.0
        s *= s
        s *= (o > 0.0) & (o < 1.0)
        s /= omega  # s_l, 0 if clipped
        response = inverse_curvature
        response *= s
        np.subtract(1.0, response, out=response)
        response *= s  # -d o_l / d m_l
        points = np.empty((5, n_rows, n_cand))
        points[_PRICE] = own
        if sparse:
            flat, size = row * n_cand + cand, n_rows * n_cand
            load = points[_LOAD]
            load[...] = np.bincount(flat, o * self.work[wa], minlength=size).reshape(n_rows, n_cand)
            load_slope = points[_LOAD_SLOPE]
            response *= self.work_sq[wa]
            load_slope[...] = np.bincount(flat, response, minlength=size).reshape(load.shape)
        else:
            load = np.matmul(o, self.work, out=points[_LOAD])
            load_slope = np.matmul(response, self.work_sq, out=points[_LOAD_SLOPE])
        np.negative(load_slope, out=load_slope)
        cost, capacity = rows.cost[:, None], rows.capacity[:, None]
        excess = np.maximum(load - capacity, 0.0)
        overloaded = excess > 0.0
        value = np.multiply(own, load, out=points[_VALUE])
        value -= cost * (load - excess)
        value -= self.aerial_price * excess
        value += rows.offset[:, None]
        np.multiply(own - cost - (self.aerial_price - cost) * overloaded, load_slope, out=points[_SLOPE])
        points[_SLOPE] += load
        return points

    def _per_leader(
        self, slot: np.ndarray, price: np.ndarray, value: np.ndarray, n_leaders: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The best (price, value) among the rows of each slot."""
        best_value = np.full(n_leaders, -np.inf)
        np.maximum.at(best_value, slot, value)
        best_price = np.empty(n_leaders)
        winner = value >= best_value[slot]
        best_price[slot[winner]] = price[winner]
        return best_price, best_value

    def window(
        self, prices: np.ndarray, half_width: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every leader's best response within prices +- half_width (see the class docstring). Returns
        the best responses, their estimated utilities, the utilities at ``prices``, and where the best
        response lies beyond the window."""
        return self.scan(prices[:, None] + half_width * _UNIT_WINDOW, centre=1)

    @overload
    def scan(self, own: np.ndarray, centre: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]: ...
    @overload
    def scan(
        self, own: np.ndarray, centre: None = ...
    ) -> tuple[np.ndarray, np.ndarray, None, np.ndarray]: ...
    def scan(
        self, own: np.ndarray, centre: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
        """Every leader's best response from its utility at the increasing own prices own (L, K)
        (clipped to [c_l, p_max]): the best point and its neighbour on the side where U rises bracket
        it, and its maximum comes from the cubic model on that bracket. Returns the best responses,
        their estimated utilities, the utilities at column ``centre`` (if given), and where the best
        response lies beyond the scanned prices (U still rises out of them)."""
        rows = self.plain_rows
        np.maximum(own, rows.low[:, None], out=own)
        np.minimum(own, self.high, out=own)
        points = self.evaluate(rows, own)
        index = np.arange(own.shape[0])
        last = own.shape[1] - 1
        best = points[_VALUE].argmax(axis=1)
        rising = points[_SLOPE, index, best] > 0.0
        left = np.minimum(np.maximum(best - 1 + rising, 0), last - 1)
        peak, peak_value = self._model_peak(rows, points[:, index, left], points[:, index, left + 1])
        escaped = np.where(
            rising, (best == last) & (own[:, last] < self.high), (best == 0) & (own[:, 0] > rows.low)
        )
        # A model maximum below the best point (a kink in the bracket) gives way to the point.
        scanned = points[_VALUE, index, best] >= peak_value
        peak[scanned] = own[index, best][scanned]
        peak_value[scanned] = points[_VALUE, index, best][scanned]
        utility = None if centre is None else points[_VALUE, :, centre]
        return peak, peak_value, utility, escaped

    @overload
    def search(
        self,
        leaders: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
        exact: bool = ...,
        *,
        include: np.ndarray,
        certify: float | None = ...,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
    @overload
    def search(
        self,
        leaders: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
        exact: bool = ...,
        include: None = ...,
        certify: float | None = ...,
    ) -> tuple[np.ndarray, np.ndarray, None]: ...
    def search(
        self,
        leaders: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
        exact: bool = True,
        include: np.ndarray | None = None,
        certify: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Each selected leader's best own price in [lower, upper] (see the class docstring), its
        utility (estimated unless ``exact``), and the utilities at the prices ``include`` (S, I). With
        ``certify`` (exact only), pieces are only refined where they may beat the middle ``include``
        point's utility U by more than certify |U|, and the utility returned is an upper bound of what
        the leader can reach (the refined pieces' tangent bounds): enough to tell whether that point
        is within that fraction of the maximum."""
        everyone = leaders.size == self.low.size and bool(np.all(leaders == np.arange(leaders.size)))
        rows = self.rows if everyone else self._rows(leaders)
        lower, upper = lower[rows.slot, None], upper[rows.slot, None]
        n_rows = rows.slot.size
        index = np.arange(n_rows)
        exit_price, exit_load_slope = self.exits()
        exit_price = exit_price[rows.leader]  # (R, N)
        inside = (exit_price > lower) & (exit_price < upper)
        count = np.add.reduce(inside, axis=1)
        order = np.argsort(np.where(inside, exit_price, np.inf), axis=1)
        most = self.max_exits if exact else min(self.max_exits, _APPROXIMATE_EXITS)
        column = np.arange(min(int(count.max()), most))
        if count.max() > most:
            spread = (column + 1) * count[:, None] // (most + 1)
            order = order[index[:, None], np.where(count[:, None] > most, spread, column)]
        exit_wa = np.where(column < count[:, None], order[:, : column.size], -1)
        # Just right of each exit, where the exiting WA's ratio is exactly 0; padding repeats `upper`.
        at_exit = np.minimum(exit_price[index[:, None], exit_wa] + 1e-8, upper)
        columns = [lower, upper, np.where(exit_wa >= 0, at_exit, upper)]
        exit_columns = [np.full((n_rows, 2), -1), exit_wa]
        if include is not None:
            columns.append(np.minimum(np.maximum(include[rows.slot], lower), upper))
            exit_columns.append(np.full(columns[-1].shape, -1))
        price = np.concatenate(columns, axis=1)
        order = np.argsort(price, axis=1)
        price = price[index[:, None], order]
        exit_wa = np.concatenate(exit_columns, axis=1)[index[:, None], order]
        points = self.evaluate(rows, price, sparse=True)
        # Left of an exit the exiting WA still counts: its term of W', and (p - c) times it in U'.
        jump = np.where(exit_wa >= 0, exit_load_slope[rows.leader[:, None], exit_wa], 0.0)
        capacity = rows.capacity[:, None]
        effective_cost = np.where(points[_LOAD] > capacity, self.aerial_price, rows.cost[:, None])
        left = points.copy()
        left[_SLOPE] += (price - effective_cost) * jump
        left[_LOAD_SLOPE] += jump
        included = threshold = None
        if include is not None:
            where = np.argsort(order, axis=1)[:, order.shape[1] - include.shape[1] :]  # where they went
            included = np.full(include.shape, -np.inf)
            np.maximum.at(included, rows.slot, points[_VALUE, index[:, None], where])
            if certify is not None:
                middle = included[:, include.shape[1] // 2]
                threshold = (middle + certify * np.abs(middle))[rows.slot]
        best = points[_VALUE].argmax(axis=1)
        found_price, found_value = price[index, best], points[_VALUE, index, best]
        # Pieces [a, b] between consecutive points with U' > 0 at a and < 0 at b hold a maximum.
        slope_a, slope_b = points[_SLOPE, :, :-1], left[_SLOPE, :, 1:]
        peaked = (slope_a > 0.0) & (slope_b < 0.0) & (price[:, 1:] > price[:, :-1])
        if exact:
            bound = self._bound(rows.capacity[:, None], points[:, :, :-1], left[:, :, 1:])
            floor = found_value if threshold is None else np.maximum(found_value, threshold)
            peaked &= bound > (floor + 1e-12 * np.abs(floor))[:, None]
        piece_row, piece_col = peaked.nonzero()
        slot = rows.slot
        if piece_row.size:
            lo, hi = points[:, piece_row, piece_col], left[:, piece_row, piece_col + 1]
            piece_rows = rows.rows(piece_row)
            if exact:
                start = hi[_VALUE] > lo[_VALUE]
                peak_price, peak_value, peak_bound = self.refine(
                    piece_rows,
                    np.stack((lo, hi), axis=2),
                    np.where(start, hi[_PRICE], lo[_PRICE]),
                    np.maximum(lo[_VALUE], hi[_VALUE]),
                    None if threshold is None else threshold[piece_row],
                )
                if certify is not None:
                    peak_value = peak_bound  # a certificate compares what the pieces could reach
            else:
                peak_price, peak_value = self._model_peak(piece_rows, lo, hi)
            slot = np.concatenate((slot, rows.slot[piece_row]))
            found_price = np.concatenate((found_price, peak_price))
            found_value = np.concatenate((found_value, peak_value))
        best_price, best_value = self._per_leader(slot, found_price, found_value, leaders.size)
        return best_price, best_value, included

    def _bound(self, capacity: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Upper bound of U on each piece [a, b] (points (5, ...) at its ends) on which U is concave:
        where the tangents at both ends meet; an overloaded FA below pi, where U rises but may bend
        upwards, only by the tangent at b."""
        width = hi[_PRICE] - lo[_PRICE]
        rise = hi[_VALUE] - lo[_VALUE]
        reach = np.fmin(np.fmax((rise - hi[_SLOPE] * width) / (lo[_SLOPE] - hi[_SLOPE]), 0.0), width)
        rising = (lo[_LOAD] > capacity) & (lo[_PRICE] < self.aerial_price)
        return np.where(rising, hi[_VALUE] - hi[_SLOPE] * width, lo[_VALUE] + lo[_SLOPE] * reach)

    def _model_peak(self, rows: _Rows, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Maximiser and maximum of U on each piece [a, b] from the points (5, R) at its ends: the cubic
        Hermite model of U; where an FA's load crosses its capacity inside, the kink W(k) = Cap from the
        secant and a Newton step on the cubic Hermite model of W (U(k) = (k - c) Cap is then exact), and
        the Hermite models of U on [a, k] and [k, b] with the one-sided slopes at k."""
        peak, peak_value = _hermite_peak(
            lo[_PRICE], hi[_PRICE], lo[_VALUE], hi[_VALUE], lo[_SLOPE], hi[_SLOPE]
        )
        crossing = ((lo[_LOAD] > rows.capacity) & (hi[_LOAD] <= rows.capacity)).nonzero()[0]
        if crossing.size == 0:
            return peak, peak_value
        lo, hi = lo[:, crossing], hi[:, crossing]
        capacity, cost = rows.capacity[crossing], rows.cost[crossing]
        a, width = lo[_PRICE], hi[_PRICE] - lo[_PRICE]
        fall = lo[_LOAD] - hi[_LOAD]
        d0, d1 = width * lo[_LOAD_SLOPE], width * hi[_LOAD_SLOPE]
        s = (lo[_LOAD] - capacity) / fall  # the secant's root
        s2 = s * s
        model = lo[_LOAD] - (3.0 - 2.0 * s) * s2 * fall + ((s - 2.0) * s + 1.0) * s * d0 + (s - 1.0) * s2 * d1
        derivative = 6.0 * (s - 1.0) * s * fall + ((3.0 * s - 4.0) * s + 1.0) * d0 + (3.0 * s - 2.0) * s * d1
        s = np.fmin(np.fmax(s - (model - capacity) / derivative, 0.0), 1.0)
        kink = a + s * width
        kink_load_slope = derivative / width
        kink_value = (kink - cost) * capacity + rows.offset[crossing]
        slope_over = capacity + (kink - self.aerial_price) * kink_load_slope  # just left: W > Cap
        slope_under = capacity + (kink - cost) * kink_load_slope  # just right: W < Cap
        # The better of the maxima on either side of the kink (both are the kink where U peaks there;
        # where c > pi the kink bends U upwards and each side can hold a maximum).
        left, left_value = _hermite_peak(a, kink, lo[_VALUE], kink_value, lo[_SLOPE], slope_over)
        right, right_value = _hermite_peak(kink, hi[_PRICE], kink_value, hi[_VALUE], slope_under, hi[_SLOPE])
        on_left = left_value >= right_value
        peak[crossing] = np.where(on_left, left, right)
        peak_value[crossing] = np.where(on_left, left_value, right_value)
        return peak, peak_value

    def refine(
        self,
        rows: _Rows,
        ends: np.ndarray,
        best_price: np.ndarray,
        best_value: np.ndarray,
        threshold: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Maximise U over the bracket ``ends`` (points (5, R, 2)) of each row, on which U is unimodal
        (U' > 0 at the left end, < 0 at the right one), until the bracket is no wider than the
        resolution. Each pass evaluates the maximiser of the cubic Hermite model of U on the bracket and
        that point +-resolution/2 (at a smooth maximum the next bracket is then within the resolution),
        and either the FA capacity kink W = Cap located by Newton steps on W from both ends and the
        secant of W (the kink is then bracketed from both sides) or the bracket's quartiles (a
        guaranteed shrink); the new bracket is the best point and its neighbour on the side where U'
        points. Returns the best price and utility found per row (at least the given ones), and an
        upper bound of U on the row's bracket (the tangent bound of the last bracket). With a
        ``threshold`` per row, a row is refined past the resolution while its bound exceeds the threshold
        and its best point does not (to tell which side of the threshold its maximum lies)."""
        best_price, best_value = best_price.copy(), best_value.copy()
        resolution = self.resolution[rows.leader]
        bound = self._bound(rows.capacity, ends[:, :, 0], ends[:, :, 1])
        if threshold is None:
            threshold = np.full(best_value.size, np.inf)
        todo = self._open(ends, resolution, bound, best_value, threshold).nonzero()[0]
        ends = ends[:, todo]
        for _ in range(_MAX_REFINE_PASSES):
            if todo.size == 0:
                break
            subset = rows.rows(todo)
            found = self.evaluate(subset, self._candidates(subset, ends, resolution[todo]), sparse=True)
            joined = np.concatenate((ends, found), axis=2)
            index = np.arange(todo.size)
            joined = joined[:, index[:, None], np.argsort(joined[_PRICE], axis=1)]
            best = joined[_VALUE].argmax(axis=1)
            value = joined[_VALUE, index, best]
            better = value > best_value[todo]
            best_price[todo[better]] = joined[_PRICE, index, best][better]
            best_value[todo[better]] = value[better]
            neighbour = np.where(joined[_SLOPE, index, best] > 0.0, best + 1, best - 1)
            neighbour = np.minimum(np.maximum(neighbour, 0), joined.shape[2] - 1)
            ends = np.stack(
                (
                    joined[:, index, np.minimum(best, neighbour)],
                    joined[:, index, np.maximum(best, neighbour)],
                ),
                axis=2,
            )
            bound[todo] = np.maximum(self._bound(subset.capacity, ends[:, :, 0], ends[:, :, 1]), value)
            keep = self._open(ends, resolution[todo], bound[todo], best_value[todo], threshold[todo])
            ends, todo = ends[:, keep], todo[keep]
        return best_price, best_value, bound

    @staticmethod
    def _open(
        ends: np.ndarray,
        resolution: np.ndarray,
        bound: np.ndarray,
        best_value: np.ndarray,
        threshold: np.ndarray,
    ) -> np.ndarray:
        """Brackets to refine further: wider than the resolution, or, while no wider than 1e-9 of the
        price, still undecided against the threshold."""
        width = ends[_PRICE, :, 1] - ends[_PRICE, :, 0]
        undecided = (bound > threshold) & (best_value <= threshold) & (width > 1e-9 * ends[_PRICE, :, 1])
        return (width > resolution) | undecided

    def _candidates(self, rows: _Rows, ends: np.ndarray, resolution: np.ndarray) -> np.ndarray:
        """Own prices to evaluate inside each bracket [a, b] (R, 6); see ``refine``."""
        lo, hi = ends[:, :, 0], ends[:, :, 1]
        a, b = lo[_PRICE], hi[_PRICE]
        peak, _ = _hermite_peak(a, b, lo[_VALUE], hi[_VALUE], lo[_SLOPE], hi[_SLOPE])
        step = 0.5 * resolution
        # FA capacity kink inside the bracket: W(a) > Cap >= W(b) (W falls with the price).
        capacity = rows.capacity
        crossing = (lo[_LOAD] > capacity) & (hi[_LOAD] <= capacity)
        kink = np.stack(
            (
                a + (lo[_LOAD] - capacity) / -lo[_LOAD_SLOPE],
                a + (lo[_LOAD] - capacity) / (lo[_LOAD] - hi[_LOAD]) * (b - a),
                b - (capacity - hi[_LOAD]) / -hi[_LOAD_SLOPE],
            ),
            axis=1,
        )
        kink = np.where(
            crossing[:, None] & np.isfinite(kink),
            kink,
            a[:, None] + (b - a)[:, None] * np.array([0.25, 0.5, 0.75]),
        )
        inside = np.concatenate(((peak - step)[:, None], peak[:, None], (peak + step)[:, None], kink), axis=1)
        return np.minimum(np.maximum(inside, a[:, None]), b[:, None])
