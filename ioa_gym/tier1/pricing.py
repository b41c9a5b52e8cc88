"""One pricing step of IoA-Stackelberg-v0 compiled, for one slot or many at once (docs/model.md, Sec. 6).

A step of the pricing MDP is, in one slot: the agent leader posts its price, the other leaders best-respond
to it and to their own previous prices (Algorithm 1), the agent's own best response to the prices posted is
the reward's oracle, and the WAs answer the posted prices (Eq. 10) with the FAs' overflow shares updated
(Eq. 12). :func:`pricing_step` runs all of it in one call of the compiled kernel
(``_solver_kernel.pricing_step``): the same operations as ``best_response_prices`` twice and ``slot_outcome``,
without their argument checks, so the same numbers bit for bit (tested).

:class:`SlotBatch` holds the arrays of B slots of one ``ScenarioConfig`` stacked along a first axis, each row
drawn from its own generator exactly as ``ScenarioConfig.sample`` draws a slot (the same random numbers; the
physics compiled, once for all rows, over all cores), and runs on chosen rows, in one compiled call over all
cores each: the equilibria of Algorithm 2 (``solve_batch``, then the WAs' responses at them), the pricing
steps (``pricing_steps``) and the latencies (``slot_summary_batch``). Each row gives, bit for bit, what one
``Scenario`` gives (tested): the native vector env of IoA-Stackelberg-v0 (``ioa_gym.envs.stackelberg_vector``)
steps its sub-envs with it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ioa_gym.tier1._physics import PHYSICS_FIELDS, _uniform_layout
from ioa_gym.tier1._records import Followers, Leaders
from ioa_gym.tier1._search import _search_resolution
from ioa_gym.tier1.batch import batch_physics
from ioa_gym.tier1.scenario import Scenario, ScenarioConfig
from ioa_gym.tier1.stackelberg import _followers, _leaders

__all__ = ["PricingStep", "SlotBatch", "pricing_step"]

PricingStep = tuple[np.ndarray, float, float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""(posted prices (L,), the agent's best-response price and its utility, the WAs' ratios (N, L), loads (L,),
every leader's utility (L,), the FAs' new overflow shares (J,)); batched, each with a first axis of rows."""

GRID_POINTS, REFINE_LEVELS, REFINE_POINTS = 17, 4, 9
"""``best_response_prices``' default search settings, which the env's searches use."""
_SEARCH = {"grid_points": GRID_POINTS, "refine_levels": REFINE_LEVELS, "refine_points": REFINE_POINTS}


def other_leaders(n_leaders: int, leader: int) -> np.ndarray:
    """The leaders other than ``leader``, in order (int64)."""
    return np.array([k for k in range(n_leaders) if k != leader], dtype=np.int64)


def pricing_step(
    scenario: Scenario, prices: np.ndarray, overflow_share: np.ndarray, leader: int, agent_price: float
) -> PricingStep:
    """The slot ``scenario`` of a pricing step: leader ``leader`` posts ``agent_price``, the others
    best-respond to it and to their ``prices`` (L,), phi fixed at ``overflow_share`` (J,); then the agent's
    best response and the slot's outcome (see the module docstring). Unchecked: finite prices and shares in
    range, as the env keeps them."""
    from ioa_gym.tier1 import _solver_kernel as kernel

    posted, best_price, best_utility, ratios, loads, utilities, share = kernel.pricing_step(
        prices,
        overflow_share,
        float(agent_price),
        leader,
        other_leaders(scenario.n_leaders, leader),
        _followers(scenario),
        _leaders(scenario, **_SEARCH),
    )
    return posted, best_price, best_utility, ratios, loads, utilities, share


