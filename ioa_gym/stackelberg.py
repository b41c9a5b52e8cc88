"""Tier 1: the multi-leader multi-follower Stackelberg game (docs/model.md, Sec. 3).

Leaders l = 0..L-1 (MAs first, then FAs) post unit prices p_l; each WA n best-responds with
offloading ratios o_{n,l} >= 0, sum_l o_{n,l} <= 1. Everything is vectorised over WAs and leaders,
and over any leading batch dimensions of `prices` (a batch of candidate price vectors is how the
leaders' best responses are searched).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ioa_gym.scenario import Scenario

_NEWTON_ITERS = 60
_NEWTON_TOL = 1e-11


def marginal_costs(scenario: Scenario, prices: np.ndarray, overflow_share: np.ndarray | None) -> np.ndarray:
    """m_{n,l} = p_l G_n + a_{n,l}(phi) (Eq. 9): the linear cost of ratio o_{n,l}. Shape (..., N, L)."""
    prices = np.asarray(prices, dtype=float)
    return prices[..., None, :] * scenario.task_work[:, None] + scenario.cost_adjustment(overflow_share)


def follower_utility(scenario: Scenario, ratios: np.ndarray, prices: np.ndarray,
                     overflow_share: np.ndarray | None = None) -> np.ndarray:
    """U_n(o_n; p) = sum_l [omega_n ln(1 + o_{n,l}) - m_{n,l} o_{n,l}] (Eq. 7). Shape (..., N)."""
    ratios = np.asarray(ratios, dtype=float)
    m = marginal_costs(scenario, prices, overflow_share)
    return np.sum(scenario.satisfaction_weight[:, None] * np.log1p(ratios) - m * ratios, axis=-1)


def _ratios_from_marginal(m: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """KKT solution of max sum_l omega ln(1+o_l) - m_l o_l s.t. o >= 0, sum o <= 1 (Eq. 10).

    Without the simplex, o_l = clip(omega/m_l - 1, 0, 1) (o_l = 1 whenever m_l <= omega/2, which also
    covers m_l <= 0). Where those sum past 1, the multiplier mu > 0 solves
    S(mu) = sum_l max(0, omega/(m_l + mu) - 1) = 1; S is convex and decreasing, so Newton's method
    started left of the root (at mu0 = max(0, omega/2 - min m), where S >= 1) converges monotonically.
    With sum o = 1 and o >= 0 the upper clip cannot bind, so it is not needed there."""
    omega_col = omega[:, None]
    saturated = m <= 0.5 * omega_col
    ratios = omega_col / np.where(saturated, 1.0, m)
    ratios -= 1.0
    np.maximum(ratios, 0.0, out=ratios)
    ratios[saturated] = 1.0
    over = np.add.reduce(ratios, axis=-1) > 1.0 + 1e-12
    if not over.any():
        return ratios
    m_r = m[over]                                                   # (R, L)
    w_r = np.broadcast_to(omega, over.shape)[over][:, None]         # (R, 1)
    mu = np.maximum(0.0, 0.5 * w_r - m_r.min(axis=-1, keepdims=True))
    for _ in range(_NEWTON_ITERS):
        share = w_r / (m_r + mu)
        excess_terms = np.maximum(share - 1.0, 0.0)
        excess = np.add.reduce(excess_terms, axis=-1, keepdims=True) - 1.0
        if np.abs(excess).max() < _NEWTON_TOL:
            break
        slope = np.add.reduce(np.where(excess_terms > 0.0, share * share / w_r, 0.0), axis=-1, keepdims=True)
        mu += excess / slope
    o_r = np.maximum(w_r / (m_r + mu) - 1.0, 0.0)
    o_r /= np.maximum(np.add.reduce(o_r, axis=-1, keepdims=True), 1.0)  # rounding past the simplex
    ratios[over] = o_r
    return ratios


def follower_best_response(scenario: Scenario, prices: np.ndarray,
                           overflow_share: np.ndarray | None = None) -> np.ndarray:
    """Every WA's unique best response o*_n(p) (Eq. 10). Shape (..., N, L) for prices (..., L)."""
    marginal = marginal_costs(scenario, prices, overflow_share)
    return _ratios_from_marginal(marginal, scenario.satisfaction_weight)


def leader_loads(scenario: Scenario, ratios: np.ndarray) -> np.ndarray:
    """W_l = sum_n o_{n,l} G_n (Gcycles). Shape (..., L)."""
    return np.einsum("...nl,n->...l", ratios, scenario.task_work)


def leader_utilities(scenario: Scenario, prices: np.ndarray, ratios: np.ndarray) -> np.ndarray:
    """MA: (p_i - c_i) W_i (Eq. 11a); FA: p_j W_j - c_j min(W_j, Cap_j) - pi_j Q_j (Eq. 11b). (..., L)."""
    prices = np.asarray(prices, dtype=float)
    loads = leader_loads(scenario, ratios)
    cost = scenario.leader_unit_cost
    util = (prices - cost) * loads
    if scenario.n_fa:
        fa = scenario.fa_slice
        cap = scenario.fa_capacity
        w_fa = loads[..., fa]
        excess = np.maximum(w_fa - cap, 0.0)
        util[..., fa] = (prices[..., fa] * w_fa - cost[fa] * np.minimum(w_fa, cap)
                         - scenario.config.aerial_price * excess)
    return util


