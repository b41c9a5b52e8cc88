"""The buyers and sellers of one Tier-2 auction as PettingZoo agents (ioa_gym.multiagent.bidders_v0):
PettingZoo's API tests, truth as a best response under the IC mechanisms and gains from misreports under the
classic DDA, rewards as true utilities, padding agents (every slot an agent of every episode: the market's
participants play as without them, and SuperSuit vectorises the env for SB3), bad input."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pettingzoo")  # the test extra installs it; the package works without it

from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test  # noqa: E402

from ioa_gym.multiagent import bidders_v0  # noqa: E402


def test_bidders_pass_pettingzoo_api_seed_and_aec_tests():
    parallel_api_test(bidders_v0.parallel_env(), num_cycles=20)
    parallel_seed_test(lambda: bidders_v0.parallel_env(), num_cycles=10)
    api_test(bidders_v0.env(market_source="synthetic"), num_cycles=10)


# Without padding, the agent slots a market does not use never act, so they are neither terminated nor
# truncated: PettingZoo warns about it and passes.
@pytest.mark.filterwarnings("ignore:No agents present but not all possible_agents")
def test_bidders_without_padding_pass_pettingzoo_api_seed_and_aec_tests():
    parallel_api_test(bidders_v0.parallel_env(pad_agents=False), num_cycles=20)
    parallel_seed_test(lambda: bidders_v0.parallel_env(pad_agents=False), num_cycles=10)
    api_test(bidders_v0.env(market_source="synthetic", pad_agents=False), num_cycles=10)


def _deviation_gains(env, seeds, offsets):
    """Each participant of the market deviates alone (the others truthful): reward minus its truthful
    utility."""
    gains = []
    for seed in seeds:
        env.reset(seed=seed)
        for agent in env.unwrapped._participants:
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


@pytest.mark.parametrize("source", ["tier1", "synthetic"])
def test_padding_agents_cannot_trade_and_leave_the_market_as_it_was(source):
    """Every slot is an agent of every episode (no agent death); a slot beyond the market's participants has
    no units (its observation says so), its action is ignored, its reward 0. The participants get the very
    observations, rewards and infos of the unpadded env, under any actions."""
    padded = bidders_v0.parallel_env(market_source=source)
    plain = bidders_v0.parallel_env(market_source=source, pad_agents=False)
    rng = np.random.default_rng(0)
    padding_seen = 0
    for seed in range(12):
        observations, infos = padded.reset(seed=seed)
        expected_observations, _ = plain.reset(seed=seed)
        assert padded.agents == padded.possible_agents and set(plain.agents) < set(padded.agents)
        participants = list(plain.agents)
        padding = [agent for agent in padded.agents if agent not in participants]
        padding_seen += len(padding)
        for agent in participants:
            np.testing.assert_array_equal(observations[agent], expected_observations[agent])
        for agent in padding:
            assert observations[agent][0] == observations[agent][1] == 0.0  # no value, no units
            assert observations[agent][2] == float(agent.startswith("buyer"))
            np.testing.assert_array_equal(observations[agent][3:], observations[participants[0]][3:])
        actions = {agent: rng.uniform(-1, 1, 1).astype(np.float32) for agent in padded.agents}
        got = padded.step(actions)
        expected = plain.step({agent: actions[agent] for agent in participants})
        for part in range(1, 5):  # rewards, terminations, truncations, infos
            assert {agent: got[part][agent] for agent in participants} == expected[part]
        for agent in participants:
            np.testing.assert_array_equal(got[0][agent], expected[0][agent])
        for agent in padding:
            assert got[1][agent] == 0.0 and got[2][agent] and not got[3][agent]
            assert got[4][agent] == {
                "report": 0.0,
                "truth": 0.0,
                "units_traded": 0,
                "price": expected[4][participants[0]]["price"],
                "truthful_utility": 0.0,
                "in_market": False,
            }
        assert all(got[4][agent]["in_market"] for agent in participants) and padded.agents == []
    assert padding_seen > 20


def test_bad_actions_are_named():
    env = bidders_v0.parallel_env(market_source="synthetic")
    env.reset(seed=0)
    actions = {agent: np.zeros(1, np.float32) for agent in env.agents}
    with pytest.raises(ValueError, match=r"actions must be a dict of agent name -> action.*got a list"):
        env.step(list(actions.values()))
    with pytest.raises(ValueError, match=r"missing \['seller_7'\]"):
        env.step({agent: action for agent, action in actions.items() if agent != "seller_7"})
    with pytest.raises(ValueError, match="action"):  # a padding agent's action is checked too
        env.step({**actions, "seller_7": np.array([np.nan], np.float32)})
    env.step(actions)
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(actions)


def test_supersuit_vectorises_the_bidders_for_sb3_ppo():
    """SuperSuit's pettingzoo_env_to_vec_env_v1 refuses an env with agent death (pad_agents=False); with
    padding, it and concat_vec_envs_v1 make an SB3 VecEnv of every slot, on which PPO trains."""
    supersuit = pytest.importorskip("supersuit", reason="SuperSuit is a client library, not a test extra")
    stable_baselines3 = pytest.importorskip("stable_baselines3")
    from stable_baselines3.common.utils import set_random_seed

    with pytest.raises(AssertionError, match="agent death"):
        vector = supersuit.pettingzoo_env_to_vec_env_v1(bidders_v0.parallel_env(pad_agents=False))
        vector.reset(seed=0)
        vector.step(np.zeros((vector.num_envs, 1), np.float32))
    vector = supersuit.pettingzoo_env_to_vec_env_v1(bidders_v0.parallel_env(market_source="synthetic"))
    envs = supersuit.concat_vec_envs_v1(vector, 2, num_cpus=0, base_class="stable_baselines3")
    assert envs.num_envs == 2 * 14
    set_random_seed(0)  # SuperSuit's ConcatVecEnv has no seed(), which PPO(seed=...) would call
    model = stable_baselines3.PPO("MlpPolicy", envs, n_steps=16, batch_size=56, n_epochs=2, device="cpu")
    model.learn(448)
    assert model.num_timesteps == 448
    observations = envs.reset()
    actions, _ = model.predict(observations, deterministic=True)
    _, rewards, dones, _ = envs.step(actions)
    assert np.isfinite(rewards).all() and dones.all()  # one step is one auction
    envs.close()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"variant": "vickrey"}, "variant"),
        ({"pad_agents": "yes"}, "pad_agents"),
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