class SlotBatch:
    """The arrays of ``size`` slots of ``config``, row b a slot drawn from its own generator.

    :meth:`sample` redraws chosen rows, each from its generator, as ``config.sample(rng)`` would draw it (the
    same random numbers in the same order, the same compiled physics). :meth:`draws` gives a drawn quantity of
    every row (``_physics.draws``' names: ``"data"``, ``"omega"``, ``"capacity"``...), ``physics[name]`` a
    computed one (``Scenario``'s field names: ``"direct_cost_adjustment"`` (B, N, L)...), ``task_work``
    (B, N) the WAs' work G_n.
    """

    def __init__(self, config: ScenarioConfig, size: int) -> None:
        self.config = config
        self.size = size
        n, n_leaders, n_fa, n_aa = config.n_wa, config.n_leaders, config.n_fa, config.n_aa
        low, width, spans = _uniform_layout(config)
        self._low, self._width = low, width
        self._spans = {name: (start, stop) for name, start, stop in spans}
        self.values = np.zeros((size, low.shape[0]))
        """Every row's uniform draws (``_physics.draws``' ``values``)."""
        self.task_work = np.zeros((size, n))
        sizes = {"N": n, "L": n_leaders, "J": n_fa, "K": n_aa}
        self.physics = {name: np.zeros((size, *(sizes[d] for d in dims))) for name, dims in PHYSICS_FIELDS}
        self.capacity = np.full((size, n_leaders), np.inf)
        """Cap_l per row (inf for the MAs), as ``Leaders.capacity``."""
        self.resolution = np.zeros((size, n_leaders))
        """The searches' resolution per row and leader (``_search._search_settings``)."""

    def draws(self, first: str, last: str | None = None, rows: np.ndarray | None = None) -> np.ndarray:
        """Drawn quantity ``first`` (through ``last``, the next ones in the stream) of ``rows`` (default all),
        a contiguous (B, count) array."""
        start, stop = self._spans[first][0], self._spans[last or first][1]
        values = self.values if rows is None else self.values[rows]
        return np.ascontiguousarray(values[:, start:stop])

    def sample(self, rngs: Sequence[np.random.Generator], rows: Sequence[int] | np.ndarray) -> None:
        """Draw row ``rows[k]`` from ``rngs[k]`` for each k: ``_physics.draws`` (the uniform draws in one
        call, then the fading), and their physics in one compiled call over all cores."""
        cfg, index = self.config, np.asarray(rows, dtype=np.intp)
        count = index.shape[0]
        if not count:
            return
        n, n_leaders = cfg.n_wa, cfg.n_leaders
        uniforms = np.empty((count, self._low.shape[0]))
        fading = np.ones((count, n, n_leaders))
        # rng.random(k) and rng.exponential(1.0, (n, L)) (= 1.0 x the standard exponential draws), written in
        # place: the same numbers, drawn in the same order.
        for k, rng in enumerate(rngs):
            rng.random(out=uniforms[k])
            if cfg.rayleigh_fading:
                rng.standard_exponential(out=fading[k])
        self.values[index] = self._low + self._width * uniforms

        def take(first: str, last: str | None = None) -> np.ndarray:
            return self.draws(first, last, index)

        work, physics = batch_physics(cfg, take, fading)
        self.task_work[index] = work
        for name, array in self.physics.items():
            array[index] = physics[name]
        self.capacity[index, cfg.n_ma :] = take("capacity")
        self.resolution[index] = _search_resolution(cfg.max_price, physics["leader_unit_cost"], **_SEARCH)[0]

    def records(self, rows: np.ndarray) -> tuple[Followers, Leaders]:
        """The kernels' records of ``rows``, with a first axis of rows (as ``solve_batch`` and
        ``pricing_steps`` take them)."""
        cfg, physics = self.config, self.physics
        followers = Followers(
            physics["direct_cost_adjustment"][rows],
            physics["aerial_cost_extra"][rows],
            cfg.n_ma,
            self.task_work[rows],
            self.draws("omega", rows=rows),
        )
        leaders = Leaders(
            physics["leader_unit_cost"][rows],
            float(cfg.max_price),
            self.capacity[rows],
            float(cfg.aerial_price),
            self.resolution[rows],
            4 * (GRID_POINTS - 1),
        )
        return followers, leaders

    def equilibria(
        self, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``solve_equilibrium`` (its defaults) of each of ``rows``' slots, over all cores: the prices (B, L),
        the overflow shares (B, J), the WAs' ratios (B, N, L), the loads and the leaders' utilities (B, L), as
        its ``Equilibrium`` holds them."""
        from ioa_gym.tier1 import _solver_kernel as kernel

        followers, leaders = self.records(rows)
        initial = np.minimum(1.25 * leaders.low, leaders.high)
        prices, shares, _, _, _ = kernel.solve_batch(initial, followers, leaders, 1e-2, 100, 0.0, False)
        ratios, loads, utilities = kernel.outcomes_batch(prices, shares, followers, leaders)
        return prices, shares, ratios, loads, utilities

    def pricing_steps(
        self, rows: np.ndarray, prices: np.ndarray, shares: np.ndarray, agent_prices: np.ndarray, leader: int
    ) -> PricingStep:
        """:func:`pricing_step` of each of ``rows``' slots (previous prices (B, L), shares (B, J), the agent's
        prices (B,)), over all cores; every part with a first axis of rows."""
        from ioa_gym.tier1 import _solver_kernel as kernel

        followers, leaders = self.records(rows)
        others = other_leaders(self.config.n_leaders, leader)
        posted, best_price, best_utility, ratios, loads, utilities, new_shares = kernel.pricing_steps(
            prices, shares, agent_prices, leader, others, followers, leaders
        )
        return posted, best_price, best_utility, ratios, loads, utilities, new_shares

    def latencies(
        self, rows: np.ndarray, ratios: np.ndarray, shares: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``latency.slot_summary`` of each of ``rows``' slots at its ratios (B, N, L) and shares (B, J), over
        all cores: the latency per WA (B, N), by composition (B, 3) and the WAs' energy (B, N)."""
        from ioa_gym.tier1._latency_kernel import slot_summary_batch

        count, n = len(rows), self.config.n_wa
        total, by_composition, energy = np.empty((count, n)), np.empty((count, 3)), np.empty((count, n))
        slot_summary_batch(
            self.task_work[rows],
            self.draws("data", rows=rows),
            self.draws("local_cpu", rows=rows),
            self.draws("tx_power", rows=rows),
            self.physics["uplink_rate"][rows],
            self.draws("ma_cpu", "fa_cpu", rows=rows),
            self.physics["fa_aa_rate"][rows],
            self.draws("aa_cpu", rows=rows),
            float(self.config.switched_capacitance),
            self.config.n_ma,
            np.ascontiguousarray(ratios),
            np.ascontiguousarray(shares),
            total,
            by_composition,
            energy,
        )
        return total, by_composition, energy
