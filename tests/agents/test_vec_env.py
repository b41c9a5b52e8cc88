"""Gymnasium vector envs in the RL tooling (agents/vec_env.py): the SB3 adapter against DummyVecEnv,
``train.py --vec-env``, and the reference policies and the evaluation harness on any vector env.

Synthetic markets and short episodes keep every env fast; the native vector env of IoA-DDA-v0 joins the
parametrisations when its id has a ``vector_entry_point`` (skipped, with the reason, before that).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import yaml
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecMonitor

from agents import ConfigError, make_agent
from agents.baselines import FixedStepAgent, GreedyAgent, largest_action
from agents.evaluation import evaluate_agents, run_episode, run_vector_episodes, scalar_info
from agents.registry import import_env_packages
from agents.runs import load_agent, resolve_config
from agents.runs.cli import build_parser, main
from agents.vec_env import (
    ScalarInfo,
    VectorEnvAdapter,
    has_vector_entry_point,
    make_sb3_vec_env,
    make_vector_env,
    unbatch_info,
)
from ioa_gym.analysis.ic_audit import sample_markets

import_env_packages()

pytestmark = pytest.mark.usefixtures("one_torch_thread")
ENV_ID = "IoA-DDA-v0"
FAST = {"market_source": "synthetic", "max_episode_steps": 12}  # some episodes end by truncation
HAS_NATIVE = has_vector_entry_point(ENV_ID)
NO_NATIVE = f"{ENV_ID} has no vector_entry_point yet (gym.spec({ENV_ID!r}).vector_entry_point is None)"
NATIVE = pytest.param("vector_entry_point", marks=pytest.mark.skipif(not HAS_NATIVE, reason=NO_NATIVE))
TINY_PPO = ["--algo", "ppo", "--hyperparams", "n_steps:16", "batch_size:16", "n_epochs:1",
            "policy_kwargs:dict(net_arch=[8])"]  # fmt: skip


def dummy_vec_env(n_envs: int, env_kwargs: dict, env_id: str = ENV_ID) -> DummyVecEnv:
    return DummyVecEnv([lambda: gym.make(env_id, **env_kwargs) for _ in range(n_envs)])


def assert_same_info(actual: dict, expected: dict) -> None:
    """Same keys; equal scalars and terminal observation (the AuctionResult objects differ by identity)."""
    assert set(actual) == set(expected)
    assert scalar_info(actual) == scalar_info(expected)
    if "terminal_observation" in expected:
        np.testing.assert_array_equal(actual["terminal_observation"], expected["terminal_observation"])


# --- the adapter -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "autoreset", "env_id"),
    [
        ("sync", AutoresetMode.SAME_STEP, ENV_ID),
        ("sync", AutoresetMode.NEXT_STEP, ENV_ID),  # the adapter resets finished sub-envs itself
        ("sync", AutoresetMode.DISABLED, "IoA-DDA-Discrete-v0"),
        ("async", AutoresetMode.SAME_STEP, ENV_ID),
        pytest.param("vector_entry_point", None, ENV_ID, marks=NATIVE.marks),
        pytest.param("vector_entry_point", None, "IoA-DDA-Discrete-v0", marks=NATIVE.marks),
    ],
)
def test_adapter_gives_what_dummy_vec_env_gives(
    mode: str, autoreset: AutoresetMode | None, env_id: str
) -> None:
    """Same seeds and actions: identical observations, rewards, dones, infos, terminal observations and
    reset infos, through SAME_STEP, NEXT_STEP and DISABLED autoreset, terminations and truncations."""
    n_envs = 3
    if mode == "vector_entry_point":
        venv = gym.make_vec(env_id, num_envs=n_envs, vectorization_mode=mode, **FAST)
    else:
        venv = gym.make_vec(env_id, num_envs=n_envs, vectorization_mode=mode,
                            vector_kwargs={"autoreset_mode": autoreset}, **FAST)  # fmt: skip
    adapter, dummy = VectorEnvAdapter(venv), dummy_vec_env(n_envs, FAST, env_id)
    assert (adapter.observation_space, adapter.action_space) == (dummy.observation_space, dummy.action_space)
    assert adapter.seed(7) == dummy.seed(7) == [7, 8, 9]
    np.testing.assert_array_equal(adapter.reset(), dummy.reset())
    assert adapter.reset_infos == dummy.reset_infos
    dummy.action_space.seed(0)
    ended = {"terminated": 0, "truncated": 0}
    for _ in range(60):
        actions = np.stack([dummy.action_space.sample() for _ in range(n_envs)])
        actions[0] = largest_action(dummy.action_space)  # sub-env 0 ends its auctions within 12 ticks
        obs, rewards, dones, infos = adapter.step(actions)
        expected_obs, expected_rewards, expected_dones, expected_infos = dummy.step(actions)
        np.testing.assert_array_equal(obs, expected_obs)
        assert rewards.dtype == expected_rewards.dtype and np.array_equal(rewards, expected_rewards)
        np.testing.assert_array_equal(dones, expected_dones)
        for info, expected in zip(infos, expected_infos, strict=True):
            assert_same_info(info, expected)
            if "terminal_observation" in info:
                ended["truncated" if info["TimeLimit.truncated"] else "terminated"] += 1
        for info, expected in zip(adapter.reset_infos, dummy.reset_infos, strict=True):
            assert_same_info(info, expected)
    assert min(ended.values()) > 0, ended
    adapter.close()


def test_unbatch_info_follows_the_masks() -> None:
    info = {
        "a": np.array([1.5, 0.0, 2.5]), "_a": np.array([True, False, True]),
        "name": np.array(["x", None, "z"], dtype=object), "_name": np.array([True, False, True]),
        "final_info": {"r": np.array([0, 7, 0]), "_r": np.array([False, True, False])},
        "_final_info": np.array([False, True, False]),
        "shared": 3,
    }  # fmt: skip
    infos = unbatch_info(info, 3)
    assert infos[0] == {"a": 1.5, "name": "x", "shared": 3}
    assert infos[1] == {"final_info": {"r": 7}, "shared": 3}
    assert type(infos[1]["final_info"]["r"]) is int  # NumPy scalars become Python numbers


def test_adapter_seeds_options_and_sub_env_access() -> None:
    adapter = VectorEnvAdapter(make_vector_env(ENV_ID, 2, "sync", FAST))
    (market,) = sample_markets(ENV_ID, FAST, 1, seed=3)
    adapter.set_options({"market": market})  # one dict for all: passed on
    adapter.reset()
    assert all(np.array_equal(sub.buyer_values, market.buyer_values) for sub in adapter.get_attr("market"))
    adapter.set_options([{}, {"market": market}])
    with pytest.raises(ValueError, match="one options dict for all sub-envs"):
        adapter.reset()
    config = adapter.get_attr("config", indices=[1])[0]
    assert config.market_source == "synthetic" and len(adapter.get_attr("config")) == 2
    step_actions = adapter.env_method("step_to_action", 1.0, indices=0)
    np.testing.assert_allclose(
        adapter.env_method("action_to_step", step_actions[0], indices=[1])[0], [1.0], rtol=1e-6
    )
    adapter.set_attr("marker", 5, indices=[0])
    assert adapter.get_attr("marker", indices=[0]) == [5]
    with pytest.raises(AttributeError):
        adapter.get_attr("marker", indices=[1])
    assert adapter.env_is_wrapped(gym.wrappers.TimeLimit) == [True, True]
    assert adapter.env_is_wrapped(Monitor) == [False, False]
    with pytest.warns(UserWarning, match="rgb_array"):
        assert adapter.get_images() == [None, None]
    with pytest.raises(TypeError, match="needs no adapter"):
        VectorEnvAdapter(dummy_vec_env(1, FAST))  # type: ignore[arg-type]
    adapter.close()


def test_async_sub_envs_are_reached_all_at_once() -> None:
    adapter = VectorEnvAdapter(make_vector_env(ENV_ID, 2, "async", FAST))
    try:
        assert [c.market_source for c in adapter.get_attr("config")] == ["synthetic"] * 2
        actions = adapter.env_method("step_to_action", 1.0)
        np.testing.assert_array_equal(actions[0], actions[1])
        with pytest.raises(NotImplementedError, match="indices=None"):
            adapter.env_method("reset", indices=[0])  # would reset both sub-envs: refused
        with pytest.raises(NotImplementedError, match="indices=None"):
            adapter.set_attr("marker", 3, indices=[1])
        adapter.set_attr("marker", (1, 2))
        assert adapter.get_attr("marker", indices=[1]) == [(1, 2)]  # the value itself, not one per sub-env
    finally:
        adapter.close()


# --- train.py --vec-env ------------------------------------------------------------------------------------


def test_vec_env_types_build_seeded_envs() -> None:
    """dummy: Monitor-wrapped DummyVecEnv; native: the adapter under VecMonitor; both start from the same
    markets for one seed (the native env seeds sub-env i with seed + i, as SB3 does). subproc is checked
    with the reference policies below (same episodes as single envs)."""
    dummy = make_sb3_vec_env(ENV_ID, 2, seed=3, env_kwargs=FAST, vec_env="dummy")
    assert isinstance(dummy, DummyVecEnv) and dummy.env_is_wrapped(Monitor) == [True, True]
    if HAS_NATIVE:
        native = make_sb3_vec_env(ENV_ID, 2, seed=3, env_kwargs=FAST, vec_env="native")
        assert isinstance(native, VecMonitor) and isinstance(native.venv, VectorEnvAdapter)
        np.testing.assert_array_equal(native.reset(), dummy.reset())
        native.close()
    dummy.close()
    with pytest.raises(ValueError, match="--vec-env must be one of dummy, subproc, native"):
        make_sb3_vec_env(ENV_ID, vec_env="threads")


def test_native_needs_a_vector_entry_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [*TINY_PPO, "--env", "Pendulum-v1", "--vec-env", "native", "-f", str(tmp_path), "--verbose", "0"]
    assert main(args) == 2
    error = capsys.readouterr().err
    assert "--vec-env native needs an env with a vector entry point" in error and "Pendulum-v1" in error
    assert not list(tmp_path.glob("*/*"))


@pytest.mark.skipif(not HAS_NATIVE, reason=NO_NATIVE)
def test_train_on_the_native_vector_env_and_resume(tmp_path: Path) -> None:
    """``--vec-env native --n-envs 4``: trained through the adapter, episode statistics logged as with
    Monitor, the choice in config.yml, kept by --resume and not changed by it."""
    args = [*TINY_PPO, "--env", ENV_ID, "--env-kwargs", "market_source:synthetic", "max_rounds:8",
            "max_episode_steps:8", "--vec-env", "native",
            "--n-envs", "4", "-n", "64", "--seed", "0", "--eval-freq", "64", "--eval-episodes", "1",
            "--save-freq", "64", "-f", str(tmp_path), "--verbose", "0"]  # fmt: skip
    assert main(args) == 0
    run_dir = tmp_path / "ppo" / f"{ENV_ID}_1"
    config = yaml.safe_load((run_dir / "config.yml").read_text())
    assert (config["vec_env"], config["n_envs"]) == ("native", 4)
    header = (run_dir / "progress.csv").read_text().splitlines()[0].split(",")
    assert "rollout/ep_rew_mean" in header  # VecMonitor's episode statistics reach the logger
    assert load_agent(run_dir).num_timesteps == 64

    assert main(["--resume", str(run_dir), "-n", "128", "--verbose", "0"]) == 0
    config = yaml.safe_load((run_dir / "config.yml").read_text())
    assert config["vec_env"] == "native" and load_agent(run_dir).num_timesteps == 128
    with pytest.raises(ConfigError, match="--vec-env cannot change on --resume"):
        resolve_config(build_parser().parse_args(["--resume", str(run_dir), "--vec-env", "dummy"]))


def test_dummy_stays_the_default_and_old_runs_resume_as_dummy(tmp_path: Path) -> None:
    args = [*TINY_PPO, "--env", "Pendulum-v1", "--env-kwargs", "max_episode_steps:20", "-n", "32",
            "--seed", "0", "--eval-freq", "0", "-f", str(tmp_path), "--verbose", "0"]  # fmt: skip
    assert main(args) == 0
    run_dir = tmp_path / "ppo" / "Pendulum-v1_1"
    config_file = run_dir / "config.yml"
    config = yaml.safe_load(config_file.read_text())
    assert config["vec_env"] == "dummy"
    del config["vec_env"]  # a run folder written before --vec-env existed
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    resumed = resolve_config(build_parser().parse_args(["--resume", str(run_dir), "--vec-env", "dummy"]))
    assert resumed.vec_env == "dummy"
    with pytest.raises(ConfigError, match="--vec-env cannot change on --resume"):
        resolve_config(build_parser().parse_args(["--resume", str(run_dir), "--vec-env", "subproc"]))


def test_make_agent_takes_a_gymnasium_vector_env() -> None:
    venv = make_vector_env(ENV_ID, 2, "sync", FAST)
    hyperparams = {"n_steps": 16, "batch_size": 32, "n_epochs": 1, "policy_kwargs": "dict(net_arch=[8])"}
    model = make_agent("ppo", venv, seed=0, hyperparams=hyperparams)
    assert isinstance(model.get_env(), VecEnv) and model.n_envs == 2
    model.learn(32)
    assert model.num_timesteps == 32
    venv.close()


# --- reference policies and the evaluation harness on any vector env ---------------------------------------


VectorFactory = Callable[[int], "VecEnv | gym.vector.VectorEnv"]
VECTOR_ENVS: dict[str, VectorFactory] = {
    "DummyVecEnv": lambda n: make_sb3_vec_env(ENV_ID, n, env_kwargs=FAST),
    "SubprocVecEnv": lambda n: make_sb3_vec_env(ENV_ID, n, env_kwargs=FAST, vec_env="subproc"),
    "SyncVectorEnv": lambda n: make_vector_env(ENV_ID, n, "sync", FAST),
    "AsyncVectorEnv": lambda n: make_vector_env(ENV_ID, n, "async", FAST, wrappers=[ScalarInfo]),
    "adapter(SyncVectorEnv)": lambda n: VectorEnvAdapter(make_vector_env(ENV_ID, n, "sync", FAST)),
    "native": lambda n: make_vector_env(ENV_ID, n, "vector_entry_point", FAST),
}
POLICIES: dict[str, Callable[[object], object]] = {
    "adaptive": lambda env: make_agent("adaptive", env),  # ioa_gym.analysis.policies.AdaptiveStepPolicy
    "fixed-step": lambda env: make_agent("fixed-step", env, step=1.0),  # agents.baselines.FixedStepAgent
}


@pytest.fixture(scope="module", params=list(VECTOR_ENVS))
def vector_env(request: pytest.FixtureRequest) -> Iterator[VecEnv | gym.vector.VectorEnv]:
    if request.param == "native" and not HAS_NATIVE:
        pytest.skip(NO_NATIVE)
    env = VECTOR_ENVS[request.param](2)
    yield env
    env.close()


def build_policy(name: str, env: object) -> object:
    """``POLICIES[name](env)``; skipped where the native env cannot convert a step (see the reason)."""
    native = isinstance(env, gym.vector.VectorEnv) and not hasattr(env, "call")
    if name == "fixed-step" and native and not hasattr(env.unwrapped, "step_to_action"):
        pytest.skip("the native vector env has no step_to_action(step), which FixedStepAgent(step=...) needs")
    return POLICIES[name](env)


def played_actions(env: VecEnv | gym.vector.VectorEnv, policy: object, seed: int) -> list[list[np.ndarray]]:
    """Each sub-env's actions over its first episode (sub-env i reset with seed + i)."""
    sb3_env = VectorEnvAdapter(env) if isinstance(env, gym.vector.VectorEnv) else env
    sb3_env.seed(seed)
    obs = sb3_env.reset()
    actions: list[list[np.ndarray]] = [[] for _ in range(sb3_env.num_envs)]
    running = np.ones(sb3_env.num_envs, dtype=bool)
    while running.any():
        action, _ = policy.predict(obs, deterministic=True)  # type: ignore[attr-defined]
        for index in np.flatnonzero(running):
            actions[index].append(np.asarray(action[index]))
        obs, _, dones, _ = sb3_env.step(action)
        running &= ~dones
    return actions


