"""The tiers coupled both ways (ioa_gym.coupling.two_tier): the aerial-price fixed point, cycles, realised
utility."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import ioa_gym  # noqa: F401 (registers the envs)
from ioa_gym.auctions import fixed_step, is_tradable, make_auction
from ioa_gym.coupling.markets import market_from_equilibrium
from ioa_gym.coupling.two_tier import (
    REFERENCE_STEP,
    buyer_fas,
    iterate_price,
    realised_fa_utilities,
    solve_two_tier,
    with_aerial_price,
)
from ioa_gym.tier1.scenario import ScenarioConfig
from ioa_gym.tier1.stackelberg import solve_equilibrium


def _closing_price(scenario, price, variant="classic"):
    """p*(pi) computed here from the public pieces: Tier 1 at pi, its market, the reference auctioneer."""
    slot = with_aerial_price(scenario, price)
    market = market_from_equilibrium(slot, solve_equilibrium(slot))
    if not is_tradable(market):
        return None
    auction = make_auction(market, variant, (0.0, 30.0), 300, seed=0)
    policy = fixed_step(REFERENCE_STEP)
    while not auction.done:
        auction.tick(policy(auction))
    return auction.closing_price


def _plain(f):
    return lambda x: (f(x), None)


def test_iterate_price_finds_fixed_points_cycles_and_gives_up():
    contraction = iterate_price(_plain(lambda x: 0.5 * x + 1.0), 10.0, 1e-6, 100)
    assert contraction.converged and contraction.cycle_period == 0
    assert abs(contraction.history[-1] - 2.0) < 1e-5
    two = iterate_price(_plain(lambda x: 10.0 - x), 3.0, 1e-6, 100)
    assert not two.converged and two.cycle_period == 2 and two.history == [3.0, 7.0]
    three = {1.0: 2.0, 2.0: 4.0, 4.0: 1.0}
    cycle = iterate_price(_plain(lambda x: three[x]), 1.0, 1e-6, 100)
    assert not cycle.converged and cycle.cycle_period == 3
    drift = iterate_price(_plain(lambda x: x + 1.0), 0.0, 1e-6, 7)
    assert not drift.converged and drift.cycle_period == 0 and len(drift.history) == 8
    none = iterate_price(lambda x: (None, "no market"), 5.0, 1e-6, 7)
    assert none.converged and none.history == [5.0] and none.payload == "no market"
    # Damping turns the 2-cycle of 10 - x into convergence to its fixed point 5.
    damped = iterate_price(_plain(lambda x: 10.0 - x), 3.0, 1e-6, 200, damping=0.5)
    assert damped.converged and abs(damped.history[-1] - 5.0) < 1e-5


def test_default_slots_converge_or_report_a_verified_cycle():
    config = ScenarioConfig()
    outcomes = {"converged": 0, "cycle": 0, "no market": 0}
    for seed in range(30):
        scenario = config.sample(seed)
        coupled = solve_two_tier(scenario)
        if not coupled.traded:
            assert coupled.converged and _closing_price(scenario, coupled.aerial_price) is None
            outcomes["no market"] += 1
            continue
        price = coupled.aerial_price
        assert coupled.clearing_price == _closing_price(scenario, price)
        if coupled.converged:
            # A fixed point: the auction at pi closes at pi (tol 1e-3).
            assert abs(coupled.clearing_price - price) < 1e-3 and coupled.residual < 1e-3
            outcomes["converged"] += 1
        else:
            # Not hidden: a period >= 2 that the map really repeats.
            period = coupled.cycle_period
            assert period >= 2 and coupled.residual >= 1e-3
            x = price
            for _ in range(period):
                x = _closing_price(scenario, x)
            assert abs(x - price) < 1e-3
            outcomes["cycle"] += 1
    assert outcomes["converged"] >= 20, outcomes


def test_no_update_is_the_uncoupled_slot():
    scenario = ScenarioConfig().sample(3)
    plain = solve_two_tier(scenario, max_iter=0)
    assert plain.aerial_price == 6.0 and plain.iterations == 0
    assert plain.clearing_price == _closing_price(scenario, 6.0)


def test_the_coupled_slot_is_tier1_at_the_found_price():
    scenario = ScenarioConfig().sample(3)
    coupled = solve_two_tier(scenario)
    assert coupled.scenario.config.aerial_price == coupled.aerial_price
    again = solve_equilibrium(with_aerial_price(scenario, coupled.aerial_price))
    np.testing.assert_allclose(coupled.equilibrium.prices, again.prices)
    assert coupled.price_history[0] == 6.0 and coupled.iterations == len(coupled.price_history) - 1


def test_realised_fa_utilities_by_hand():
    scenario = ScenarioConfig().sample(3)
    equilibrium = solve_equilibrium(scenario)
    market = market_from_equilibrium(scenario, equilibrium)
    auction = make_auction(market, "classic", (0.0, 30.0), 300, seed=0)
    while not auction.done:
        auction.tick(1.0)
    result = auction.result()
    utilities, unserved = realised_fa_utilities(scenario, equilibrium, result)
    u = scenario.config.unit_size
    owners = buyer_fas(equilibrium)
    assert len(owners) == market.n_buyers >= 1
    for j in range(scenario.n_fa):
        leader = scenario.n_ma + j
        p, load = equilibrium.prices[leader], equilibrium.loads[leader]
        capacity, cost = scenario.fa_capacity[j], scenario.leader_unit_cost[leader]
        expected = p * load - cost * min(load, capacity)
        q = max(load - capacity, 0.0)
        bought = paid = 0.0
        if j in owners:
            buyer = owners.index(j)
            bought = result.buyer_units_traded[buyer] * u
            paid = bought * result.clearing_price
        missing = max(q - bought, 0.0) if q > 1e-6 else 0.0
        expected -= paid + (p + scenario.fa_value_premium[j]) * missing
        assert utilities[j] == pytest.approx(expected, rel=1e-12, abs=1e-12)
        assert unserved[j] == pytest.approx(missing)
    # Nothing bought: every overflow is unserved.
    _, unserved_all = realised_fa_utilities(scenario, equilibrium, None)
    np.testing.assert_allclose(
        unserved_all[equilibrium.overflow > 1e-6], equilibrium.overflow[equilibrium.overflow > 1e-6]
    )


def test_coupled_env_passes_the_checker_and_keeps_its_iteration():
    from gymnasium.utils.env_checker import check_env

    env = gym.make("IoA-DDA-v0", aerial_price="clearing")
    check_env(env.unwrapped, skip_render_check=True)
    env.reset(seed=5)
    coupled = env.unwrapped.two_tier
    assert coupled is not None and coupled.traded
    assert env.unwrapped.equilibrium is coupled.equilibrium and env.unwrapped.market is coupled.market
    assert gym.make("IoA-DDA-v0").unwrapped.config.coupling == "none"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"aerial_price": "clearing", "market_source": "synthetic"}, "market_source"),
        ({"coupling": "always"}, "coupling"),
        ({"aerial_price": "clearing", "coupling": "none"}, "coupling"),
        ({"aerial_price": "cheap"}, "aerial_price"),
    ],
)
def test_bad_coupling_options_are_named(kwargs, field):
    with pytest.raises(ValueError, match=field):
        gym.make("IoA-DDA-v0", **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"tol": 0.0}, "tol"),
        ({"max_iter": -1}, "max_iter"),
        ({"damping": 1.0}, "damping"),
        ({"step_policy": 3}, "step_policy"),
    ],
)
def test_bad_iteration_options_are_named(kwargs, field):
    with pytest.raises(ValueError, match=field):
        solve_two_tier(ScenarioConfig().sample(0), **kwargs)
    with pytest.raises(ValueError, match="n_fa"):
        solve_two_tier(ScenarioConfig(n_fa=0).sample(0))