def _utility_of_leader_at(scenario: Scenario, leader: int, candidates: np.ndarray, prices: np.ndarray,
                          overflow_share: np.ndarray | None) -> np.ndarray:
    """Leader `leader`'s utility for each candidate own price, the others fixed. Shape (G,)."""
    trial = np.repeat(np.asarray(prices, dtype=float)[None, :], candidates.shape[0], axis=0)
    trial[:, leader] = candidates
    ratios = follower_best_response(scenario, trial, overflow_share)
    return leader_utilities(scenario, trial, ratios)[:, leader]


def linear_search(scenario: Scenario, leader: int, prices: np.ndarray,
                  overflow_share: np.ndarray | None = None, step: float = 0.01) -> LinearSearchResult:
    """Algorithm 1: scan leader `leader`'s price over [c_l, p_max] in steps of `step`, the other leaders'
    prices fixed, the WAs best-responding; return the maximiser (the reference method)."""
    _check_leader(scenario, leader)
    if not step > 0:
        raise ValueError(f"step must be > 0, got {step}")
    low, high = scenario.leader_unit_cost[leader], scenario.max_price
    grid = np.append(np.arange(low, high, step), high)
    utilities = _utility_of_leader_at(scenario, leader, grid, prices, overflow_share)
    best = int(np.argmax(utilities))
    return LinearSearchResult(price=float(grid[best]), utility=float(utilities[best]),
                              prices=grid, utilities=utilities)


