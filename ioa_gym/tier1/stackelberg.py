"""Tier 1: the multi-leader multi-follower Stackelberg game (docs/model.md, Sec. 2).

Leaders l = 0..L-1 (MAs first, then FAs) post unit prices p_l; each WA n best-responds with
offloading ratios o_{n,l} >= 0, sum_l o_{n,l} <= 1. Everything is vectorised over WAs and leaders,
and over any leading batch dimensions of ``prices`` (a batch of candidate price vectors is how the
leaders' best responses are searched).

Internally the KKT solve works on leader-first arrays of shape (L, rows): NumPy reduces over a short
leading axis with a few contiguous vector adds, but over a short trailing axis with a slow strided
loop, and the solve is a handful of such reductions per Newton step. The equilibrium solver is
bound by the number of NumPy calls rather than by arithmetic (arrays of a few thousand numbers), so
it batches every leader and candidate price of a sweep into one solve and keeps the sweeps few and
cheap (``_PriceSearch`` in ``ioa_gym.tier1._search``, ``_iterate`` in ``ioa_gym.tier1._sweeps``, the KKT solve
in ``ioa_gym.tier1._kkt``); benchmarks/bench_tier1.py measures it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from ioa_gym.checks import check_int, check_scalar, real_array
from ioa_gym.errors import unknown_option_error
from ioa_gym.tier1._kkt import _ratios_from_marginal
from ioa_gym.tier1._records import Followers, Leaders
from ioa_gym.tier1._search import _PriceSearch, _search_settings
from ioa_gym.tier1._sweeps import _iterate
from ioa_gym.tier1.latency import Latency, latency
from ioa_gym.tier1.scenario import Scenario

# How the searches run: scalar loops compiled by numba (ioa_gym.tier1._solver_kernel), or batched NumPy.
SOLVER_METHODS = ("compiled", "numpy")
SOLVER_SCHEMES = ("jacobi", "gauss-seidel")
SOLVER_OPTIONS = (
    "tol",
    "max_iter",
    "damping",
    "scheme",
    "initial_prices",
    "method",
    "grid_points",
    "refine_levels",
    "refine_points",
)
"""The keyword arguments of ``solve_equilibrium`` (besides the scenario), which ``check_solver_options``
validates."""
MAX_SEARCH_POINTS = 10_000
"""Upper bound of ``grid_points`` and ``refine_points``: a search evaluates that many prices per leader at
once, over every WA (memory grows with points x leaders x WAs)."""
MAX_LINEAR_SEARCH_POINTS = 1_000_000
"""Upper bound of the prices ``linear_search`` scans, (p_max - c_l) / step: it evaluates them all at once,
over every WA (a smaller step is refused, not an out-of-memory error)."""


def check_solver_options(
    options: object, n_leaders: int | None = None, name: str = "solver", max_price: float | None = None
) -> dict:
    """Validate keyword arguments of ``solve_equilibrium`` before any slot is solved (an env checks its
    ``solver=`` option with this at construction; ``solve_equilibrium`` checks its own arguments with it,
    ``name=""``): a dict of known names (else ``OptionError``), each value of its type and range (else
    ValueError naming ``name[key]``, or ``key`` when ``name`` is empty, and the allowed range);
    ``initial_prices``, finite numbers in [0, max_price] (when given; p_max, the ``max_price`` of the
    scenario), one per leader when ``n_leaders`` is given. Returns a copy."""
    if not isinstance(options, dict):
        raise ValueError(f"{name} must be a dict of solve_equilibrium arguments, got {options!r}")
    unknown = set(options) - set(SOLVER_OPTIONS)
    if unknown:
        owner = f"{name}: solve_equilibrium()" if name else "solve_equilibrium()"
        raise unknown_option_error(owner, map(str, unknown), SOLVER_OPTIONS)
    for key, value in options.items():
        label = f"{name}[{key!r}]" if name else key
        if key == "tol":
            check_scalar(label, value, 0.0, 1e9, strict_low=True)
        elif key == "max_iter":  # a limit, not an allocation (histories grow as sweeps are made)
            _check_int_option(label, value, 1, 2**62, bare=not name)
        elif key == "damping":
            check_scalar(label, value, 0.0, 1.0)
            if value >= 1.0:
                raise ValueError(f"{label} must lie in [0, 1), got {value!r}")
        elif key in ("scheme", "method"):
            choices = SOLVER_SCHEMES if key == "scheme" else SOLVER_METHODS
            if not isinstance(value, str) or value not in choices:
                raise ValueError(f"{label} must be one of {list(choices)}, got {value!r}")
        elif key == "grid_points":
            _check_int_option(label, value, 2, MAX_SEARCH_POINTS, bare=not name)
        elif key == "refine_points":
            _check_int_option(label, value, 3, MAX_SEARCH_POINTS, bare=not name)
        elif key == "refine_levels":
            _check_int_option(label, value, 0, 50, bare=not name)
        elif value is not None:  # initial_prices
            prices = real_array(value)
            if not name and prices is not None and prices.ndim == 1 and not np.all(np.isfinite(prices)):
                raise ValueError(
                    f"{label} must be finite numbers (prices in [0, p_max]), got {prices.tolist()}"
                )
            if prices is None or prices.ndim != 1 or not np.all(np.isfinite(prices)):
                raise ValueError(f"{label} must be a 1-D sequence of finite prices, got {value!r}")
            if max_price is not None and not np.all((prices >= 0.0) & (prices <= max_price)):
                raise ValueError(
                    f"{label} must lie in [0, max_price] = [0, {max_price}] (p_max; a price below a leader's "
                    f"unit cost c_l starts at c_l), got {prices.tolist()}"
                )
            if n_leaders is not None and prices.shape[0] != n_leaders:
                raise ValueError(
                    f"{label} must have one price per leader (n_ma + n_fa = {n_leaders}), "
                    f"got {prices.shape[0]}"
                )
    return dict(options)


def _check_int_option(label: str, value: object, low: int, high: int, bare: bool) -> None:
    """An integer in [low, high]; an integer below ``low`` passed to the function itself (``bare``) keeps its
    historical wording "NAME must be >= LOW"."""
    if bare and isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value < low:
        raise ValueError(f"{label} must be >= {low} (an integer in [{low}, {high}]), got {value}")
    check_int(label, value, low, high)


def marginal_costs(scenario: Scenario, prices: np.ndarray, overflow_share: np.ndarray | None) -> np.ndarray:
    """m_{n,l} = p_l G_n + a_{n,l}(phi) (Eq. 9): the linear cost of ratio o_{n,l}. Shape (..., N, L)."""
    prices = np.asarray(prices, dtype=float)
    return prices[..., None, :] * scenario.task_work[:, None] + scenario.cost_adjustment(overflow_share)


def follower_utility(
    scenario: Scenario, ratios: np.ndarray, prices: np.ndarray, overflow_share: np.ndarray | None = None
) -> np.ndarray:
    """U_n(o_n; p) = sum_l [omega_n ln(1 + o_{n,l}) - m_{n,l} o_{n,l}] (Eq. 7). Shape (..., N)."""
    ratios = np.asarray(ratios, dtype=float)
    m = marginal_costs(scenario, prices, overflow_share)
    return np.sum(scenario.satisfaction_weight[:, None] * np.log1p(ratios) - m * ratios, axis=-1)


def follower_best_response(
    scenario: Scenario, prices: np.ndarray, overflow_share: np.ndarray | None = None
) -> np.ndarray:
    """Every WA's unique best response o*_n(p) (Eq. 10). Shape (..., N, L) for prices (..., L)."""
    marginal = marginal_costs(scenario, prices, overflow_share)
    return _ratios_from_marginal(marginal, scenario.satisfaction_weight)