def single_env_actions(policy_name: str, seed: int) -> list[np.ndarray]:
    env = gym.make(ENV_ID, **FAST)
    policy = POLICIES[policy_name](env)
    obs, _ = env.reset(seed=seed)
    actions, done = [], False
    while not done:
        action, _ = policy.predict(obs, deterministic=True)  # type: ignore[attr-defined]
        actions.append(np.asarray(action))
        obs, _, terminated, truncated, _ = env.step(action)
        done = terminated or truncated
    return actions


@pytest.mark.parametrize("policy_name", list(POLICIES))
def test_reference_policies_act_as_on_a_single_env(
    vector_env: VecEnv | gym.vector.VectorEnv, policy_name: str
) -> None:
    """Built for any vector env, `adaptive` and `fixed-step` choose, sub-env by sub-env, the actions they
    choose on a single env reset with the same seed."""
    policy = build_policy(policy_name, vector_env)
    for seed in (0, 40):
        for index, actions in enumerate(played_actions(vector_env, policy, seed)):
            expected = single_env_actions(policy_name, seed + index)
            assert len(actions) == len(expected)
            for action, expected_action in zip(actions, expected, strict=True):
                np.testing.assert_array_equal(action, expected_action)


@pytest.mark.parametrize("policy_name", ["adaptive", "fixed-step"])
def test_harness_rows_on_a_vector_env_are_those_of_single_episodes(
    vector_env: VecEnv | gym.vector.VectorEnv, policy_name: str
) -> None:
    """run_vector_episodes (batches of num_envs, an odd count so the last batch is partial) gives
    run_episode's rows for deterministic agents; the return up to the float32 rewards of SB3's API."""
    agent = build_policy(policy_name, vector_env)
    rows = run_vector_episodes(vector_env, agent, seed=1, episodes=3)
    env = gym.make(ENV_ID, **FAST)
    expected = [run_episode(env, POLICIES[policy_name](env), 1, episode) for episode in range(3)]
    for row, single in zip(rows, expected, strict=True):
        assert set(row) == set(single)
        assert row["return"] == pytest.approx(single["return"], abs=1e-5)
        same = {key for key in single if key not in ("return", "wall_time_s")}
        assert {key: row[key] for key in same} == {key: single[key] for key in same}


