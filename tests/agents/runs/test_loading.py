"""Saved agents back (agents/runs/loading.py): SB3 zips with identical predictions, the algorithm read from
the zip or asked for, non-learning agents by name."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from agents import (
    ConfigError,
    make_agent,
)
from agents.baselines import GreedyAgent
from agents.runs import load_agent
from tests.agents.cases import (
    TINY,
    env_for,
    skip_unavailable,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_load_agent_builds_named_non_learning_agents() -> None:
    env = gym.make("Pendulum-v1")
    assert isinstance(load_agent("greedy", env), GreedyAgent)
    with pytest.raises(ConfigError, match="neither"):
        load_agent("ppo", env)
    with pytest.raises(ConfigError, match="neither"):
        load_agent("no/such/file.zip")


@pytest.mark.parametrize("name", ["ppo", "sac", "td3", "dqn", "diffusion"])
def test_sb3_save_load_give_identical_deterministic_predictions(name: str, tmp_path: Path) -> None:
    skip_unavailable(name)
    env = env_for(name)
    agent = make_agent(name, env, seed=0, hyperparams=TINY[name])
    batch = np.stack([env.observation_space.sample() for _ in range(16)])
    agent.save(tmp_path / "model")
    loaded = load_agent(tmp_path / "model.zip", algo=name, device="cpu")
    assert type(loaded) is type(agent)
    expected = agent.predict(batch, deterministic=True)[0]
    np.testing.assert_array_equal(loaded.predict(batch, deterministic=True)[0], expected)
    if name in ("sac", "dqn"):  # their policy class names the algorithm: no algo= needed
        assert type(load_agent(tmp_path / "model")) is type(agent)


def test_load_agent_asks_for_the_algorithm_when_a_zip_does_not_say(tmp_path: Path) -> None:
    make_agent("ppo", gym.make("Pendulum-v1"), seed=0).save(tmp_path / "model")
    with pytest.raises(ConfigError, match="algo="):
        load_agent(tmp_path / "model.zip")