def best_response_prices(scenario: Scenario, prices: np.ndarray, overflow_share: np.ndarray | None = None,
                         leaders: np.ndarray | list[int] | None = None, grid_points: int = 17,
                         refine_levels: int = 4, refine_points: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """Fast Algorithm 1 for several leaders at once: each selected leader's best-response price to the
    others' current prices (one batched array of shape (len(leaders), G, N, L) per pass). A coarse
    scan of [c_l, p_max] with `grid_points` prices, then `refine_levels` zooms of `refine_points`
    prices spanning +-1 step of the previous grid. Default resolution (p_max - c_l) / 16 / 4^4, about
    0.0025 for the default scenario, a quarter of the default step of the reference `linear_search`,
    against which the test suite checks it. Returns (prices, utilities), one entry per selected leader."""
    prices = np.asarray(prices, dtype=float)
    sel = np.arange(scenario.n_leaders) if leaders is None else np.asarray(leaders, dtype=int).reshape(-1)
    for leader in sel:
        _check_leader(scenario, int(leader))
    rows = np.arange(sel.size)
    low = scenario.leader_unit_cost[sel]
    high = np.full(sel.size, scenario.max_price)
    grid = low[:, None] + (high - low)[:, None] * np.linspace(0.0, 1.0, grid_points)[None, :]   # (S, G)
    spacing = (high - low) / (grid_points - 1)
    local = np.linspace(-1.0, 1.0, refine_points)
    best_price = low.copy()
    best_util = np.full(sel.size, -np.inf)
    for level in range(refine_levels + 1):
        trial = np.repeat(np.repeat(prices[None, None, :], sel.size, axis=0), grid.shape[1], axis=1)
        trial[rows, :, sel] = grid                                         # leader sel[s] varies its price
        ratios = follower_best_response(scenario, trial, overflow_share)
        utilities = leader_utilities(scenario, trial, ratios)[rows, :, sel]   # (S, G)
        idx = np.argmax(utilities, axis=1)
        cand_util = utilities[rows, idx]
        better = cand_util > best_util
        best_price = np.where(better, grid[rows, idx], best_price)
        best_util = np.where(better, cand_util, best_util)
        if level == refine_levels:
            break
        grid = np.clip(best_price[:, None] + spacing[:, None] * local[None, :], low[:, None], high[:, None])
        spacing = spacing * 2.0 / (refine_points - 1)
    return best_price, best_util


@dataclass(frozen=True)
class LinearSearchResult:
    price: float
    utility: float
    prices: np.ndarray      # the scanned grid
    utilities: np.ndarray   # the leader's utility at each grid price


@dataclass(frozen=True)
class Equilibrium:
    """Output of Algorithm 2. Arrays are indexed by leader l (MAs first), WA n, FA j."""

    prices: np.ndarray              # (L,)
    ratios: np.ndarray              # (N, L) offloading ratios o_{n,l}
    loads: np.ndarray               # (L,) W_l, Gcycles
    overflow: np.ndarray            # (J,) Q_j = max(0, W_j - Cap_j), Gcycles
    overflow_share: np.ndarray      # (J,) phi_j = Q_j / W_j
    leader_utilities: np.ndarray    # (L,)
    follower_utilities: np.ndarray  # (N,)
    iterations: int
    converged: bool
    price_history: np.ndarray       # (iterations + 1, L), row 0 the initial prices
    ratio_history: np.ndarray       # (iterations + 1, N, L)

    @property
    def overloaded(self) -> np.ndarray:
        """Indices j (0..J-1) of the overloaded FAs."""
        return np.flatnonzero(self.overflow > 0.0)


def _check_leader(scenario: Scenario, leader: int) -> None:
    if not 0 <= int(leader) < scenario.n_leaders:
        raise ValueError(f"leader must be in [0, {scenario.n_leaders - 1}], got {leader}")


def overflow_of(scenario: Scenario, loads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q_j = max(0, W_j - Cap_j) and phi_j = Q_j / W_j (Eq. 12) for the FAs."""
    w_fa = loads[scenario.fa_slice]
    excess = np.maximum(w_fa - scenario.fa_capacity, 0.0)
    share = np.divide(excess, w_fa, out=np.zeros_like(excess), where=w_fa > 0)
    return excess, share


def solve_equilibrium(scenario: Scenario, tol: float = 1e-2, max_iter: int = 100, damping: float = 0.0,
                      scheme: str = "jacobi", initial_prices: np.ndarray | None = None,
                      **search: int) -> Equilibrium:
    """Algorithm 2: iterate the leaders' best responses until no price moves by more than `tol`
    (converged) or `max_iter` sweeps have run. `scheme="jacobi"` (default) moves every leader to its
    best response to the previous sweep's prices in one batched search; `scheme="gauss-seidel"` moves
    them one at a time, each seeing the prices already updated in the sweep. Both stop at the same
    fixed point (the tests check each with the no-profitable-deviation definition); Jacobi is ~L
    times cheaper per sweep. `damping` in [0, 1): p <- (1 - damping) BR + damping p. After each
    sweep the WAs best-respond and each FA's overflow share phi_j = Q_j / W_j is updated (Eq. 12).
    When a sweep moves prices no less than the one before (a best-response cycle), the damping is
    raised towards 1 (at least 0.5) so the iteration contracts; the tests check that the result is an
    equilibrium. Initial prices default to 1.25 c_l (a typical markup; any start in [c_l, p_max] works).
    `search` is passed to `best_response_prices` (grid_points, refine_levels, refine_points)."""
    if scheme not in ("jacobi", "gauss-seidel"):
        raise ValueError(f"scheme must be one of ['jacobi', 'gauss-seidel'], got {scheme!r}")
    if not 0.0 <= damping < 1.0:
        raise ValueError(f"damping must be in [0, 1), got {damping}")
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol}")
    if int(max_iter) < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    low, high = scenario.leader_unit_cost, scenario.max_price
    if initial_prices is None:
        prices = np.minimum(1.25 * low, high)
    else:
        prices = np.asarray(initial_prices, dtype=float).copy()
        if prices.shape != low.shape:
            raise ValueError(f"initial_prices must have shape {low.shape}, got {prices.shape}")
        prices = np.clip(prices, low, high)
    share = np.zeros(scenario.n_fa)
    ratios = follower_best_response(scenario, prices, share)
    price_history, ratio_history = [prices.copy()], [ratios]
    converged = False
    iterations = 0
    last_move = np.inf
    for iterations in range(1, int(max_iter) + 1):  # noqa: B007 (the count is part of the result)
        previous, previous_share = prices.copy(), share
        if scheme == "jacobi":
            best, _ = best_response_prices(scenario, prices, share, **search)
            prices = (1.0 - damping) * best + damping * prices
        else:
            for leader in range(scenario.n_leaders):
                best, _ = best_response_prices(scenario, prices, share, leaders=[leader], **search)
                prices[leader] = (1.0 - damping) * best[0] + damping * prices[leader]
        ratios = follower_best_response(scenario, prices, share)
        _, share = overflow_of(scenario, leader_loads(scenario, ratios))
        ratios = follower_best_response(scenario, prices, share)
        price_history.append(prices.copy())
        ratio_history.append(ratios)
        moved = max(np.max(np.abs(prices - previous)), np.max(np.abs(share - previous_share), initial=0.0))
        if moved < tol:
            converged = True
            break
        if moved >= last_move:
            # No progress: a best-response cycle (the FA capacity kink and the phi feedback make the
            # best responses jump). Damp harder so the iteration contracts onto the fixed point.
            damping = max(0.5, 0.5 * (1.0 + damping))
        last_move = moved
    loads = leader_loads(scenario, ratios)
    overflow, _ = overflow_of(scenario, loads)
    return Equilibrium(
        prices=prices, ratios=ratios, loads=loads, overflow=overflow, overflow_share=share,
        leader_utilities=leader_utilities(scenario, prices, ratios),
        follower_utilities=follower_utility(scenario, ratios, prices, share),
        iterations=iterations, converged=converged,
        price_history=np.array(price_history), ratio_history=np.array(ratio_history),
    )
