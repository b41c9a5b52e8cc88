"""Markets of many streams in one compiled call (``ioa_gym.auctions._market_kernel``): the synthetic markets
and pool draws are, stream by stream and bit for bit, those of the Python functions one stream at a time, and
leave every generator where they leave it; ``MarketArrays`` round-trips markets; the compiled batch starts
rows drawing exactly what ``DoubleDutchAuction`` draws."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ioa_gym.auctions import DoubleDutchAuction, Market, efficient_welfare
from ioa_gym.auctions.double_dutch_batch import DoubleDutchAuctionBatch
from ioa_gym.auctions.market import MarketArrays, generator_list, sample_tradable_markets
from ioa_gym.coupling.markets import sample_synthetic_market, sample_synthetic_markets

FIELDS = ("buyer_values", "buyer_units", "seller_costs", "seller_units")


def assert_same_market(a: Market, b: Market) -> None:
    for field in FIELDS:
        assert getattr(a, field).tobytes() == getattr(b, field).tobytes(), field
        assert getattr(a, field).dtype == getattr(b, field).dtype, field


def count_range(low: int, high: int) -> st.SearchStrategy[tuple[int, int]]:
    return st.tuples(st.integers(low, high), st.integers(0, 3)).map(lambda t: (t[0], t[0] + t[1]))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    buyers=count_range(1, 4),
    sellers=count_range(1, 5),
    units=count_range(1, 3),
    value_low=st.floats(0.0, 10.0),
    widths=st.tuples(st.floats(0.0, 8.0), st.floats(0.0, 8.0)),
)
def test_synthetic_markets_of_many_streams_are_those_of_each_stream(
    seed: int,
    buyers: tuple[int, int],
    sellers: tuple[int, int],
    units: tuple[int, int],
    value_low: float,
    widths: tuple[float, float],
) -> None:
    # Costs from below the values (so that draws are often tradable) into them; equal bounds included.
    values = (value_low, value_low + widths[0])
    costs = (value_low - 1.0 - widths[1], value_low + 0.5 * widths[0])
    ranges = (buyers, sellers, units, values, costs)
    streams = [np.random.default_rng([seed, i]) for i in range(6)]
    alone = [np.random.default_rng([seed, i]) for i in range(6)]
    typed = generator_list(streams)
    for rows in ([0, 1, 2, 3, 4, 5], [4, 1], [2]):
        markets = sample_synthetic_markets(typed, np.array(rows), *ranges)
        assert markets.count == len(rows)
        for k, i in enumerate(rows):
            expected = sample_synthetic_market(alone[i], *ranges)
            assert_same_market(markets.market(k), expected)
            assert markets.sizes[k].tolist() == [
                expected.n_buyers,
                expected.n_sellers,
                expected.total_buyer_units,
                expected.total_seller_units,
            ]
    for drawn, reference in zip(streams, alone, strict=True):
        assert drawn.bit_generator.state == reference.bit_generator.state


def test_a_stream_without_a_tradable_market_is_named() -> None:
    typed = generator_list([np.random.default_rng(0), np.random.default_rng(1)])
    never = ((1, 1), (1, 1), (1, 1), (1.0, 2.0), (5.0, 6.0))
    markets, failed = sample_tradable_markets(typed, np.array([1, 0]), *never, max_attempts=7)
    assert failed == 0 and markets.count == 2
    with pytest.raises(ValueError, match="no tradable synthetic market in 1000 draws"):
        sample_synthetic_markets(typed, np.array([0]), *never)


def test_pool_draws_are_one_integers_draw_of_each_stream() -> None:
    rng = np.random.default_rng(4)
    pool_markets = [
        Market(
            rng.uniform(5, 9, n), rng.integers(0, 4, n), rng.uniform(1, 6, n + 1), rng.integers(1, 4, n + 1)
        )
        for n in rng.integers(1, 5, 30)
    ]
    pool = MarketArrays.from_markets(pool_markets)
    assert pool.count == 30
    for k, market in enumerate(pool_markets):
        assert_same_market(pool.market(k), market)
    streams = [np.random.default_rng(i) for i in range(5)]
    alone = [np.random.default_rng(i) for i in range(5)]
    typed = generator_list(streams)
    for rows in ([0, 1, 2, 3, 4], [3, 3, 0]):
        index, drawn = pool.sample(typed, np.array(rows))
        for k, i in enumerate(rows):
            expected = int(alone[i].integers(30))
            assert index[k] == expected
            assert_same_market(drawn.market(k), pool_markets[expected])
        assert np.array_equal(
            drawn.sizes, MarketArrays.from_markets([drawn.market(k) for k in range(len(rows))]).sizes
        )
    assert all(a.bit_generator.state == b.bit_generator.state for a, b in zip(streams, alone, strict=True))


@pytest.mark.parametrize("variant", ["classic", "strategy-proof"])
def test_rows_started_together_draw_what_each_auction_draws(variant: str) -> None:
    rng = np.random.default_rng(9)
    markets = [
        Market(
            rng.integers(2, 40, n) / 2.0,
            rng.integers(0, 30, n),
            rng.integers(0, 36, n) / 2.0,
            rng.integers(0, 30, n),
        )
        for n in (1, 3, 4, 2, 5, 3)
    ]
    batch = DoubleDutchAuctionBatch(8, variant, (0.0, 20.0), 200)
    streams = [np.random.default_rng(i) for i in range(6)]
    alone = [np.random.default_rng(i) for i in range(6)]
    rows = np.array([7, 0, 3, 1, 5, 2])
    optimum = batch.start_many(
        rows, MarketArrays.from_markets(markets), generator_list(streams), np.arange(6)
    )
    auctions = [
        DoubleDutchAuction(m, variant, (0.0, 20.0), 200, seed=alone[k]) for k, m in enumerate(markets)
    ]
    for k, row in enumerate(rows.tolist()):
        assert optimum[k] == efficient_welfare(markets[k])
        assert batch.buyer_units[row] == markets[k].total_buyer_units
        assert_same_market(batch.markets[row], markets[k])
        assert streams[k].bit_generator.state == alone[k].bit_generator.state
    steps = np.full(8, 0.7)
    ticking = np.zeros(8, dtype=bool)
    ticking[rows] = True
    while not batch.done[rows].all():
        live = ticking & ~batch.done
        batch.tick(steps, live)
        for k, row in enumerate(rows.tolist()):
            if live[row]:
                auctions[k].tick(0.7)
    cleared = batch.clear_many(rows)
    for k, auction in enumerate(auctions):
        expected = auction.result()
        got = cleared.result(k)
        assert got.units_traded == expected.units_traded == cleared.units_traded[k]
        assert got.social_welfare == expected.social_welfare
        assert np.array_equal(got.buyer_units_traded, expected.buyer_units_traded)
        assert np.array_equal(got.seller_units_traded, expected.seller_units_traded)
        assert got.rounds == expected.rounds and got.crossed == expected.crossed
