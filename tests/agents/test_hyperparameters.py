"""Hyperparameters as YAML files and command lines give them (agents/hyperparameters.py): the files are
valid for their constructors, zoo conventions (schedules, action noise, train_freq), and ``policy_kwargs``
strings evaluated without ``eval``."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import pytest
import torch
import yaml
from gymnasium import spaces
from stable_baselines3.common.noise import NormalActionNoise

from agents import (
    ConfigError,
    get_agent_spec,
    make_agent,
    registry,
)
from agents.hyperparameters import check_hyperparams, constructor_kwargs, safe_eval
from agents.registry import HYPERPARAMS_DIR, load_hyperparams
from agents.vec_env import make_sb3_vec_env
from tests.agents.cases import (
    skip_unavailable,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize(
    ("algo", "env_ids"),
    [
        ("ppo", ["IoA-DDA-v0", "IoA-DDA-Discrete-v0", "IoA-Stackelberg-v0", "default"]),
        ("diffusion", ["IoA-DDA-v0", "IoA-DDA-Discrete-v0", "IoA-Stackelberg-v0", "default"]),
        ("sac", ["IoA-DDA-v0", "IoA-Stackelberg-v0", "default"]),
        ("td3", ["IoA-DDA-v0", "IoA-Stackelberg-v0", "default"]),
    ],
)
def test_hyperparameter_files_are_valid_for_their_constructor(algo: str, env_ids: list[str]) -> None:
    skip_unavailable(algo)
    table = yaml.safe_load((HYPERPARAMS_DIR / f"{algo}.yml").read_text())
    assert set(env_ids) <= set(table)
    algo_class = get_agent_spec(algo).load()
    for env_id in env_ids:
        entry = table[env_id]
        check_hyperparams(algo_class, entry)
        assert int(entry["n_timesteps"]) > 0
        constructor_kwargs(algo_class, entry, spaces.Box(-1, 1, (2,)), spaces.Box(-1, 1, (15,)))


def test_hyperparams_are_keyed_by_env_id_with_a_default() -> None:
    assert load_hyperparams("ppo", "IoA-DDA-v0")["n_envs"] == 8
    assert load_hyperparams("ppo", "SomethingElse-v0") == load_hyperparams("ppo", "default")
    assert load_hyperparams("random", "IoA-DDA-v0") == {}


def test_make_agent_reads_the_env_entry_of_the_yaml_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ppo.yml").write_text(
        "Pendulum-v1:\n  n_steps: 32\n  batch_size: 32\ndefault:\n  n_steps: 16\n"
    )
    monkeypatch.setattr(registry, "HYPERPARAMS_DIR", tmp_path)
    assert make_agent("ppo", gym.make("Pendulum-v1")).n_steps == 32
    assert make_agent("ppo", make_sb3_vec_env("Pendulum-v1")).n_steps == 32  # the id of a VecEnv
    assert make_agent("ppo", gym.make("CartPole-v1"), batch_size=16).n_steps == 16
    assert make_agent("ppo", gym.make("Pendulum-v1"), defaults=False).n_steps == 2048  # SB3's own default


def test_make_agent_applies_yaml_then_hyperparams_then_kwargs(tmp_path: Path) -> None:
    env = gym.make("Pendulum-v1")
    agent = make_agent(
        "ppo",
        env,
        seed=0,
        hyperparams={
            "n_steps": 64,
            "batch_size": 32,
            "policy_kwargs": "dict(net_arch=[8], activation_fn=nn.ReLU)",
        },
        batch_size=16,
    )
    assert (agent.n_steps, agent.batch_size) == (64, 16)
    assert agent.policy_kwargs["activation_fn"] is torch.nn.ReLU
    assert agent.policy_kwargs["net_arch"] == [8]


def test_unknown_hyperparameter_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="lerning_rate") as excinfo:
        make_agent("sac", gym.make("Pendulum-v1"), hyperparams={"lerning_rate": 1e-3})
    assert "learning_rate" in str(excinfo.value) and "buffer_size" in str(excinfo.value)
    with pytest.raises(ValueError, match="seed"):
        make_agent("sac", gym.make("Pendulum-v1"), hyperparams={"seed": 1})


def test_zoo_conventions_schedules_noise_and_train_freq() -> None:
    algo_class = get_agent_spec("td3").load()
    box = spaces.Box(-1, 1, (2,))
    _, kwargs = constructor_kwargs(
        algo_class,
        {"learning_rate": "lin_1e-3", "noise_type": "normal", "noise_std": 0.2, "train_freq": [1, "episode"]},
        box,
    )
    assert kwargs["learning_rate"](1.0) == pytest.approx(1e-3)
    assert kwargs["learning_rate"](0.5) == pytest.approx(5e-4)
    assert isinstance(kwargs["action_noise"], NormalActionNoise)
    assert kwargs["train_freq"] == (1, "episode")


def test_safe_eval_refuses_code() -> None:
    assert safe_eval("dict(net_arch=dict(pi=[64, 64], vf=[32]), activation_fn=nn.Tanh, log_std_init=-2)") == {
        "net_arch": {"pi": [64, 64], "vf": [32]},
        "activation_fn": torch.nn.Tanh,
        "log_std_init": -2,
    }
    assert safe_eval("dict(optimizer_class=th.optim.Adam)")["optimizer_class"] is torch.optim.Adam
    hostile_expressions = [
        "__import__('os').system('true')",
        "nn.Module.__subclasses__()",
        "open('x')",
        "th.load",
    ]
    for hostile in [*hostile_expressions, "nn.Module.__class__", "dict(**{'a': 1})"]:
        with pytest.raises(ConfigError):
            safe_eval(hostile)
