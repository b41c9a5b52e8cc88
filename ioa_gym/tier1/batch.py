"""Many Tier-1 slots solved at once, over all cores (docs/model.md, Sec. 2): what the native vector env does
with the slots of the sub-envs that reset together.

:func:`solve_slots` runs Algorithm 2 (``solve_equilibrium``'s compiled solver) on every slot in one call of a
kernel whose loop over the slots is spread over the CPU cores by numba (``prange``, without the GIL). Each
slot runs exactly the single-slot solver, so its prices, overflow shares and overflow are bitwise those of
``solve_equilibrium`` (tested); only the last iterate is kept (no histories).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ioa_gym.tier1._records import Followers, Leaders
from ioa_gym.tier1._search import _search_settings
from ioa_gym.tier1.scenario import Scenario
from ioa_gym.tier1.stackelberg import check_solver_options

__all__ = ["SlotSolutions", "solve_slots"]


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
    **search: int,
) -> SlotSolutions:
    """Algorithm 2 on every slot of ``scenarios`` (samples of one ``ScenarioConfig``), in one compiled call
    over all cores; the same arguments and results as ``solve_equilibrium(scenario, ...)`` with its default
    ``method="compiled"`` and initial prices (1.25 c_l), last iterate only.

    :raises ValueError: for an empty sequence, slots of different configurations, or a bad solver option
        (named as ``solve_equilibrium`` names it).
    """
    scenarios = list(scenarios)
    if not scenarios or not all(isinstance(s, Scenario) for s in scenarios):
        raise ValueError("scenarios must be a non-empty sequence of Scenario (ScenarioConfig.sample)")
    config = scenarios[0].config
    if any(s.config != config for s in scenarios):
        raise ValueError("scenarios must all be slots of one ScenarioConfig (one shape of arrays)")
    options = {"tol": tol, "max_iter": max_iter, "damping": damping, "scheme": scheme, **search}
    check_solver_options(options, config.n_leaders, name="", max_price=config.max_price)
    from ioa_gym.tier1 import _solver_kernel as kernel

    followers, leaders = _stacked_records(scenarios, **search)
    low, high = leaders.low, leaders.high
    initial = np.minimum(1.25 * low, high)
    prices, shares, overflow, converged, sweeps = kernel.solve_batch(
        initial, followers, leaders, float(tol), int(max_iter), float(damping), scheme == "gauss-seidel"
    )
    return SlotSolutions(prices, shares, overflow, converged, sweeps)
