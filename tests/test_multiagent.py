"""The leaders as PettingZoo agents (ioa_gym.multiagent.leaders_v0): PettingZoo's own API tests, the AEC
conversion, best-response dynamics against solve_equilibrium, bad input; the bidders; the independent learners
and the results command (agents.multiagent, agents.multiagent_results)."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("pettingzoo")  # the test extra installs it; the package works without it

from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test  # noqa: E402

from ioa_gym.multiagent import leaders_v0  # noqa: E402
from ioa_gym.tier1.stackelberg import best_response_prices, slot_outcome, solve_equilibrium  # noqa: E402


def test_pettingzoo_parallel_api_seed_and_aec_tests_pass():
    parallel_api_test(leaders_v0.parallel_env(max_slots=20), num_cycles=40)
    parallel_seed_test(lambda: leaders_v0.parallel_env(max_slots=10), num_cycles=20)
    api_test(leaders_v0.env(max_slots=10), num_cycles=20)


def test_agents_spaces_and_episode_length():
    env = leaders_v0.parallel_env(n_ma=2, n_fa=3, max_slots=3)
    assert env.possible_agents == ["ma_0", "ma_1", "fa_0", "fa_1", "fa_2"]
    observations, infos = env.reset(seed=1)
    assert set(observations) == set(infos) == set(env.agents) == set(env.possible_agents)
    for agent, obs in observations.items():
        assert env.observation_space(agent).contains(obs) and obs.shape == (5 + 9,)
    for slot in range(3):
        actions = {agent: env.action_space(agent).sample() for agent in env.agents}
        observations, rewards, terminations, truncations, infos = env.step(actions)
        assert all(isinstance(value, float) for info in infos.values() for value in info.values())
        assert all(infos[a]["best_response_utility"] >= infos[a]["utility"] for a in infos)
        assert all(truncations[a] == (slot == 2) for a in truncations) and not any(terminations.values())
    assert env.agents == []
    with pytest.raises(RuntimeError, match="reset"):
        env.step({})


def test_rewards_and_best_responses_are_the_economics():
    """A step's rewards are slot_outcome's utilities at the posted prices; each best-response price is
    best_response_prices' for that leader against the others' posted prices (the same functions IoA-
    Stackelberg-v0 and solve_equilibrium use)."""
    env = leaders_v0.parallel_env(fixed_slot=True)
    env.reset(seed=4)
    scenario, share = env.scenario, env._share.copy()
    actions = {agent: np.array([0.1 * i - 0.3], dtype=np.float32) for i, agent in enumerate(env.agents)}
    posted = np.array([env.action_to_price(agent, actions[agent]) for agent in env.possible_agents])
    _, rewards, _, _, infos = env.step(actions)
    _, _, utilities, _ = slot_outcome(scenario, posted, share)
    for i, agent in enumerate(env.possible_agents):
        assert rewards[agent] == pytest.approx(utilities[i])
        (price,), _ = best_response_prices(scenario, posted, share, leaders=[i])
        assert infos[agent]["best_response_price"] == pytest.approx(price)


@pytest.mark.parametrize("seed", range(6))
def test_best_response_dynamics_reach_the_equilibrium(seed):
    """Each leader posting Algorithm 1's best response to the others' last prices, on one slot, from prices
    at 90 % of p_max: the prices settle at solve_equilibrium's."""
    env = leaders_v0.parallel_env(fixed_slot=True, max_slots=100)
    env.reset(seed=seed)
    start = np.full(env.config.n_leaders, 0.9 * env.config.max_price)
    env.reset(seed=seed, options={"prices": start})
    target = solve_equilibrium(env.scenario).prices
    previous = start
    for _ in range(60):
        responses = env.best_responses()
        env.step({a: env.price_to_action(a, responses[i]) for i, a in enumerate(env.possible_agents)})
        if np.max(np.abs(responses - previous)) < 1e-4:
            break
        previous = responses
    # Both are searches to a resolution of about 0.0025 per price (docs/model.md Sec. 2).
    np.testing.assert_allclose(responses, target, atol=0.01)
    assert np.max(np.abs(start - target)) > 1.0  # it really moved


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_slots": 0}, "max_slots"),
        ({"fixed_slot": "yes"}, "fixed_slot"),
        ({"n_wa": 0}, "n_wa"),
        ({"colour": 1}, "colour"),
        ({"render_mode": "human"}, "render_mode"),
    ],
)
def test_bad_options_are_named(kwargs, field):
    with pytest.raises((ValueError, TypeError), match=field):
        leaders_v0.parallel_env(**kwargs)


