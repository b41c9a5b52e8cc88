"""The Tier-1 markets of many streams drawn in compiled calls over the batch (``sample_tier1_market_arrays``,
the native vector env's default markets) are, stream for stream and bit for bit, those of
``sample_tier1_market`` on each generator, untradable slots redrawn included, and leave every generator as it
leaves it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ioa_gym.auctions.market import generator_list
from ioa_gym.coupling.markets import sample_tier1_market, sample_tier1_market_arrays
from ioa_gym.tier1 import ScenarioConfig

FIELDS = ("buyer_values", "buyer_units", "seller_costs", "seller_units")
CASES: dict[str, tuple[ScenarioConfig, dict[str, Any], int]] = {
    # About 2 % of default slots are untradable; with larger FA capacities about a third are.
    "default": (ScenarioConfig(), {}, 300),
    "often-untradable": (ScenarioConfig(fa_capacity_range=(6.0, 14.0)), {}, 200),
    "no-fading-no-ma": (
        ScenarioConfig(n_wa=12, n_ma=0, n_fa=3, n_aa=2, rayleigh_fading=False, unit_size=0.7),
        {"scheme": "gauss-seidel", "damping": 0.2},
        100,
    ),
    "coarse-search": (ScenarioConfig(n_wa=8, n_ma=1, n_fa=2, n_aa=4), {"grid_points": 9, "tol": 0.05}, 100),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_batched_tier1_markets_are_those_of_each_stream_bit_for_bit(name: str) -> None:
    config, solver, count = CASES[name]
    seeds = [1_000 * len(name) + index for index in range(count)]
    batched_rngs = [np.random.default_rng(seed) for seed in seeds]
    # Streams in a scrambled order, as a vector env passes the rows of the sub-envs that reset.
    streams = np.random.default_rng(0).permutation(count)
    markets = sample_tier1_market_arrays(config, generator_list(batched_rngs), streams, **solver)
    assert markets.count == count
    redrawn = 0
    for k, stream in enumerate(streams.tolist()):
        alone = np.random.default_rng(seeds[stream])
        reference = sample_tier1_market(config, alone, **solver)[0]
        batched = markets.market(k)
        for field in FIELDS:
            assert getattr(batched, field).tobytes() == getattr(reference, field).tobytes(), (stream, field)
        sizes = (
            reference.n_buyers,
            reference.n_sellers,
            reference.total_buyer_units,
            reference.total_seller_units,
        )
        assert tuple(markets.sizes[k].tolist()) == sizes
        assert batched_rngs[stream].bit_generator.state == alone.bit_generator.state
        one_slot = np.random.default_rng(seeds[stream])
        config.sample(one_slot)
        redrawn += one_slot.bit_generator.state != alone.bit_generator.state
    if name in ("default", "often-untradable"):
        assert redrawn > 0  # untradable slots were redrawn


def test_a_stream_without_a_tradable_market_fails_as_one_alone() -> None:
    never_overloaded = ScenarioConfig(fa_capacity_range=(1e6, 2e6))
    rngs = generator_list([np.random.default_rng(0), np.random.default_rng(1)])
    with pytest.raises(ValueError, match="no tradable Tier-2 market in 3 sampled slots"):
        sample_tier1_market_arrays(never_overloaded, rngs, np.arange(2), max_attempts=3)
