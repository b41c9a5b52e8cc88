"""The leaders as PettingZoo agents (ioa_gym.multiagent.leaders_v0): PettingZoo's own API tests, the AEC
conversion, best-response dynamics against solve_equilibrium, bad input. (The independent learners and the
results command: tests/agents/multiagent/.)"""

from __future__ import annotations

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
    # Actions as a list (or any other non-dict) are named, not an "unhashable type" TypeError.
    for not_a_dict in (list(actions.values()), np.zeros((6, 1), np.float32), tuple(actions.items())):
        with pytest.raises(ValueError, match=r"actions must be a dict of agent name -> action.*got a "):
            env.step(not_a_dict)
    assert env.step(actions)[0].keys() == set(env.possible_agents)  # the env is still usable
    with pytest.raises(ValueError, match="action"):
        env.step({**actions, "fa_0": np.array([np.nan], np.float32)})
    with pytest.raises(ValueError, match="unknown agent"):
        env.observation_space("aa_0")
    for prices in ([1.0, 2.0], [np.inf] * 6, [20.0] * 6, "cheap"):
        with pytest.raises(ValueError, match="prices"):
            env.reset(seed=0, options={"prices": prices})
