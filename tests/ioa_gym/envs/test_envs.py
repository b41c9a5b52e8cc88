"""Contract tests for every registered ``IoA-*`` environment: checkers, seeding, spaces, time limits,
pickling, string entry points, vectorisation and early configuration errors.

The ids are discovered from the Gymnasium registry after ``import ioa_gym``, so an environment
registered later is covered without editing this file.
"""

from __future__ import annotations

import dataclasses
import math
import pickle
import subprocess
import sys
import textwrap
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gymnasium_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import ioa_gym  # noqa: F401  (registers the environments)

ENV_IDS = sorted(env_id for env_id in gym.registry if env_id.startswith("IoA-"))
DDA_ENTRY_POINT = "ioa_gym.envs.dda:make_env"
ROLLOUT_STEPS = 200


def is_dda(env_id: str) -> bool:
    return gym.spec(env_id).entry_point == DDA_ENTRY_POINT


def same(a: object, b: object) -> bool:
    """Exact equality of observations and infos: arrays by value and dtype, NaN equal to NaN,
    dataclasses (an info's AuctionResult) field by field."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and a.keys() == b.keys()
            and all(same(a[k], b[k]) for k in a)
        )
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        equal_nan = a.dtype.kind == "f"
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=equal_nan)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def rollout(env: gym.Env, actions: list, seed: int) -> list[tuple]:
    """Play `actions` from reset(seed), resetting (unseeded) whenever an episode ends."""
    transitions = [env.reset(seed=seed)]
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        transitions.append((obs, reward, terminated, truncated, info))
        if terminated or truncated:
            transitions.append(env.reset())
    return transitions


def random_actions(env: gym.Env, n: int, seed: int = 0) -> list:
    space = env.action_space
    space.seed(seed)
    return [space.sample() for _ in range(n)]


def assert_same_rollouts(first: list[tuple], second: list[tuple]) -> None:
    assert len(first) == len(second)
    for t, (a, b) in enumerate(zip(first, second, strict=True)):
        assert len(a) == len(b)
        for part_a, part_b in zip(a, b, strict=True):
            assert same(part_a, part_b), f"transition {t} differs: {part_a!r} != {part_b!r}"


def rollouts_equal(first: list[tuple], second: list[tuple]) -> bool:
    return len(first) == len(second) and all(
        len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        for a, b in zip(first, second, strict=True)
    )


def test_some_environments_are_registered() -> None:
    assert {"IoA-DDA-v0", "IoA-DDA-Discrete-v0"} <= set(ENV_IDS)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_gymnasium_env_checker(env_id: str) -> None:
    env = gym.make(env_id)
    with warnings.catch_warnings():
        # Every checker warning is a defect here. The checker is given the unwrapped env, as its
        # documentation asks (it warns on wrapped ones); the wrappers are Gymnasium's own.
        warnings.simplefilter("error")
        gymnasium_check_env(env.unwrapped)
    env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_sb3_env_checker(env_id: str) -> None:
    env = gym.make(env_id)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sb3_check_env(env, warn=True)
    env.close()


def capped(env_id: str, steps: int = 40) -> dict:
    """Options of a TimeLimit of ``steps``; the DDA envs refuse one below their round limit, so theirs too."""
    return {"max_episode_steps": steps, **({"max_rounds": steps} if env_id.startswith("IoA-DDA") else {})}


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_seeded_runs_are_identical(env_id: str) -> None:
    # Episodes capped so that several of them (seeded reset, then unseeded resets) fit in the budget.
    first = gym.make(env_id, **capped(env_id))
    second = gym.make(env_id, **capped(env_id))
    actions = random_actions(first, 120)
    run_first, run_second = rollout(first, actions, seed=123), rollout(second, actions, seed=123)
    assert sum(len(t) == 2 for t in run_first) >= 3, "expected several episodes"
    assert_same_rollouts(run_first, run_second)
    # The seed matters: another seed gives another trajectory under the same actions.
    short = rollout(gym.make(env_id, **capped(env_id)), actions[:20], seed=123)
    other = rollout(gym.make(env_id, **capped(env_id)), actions[:20], seed=124)
    assert rollouts_equal(short, run_first[: len(short)])
    assert not rollouts_equal(short, other)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_observations_stay_in_space(env_id: str) -> None:
    env = gym.make(env_id)
    obs, _ = env.reset(seed=7)
    assert env.observation_space.contains(obs), obs
    for action in random_actions(env, ROLLOUT_STEPS, seed=7):
        obs, reward, terminated, truncated, _ = env.step(action)
        assert env.observation_space.contains(obs), obs
        assert isinstance(reward, float) and math.isfinite(reward)
        if terminated or truncated:
            obs, _ = env.reset()
            assert env.observation_space.contains(obs), obs


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_truncation_at_the_step_limit(env_id: str) -> None:
    env = gym.make(env_id, **capped(env_id, 3))
    env.reset(seed=0)
    for step, action in enumerate(random_actions(env, 3), start=1):
        _, _, terminated, truncated, _ = env.step(action)
        if terminated:
            break
        assert truncated == (step == 3), f"step {step}: truncated={truncated}"


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_pickle_round_trip(env_id: str) -> None:
    env = gym.make(env_id)
    fresh_copy = pickle.loads(pickle.dumps(env))
    actions = random_actions(env, 30, seed=3)
    assert_same_rollouts(rollout(env, actions, seed=5), rollout(fresh_copy, actions, seed=5))

    # Mid-episode: the copy continues exactly like the original, including unseeded resets.
    env.reset(seed=11)
    for action in actions[:4]:
        env.step(action)
    copy = pickle.loads(pickle.dumps(env))
    for action in actions[4:]:
        original_step, copied_step = env.step(action), copy.step(action)
        assert_same_rollouts([original_step], [copied_step])
        if original_step[2] or original_step[3]:
            assert_same_rollouts([env.reset()], [copy.reset()])


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_string_entry_point_in_a_fresh_process(env_id: str) -> None:
    script = textwrap.dedent(f"""
        import sys
        import gymnasium as gym
        assert "ioa_gym" not in sys.modules
        env = gym.make("ioa_gym:{env_id}")
        obs, _ = env.reset(seed=0)
        env.step(env.action_space.sample())
        assert env.observation_space.contains(obs)
        assert "ioa_gym" in sys.modules
    """)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_sync_and_async_vector_envs(env_id: str) -> None:
    runs = {}
    for mode in ("sync", "async"):
        envs = gym.make_vec(f"ioa_gym:{env_id}", num_envs=2, vectorization_mode=mode)
        try:
            obs, _ = envs.reset(seed=21)
            trajectory = [obs]
            for action in random_actions(envs, 15, seed=21):
                obs, rewards, terminated, truncated, _ = envs.step(action)
                assert envs.observation_space.contains(obs)
                assert rewards.shape == terminated.shape == truncated.shape == (2,)
                trajectory.append(obs)
                trajectory.append(rewards)
            runs[mode] = trajectory
        finally:
            envs.close()
    # Same seed, same actions: both modes step the sub-envs identically.
    for sync_part, async_part in zip(runs["sync"], runs["async"], strict=True):
        np.testing.assert_array_equal(sync_part, async_part)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_every_info_has_the_same_keys_of_numpy_numbers(env_id: str) -> None:
    """What replay buffers need (Tianshou stores every key of every step's info, TorchRL's info reader asks
    each value's dtype): reset's info and every step's have the same keys, each value a NumPy scalar or array
    of one numeric dtype and shape, never nan; Gymnasium's sync vector env stacks none into an object
    array."""
    env = gym.make(env_id, **capped(env_id, 30))
    _, info = env.reset(seed=5)
    infos = [info]
    for action in random_actions(env, 60, seed=5):
        _, _, terminated, truncated, info = env.step(action)
        infos.append(info)
        if terminated or truncated:
            infos.append(env.reset()[1])
    kinds = {key: (type(value), np.shape(value), np.asarray(value).dtype) for key, value in infos[0].items()}
    for info in infos:
        assert {key: (type(v), np.shape(v), np.asarray(v).dtype) for key, v in info.items()} == kinds
        assert all(np.isfinite(value).all() for value in info.values())
    assert all(
        issubclass(kind, np.ndarray | np.generic) and dtype.kind in "biuf"
        for kind, _, dtype in kinds.values()
    )
    envs = gym.make_vec(env_id, 2, vectorization_mode="sync", **capped(env_id, 30))
    _, batched = envs.reset(seed=5)
    for action in random_actions(envs, 40, seed=5):
        _, _, _, _, batched = envs.step(action)
        assert {key: value.dtype.kind for key, value in batched.items()} == {
            **{key: dtype.kind for key, (_, _, dtype) in kinds.items()},
            **{f"_{key}": "b" for key in kinds},
        }
    envs.close()


COMMON_BAD_KWARGS = [
    ({"no_such_option": 1}, "no_such_option"),
    ({"n_wa": 0}, "n_wa"),
    ({"scenario": {"n_aa": -1}}, "n_aa"),
    ({"task_data_range": (5.0, 1.0)}, "task_data_range"),
]
DDA_BAD_KWARGS = [
    ({"step_min": 0.0}, "step_min"),
    ({"step_min": -0.1}, "step_min"),
    ({"step_max": 0.001}, "step_max"),
    ({"eta": -0.01}, "eta"),
    ({"variant": "english"}, "variant"),
    ({"market_source": "csv"}, "market_source"),
    ({"max_rounds": 0}, "max_rounds"),
    ({"price_bounds": (10.0, 1.0)}, "price_bounds"),
    ({"step_scale": "cubic"}, "step_scale"),
    ({"discrete_steps": 1}, "discrete_steps"),
    ({"n_aa": 0}, "n_aa"),  # Tier-1 markets need sellers (AAs) and buyers (FAs)
    ({"n_fa": 0}, "n_fa"),
]


@pytest.mark.parametrize(
    ("env_id", "kwargs", "field"),
    [
        (env_id, kwargs, field)
        for env_id in ENV_IDS
        for kwargs, field in COMMON_BAD_KWARGS + (DDA_BAD_KWARGS if is_dda(env_id) else [])
    ],
)
def test_bad_options_fail_at_make_naming_the_field(env_id: str, kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        gym.make(env_id, **kwargs)
