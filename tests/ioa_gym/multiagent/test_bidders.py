"""The buyers and sellers of one Tier-2 auction as PettingZoo agents (ioa_gym.multiagent.bidders_v0):
PettingZoo's API tests, truth as a best response under the IC mechanisms and gains from misreports under the
classic DDA, rewards as true utilities, bad input."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pettingzoo")  # the test extra installs it; the package works without it

from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test  # noqa: E402

from ioa_gym.multiagent import bidders_v0  # noqa: E402


# The agent slots a market does not use never act, so they are neither terminated nor truncated: PettingZoo
# warns about it and passes.
@pytest.mark.filterwarnings("ignore:No agents present but not all possible_agents")
def test_bidders_pass_pettingzoo_api_seed_and_aec_tests():
    parallel_api_test(bidders_v0.parallel_env(), num_cycles=20)
    parallel_seed_test(lambda: bidders_v0.parallel_env(), num_cycles=10)
    api_test(bidders_v0.env(market_source="synthetic"), num_cycles=10)


def _deviation_gains(env, seeds, offsets):
    """Each present participant deviates alone (the others truthful): reward minus its truthful utility."""
    gains = []
    for seed in seeds:
        env.reset(seed=seed)
        for agent in list(env.agents):
            for offset in offsets:
                env.reset(seed=seed)
                actions = {a: np.zeros(1, np.float32) for a in env.agents}
                actions[agent] = env.offset_to_action(offset)
                _, rewards, _, _, infos = env.step(actions)
                gains.append(rewards[agent] - infos[agent]["truthful_utility"])
    return np.array(gains)


OFFSETS = (-2.5, -0.7, -0.05, 0.05, 0.7, 2.5)


@pytest.mark.parametrize("variant", ["double-clock", "strategy-proof"])
def test_truth_is_a_best_response_under_the_ic_mechanisms(variant):
    env = bidders_v0.parallel_env(variant=variant)  # the variant's best fixed step, acceptance-blind
    gains = _deviation_gains(env, range(8), OFFSETS)
    assert gains.size > 100 and gains.max() <= 1e-9


@pytest.mark.parametrize("variant", ["classic", "double-clock", "strategy-proof"])
def test_the_default_auctioneer_trades_under_every_variant(variant):
    """Not vacuous: truthful bidders trade on most markets (one symmetric step on the strategy-proof DDA
    would meet mid-range and trade nothing, making every IC check above trivially true)."""
    env = bidders_v0.parallel_env(variant=variant)
    traded = []
    for seed in range(30):
        env.reset(seed=seed)
        _, _, _, _, infos = env.step({a: np.zeros(1, np.float32) for a in env.agents})
        traded.append(sum(info["units_traded"] for info in infos.values()) > 0)
    assert np.mean(traded) >= 0.7


def test_misreports_gain_under_the_classic_dda():
    gains = _deviation_gains(bidders_v0.parallel_env(), range(8), OFFSETS)
    assert gains.max() > 0.1 and np.mean(gains > 1e-9) > 0.02


def test_bidder_rewards_are_true_utilities():
    from ioa_gym.auctions import make_auction

    env = bidders_v0.parallel_env(market_source="synthetic")
    env.reset(seed=3)
    market = env.market
    _, rewards, terminations, _, infos = env.step({a: np.zeros(1, np.float32) for a in env.agents})
    auction = make_auction(market, "classic", (0.0, 30.0), 300, env._rationing_seed)
    while not auction.done:
        auction.tick(1.42)
    result = auction.result()
    for b in range(market.n_buyers):
        expected = result.buyer_units_traded[b] * (market.buyer_values[b] - result.clearing_price)
        assert rewards[f"buyer_{b}"] == pytest.approx(expected if result.units_traded else 0.0)
    for s in range(market.n_sellers):
        expected = result.seller_units_traded[s] * (result.clearing_price - market.seller_costs[s])
        assert rewards[f"seller_{s}"] == pytest.approx(expected if result.units_traded else 0.0)
    assert all(terminations.values()) and env.agents == []
    assert all(info["report"] == info["truth"] for info in infos.values())


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"variant": "vickrey"}, "variant"),
        ({"step": -1.0}, "step"),
        ({"max_offset": -1.0}, "max_offset"),
        ({"market_source": "csv"}, "market_source"),
        ({"max_buyers": 0}, "max_buyers"),
        ({"price_bounds": (5.0, 1.0)}, "price_bounds"),
        ({"colour": 1}, "colour"),
    ],
)
def test_bad_bidder_options_are_named(kwargs, field):
    with pytest.raises((ValueError, TypeError), match=field):
        bidders_v0.parallel_env(**kwargs)
