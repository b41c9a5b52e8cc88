"""Many slots solved in one call over all cores give, slot for slot and bit for bit, what one
``solve_equilibrium`` per slot gives; markets sampled for many streams at once are those of one stream at a
time."""

from __future__ import annotations

import numpy as np
import pytest

from ioa_gym.coupling.markets import sample_tier1_market, sample_tier1_markets
from ioa_gym.tier1 import ScenarioConfig, solve_equilibrium
from ioa_gym.tier1.batch import solve_slots

CONFIGS = {
    "default": ScenarioConfig(),
    "small": ScenarioConfig(n_wa=6, n_ma=1, n_fa=2, n_aa=3),
    "no-ma": ScenarioConfig(n_wa=12, n_ma=0, n_fa=3),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("options", [{}, {"scheme": "gauss-seidel", "damping": 0.2}, {"grid_points": 9}])
def test_a_batch_of_slots_is_solved_exactly_as_one_slot_at_a_time(name: str, options: dict) -> None:
    scenarios = [CONFIGS[name].sample(seed) for seed in range(12)]
    solved = solve_slots(scenarios, **options)
    for row, scenario in enumerate(scenarios):
        equilibrium = solve_equilibrium(scenario, **options)
        assert solved.prices[row].tobytes() == equilibrium.prices.tobytes()
        assert solved.overflow_share[row].tobytes() == equilibrium.overflow_share.tobytes()
        assert solved.overflow[row].tobytes() == equilibrium.overflow.tobytes()
        assert solved.converged[row] == equilibrium.converged
        assert solved.sweeps[row] == equilibrium.iterations


def test_markets_of_many_streams_are_those_of_each_stream_in_turn() -> None:
    config = ScenarioConfig()
    streams = [np.random.default_rng(seed) for seed in range(16)]
    firsts, seconds = sample_tier1_markets(config, streams), sample_tier1_markets(config, streams)
    for seed in range(16):
        alone = np.random.default_rng(seed)
        for batched in (firsts[seed], seconds[seed]):
            market = sample_tier1_market(config, alone)[0]
            for field in ("buyer_values", "buyer_units", "seller_costs", "seller_units"):
                assert getattr(batched, field).tobytes() == getattr(market, field).tobytes()


def test_bad_batches_are_named() -> None:
    with pytest.raises(ValueError, match="non-empty sequence of Scenario"):
        solve_slots([])
    with pytest.raises(ValueError, match="one ScenarioConfig"):
        solve_slots([ScenarioConfig().sample(0), ScenarioConfig(n_wa=10).sample(0)])
    with pytest.raises(ValueError, match="tol must lie in"):
        solve_slots([ScenarioConfig().sample(0)], tol=-1.0)
    never_overloaded = ScenarioConfig(fa_capacity_range=(1e6, 2e6))
    with pytest.raises(ValueError, match="no tradable Tier-2 market in 3 sampled slots"):
        sample_tier1_markets(never_overloaded, [np.random.default_rng(0)], max_attempts=3)


def test_initial_prices_start_the_batch_where_solve_equilibrium_starts() -> None:
    """``initial_prices`` (prices below c_l start at c_l, as solve_equilibrium clips them): the same
    equilibria bit for bit; the NumPy reference method is refused by name (it solves one slot at a time)."""
    config = ScenarioConfig()
    scenarios = [config.sample(seed) for seed in range(8)]
    initial = [5.0, 0.5, 7.0, 15.0, 2.0, 9.0][: config.n_leaders]
    solved = solve_slots(scenarios, initial_prices=initial)
    for row, scenario in enumerate(scenarios):
        expected = solve_equilibrium(scenario, initial_prices=initial)
        assert solved.prices[row].tobytes() == expected.prices.tobytes()
    with pytest.raises(ValueError, match=r"solver\['method'\] must be 'compiled'"):
        solve_slots(scenarios, method="numpy")