def test_bad_actions_and_reset_options_are_named():
    env = leaders_v0.parallel_env()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="missing"):
        env.step({"ma_0": np.zeros(1, np.float32)})
    actions = {agent: np.zeros(1, np.float32) for agent in env.agents}
    with pytest.raises(ValueError, match="action"):
        env.step({**actions, "fa_0": np.array([np.nan], np.float32)})
    with pytest.raises(ValueError, match="unknown agent"):
        env.observation_space("aa_0")
    for prices in ([1.0, 2.0], [np.inf] * 6, [20.0] * 6, "cheap"):
        with pytest.raises(ValueError, match="prices"):
            env.reset(seed=0, options={"prices": prices})


# --- bidders_v0 -------------------------------------------------------------------------------------------

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


# --- independent learners (agents.multiagent) -------------------------------------------------------------


def test_single_agent_views_pass_gymnasiums_checker():
    from gymnasium.utils.env_checker import check_env

    from agents.multiagent import SingleAgentView

    check_env(SingleAgentView(bidders_v0.parallel_env(), "buyer_0"), skip_render_check=True)
    check_env(SingleAgentView(leaders_v0.parallel_env(max_slots=5), "fa_0"), skip_render_check=True)
    with pytest.raises(ValueError, match="agent must be one of"):
        SingleAgentView(leaders_v0.parallel_env(), "aa_0")


def test_a_view_plays_the_others_by_their_policies():
    from agents.multiagent import SingleAgentView

    par_env = leaders_v0.parallel_env(fixed_slot=True, max_slots=2)
    fixed = {agent: (lambda obs: np.array([0.5], np.float32)) for agent in par_env.possible_agents}
    view = SingleAgentView(par_env, "ma_0", others=fixed)
    view.reset(seed=2)
    _, reward, terminated, truncated, info = view.step(np.array([-0.5], np.float32))
    posted = [
        par_env.action_to_price(a, np.array([0.5 if a != "ma_0" else -0.5])) for a in par_env.possible_agents
    ]
    assert info["price"] == pytest.approx(posted[0]) and not terminated and not truncated
    _, _, terminated, truncated, _ = view.step(np.array([-0.5], np.float32))
    assert truncated and not terminated  # max_slots = 2


def _predictions(models, observation):
    return {
        agent: float(model.predict(observation, deterministic=True)[0][0]) for agent, model in models.items()
    }


def test_training_in_turn_is_reproducible():
    import torch

    from agents.multiagent import train_in_turn

    torch.set_num_threads(1)
    small = {"n_steps": 64, "batch_size": 32, "n_epochs": 1}

    def run(seed):
        return train_in_turn(
            lambda: bidders_v0.parallel_env(market_source="synthetic"),
            ["buyer_0", "seller_0"],
            rounds=2,
            steps=64,
            seed=seed,
            hyperparams=small,
        )

    observation = np.array([0.3, 0.05, 1.0, 0.5, 0.5], np.float32)
    first, again, other = run(0), run(0), run(1)
    assert set(first) == {"buyer_0", "seller_0"}
    assert _predictions(first, observation) == _predictions(again, observation)
    assert _predictions(first, observation) != _predictions(other, observation)
    with pytest.raises(ValueError, match="rounds"):
        train_in_turn(lambda: bidders_v0.parallel_env(), ["buyer_0"], rounds=0)


# --- the multi-agent results (agents.multiagent_results) --------------------------------------------------


def test_equilibrium_play_leaves_no_regret_and_random_prices_much():
    """The harness against the economics: posting each slot's equilibrium leaves every leader (almost) nothing
    to gain by deviating, and best-response dynamics stay close to it; random prices are far off."""
    from agents import multiagent_results as mr

    equilibrium = mr.play_leaders(mr.equilibrium_leaders, {}, 1)
    utility = equilibrium["utility"]
    at_equilibrium = mr.leader_metrics(equilibrium, 3, utility)
    assert at_equilibrium["price_error"] < 1e-6 and at_equilibrium["utility_vs_equilibrium"] == 1.0
    assert 0.0 <= at_equilibrium["regret"] < 0.01
    dynamics = mr.leader_metrics(mr.play_leaders(mr.best_response_dynamics, {}, 1), 3, utility)
    assert dynamics["price_error"] < 0.05 and dynamics["regret"] < 0.05
    random = mr.leader_metrics(mr.play_leaders(mr.random_leaders(0), {}, 1), 3, utility)
    assert random["price_error"] > 0.2 and random["regret"] > 0.2


