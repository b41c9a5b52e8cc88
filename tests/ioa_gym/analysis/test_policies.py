"""The adaptive reference auctioneer (ioa_gym/analysis/policies.py).

Its actions on IoA-DDA-v0 are pinned: the project's published numbers use them, so a change of the rule on
another id must leave them bit for bit (values recorded with the code of a658344, before the per-clock and
double-clock rules)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.analysis.policies import AdaptiveStepPolicy
from ioa_gym.analysis.seeding import episode_seed

# Episode k of evaluation seed 0 on IoA-DDA-v0: (length, return, every action), recorded before any change.
CLASSIC_PINS = {
    0: (
        13,
        0.9391373618818948,
        [1.0] * 6
        + [0.545526385307312, 0.4612945020198822, 0.3770626187324524, 0.29283076524734497]
        + [0.20859892666339874, 0.20859892666339874, 1.0],
    ),
    1: (
        15,
        0.9293267187845202,
        [1.0] * 6
        + [0.545526385307312, 0.4612945020198822, 0.3770626187324524, 0.29283076524734497]
        + [0.20859892666339874, 0.12436707317829132, 0.040135227143764496, 0.0401352196931839, 1.0],
    ),
    2: (
        13,
        0.8881711999750344,
        [1.0] * 5
        + [0.7383519411087036, 0.654120147228241, 0.4767039120197296, 0.4767039120197296]
        + [0.4767039120197296, 0.41535651683807373, 0.30676278471946716, 1.0],
    ),
}


@pytest.mark.parametrize("episode", sorted(CLASSIC_PINS))
def test_classic_actions_are_pinned(episode: int) -> None:
    length, total, expected = CLASSIC_PINS[episode]
    env = gym.make("IoA-DDA-v0")
    policy = AdaptiveStepPolicy(env)
    observation, _ = env.reset(seed=episode_seed(0, episode))
    actions, reward_sum, done = [], 0.0, False
    while not done:
        action, _ = policy.predict(observation)
        assert action.shape == (1,) and action.dtype == np.float32
        actions.append(float(action[0]))
        observation, reward, terminated, truncated, _ = env.step(action)
        reward_sum += float(reward)
        done = terminated or truncated
    assert len(actions) == length
    assert actions == expected  # exact: the same float32 actions
    assert reward_sum == total
