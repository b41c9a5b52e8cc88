"""Agent registry, hyperparameter files and baselines (agents/registry.py, agents/baselines.py).

Classic-control envs stand in for the IoA envs; the IoA ids join the parametrisations as soon as
``import ioa_gym`` registers them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
import yaml
from gymnasium import spaces
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.noise import NormalActionNoise

from agents import (
    AgentConfigError,
    AgentUnavailableError,
    list_agents,
    load_agent,
    make_agent,
    register_agent,
    registry,
)
from agents.baselines import BaselineAgent, FixedStepAgent, GreedyAgent, RandomAgent
from agents.registry import (
    HYPERPARAMS_DIR,
    check_hyperparams,
    constructor_kwargs,
    get_agent_spec,
    import_env_packages,
    load_hyperparams,
    make_vec_env_from_id,
    safe_eval,
)

import_env_packages()

SB3_NAMES = ["ppo", "a2c", "sac", "td3", "ddpg", "dqn"]
CONTRIB_NAMES = ["tqc", "trpo", "ars", "qrdqn", "crossq"]
BASELINE_NAMES = ["random", "greedy", "fixed-step"]
DISCRETE_ONLY = {"dqn", "qrdqn"}
CONTINUOUS_ONLY = {"sac", "td3", "ddpg", "tqc", "crossq"}
pytestmark = pytest.mark.usefixtures("one_torch_thread")
HAS_CONTRIB = importlib.util.find_spec("sb3_contrib") is not None
IOA_BOX_IDS = ["IoA-DDA-v0", "IoA-Stackelberg-v0"]
IOA_DISCRETE_IDS = ["IoA-DDA-Discrete-v0"]


def _env_param(env_id: str) -> object:
    """A pytest param for ``env_id``, skipped while the id is not registered (IoA envs not written yet)."""
    return pytest.param(
        env_id,
        id=env_id,
        marks=pytest.mark.skipif(env_id not in gym.registry, reason=f"{env_id} not registered"),
    )


BOX_ENVS = [_env_param(env_id) for env_id in ["Pendulum-v1", *IOA_BOX_IDS]]
DISCRETE_ENVS = [_env_param(env_id) for env_id in ["CartPole-v1", *IOA_DISCRETE_IDS]]
ALL_ENVS = BOX_ENVS + DISCRETE_ENVS


def _skip_unavailable(name: str) -> None:
    """Skip a test of an agent whose implementation has not landed yet (diffusion, adaptive)."""
    spec = get_agent_spec(name)
    if not spec.is_available():
        pytest.skip(f"{spec.target} is not available yet")


def _env_for(name: str) -> gym.Env:
    if name in ("adaptive", "clairvoyant"):  # reference policies of the auction env only
        if "IoA-DDA-v0" not in gym.registry:
            pytest.skip("IoA-DDA-v0 not registered")
        return gym.make("IoA-DDA-v0")
    return gym.make("CartPole-v1" if name in DISCRETE_ONLY else "Pendulum-v1")


# --- registry ------------------------------------------------------------------------------------------


def test_registry_lists_every_baseline_and_sb3_name() -> None:
    names = list_agents()
    expected = ["diffusion", "adaptive", *SB3_NAMES, *BASELINE_NAMES, *(CONTRIB_NAMES if HAS_CONTRIB else [])]
    assert set(expected) <= set(names)
    assert names == sorted(names)


@pytest.mark.parametrize("name", list_agents())
def test_registry_builds_every_name(name: str) -> None:
    _skip_unavailable(name)
    env = _env_for(name)
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
    with pytest.raises(AgentConfigError, match="BaseAlgorithm"):
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


# --- hyperparameters -------------------------------------------------------------------------------------


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
    _skip_unavailable(algo)
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
    assert make_agent("ppo", make_vec_env_from_id("Pendulum-v1")).n_steps == 32  # the id of a VecEnv
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
        with pytest.raises(AgentConfigError):
            safe_eval(hostile)


# --- baselines --------------------------------------------------------------------------------------------


def _baselines(env: gym.Env | object) -> list[BaselineAgent]:
    return [RandomAgent(env, seed=0), GreedyAgent(env), FixedStepAgent(env)]


@pytest.mark.parametrize("env_id", ALL_ENVS)
def test_baseline_predict_shapes_single_and_vectorised(env_id: str) -> None:
    env = gym.make(env_id)
    vec_env = make_vec_env_from_id(env_id, n_envs=3, seed=0)
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


@pytest.mark.parametrize("env_id", [_env_param(env_id) for env_id in ["IoA-DDA-v0", "IoA-DDA-Discrete-v0"]])
def test_fixed_step_agent_converts_steps_with_the_ioa_env(env_id: str) -> None:
    env = gym.make(env_id)
    agent = FixedStepAgent(env, step=0.5)
    np.testing.assert_array_equal(
        agent.action, np.reshape(env.unwrapped.step_to_action(0.5), agent.action.shape)
    )
    assert env.action_space.contains(agent.predict(env.reset(seed=0)[0])[0])
    from_vec_env = FixedStepAgent(make_vec_env_from_id(env_id, n_envs=2), step=0.5)
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
    vec_env = make_vec_env_from_id("Pendulum-v1", n_envs=2, seed=0, env_kwargs={"max_episode_steps": 5})
    for agent in _baselines(vec_env):
        returns, lengths = evaluate_policy(agent, vec_env, n_eval_episodes=2, return_episode_rewards=True)
        assert len(returns) == 2 and lengths == [5, 5]


def test_load_agent_builds_named_non_learning_agents() -> None:
    env = gym.make("Pendulum-v1")
    assert isinstance(load_agent("greedy", env), GreedyAgent)
    with pytest.raises(AgentConfigError, match="neither"):
        load_agent("ppo", env)
    with pytest.raises(AgentConfigError, match="neither"):
        load_agent("no/such/file.zip")


# --- learning agents -------------------------------------------------------------------------------------

TINY = {
    "ppo": {"n_steps": 32, "batch_size": 32, "n_epochs": 1, "policy_kwargs": "dict(net_arch=[16])"},
    "sac": {
        "learning_starts": 32,
        "batch_size": 16,
        "buffer_size": 500,
        "policy_kwargs": "dict(net_arch=[16])",
    },
    "td3": {
        "learning_starts": 32,
        "batch_size": 16,
        "buffer_size": 500,
        "policy_kwargs": "dict(net_arch=[16])",
    },
    "dqn": {
        "learning_starts": 32,
        "batch_size": 16,
        "buffer_size": 500,
        "policy_kwargs": "dict(net_arch=[16])",
    },
    "diffusion": {"learning_starts": 56, "batch_size": 16, "buffer_size": 500},  # slow gradient steps
}


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
    _skip_unavailable(name)
    agent = make_agent(name, gym.make(env_id), seed=0, hyperparams=TINY[name])
    assert agent.learn(64) is agent
    assert agent.num_timesteps >= 64


def test_diffusion_in_two_lines() -> None:
    _skip_unavailable("diffusion")
    env = gym.make("Pendulum-v1", max_episode_steps=20)
    make_agent("diffusion", env, learning_starts=90, batch_size=16, buffer_size=500).learn(100)


@pytest.mark.parametrize("name", ["ppo", "sac", "td3", "dqn", "diffusion"])
def test_sb3_save_load_give_identical_deterministic_predictions(name: str, tmp_path: Path) -> None:
    _skip_unavailable(name)
    env = _env_for(name)
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
    with pytest.raises(AgentConfigError, match="algo="):
        load_agent(tmp_path / "model.zip")