def slot_outcome(
    scenario: Scenario, prices: np.ndarray, overflow_share: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One slot at posted prices (L,) and FA overflow shares phi (J,), compiled: the WAs' best responses
    (Eq. 10, (N, L)), the loads W_l, the leaders' utilities (Eq. 11a-b) and the FAs' new overflow
    shares Q_j / W_j (Eq. 12). The same numbers as ``follower_best_response``, ``leader_loads``,
    ``leader_utilities`` and ``overflow_of`` (tested), in one call."""
    from ioa_gym.tier1 import _solver_kernel as kernel

    prices, share = _prices_and_share(scenario, prices, overflow_share)
    prices, share = np.ascontiguousarray(prices), np.ascontiguousarray(share)
    followers = _followers(scenario)
    ratios = kernel.ratios_with_share(prices, share, followers)
    loads, overflow, utilities, _ = kernel.outcome(
        ratios,
        prices,
        share,
        followers,
        scenario.leader_unit_cost,
        _capacities(scenario),
        float(scenario.config.aerial_price),
    )
    fa_loads = loads[scenario.fa_slice]
    new_share = np.divide(overflow, fa_loads, out=np.zeros_like(overflow), where=fa_loads > 0)
    return ratios, loads, utilities, new_share


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
        util[..., fa] = (
            prices[..., fa] * w_fa - cost[fa] * np.minimum(w_fa, cap) - scenario.config.aerial_price * excess
        )
    return util


def _utility_of_leader_at(
    scenario: Scenario,
    leader: int,
    candidates: np.ndarray,
    prices: np.ndarray,
    overflow_share: np.ndarray | None,
) -> np.ndarray:
    """Leader ``leader``'s utility for each candidate own price, the others fixed. Shape (G,)."""
    trial = np.repeat(np.asarray(prices, dtype=float)[None, :], candidates.shape[0], axis=0)
    trial[:, leader] = candidates
    ratios = follower_best_response(scenario, trial, overflow_share)
    return leader_utilities(scenario, trial, ratios)[:, leader]


def linear_search(
    scenario: Scenario,
    leader: int,
    prices: np.ndarray,
    overflow_share: np.ndarray | None = None,
    step: float = 0.01,
) -> LinearSearchResult:
    """Algorithm 1: scan leader ``leader``'s price over [c_l, p_max] in steps of ``step``, the other leaders'
    prices fixed, the WAs best-responding; return the maximiser (the reference method)."""
    _check_leader(scenario, leader)
    prices, share = _prices_and_share(scenario, prices, overflow_share)
    low, high = scenario.leader_unit_cost[leader], scenario.max_price
    check_scalar("step", step, 0.0, math.inf, strict_low=True)
    if (high - low) / step > MAX_LINEAR_SEARCH_POINTS:
        raise ValueError(
            f"step={step} scans more than MAX_LINEAR_SEARCH_POINTS={MAX_LINEAR_SEARCH_POINTS} prices over "
            f"[c_l, p_max] = [{low:.6g}, {high:.6g}]; step must be >= "
            f"{(high - low) / MAX_LINEAR_SEARCH_POINTS:.3g}"
        )
    grid = np.append(np.arange(low, high, step), high)
    utilities = _utility_of_leader_at(
        scenario, leader, grid, prices, None if overflow_share is None else share
    )
    best = int(np.argmax(utilities))
    return LinearSearchResult(
        price=float(grid[best]), utility=float(utilities[best]), prices=grid, utilities=utilities
    )


def best_response_prices(
    scenario: Scenario,
    prices: np.ndarray,
    overflow_share: np.ndarray | None = None,
    leaders: np.ndarray | list[int] | None = None,
    grid_points: int = 17,
    refine_levels: int = 4,
    refine_points: int = 9,
    method: str = "compiled",
) -> tuple[np.ndarray, np.ndarray]:
    """Fast Algorithm 1 for several leaders at once: each selected leader's best-response price to the
    others' current prices, over [c_l, p_max]. The leader's utility and its exact derivative are
    evaluated, in one batched array, at the price bounds and at every price where a WA stops using the
    leader (the utility is concave between those, see ``ioa_gym.tier1._search._PriceSearch``); the pieces
    that can still hold the maximum are refined with Hermite steps on the derivative until the bracket
    is no wider than (p_max - c_l) / (grid_points - 1) * (2 / (refine_points - 1))^refine_levels (about
    0.0025 on the default scenario, a quarter of the default step of the reference ``linear_search``,
    against which the test suite checks it). With more than 4 (grid_points - 1) such prices in the range
    (many WAs) an even subsample of them is scanned. Returns (prices, utilities), one entry per selected
    leader. ``method``: "compiled" (numba, default) or "numpy", the same search (see
    ``solve_equilibrium``)."""
    if method not in SOLVER_METHODS:
        raise ValueError(f"method must be one of {list(SOLVER_METHODS)}, got {method!r}")
    _check_int_option("grid_points", grid_points, 2, MAX_SEARCH_POINTS, bare=True)
    _check_int_option("refine_levels", refine_levels, 0, 50, bare=True)
    _check_int_option("refine_points", refine_points, 3, MAX_SEARCH_POINTS, bare=True)
    if leaders is None:
        sel = np.arange(scenario.n_leaders)
    else:
        raw = np.asarray(leaders)
        if raw.size and raw.dtype.kind not in "iu":
            raise ValueError(
                f"leaders must be integers (leader indices) in [0, {scenario.n_leaders - 1}], got {leaders!r}"
            )
        sel = raw.astype(int).reshape(-1)
    if sel.size == 0:
        raise ValueError(f"leaders must name at least one leader in [0, {scenario.n_leaders - 1}], got []")
    for leader in sel:
        _check_leader(scenario, int(leader))
    prices, share = _prices_and_share(scenario, prices, overflow_share)
    if method == "compiled":
        from ioa_gym.tier1 import _solver_kernel as kernel

        return kernel.best_responses(
            np.ascontiguousarray(prices),
            np.ascontiguousarray(share),
            sel.astype(np.int64),
            _followers(scenario),
            _leaders(
                scenario, grid_points=grid_points, refine_levels=refine_levels, refine_points=refine_points
            ),
        )
    search = _PriceSearch(scenario, grid_points, refine_levels, refine_points)
    search.set_base(prices, share)
    with np.errstate(divide="ignore", invalid="ignore"):
        best_price, best_value, _ = search.search(sel, search.low[sel], np.full(sel.size, search.high))
    return best_price, best_value


@dataclass(frozen=True)
class LinearSearchResult:
    price: float
    utility: float
    prices: np.ndarray  # the scanned grid
    utilities: np.ndarray  # the leader's utility at each grid price


@dataclass(frozen=True)
class Equilibrium:
    """Output of Algorithm 2. Arrays are indexed by leader l (MAs first), WA n, FA j."""

    prices: np.ndarray  # (L,)
    ratios: np.ndarray  # (N, L) offloading ratios o_{n,l}
    loads: np.ndarray  # (L,) W_l, Gcycles
    overflow: np.ndarray  # (J,) Q_j = max(0, W_j - Cap_j), Gcycles
    overflow_share: np.ndarray  # (J,) phi_j = Q_j / W_j
    leader_utilities: np.ndarray  # (L,)
    follower_utilities: np.ndarray  # (N,)
    iterations: int
    converged: bool
    price_history: np.ndarray  # (iterations + 1, L), row 0 the initial prices
    ratio_history: np.ndarray  # (iterations + 1, N, L)
    share_history: np.ndarray  # (iterations + 1, J), the phi_j the WAs answered in each sweep
    scenario: Scenario | None = field(default=None, repr=False, compare=False)  # the slot it solves

    @functools.cached_property
    def latency(self) -> Latency:
        """Every WA's latency and energy at the result (``ioa_gym.tier1.latency``), computed on first use (a
        few hundred microseconds: not paid by the envs' resets that never read it)."""
        if self.scenario is None:
            raise ValueError(
                "this Equilibrium was built without its scenario; call ioa_gym.tier1.latency.latency()"
            )
        return latency(self.scenario, self.ratios, self.overflow_share, check=False)

    @property
    def overloaded(self) -> np.ndarray:
        """Indices j (0..J-1) of the overloaded FAs."""
        return np.flatnonzero(self.overflow > 0.0)


def _prices_and_share(
    scenario: Scenario, prices: object, overflow_share: object
) -> tuple[np.ndarray, np.ndarray]:
    """Posted prices (L,) of finite real numbers and FA overflow shares (J,) in [0, 1] (zeros for None), as
    float arrays; else ValueError naming them."""
    array = real_array(prices)
    if array is None or array.shape != (scenario.n_leaders,):
        got = "no array of real numbers" if array is None else f"shape {array.shape}"
        raise ValueError(
            f"prices must have shape ({scenario.n_leaders},) (one per leader), got {got}: {prices!r}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"prices must be finite numbers, got {array.tolist()}")
    if overflow_share is None:
        return array, np.zeros(scenario.n_fa)
    share = real_array(overflow_share)
    if share is None or share.shape != (scenario.n_fa,):
        got = "no array of real numbers" if share is None else f"shape {share.shape}"
        raise ValueError(
            f"overflow_share must have shape ({scenario.n_fa},) (one per FA), got {got}: {overflow_share!r}"
        )
    if not np.all(np.isfinite(share)):
        raise ValueError(f"overflow_share must be finite numbers in [0, 1], got {share.tolist()}")
    if not np.all((share >= 0.0) & (share <= 1.0)):
        raise ValueError(f"overflow_share must lie in [0, 1] (phi_j = Q_j / W_j), got {share.tolist()}")
    return array, share


def _check_leader(scenario: Scenario, leader: object) -> None:
    if (
        isinstance(leader, (bool, np.bool_))
        or not isinstance(leader, (int, np.integer))
        or not 0 <= leader < scenario.n_leaders
    ):
        raise ValueError(f"leader must be an integer in [0, {scenario.n_leaders - 1}], got {leader!r}")


def overflow_of(scenario: Scenario, loads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q_j = max(0, W_j - Cap_j) and phi_j = Q_j / W_j (Eq. 12) for the FAs."""
    w_fa = loads[scenario.fa_slice]
    excess = np.maximum(w_fa - scenario.fa_capacity, 0.0)
    share = np.divide(excess, w_fa, out=np.zeros_like(excess), where=w_fa > 0)
    return excess, share


def solve_equilibrium(
    scenario: Scenario,
    tol: float = 1e-2,
    max_iter: int = 100,
    damping: float = 0.0,
    scheme: str = "jacobi",
    initial_prices: np.ndarray | None = None,
    method: str = "compiled",
    **search: int,
) -> Equilibrium:
    """Algorithm 2: iterate the leaders' best responses until no price and no phi_j moves by more
    than ``tol`` in a sweep and no leader can gain more than 0.05 % of its utility by deviating
    (converged), or ``max_iter`` sweeps have run. ``scheme="jacobi"`` (default) moves every leader to
    its best response to the previous sweep's prices in one batched search; ``scheme="gauss-seidel"``
    moves them one at a time, each seeing the prices already updated in the sweep. Both stop at the
    same fixed point (the tests check each with the no-profitable-deviation definition). ``damping``
    in [0, 1): p <- (1 - damping) BR + damping p. After each sweep the WAs best-respond and each FA's
    overflow share phi_j = Q_j / W_j is updated (Eq. 12). When a sweep moves prices no less than the
    one before (a best-response cycle), the damping is raised towards 1 (at least 0.5, at most 0.9,
    so the iteration contracts but never freezes); a Jacobi sweep first retries with more careful
    searches, see below. Initial prices default to 1.25 c_l (a typical markup; any start in
    [c_l, p_max] works). ``search`` is passed to ``best_response_prices`` (grid_points, refine_levels,
    refine_points).

    How the best responses are found (``ioa_gym.tier1._search._PriceSearch``,
    ``ioa_gym.tier1._sweeps._iterate``): Jacobi sweeps take each leader's maximum from a cubic model of
    its utility, fitted to the utility and its exact derivative on a scan of 7 prices around the initial
    ones (first sweep), then on a window of +-2 x the last move around the current price, the whole
    range for a leader whose maximum lies beyond (a sweep costs about two batched KKT solves);
    Gauss-Seidel steps search each leader's whole range. Stopping needs, besides the moves below ``tol``,
    a certificate: an exact search of every leader's whole range at the result (the rigorous upper
    bounds of ``best_response_prices``) finds no gain above 0.05 % (the old criterion alone left gains of
    up to 0.4 % near FA capacity kinks). When it fails, its best responses make the next sweep, and the
    next certificate waits until the sweeps' own estimate of the gain passes; a second failure that the
    estimates did not foresee makes every later search exact.

    ``method="compiled"`` (default) runs this algorithm as scalar loops compiled by numba
    (``ioa_gym.tier1._solver_kernel``, the same sweeps and searches step by step); ``method="numpy"`` runs it
    as batched NumPy arrays (the reference that benchmarks/bench_tier1.py compares it with). Both give
    the same equilibrium up to rounding."""
    if not isinstance(scenario, Scenario):
        raise ValueError(
            f"solve_equilibrium expects a Scenario (one slot's arrays), e.g. ScenarioConfig().sample(seed), "
            f"got {type(scenario).__name__}"
        )
    given = {"tol": tol, "max_iter": max_iter, "damping": damping, "scheme": scheme, "method": method}
    if initial_prices is not None:
        given["initial_prices"] = initial_prices
    # The env's check of its solver= option (the same ranges), here with bare names.
    check_solver_options({**given, **search}, scenario.n_leaders, name="", max_price=scenario.max_price)
    low, high = scenario.leader_unit_cost, scenario.max_price
    if initial_prices is None:
        prices = np.minimum(1.25 * low, high)
    else:  # in [0, p_max] (checked); a price below c_l starts at c_l
        prices = np.clip(np.asarray(initial_prices, dtype=float), low, high)
    if method == "compiled":
        return _solve_compiled(scenario, prices, tol, int(max_iter), damping, scheme, **search)
    searcher = _PriceSearch(scenario, **search)
    with np.errstate(divide="ignore", invalid="ignore"):
        price_history, share_history, converged = _iterate(
            searcher, prices, tol, int(max_iter), damping, scheme
        )
    # The WAs' responses to every iterate (the last one is the result), in one batched solve.
    adjustment = np.repeat(scenario.direct_cost_adjustment[None], len(price_history), axis=0)
    adjustment[:, :, scenario.fa_slice] += share_history[:, None, :] * scenario.aerial_cost_extra
    marginal = price_history[:, None, :] * scenario.task_work[:, None] + adjustment
    ratio_history = _ratios_from_marginal(marginal, scenario.satisfaction_weight)
    return _equilibrium(scenario, price_history, share_history, ratio_history, converged)


def _equilibrium(
    scenario: Scenario,
    price_history: np.ndarray,
    share_history: np.ndarray,
    ratio_history: np.ndarray,
    converged: bool,
) -> Equilibrium:
    """The ``Equilibrium`` of the last iterate of a history."""
    prices, share, ratios = price_history[-1].copy(), share_history[-1].copy(), ratio_history[-1]
    loads = leader_loads(scenario, ratios)
    overflow, _ = overflow_of(scenario, loads)
    return Equilibrium(
        prices=prices,
        ratios=ratios,
        loads=loads,
        overflow=overflow,
        overflow_share=share,
        leader_utilities=leader_utilities(scenario, prices, ratios),
        follower_utilities=follower_utility(scenario, ratios, prices, share),
        iterations=len(price_history) - 1,
        converged=converged,
        price_history=price_history,
        ratio_history=ratio_history,
        share_history=share_history,
        scenario=scenario,
    )


def _followers(scenario: Scenario) -> Followers:
    """The kernels' record of the slot's WAs (``_solver_kernel.Followers``), built once per slot (a
    ``Scenario`` never changes) and kept on it."""
    cached = scenario.__dict__.get("_followers")
    if cached is None:
        cached = scenario.__dict__["_followers"] = Followers(
            scenario.direct_cost_adjustment,
            scenario.aerial_cost_extra,
            scenario.n_ma,
            scenario.task_work,
            scenario.satisfaction_weight,
        )
    return cached


def _leaders(scenario: Scenario, **search: int) -> Leaders:
    """The kernels' record of the leaders' ranges and search settings (``_solver_kernel.Leaders``), built
    once per slot and settings and kept on the slot."""
    records = scenario.__dict__.setdefault("_leaders", {})
    key = tuple(sorted(search.items()))
    cached = records.get(key)
    if cached is None:
        resolution, max_exits = _search_settings(scenario, **search)
        cached = records[key] = Leaders(
            scenario.leader_unit_cost,
            float(scenario.max_price),
            _capacities(scenario),
            float(scenario.config.aerial_price),
            resolution,
            max_exits,
        )
    return cached


def _capacities(scenario: Scenario) -> np.ndarray:
    """Cap_l per leader (inf for MAs)."""
    capacity = np.full(scenario.n_leaders, np.inf)
    capacity[scenario.fa_slice] = scenario.fa_capacity
    return capacity


def _solve_compiled(
    scenario: Scenario,
    prices: np.ndarray,
    tol: float,
    max_iter: int,
    damping: float,
    scheme: str,
    **search: int,
) -> Equilibrium:
    """``solve_equilibrium`` by the compiled kernel (``ioa_gym.tier1._solver_kernel``)."""
    from ioa_gym.tier1 import _solver_kernel as kernel

    followers, leaders = _followers(scenario), _leaders(scenario, **search)
    price_history, share_history, converged = kernel.solve(
        prices, followers, leaders, float(tol), max_iter, float(damping), scheme == "gauss-seidel"
    )
    ratio_history = kernel.ratio_history(price_history, share_history, followers)
    prices, share, ratios = price_history[-1].copy(), share_history[-1].copy(), ratio_history[-1]
    loads, overflow, leader, follower = kernel.outcome(
        ratios,
        prices,
        share,
        followers,
        scenario.leader_unit_cost,
        leaders.capacity,
        float(scenario.config.aerial_price),
    )
    return Equilibrium(
        prices=prices,
        ratios=ratios,
        loads=loads,
        overflow=overflow,
        overflow_share=share,
        leader_utilities=leader,
        follower_utilities=follower,
        iterations=len(price_history) - 1,
        converged=bool(converged),
        price_history=price_history,
        ratio_history=ratio_history,
        share_history=share_history,
        scenario=scenario,
    )
