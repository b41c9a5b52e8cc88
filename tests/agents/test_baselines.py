"""The non-learning baselines (agents/baselines.py): shapes, seeding, the largest action, fixed steps, save
and load, and SB3's ``evaluate_policy`` on them."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from stable_baselines3.common.evaluation import evaluate_policy

from agents import (
    make_agent,
)
from agents.baselines import BaselineAgent, FixedStepAgent, GreedyAgent, RandomAgent
from agents.runs import load_agent
from agents.vec_env import make_sb3_vec_env
from tests.agents.cases import (
    ALL_ENVS,
    env_param,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")
BASELINE_NAMES = ["random", "greedy", "fixed-step"]


def _baselines(env: gym.Env | object) -> list[BaselineAgent]:
    return [RandomAgent(env, seed=0), GreedyAgent(env), FixedStepAgent(env)]


@pytest.mark.parametrize("env_id", ALL_ENVS)
def test_baseline_predict_shapes_single_and_vectorised(env_id: str) -> None:
    env = gym.make(env_id)
    vec_env = make_sb3_vec_env(env_id, n_envs=3, seed=0)
    observation, _ = env.reset(seed=0)
    batch = vec_env.reset()
    shape = env.action_space.shape
    for agent in _baselines(env):
        action, state = agent.predict(observation)
        assert np.shape(action) == shape and state is None
        assert env.action_space.contains(np.asarray(action, dtype=env.action_space.dtype))
        actions, _ = agent.predict(batch, state=None, episode_start=np.ones(3, dtype=bool))
        assert actions.shape == (3, *shape)
        assert all(env.action_space.contains(a) for a in actions)
        # Built from the VecEnv itself, as evaluation code does.
        assert type(agent)(vec_env).predict(batch)[0].shape == (3, *shape)
    vec_env.close()


def test_baselines_built_from_a_bare_space_tell_batches_by_rank() -> None:
    space = spaces.Box(-1, 1, (2,), dtype=np.float32)
    for agent in _baselines(space):
        assert agent.predict(np.zeros(15))[0].shape == (2,)
        assert agent.predict(np.zeros((4, 15)))[0].shape == (4, 2)


def test_random_agent_is_seeded_and_leaves_the_env_space_alone() -> None:
    env = gym.make("Pendulum-v1")
    env.action_space.seed(123)
    expected_env_sample = gym.make("Pendulum-v1").action_space
    expected_env_sample.seed(123)
    batch = np.zeros((50, 3), dtype=np.float32)
    first, _ = RandomAgent(env, seed=7).predict(batch)
    second, _ = RandomAgent(env, seed=7).predict(batch)
    other, _ = RandomAgent(env, seed=8).predict(batch)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)
    assert len(np.unique(first)) == 50  # uniform draws, not a constant
    np.testing.assert_array_equal(env.action_space.sample(), expected_env_sample.sample())


@pytest.mark.parametrize("env_id", ["IoA-DDA-v0", "IoA-DDA-Discrete-v0", "IoA-DDA-StrategyProof-v0"])
def test_random_agent_plays_the_sequence_of_one_sample_per_action(env_id: str, tmp_path: Path) -> None:
    """Drawn in batches (ioa_gym.analysis.sampling), the random agent's actions are those of one
    ``action_space.sample()`` per action from its seed, single and batched predictions mixed, reseeded as the
    evaluation harness reseeds it; its saved generator state is where those calls would have left it."""
    env = gym.make(env_id)
    reference = env.action_space
    agent = RandomAgent(env, seed=4)
    reference.seed(4)
    observation = env.observation_space.sample()
    for n_obs in (None, 3, None, 300, 1, None):
        if n_obs is None:
            expected = np.asarray(reference.sample())
            got = agent.predict(observation)[0]
        else:
            expected = np.stack([np.asarray(reference.sample()) for _ in range(n_obs)])
            got = agent.predict(np.stack([observation] * n_obs))[0]
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
    loaded = BaselineAgent.load(agent.save(tmp_path / "random"))
    np.testing.assert_array_equal(loaded.predict(observation)[0], np.asarray(reference.sample()))
    agent.action_space.seed(9)  # as agents.evaluation.loading.seed_agent does before an episode
    reference.seed(9)
    np.testing.assert_array_equal(agent.predict(observation)[0], np.asarray(reference.sample()))


@pytest.mark.parametrize(
    ("space", "largest"),
    [
        (spaces.Box(-1, 1, (1,), dtype=np.float32), [1.0]),
        (spaces.Box(np.array([-1, 0], dtype=np.float32), np.array([1, 0.5], dtype=np.float32)), [1.0, 0.5]),
        (spaces.Discrete(5), 4),
        (spaces.Discrete(5, start=1), 5),
    ],
)
def test_greedy_returns_the_largest_action(space: spaces.Space, largest: object) -> None:
    action, _ = GreedyAgent(space).predict(np.zeros(15), deterministic=False)
    np.testing.assert_array_equal(action, largest)
    assert space.contains(action)


@pytest.mark.parametrize("env_id", ALL_ENVS)
def test_greedy_is_the_top_of_the_env_action_space(env_id: str) -> None:
    env = gym.make(env_id)
    action, _ = GreedyAgent(env).predict(env.reset(seed=0)[0])
    space = env.action_space
    if isinstance(space, spaces.Box):
        np.testing.assert_array_equal(action, space.high)
    else:
        assert action == space.start + space.n - 1


class _StepEnv(gym.Env):
    """A stand-in env exposing ``step_to_action``, as the IoA envs will."""

    observation_space = spaces.Box(-1, 1, (3,), dtype=np.float32)
    action_space = spaces.Box(-1, 1, (1,), dtype=np.float32)

    def step_to_action(self, step: float) -> np.ndarray:
        return np.array([2 * (step - 0.1) / (1.0 - 0.1) - 1], dtype=np.float32)  # [0.1, 1] -> [-1, 1]


def test_fixed_step_agent_action_and_step() -> None:
    env = _StepEnv()
    np.testing.assert_array_equal(FixedStepAgent(env, action=[0.25]).predict(np.zeros(3))[0], [0.25])
    np.testing.assert_allclose(FixedStepAgent(env, step=0.55).predict(np.zeros(3))[0], [0.0], atol=1e-6)
    np.testing.assert_array_equal(FixedStepAgent(env).action, [0.0])  # default: the middle action
    assert FixedStepAgent(gym.make("CartPole-v1"), action=1).predict(np.zeros((2, 4)))[0].tolist() == [1, 1]
    with pytest.raises(ValueError, match="outside the action space"):
        FixedStepAgent(env, action=[1.5])
    with pytest.raises(ValueError, match="either action= or step="):
        FixedStepAgent(env, action=[0.0], step=0.5)
    with pytest.raises(ValueError, match="step_to_action"):
        FixedStepAgent(gym.make("Pendulum-v1"), step=0.5)
    with pytest.raises(ValueError, match="step_to_action"):
        FixedStepAgent(spaces.Box(-1, 1, (1,)), step=0.5)


@pytest.mark.parametrize("env_id", [env_param(env_id) for env_id in ["IoA-DDA-v0", "IoA-DDA-Discrete-v0"]])
def test_fixed_step_agent_converts_steps_with_the_ioa_env(env_id: str) -> None:
    env = gym.make(env_id)
    agent = FixedStepAgent(env, step=0.5)
    np.testing.assert_array_equal(
        agent.action, np.reshape(env.unwrapped.step_to_action(0.5), agent.action.shape)
    )
    assert env.action_space.contains(agent.predict(env.reset(seed=0)[0])[0])
    from_vec_env = FixedStepAgent(make_sb3_vec_env(env_id, n_envs=2), step=0.5)
    np.testing.assert_array_equal(from_vec_env.action, agent.action)


def test_baselines_learn_is_a_no_op_returning_self() -> None:
    for name in BASELINE_NAMES:
        agent = make_agent(name, gym.make("Pendulum-v1"), seed=0)
        assert agent.learn(1000) is agent


@pytest.mark.parametrize("env_id", ["Pendulum-v1", "CartPole-v1"])
def test_baselines_save_load_give_identical_predictions(env_id: str, tmp_path: Path) -> None:
    env = gym.make(env_id)
    batch = np.stack([env.observation_space.sample() for _ in range(8)])
    for index, agent in enumerate(
        [RandomAgent(env, seed=3), GreedyAgent(env), FixedStepAgent(env, action=env.action_space.sample())]
    ):
        agent.predict(batch)  # advance the random generator: loading must continue from here
        path = agent.save(tmp_path / f"agent{index}")
        assert path.suffix == ".json" and not list(tmp_path.glob(".*tmp*"))
        for loaded in (
            load_agent(path),
            BaselineAgent.load(tmp_path / f"agent{index}"),
            load_agent(path, env=env),
        ):
            assert type(loaded) is type(agent)
            np.testing.assert_array_equal(loaded.predict(batch)[0], agent.predict(batch)[0])
            agent = type(agent).load(path)  # rewind the original too


def test_evaluation_treats_baselines_like_models() -> None:
    vec_env = make_sb3_vec_env("Pendulum-v1", n_envs=2, seed=0, env_kwargs={"max_episode_steps": 5})
    for agent in _baselines(vec_env):
        returns, lengths = evaluate_policy(agent, vec_env, n_eval_episodes=2, return_episode_rewards=True)
        assert len(returns) == 2 and lengths == [5, 5]
