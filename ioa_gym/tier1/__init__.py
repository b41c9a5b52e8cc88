"""Tier 1 (docs/model.md, Sec. 1-2): the scenario of one time slot, the multi-leader multi-follower
Stackelberg game of the MAs' and FAs' prices and the WAs' offloading ratios, its compiled and reference
solvers, and the latency of the offloading paths.

- ``ioa_gym.tier1.scenario``: ``ScenarioConfig`` (every parameter, with its unit) and ``Scenario`` (one slot's
  arrays, ``ScenarioConfig.sample(seed)``);
- ``ioa_gym.tier1.stackelberg``: the game: follower best responses (Eq. 10), Algorithm 1 (``linear_search``,
  ``best_response_prices``) and Algorithm 2 (``solve_equilibrium``);
- ``ioa_gym.tier1.latency``: every WA's latency and energy at a slot's outcome.

NumPy; the hot loops are compiled by numba in the ``_*_kernel`` modules (imported on first use).
"""

from ioa_gym.tier1.latency import COMPOSITIONS, Latency, latency, slot_summary
from ioa_gym.tier1.scenario import Scenario, ScenarioConfig
from ioa_gym.tier1.stackelberg import (
    Equilibrium,
    LinearSearchResult,
    best_response_prices,
    follower_best_response,
    follower_utility,
    leader_loads,
    leader_utilities,
    linear_search,
    slot_outcome,
    solve_equilibrium,
)

__all__ = [
    "COMPOSITIONS",
    "Equilibrium",
    "Latency",
    "LinearSearchResult",
    "Scenario",
    "ScenarioConfig",
    "best_response_prices",
    "follower_best_response",
    "follower_utility",
    "latency",
    "leader_loads",
    "leader_utilities",
    "linear_search",
    "slot_outcome",
    "slot_summary",
    "solve_equilibrium",
]
