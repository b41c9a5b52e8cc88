"""The greedy baseline (agents/baselines.py) on every registered IoA-DDA id: what its docstring and
docs/model.md Sec. 5 claim. It is the largest action, so its auctions end the soonest (no constant action of a
grid ends them in fewer rounds on average), and it is a weak baseline: far below the adaptive rule on every
id, far below random on the double clock, and on IoA-DDA-StrategyProof-v0, whose equal largest steps meet
mid-range, it trades nothing."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import ioa_gym  # noqa: F401  (registers the environments)
from agents.baselines import FixedStepAgent, GreedyAgent, RandomAgent, largest_action
from ioa_gym.analysis.ic_audit import sample_markets
from ioa_gym.analysis.policies import AdaptiveStepPolicy
from ioa_gym.analysis.rollout import play, predictor
from ioa_gym.analysis.seeding import episode_seed

ENV_IDS = ("IoA-DDA-v0", "IoA-DDA-Discrete-v0", "IoA-DDA-DoubleClock-v0", "IoA-DDA-StrategyProof-v0")
N_MARKETS = 60
SEED = 5


def outcomes(env_id: str, agent, markets) -> np.ndarray:
    """(return, rounds, units traded) per market, market k with reset seed ``episode_seed(SEED, k)``."""
    envs = [gym.make(env_id) for _ in markets]
    episodes = play(
        envs,
        predictor(agent),
        [episode_seed(SEED, k) for k in range(len(markets))],
        [{"market": market} for market in markets],
    )
    return np.array([(e.total_reward, e.info["rounds"], e.info["units_traded"]) for e in episodes], float)


def grid(space: spaces.Space) -> list[np.ndarray]:
    if isinstance(space, spaces.Discrete):
        return [np.int64(index) for index in range(int(space.n))]
    return [np.full(space.shape, level, np.float32) for level in np.linspace(-0.5, 1.0, 7)]


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_greedy_is_the_largest_action_and_ends_auctions_soonest(env_id: str) -> None:
    env = gym.make(env_id)
    greedy = GreedyAgent(env)
    assert np.array_equal(greedy.predict(env.reset(seed=0)[0])[0], largest_action(env.action_space))
    markets = sample_markets(env_id, {}, N_MARKETS, SEED)
    rounds = outcomes(env_id, greedy, markets)[:, 1].mean()
    for action in grid(env.action_space):
        assert rounds <= outcomes(env_id, FixedStepAgent(env, action=action), markets)[:, 1].mean(), action


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_greedy_is_weak_as_documented(env_id: str) -> None:
    env = gym.make(env_id)
    markets = sample_markets(env_id, {}, N_MARKETS, SEED)
    greedy = outcomes(env_id, GreedyAgent(env), markets)
    assert greedy[:, 0].mean() < outcomes(env_id, AdaptiveStepPolicy(env), markets)[:, 0].mean() - 0.1
    if env.unwrapped.config.per_clock_steps:
        assert greedy[:, 2].sum() == 0  # equal largest steps meet at the middle of the bounds: no trade
    elif env.unwrapped.mechanism.counted == "exited":  # the double clock: far below random
        assert greedy[:, 0].mean() < outcomes(env_id, RandomAgent(env, seed=SEED), markets)[:, 0].mean() - 0.1