def test_leader_metrics_by_hand():
    from agents.multiagent_results import leader_metrics

    play = {
        "price": np.array([[11.0, 9.0]]),
        "equilibrium_price": np.array([[10.0, 10.0]]),
        "utility": np.array([[3.0, 1.0]]),
        "best_utility": np.array([[4.0, 4.0]]),
    }
    metrics = leader_metrics(play, 1, np.array([[2.0, 2.0]]))
    assert metrics["price_error_ma"] == pytest.approx(0.1) and metrics["price_error_fa"] == pytest.approx(0.1)
    assert metrics["price_bias"] == pytest.approx(0.0)
    assert metrics["regret"] == pytest.approx(4.0 / 8.0)
    assert metrics["utility_vs_equilibrium"] == pytest.approx(1.0)


def test_bidder_metrics_by_hand():
    from agents.multiagent_results import bidder_metrics

    play = {
        "gain": np.array([1.0, 0.0, -2.0, np.nan]),
        "offset": np.array([0.5, 0.0, -1.0, np.nan]),
        "truthful_utility": np.array([2.0, 2.0, 5.0, np.nan]),
    }
    metrics = bidder_metrics(play)
    assert metrics["gain"] == pytest.approx(-1.0 / 3.0)
    assert metrics["share_gained"] == pytest.approx(1 / 3) and metrics["share_lost"] == pytest.approx(1 / 3)
    assert metrics["offset"] == pytest.approx(-0.5 / 3) and metrics["truthful_utility"] == pytest.approx(3.0)


@pytest.mark.parametrize("variant", ["classic", "strategy-proof", "double-clock"])
def test_truthful_bidders_gain_nothing_and_constant_offsets_only_under_classic(variant):
    from agents import multiagent_results as mr

    truthful = mr.play_bidders(variant, {"buyer_0": mr.constant_offset(0.0, 3.0)}, 10)["buyer_0"]
    assert np.all(truthful["gain"] == 0.0) and np.all(truthful["offset"] == 0.0)
    budget = mr.Budget(1, 64, 1, 1, 64, 40, 5)
    best = mr.best_constant_offsets(variant, budget)
    if variant == "classic":  # the IC audit's finding: some misreport gains on average
        assert max(b["gain"] for b in best.values()) > 0.0
    else:  # truth (offset 0, on the grid) is the best constant report
        assert all(b["gain"] <= 1e-9 for b in best.values())
        assert all(b["gain"] >= 0.0 for b in best.values())


def test_results_command_end_to_end_and_resume(tmp_path, capsys):
    from agents import multiagent_results as mr

    out = tmp_path / "marl"
    argv = ["--out", str(out), "--budget", "tiny", "--seeds", "0", "--variants", "double-clock"]
    assert mr.main(argv) == 0
    document = json.loads((out / "results.json").read_text())
    assert (
        len(document["leaders"]["learned"]) == 1 and len(document["bidders"]["double-clock"]["learned"]) == 1
    )
    assert len(document["leaders"]["learned"][0]["by_round"]) == 1  # one test per training round
    assert "best-response dynamics" in (out / "leaders.md").read_text()
    assert "| double-clock | buyer_0 |" in (out / "bidders.md").read_text()
    assert (out / "jobs" / "leaders_seed0.json").is_file() and any((out / "models").glob("*.zip"))
    capsys.readouterr()
    assert mr.main(argv) == 2  # never silently overwritten
    assert "not empty" in capsys.readouterr().err
    assert mr.main([*argv, "--resume"]) == 0  # finished jobs are reused, not retrained
    assert capsys.readouterr().out.count("reused") == 2
    assert json.loads((out / "results.json").read_text())["leaders"] == document["leaders"]


@pytest.mark.parametrize(
    ("flags", "field"),
    [
        (["--workers", "0"], "--workers"),
        (["--seeds", "1", "1"], "--seeds"),
        (["--seeds", "-1"], "--seeds"),
        (["--variants", "classic", "classic"], "--variants"),
    ],
)
def test_results_command_names_bad_flags(tmp_path, capsys, flags, field):
    from agents import multiagent_results as mr

    assert mr.main(["--out", str(tmp_path / "x"), "--budget", "tiny", *flags]) == 2
    assert field in capsys.readouterr().err and not (tmp_path / "x").exists()
