"""Many Tier-1 slots drawn and solved at once, over all cores (docs/model.md, Sec. 1-2): what the native
vector env does with the slots of the sub-envs that reset together.

:func:`solve_slots` runs Algorithm 2 (``solve_equilibrium``'s compiled solver) on every slot in one call of a
kernel whose loop over the slots is spread over the CPU cores by numba (``prange``, without the GIL). Each
slot runs exactly the single-slot solver, so its prices, overflow shares and overflow are bitwise those of
``solve_equilibrium`` (tested); only the last iterate is kept (no histories). :func:`sample_slots` draws the
slots too, without a ``Scenario`` per slot: each stream's draws in one compiled call over a numba typed list
of generators (``_scenario_kernel.draw_slots``), their physics in one over all cores, the solver's records
as batch arrays; the same numbers, bit for bit, as ``config.sample(rng)`` and ``solve_equilibrium`` per
stream.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ioa_gym.tier1._physics import PHYSICS_FIELDS, _physics_layout, _uniform_layout
from ioa_gym.tier1._records import Followers, Leaders
from ioa_gym.tier1._search import _search_resolution, _search_settings
from ioa_gym.tier1.scenario import Scenario, ScenarioConfig
from ioa_gym.tier1.stackelberg import check_solver_options

__all__ = ["DrawnSlots", "SlotSolutions", "draw_slots", "sample_slots", "solve_slots"]


@dataclass(frozen=True, eq=False)
class SlotSolutions:
    """The last iterate of Algorithm 2 on each of B slots, as ``solve_equilibrium`` would end.

    :ivar prices: (B, L) the leaders' prices.
    :ivar overflow_share: (B, J) phi_j of each FA.
    :ivar overflow: (B, J) Q_j = max(0, W_j - Cap_j) of each FA (Gcycles).
    :ivar converged: (B,) whether each solve converged.
    :ivar sweeps: (B,) the sweeps each made.
    """

    prices: np.ndarray
    overflow_share: np.ndarray
    overflow: np.ndarray
    converged: np.ndarray
    sweeps: np.ndarray


def _stacked_records(scenarios: Sequence[Scenario], **search: int) -> tuple[Followers, Leaders]:
    """The kernels' records with a first axis of slots (every slot of one config: the same shapes)."""
    first = scenarios[0]
    n_leaders = first.n_leaders
    capacity = np.full((len(scenarios), n_leaders), np.inf)
    resolution = np.empty((len(scenarios), n_leaders))
    max_exits = 0
    for index, scenario in enumerate(scenarios):
        capacity[index, scenario.fa_slice] = scenario.fa_capacity
        resolution[index], max_exits = _search_settings(scenario, **search)
    followers = Followers(
        np.stack([s.direct_cost_adjustment for s in scenarios]),
        np.stack([s.aerial_cost_extra for s in scenarios]),
        first.n_ma,
        np.stack([s.task_work for s in scenarios]),
        np.stack([s.satisfaction_weight for s in scenarios]),
    )
    leaders = Leaders(
        np.stack([s.leader_unit_cost for s in scenarios]),
        float(first.max_price),
        capacity,
        float(first.config.aerial_price),
        resolution,
        max_exits,
    )
    return followers, leaders


def solve_slots(
    scenarios: Sequence[Scenario],
    tol: float = 1e-2,
    max_iter: int = 100,
    damping: float = 0.0,
    scheme: str = "jacobi",
    initial_prices: Any = None,
    method: str = "compiled",
    **search: int,
) -> SlotSolutions:
    """Algorithm 2 on every slot of ``scenarios`` (samples of one ``ScenarioConfig``), in one compiled call
    over all cores; the same arguments and results as ``solve_equilibrium(scenario, ...)`` with
    ``method="compiled"`` (the only method here: ValueError for "numpy"), last iterate only.

    :raises ValueError: for an empty sequence, slots of different configurations, or a bad solver option
        (named as ``solve_equilibrium`` names it).
    """
    scenarios = list(scenarios)
    if not scenarios or not all(isinstance(s, Scenario) for s in scenarios):
        raise ValueError("scenarios must be a non-empty sequence of Scenario (ScenarioConfig.sample)")
    config = scenarios[0].config
    if any(s.config != config for s in scenarios):
        raise ValueError("scenarios must all be slots of one ScenarioConfig (one shape of arrays)")
    _checked_options(config, tol, max_iter, damping, scheme, initial_prices, method, search)
    return _solve(*_stacked_records(scenarios, **search), tol, max_iter, damping, scheme, initial_prices)


def _checked_options(
    config: ScenarioConfig,
    tol: float,
    max_iter: int,
    damping: float,
    scheme: str,
    initial_prices: Any,
    method: str,
    search: dict[str, int],
) -> dict[str, Any]:
    """The solver options as ``solve_equilibrium`` checks them; the batch solvers run the compiled method
    only."""
    options: dict[str, Any] = {"tol": tol, "max_iter": max_iter, "damping": damping, "scheme": scheme}
    options.update(search, method=method)
    if initial_prices is not None:
        options["initial_prices"] = initial_prices
    check_solver_options(options, config.n_leaders, name="", max_price=config.max_price)
    if method != "compiled":
        raise ValueError(
            f"solver['method'] must be 'compiled' for a batch of slots (the NumPy reference solves one slot "
            f"at a time: solve_equilibrium), got {method!r}"
        )
    return options


