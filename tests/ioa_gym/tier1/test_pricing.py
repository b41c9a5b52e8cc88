"""A pricing step of IoA-Stackelberg-v0 compiled in one call (ioa_gym/tier1/pricing.py) gives, bit for bit,
what the env computed with ``best_response_prices`` twice and ``slot_outcome``; the slots of a ``SlotBatch``
are, row for row and bit for bit, those ``ScenarioConfig.sample`` draws from the same generators, and their
equilibria, pricing steps and latencies, computed over all cores, those of one slot at a time."""

from __future__ import annotations

import numpy as np
import pytest

from ioa_gym.tier1 import ScenarioConfig, best_response_prices, slot_outcome, slot_summary, solve_equilibrium
from ioa_gym.tier1.pricing import SlotBatch, pricing_step
from ioa_gym.tier1.stackelberg import _followers, _leaders

CONFIGS = {
    "default": ScenarioConfig(),
    "small": ScenarioConfig(n_wa=7, n_ma=1, n_fa=2, n_aa=3),
    "no-ma": ScenarioConfig(n_wa=12, n_ma=0, n_fa=3),
    "no-fa": ScenarioConfig(n_ma=3, n_fa=0, n_aa=0),
    "no-fading": ScenarioConfig(rayleigh_fading=False, n_wa=30),
}


def bits(value: object) -> bytes:
    return np.asarray(value).tobytes()


def reference_step(scenario, prices, share, leader, price):  # type: ignore[no-untyped-def]
    """What IoA-Stackelberg-v0's step computed before the fused kernel (ioa_gym 0.2.0)."""
    others = np.array([k for k in range(scenario.n_leaders) if k != leader], dtype=int)
    posted = prices.copy()
    posted[leader] = price
    if others.size:
        found, _ = best_response_prices(scenario, posted, share, leaders=others)
        posted[others] = found
    (best_price,), (best_utility,) = best_response_prices(scenario, posted, share, leaders=[leader])
    ratios, loads, utilities, new_share = slot_outcome(scenario, posted, share)
    return posted, best_price, best_utility, ratios, loads, utilities, new_share


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_a_pricing_step_is_both_searches_and_the_outcome(name: str) -> None:
    config, rng = CONFIGS[name], np.random.default_rng(7)
    for _ in range(12):
        scenario = config.sample(rng)
        prices = rng.uniform(scenario.leader_unit_cost, config.max_price)
        share = rng.uniform(0.0, 0.6, config.n_fa) * (rng.random(config.n_fa) < 0.6)
        leader = int(rng.integers(config.n_leaders))
        price = float(rng.uniform(scenario.leader_unit_cost[leader], config.max_price))
        expected = reference_step(scenario, prices, share, leader, price)
        got = pricing_step(scenario, prices, share, leader, price)
        assert [bits(part) for part in got] == [bits(part) for part in expected]


def test_a_search_of_some_leaders_is_their_part_of_a_search_of_all() -> None:
    """The searches compute the exit prices of their own leaders only: the same best responses."""
    config, rng = ScenarioConfig(), np.random.default_rng(3)
    for _ in range(8):
        scenario = config.sample(rng)
        prices = rng.uniform(scenario.leader_unit_cost, config.max_price)
        share = rng.uniform(0.0, 0.5, config.n_fa)
        every_price, every_value = best_response_prices(scenario, prices, share)
        for subset in ([0], [5], [1, 4], [2, 3, 5]):
            found, value = best_response_prices(scenario, prices, share, leaders=subset)
            assert bits(found) == bits(every_price[subset]) and bits(value) == bits(every_value[subset])


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_a_slot_batch_holds_the_slots_of_its_generators_and_solves_them_as_one_slot(name: str) -> None:
    config = CONFIGS[name]
    batch = SlotBatch(config, 9)
    rows = np.array([0, 3, 4, 8])
    streams = [np.random.default_rng(seed) for seed in range(4)]
    alone = [np.random.default_rng(seed) for seed in range(4)]
    for _ in range(2):  # a second draw continues each stream
        batch.sample(streams, rows)
        slots = [config.sample(rng) for rng in alone]
    assert [a.bit_generator.state for a in streams] == [b.bit_generator.state for b in alone]
    for k, row in enumerate(rows):
        scenario, leaders = slots[k], _leaders(slots[k], grid_points=17, refine_levels=4, refine_points=9)
        for field, values in batch.physics.items():
            assert bits(values[row]) == bits(getattr(scenario, field)), field
        assert bits(batch.task_work[row]) == bits(scenario.task_work)
        assert bits(batch.draws("omega")[row]) == bits(scenario.satisfaction_weight)
        assert bits(batch.draws("capacity")[row]) == bits(scenario.fa_capacity)
        assert bits(batch.resolution[row]) == bits(leaders.resolution)
        assert bits(batch.capacity[row]) == bits(leaders.capacity)
        assert _followers(scenario).n_ma == batch.records(rows)[0].n_ma

    prices, shares, ratios, loads, utilities = batch.equilibria(rows)
    for k, scenario in enumerate(slots):
        equilibrium = solve_equilibrium(scenario)
        expected = (equilibrium.prices, equilibrium.overflow_share, equilibrium.ratios, equilibrium.loads)
        assert [bits(a[k]) for a in (prices, shares, ratios, loads)] == [bits(a) for a in expected]
        assert bits(utilities[k]) == bits(equilibrium.leader_utilities)

    leader = config.n_leaders - 1
    agent_prices = np.minimum(1.1 * prices[:, leader], config.max_price)
    steps = batch.pricing_steps(rows, prices, shares, agent_prices, leader)
    latencies = batch.latencies(rows, steps[3], steps[6])
    for k, scenario in enumerate(slots):
        single = pricing_step(scenario, prices[k], shares[k], leader, agent_prices[k])
        assert [bits(part[k]) for part in steps] == [bits(part) for part in single]
        summary = slot_summary(scenario, single[3], single[6])
        assert [bits(part[k]) for part in latencies] == [bits(part) for part in summary]
