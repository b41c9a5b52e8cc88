"""The Tier-2 market (docs/model.md T2.1, T2.11-T2.12): validation, the welfare benchmark against brute
force, synthetic sampling, and the scalar code paths against NumPy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given

from ioa_gym.auctions import (
    BUYER,
    SELLER,
    DoubleDutchAuction,
    Market,
    efficient_welfare,
    run_fixed_step,
    sample_market,
    welfare_efficiency,
)
from tests.ioa_gym.auctions.strategies import GOOD, examples, markets

# ----------------------------------------------------------------------------------------------------
# Validation
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "bad", "message"),
    [
        ("buyer_values", [10.0, np.nan], "buyer_values must be finite"),
        ("buyer_values", [[10.0, 8.0]], "buyer_values must be a 1-D array"),
        ("buyer_values", ["a", "b"], "buyer_values"),
        ("seller_costs", [np.inf], "seller_costs must be finite"),
        ("buyer_units", [1, -1], r"buyer_units must be integers >= 0, got -1 at index 1"),
        ("buyer_units", [1, 2.5], r"buyer_units must be integers >= 0, got 2.5 at index 1"),
        ("buyer_units", [1], "buyer_units must have one entry per entry of buyer_values"),
        ("seller_units", [1, 1], "seller_units must have one entry per entry of seller_costs"),
        ("seller_units", ["x"], "seller_units must be integers >= 0"),
    ],
)
def test_bad_market_raises_naming_the_field(field: str, bad: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Market(**{**GOOD, field: bad})


def test_market_unit_expansion_and_misreport_helpers() -> None:
    market = Market(**GOOD)
    assert (market.n_buyers, market.n_sellers) == (2, 1)
    assert (market.total_buyer_units, market.total_seller_units) == (3, 2)
    assert market.buyer_unit_values.tolist() == [10.0, 8.0, 8.0]
    assert market.buyer_unit_owners.tolist() == [0, 1, 1]
    assert market.seller_unit_costs.tolist() == [3.0, 3.0]
    misreported = market.with_buyer_value(1, 12.0).with_seller_cost(0, 1.0)
    assert misreported.buyer_values.tolist() == [10.0, 12.0]
    assert misreported.seller_costs.tolist() == [1.0]
    assert market.buyer_values.tolist() == [10.0, 8.0], "the original market must not change"
    with pytest.raises(ValueError, match="buyer"):
        market.with_buyer_value(2, 1.0)
    with pytest.raises(ValueError, match="seller"):
        market.with_seller_cost(-1, 1.0)
    with pytest.raises(ValueError, match="buyer_values must be finite"):
        market.with_buyer_value(0, math.nan)


def test_empty_sides_are_allowed_and_trade_nothing() -> None:
    market = Market([], [], [2.0], [3])
    result = run_fixed_step(market, 1.0)
    assert result.units_traded == 0 and math.isnan(result.clearing_price)
    assert result.crossed and result.individually_rational and result.budget_balanced


# ----------------------------------------------------------------------------------------------------
# Efficiency
# ----------------------------------------------------------------------------------------------------


def brute_force_welfare(market: Market) -> float:
    """Best welfare over every pair of equal-size sets of buyer and seller units (exhaustive)."""
    values, costs = market.buyer_unit_values, market.seller_unit_costs
    best = 0.0
    for buyer_mask in range(1 << values.shape[0]):
        chosen_values = [v for bit, v in enumerate(values) if buyer_mask >> bit & 1]
        for seller_mask in range(1 << costs.shape[0]):
            chosen_costs = [c for bit, c in enumerate(costs) if seller_mask >> bit & 1]
            if len(chosen_costs) == len(chosen_values):
                best = max(best, sum(chosen_values) - sum(chosen_costs))
    return best


@examples(40)
@given(market=markets(max_buyers=3, max_sellers=3, max_units=2))
def test_efficient_welfare_matches_brute_force(market: Market) -> None:
    assert efficient_welfare(market) == pytest.approx(brute_force_welfare(market), abs=1e-9)


def test_welfare_efficiency_convention() -> None:
    assert welfare_efficiency(3.0, 4.0) == 0.75
    assert welfare_efficiency(0.0, 0.0) == 1.0


def test_efficiency_rises_as_the_step_shrinks() -> None:
    rng = np.random.default_rng(2024)
    sampled = [sample_market(rng) for _ in range(200)]
    optima = [efficient_welfare(market) for market in sampled]
    means = []
    for step in (2.0, 0.5, 0.1, 0.02):
        efficiencies = [
            welfare_efficiency(
                run_fixed_step(market, step, max_rounds=10_000, seed=k).social_welfare, optimum
            )
            for k, (market, optimum) in enumerate(zip(sampled, optima, strict=True))
        ]
        means.append(float(np.mean(efficiencies)))
    for coarse, fine in zip(means, means[1:], strict=False):
        assert fine >= coarse - 0.005, means
    assert means[-1] >= 0.95, means


# ----------------------------------------------------------------------------------------------------
# Fast paths (scalar code for small markets, unvalidated construction of sampled markets)
# ----------------------------------------------------------------------------------------------------


def assert_same_market(market: Market, reference: Market) -> None:
    for name in ("buyer_values", "buyer_units", "seller_costs", "seller_units"):
        array, expected = getattr(market, name), getattr(reference, name)
        assert array.dtype == expected.dtype and array.shape == expected.shape, name
        assert array.tobytes() == expected.tobytes(), name
        assert not array.flags.writeable, name


@pytest.mark.parametrize(
    "ranges",
    [
        {},
        {"n_buyers": (0, 6), "n_sellers": (0, 3), "units": (0, 5)},
        {"values": (-3, 2), "costs": (5.0, 5.0)},
    ],
)
def test_sample_market_equals_the_validated_constructor(ranges: dict) -> None:
    for seed in range(200):
        rng, reference_rng = np.random.default_rng(seed), np.random.default_rng(seed)
        market = sample_market(rng, **ranges)
        b, s = ranges.get("n_buyers", (2, 5)), ranges.get("n_sellers", (2, 7))
        u, v = ranges.get("units", (1, 4)), ranges.get("values", (4.0, 12.0))
        c = ranges.get("costs", (1.0, 9.0))
        n_b, n_s = int(reference_rng.integers(b[0], b[1] + 1)), int(reference_rng.integers(s[0], s[1] + 1))
        reference = Market(
            buyer_values=reference_rng.uniform(v[0], v[1], n_b),
            buyer_units=reference_rng.integers(u[0], u[1] + 1, n_b),
            seller_costs=reference_rng.uniform(c[0], c[1], n_s),
            seller_units=reference_rng.integers(u[0], u[1] + 1, n_s),
        )
        assert_same_market(market, reference)
        assert rng.bit_generator.state == reference_rng.bit_generator.state


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"units": (-1, 0)}, r"units must satisfy 0 <= low <= high <= 1000000, got \(-1, 0\)"),
        ({"n_buyers": (10**9, 10**9)}, r"n_buyers must satisfy 0 <= low <= high <= 1000000"),
        ({"n_sellers": (3, 2)}, r"n_sellers must satisfy 0 <= low <= high"),
        ({"units": (1.5, 2)}, r"units must be a \(low, high\) pair of integers"),
    ],
)
def test_sample_market_refuses_bad_ranges_before_drawing(kwargs: dict, message: str) -> None:
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    with pytest.raises(ValueError, match=message):
        sample_market(rng, **kwargs)
    assert rng.bit_generator.state == state  # nothing drawn, nothing allocated


def tie_heavy_markets(n_markets: int, max_units: int):
    """Markets with many equal values and costs (and +/-0.0), where sort stability matters."""
    rng = np.random.default_rng(0)
    for _ in range(n_markets):
        n_b, n_s = rng.integers(0, 6), rng.integers(0, 8)
        yield Market(
            rng.choice([0.0, -0.0, 3.0, 5.0, 5.0, 7.5], n_b),
            rng.integers(0, max_units, n_b),
            rng.choice([0.0, -0.0, 3.0, 5.0, 2.5, 9.0], n_s),
            rng.integers(0, max_units, n_s),
        )


@pytest.mark.parametrize("max_units", [5, 300])  # below and above the scalar-code threshold
def test_scalar_unit_sorting_and_welfare_match_numpy(max_units: int) -> None:
    from ioa_gym.auctions.clock import sorted_units
    from ioa_gym.auctions.market import _efficient_welfare_arrays

    for market in tie_heavy_markets(100, max_units):
        buyer_order, seller_order, values, costs = sorted_units(market)
        expected_buyers = np.argsort(-market.buyer_unit_values, kind="stable")
        expected_sellers = np.argsort(market.seller_unit_costs, kind="stable")
        assert buyer_order == expected_buyers.tolist() and seller_order == expected_sellers.tolist()
        assert np.array(values).tobytes() == market.buyer_unit_values[expected_buyers].tobytes()
        assert np.array(costs).tobytes() == market.seller_unit_costs[expected_sellers].tobytes()
        assert market._unit_owner_lists == (
            market.buyer_unit_owners.tolist(),
            market.seller_unit_owners.tolist(),
        )
        assert efficient_welfare(market) == _efficient_welfare_arrays(market)
        assert (market.total_buyer_units, market.total_seller_units) == (
            int(market.buyer_units.sum()),
            int(market.seller_units.sum()),
        )


@pytest.mark.parametrize("variant", ["classic", "strategy-proof"])
def test_rationing_matches_numpy_lexsort(variant: str) -> None:
    """The clearing ranks the eligible units by (acceptance round, priority) in Python; NumPy's lexsort
    (classic) or stable argsort of the priorities (strategy-proof) on the same units must agree."""
    for seed, market in enumerate(tie_heavy_markets(300, 6)):
        auction = DoubleDutchAuction(market, variant, (0.0, 10.0), seed=seed)
        while not auction.done:
            auction.tick(1.3)
        result = auction.result()
        for side, record, priority, traded in (
            (BUYER, auction.buyer_record, auction._buyer_priority, result.buyer_units_traded),
            (SELLER, auction.seller_record, auction._seller_priority, result.seller_units_traded),
        ):
            order = auction._buyer_order if side == BUYER else auction._seller_order
            n_eligible = auction._eligible_count(
                auction._buyer_sorted if side == BUYER else auction._seller_sorted,
                auction._buyer_accept_prices if side == BUYER else auction._seller_accept_prices,
                buyer=side == BUYER,
            )
            eligible = np.array(order[:n_eligible], dtype=np.intp)
            if variant == "classic":
                ranking = np.lexsort((priority[eligible], record.rounds[eligible]))
            else:
                ranking = np.argsort(priority[eligible], kind="stable")
            units = eligible[ranking[: result.units_traded]]
            expected = np.bincount(record.owners[units], minlength=traded.shape[0])
            assert traded.tolist() == expected.tolist()