def _solve(
    followers: Followers,
    leaders: Leaders,
    tol: float,
    max_iter: int,
    damping: float,
    scheme: str,
    initial_prices: Any = None,
) -> SlotSolutions:
    """The batch solver on the records of B slots, from ``solve_equilibrium``'s initial prices (1.25 c_l, or
    ``initial_prices`` clipped to [c_l, p_max] as it clips them)."""
    from ioa_gym.tier1 import _solver_kernel as kernel

    if initial_prices is None:
        initial = np.minimum(1.25 * leaders.low, leaders.high)
    else:
        initial = np.clip(np.asarray(initial_prices, dtype=float)[None, :], leaders.low, leaders.high)
    prices, shares, overflow, converged, sweeps = kernel.solve_batch(
        initial, followers, leaders, float(tol), int(max_iter), float(damping), scheme == "gauss-seidel"
    )
    return SlotSolutions(prices, shares, overflow, converged, sweeps)


@dataclass(frozen=True, eq=False)
class DrawnSlots:
    """B slots of one ``ScenarioConfig`` drawn by :func:`draw_slots`: the solver's records (a first axis of
    slots) and the arrays from which a slot's Tier-2 market is built (Eqs. 14-15).

    :ivar fa_value_premium: (B, J) zeta_j.
    :ivar aa_supply: (B, K) S_k (Gcycles).
    :ivar aa_unit_cost: (B, K) c_k of Eq. (6).
    """

    followers: Followers
    leaders: Leaders
    fa_value_premium: np.ndarray
    aa_supply: np.ndarray
    aa_unit_cost: np.ndarray


def batch_physics(
    config: ScenarioConfig, take: Callable[..., np.ndarray], fading: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The WAs' work (B, N) and every ``PHYSICS_FIELDS`` array (first axis B) of B drawn slots, in one
    compiled call over all cores: ``config.sample``'s physics. ``take(first, last=None)``: the (B, k) columns
    of the named draws (``_physics.draws``' names, ``last`` ending a run of them); ``fading`` (B, N, L)."""
    from ioa_gym.tier1 import _scenario_kernel as kernel

    count, n, n_leaders = fading.shape
    work = take("data") * take("intensity")
    sizes = {"N": n, "L": n_leaders, "J": config.n_fa, "K": config.n_aa}
    physics = {name: np.empty((count, *(sizes[d] for d in dims))) for name, dims in PHYSICS_FIELDS}
    kernel.scenario_physics_batch(
        take("wa_pos").reshape(count, n, 2),
        take("leader_pos").reshape(count, n_leaders, 2),
        take("aa_pos").reshape(count, config.n_aa, 2),
        take("intensity"),
        work,
        take("local_cpu"),
        take("tx_power"),
        take("ma_cpu", "fa_cpu"),  # MAs, then FAs
        take("aa_cpu"),
        take("hover"),
        fading,
        config.n_ma,
        _physics_layout(config)[0],
        *physics.values(),
    )
    return work, physics


def draw_slots(config: ScenarioConfig, rngs: object, streams: np.ndarray, **search: int) -> DrawnSlots:
    """Slot k drawn from generator ``rngs[streams[k]]`` (a numba typed list,
    ``ioa_gym.auctions.market.generator_list``) for each k, as ``config.sample(rng)`` draws it (the same
    random numbers from the same generator, the same compiled physics), in two compiled calls: the draws
    of every stream, then their physics over all cores. ``search``: ``grid_points``, ``refine_levels``,
    ``refine_points`` (the solver's search settings)."""
    from ioa_gym.tier1 import _scenario_kernel as kernel

    streams = np.asarray(streams, dtype=np.int64)
    count, n, n_leaders = streams.shape[0], config.n_wa, config.n_leaders
    low, width, spans = _uniform_layout(config)
    uniforms, fading = np.empty((count, low.shape[0])), np.ones((count, n, n_leaders))
    kernel.draw_slots(rngs, streams, uniforms, fading, bool(config.rayleigh_fading))
    values = low + width * uniforms  # as _physics.draws: low + width * rng.random(k), row by row
    where = {name: (start, stop) for name, start, stop in spans}

    def take(first: str, last: str | None = None) -> np.ndarray:
        return np.ascontiguousarray(values[:, where[first][0] : where[last or first][1]])

    work, physics = batch_physics(config, take, fading)
    capacity = np.full((count, n_leaders), np.inf)
    capacity[:, config.n_ma :] = take("capacity")
    unit_cost = physics["leader_unit_cost"]
    resolution, max_exits = _search_resolution(config.max_price, unit_cost, **search)
    followers = Followers(
        physics["direct_cost_adjustment"], physics["aerial_cost_extra"], config.n_ma, work, take("omega")
    )
    leaders = Leaders(
        unit_cost, float(config.max_price), capacity, float(config.aerial_price), resolution, max_exits
    )
    return DrawnSlots(followers, leaders, take("premium"), take("supply"), physics["aa_unit_cost"])


def sample_slots(
    config: ScenarioConfig,
    rngs: object,
    streams: np.ndarray,
    tol: float = 1e-2,
    max_iter: int = 100,
    damping: float = 0.0,
    scheme: str = "jacobi",
    initial_prices: Any = None,
    method: str = "compiled",
    **search: int,
) -> tuple[DrawnSlots, SlotSolutions]:
    """:func:`draw_slots` and :func:`solve_slots` on them: for each k the slot
    ``config.sample(rngs[streams[k]])`` and its last iterate of ``solve_equilibrium`` (the same options), bit
    for bit, without a ``Scenario`` per slot."""
    _checked_options(config, tol, max_iter, damping, scheme, initial_prices, method, search)
    slots = draw_slots(config, rngs, streams, **search)
    return slots, _solve(slots.followers, slots.leaders, tol, max_iter, damping, scheme, initial_prices)