def test_evaluate_agents_in_batches_gives_the_same_table() -> None:
    agents = ["greedy", "adaptive", "fixed-step:step=1.0"]
    one = evaluate_agents(ENV_ID, agents, episodes=5, seeds=[0, 1], env_kwargs=FAST)
    batched = evaluate_agents(ENV_ID, agents, episodes=5, seeds=[0, 1], env_kwargs=FAST, n_envs=3)
    assert batched.to_json()["n_envs"] == 3 and batched.to_json()["vectorization_mode"] == "sync"
    assert len(one.rows) == len(batched.rows) == 30
    for row, single in zip(batched.rows, one.rows, strict=True):
        assert row["return"] == pytest.approx(single["return"], abs=1e-5)
        assert {k: v for k, v in row.items() if k not in ("return", "wall_time_s")} == {
            k: v for k, v in single.items() if k not in ("return", "wall_time_s")
        }


def test_baselines_read_a_gymnasium_vector_env_by_its_single_spaces() -> None:
    venv = make_vector_env(ENV_ID, 2, "async", FAST)
    try:
        assert GreedyAgent(venv).action_space == venv.single_action_space
        agent = FixedStepAgent(venv, step=1.0)
        np.testing.assert_array_equal(agent.action, gym.make(ENV_ID).unwrapped.step_to_action(1.0))
        action, _ = agent.predict(np.zeros((2, *venv.single_observation_space.shape), np.float32))
        assert action.shape == (2, 1)
        single, _ = GreedyAgent(venv).predict(np.zeros(venv.single_observation_space.shape, np.float32))
        assert single.shape == (1,)
    finally:
        venv.close()
