"""The agent registry (agents/registry.py): every name builds, unknown names list the choices, plug-ins by
``module:Class``, the hyperparameter files' defaults, and a tiny learn of every learner.

Classic-control envs stand in for the IoA envs; the IoA ids join the parametrisations as soon as
``import ioa_gym`` registers them.
"""

from __future__ import annotations

import importlib.util

import gymnasium as gym
import numpy as np
import pytest

from agents import (
    AgentUnavailableError,
    ConfigError,
    get_agent_spec,
    list_agents,
    make_agent,
    register_agent,
    registry,
)
from tests.agents.cases import (
    BOX_ENVS,
    DISCRETE_ENVS,
    TINY,
    env_for,
    skip_unavailable,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")
SB3_NAMES = ["ppo", "a2c", "sac", "td3", "ddpg", "dqn"]
CONTRIB_NAMES = ["tqc", "trpo", "ars", "qrdqn", "crossq"]
BASELINE_NAMES = ["random", "greedy", "fixed-step"]
HAS_CONTRIB = importlib.util.find_spec("sb3_contrib") is not None


# --- registry ------------------------------------------------------------------------------------------


def test_registry_lists_every_baseline_and_sb3_name() -> None:
    names = list_agents()
    expected = ["diffusion", "adaptive", *SB3_NAMES, *BASELINE_NAMES, *(CONTRIB_NAMES if HAS_CONTRIB else [])]
    assert set(expected) <= set(names)
    assert names == sorted(names)


@pytest.mark.parametrize("name", list_agents())
def test_registry_builds_every_name(name: str) -> None:
    skip_unavailable(name)
    env = env_for(name)
    agent = make_agent(name, env, seed=0)
    assert isinstance(agent, get_agent_spec(name).load())
    observation, _ = env.reset(seed=0)
    action, state = agent.predict(observation, deterministic=True)
    assert env.action_space.contains(np.asarray(action, dtype=env.action_space.dtype))
    assert state is None


def test_unknown_name_lists_the_valid_choices() -> None:
    with pytest.raises(ValueError, match="unknown agent 'nope'") as excinfo:
        make_agent("nope", gym.make("Pendulum-v1"))
    for name in ["diffusion", "ppo", "sac", "random", "greedy", "fixed-step", "adaptive"]:
        assert name in str(excinfo.value)


def test_module_class_names_plug_in_any_base_algorithm(monkeypatch: pytest.MonkeyPatch) -> None:
    env = gym.make("Pendulum-v1")
    assert type(make_agent("stable_baselines3:A2C", env, seed=0)).__name__ == "A2C"
    with pytest.raises(ConfigError, match="BaseAlgorithm"):
        make_agent("collections:OrderedDict", env)
    with pytest.raises(AgentUnavailableError, match="no_such_package"):
        make_agent("no_such_package.algos:Thing", env)
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))  # undo the registration afterwards
    register_agent("my-ppo", "stable_baselines3:PPO", description="a plug-in")
    assert "my-ppo" in list_agents()
    assert type(make_agent("my-ppo", env, seed=0)).__name__ == "PPO"


def test_make_agent_accepts_an_env_id_string() -> None:
    agent = make_agent("ppo", "Pendulum-v1", seed=0, n_steps=32, batch_size=32)
    assert agent.get_env().num_envs == 1
    assert agent.n_steps == 32


# --- learning agents -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "env_id"),
    [
        ("ppo", "Pendulum-v1"),
        ("ppo", "CartPole-v1"),
        ("sac", "Pendulum-v1"),
        ("diffusion", "Pendulum-v1"),
        *[
            pytest.param("ppo", p.values[0], marks=p.marks, id=f"ppo-{p.id}")
            for p in BOX_ENVS[1:] + DISCRETE_ENVS[1:]
        ],
        *[pytest.param("sac", p.values[0], marks=p.marks, id=f"sac-{p.id}") for p in BOX_ENVS[1:]],
        *[
            pytest.param("diffusion", p.values[0], marks=p.marks, id=f"diffusion-{p.id}")
            for p in BOX_ENVS[1:] + DISCRETE_ENVS[1:]
        ],
    ],
)
def test_tiny_learn(name: str, env_id: str) -> None:
    skip_unavailable(name)
    agent = make_agent(name, gym.make(env_id), seed=0, hyperparams=TINY[name])
    assert agent.learn(64) is agent
    assert agent.num_timesteps >= 64


def test_diffusion_in_two_lines() -> None:
    skip_unavailable("diffusion")
    env = gym.make("Pendulum-v1", max_episode_steps=20)
    make_agent("diffusion", env, learning_starts=90, batch_size=16, buffer_size=500).learn(100)
