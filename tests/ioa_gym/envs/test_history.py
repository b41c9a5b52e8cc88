"""The observation-history option of the IoA-DDA envs (``history_length``, issue 25 point 3): the default
unchanged, the window the last k single observations (padded at reset), the checkers, the native vector env
identical to sync, the reference policies on the newest frame, bad values refused."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.analysis.policies import AdaptiveStepPolicy
from tests.ioa_gym.envs.test_vector_env import assert_same_transitions, make_pair

SYNTHETIC = {"market_source": "synthetic"}


def play(env: gym.Env, seed: int, n_steps: int) -> list[np.ndarray]:
    """Observations of reset(seed) and of ``n_steps`` random actions (resetting when an episode ends)."""
    observations = [env.reset(seed=seed)[0]]
    env.action_space.seed(seed)
    for _ in range(n_steps):
        obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
        observations.append(obs)
        if terminated or truncated:
            observations.append(env.reset()[0])
    return observations


@pytest.mark.parametrize("env_id", ["IoA-DDA-v0", "IoA-DDA-StrategyProof-v0"])
def test_default_is_the_single_observation_bit_for_bit(env_id: str) -> None:
    plain, one = gym.make(env_id, **SYNTHETIC), gym.make(env_id, history_length=1, **SYNTHETIC)
    assert plain.observation_space == one.observation_space
    assert plain.unwrapped.obs_names == one.unwrapped.obs_names
    assert "@" not in "".join(plain.unwrapped.obs_names)
    for seed in (0, 1, 2):
        expected, got = play(plain, seed, 80), play(one, seed, 80)
        assert len(expected) == len(got)
        for a, b in zip(expected, got, strict=True):
            assert a.dtype == b.dtype == np.float32 and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("k", [2, 4])
def test_the_window_holds_the_last_k_single_observations_oldest_first(k: int) -> None:
    single, stacked = (
        gym.make("IoA-DDA-v0", **SYNTHETIC),
        gym.make("IoA-DDA-v0", history_length=k, **SYNTHETIC),
    )
    d = single.observation_space.shape[0]
    assert stacked.observation_space.shape == (k * d,)
    assert stacked.observation_space.dtype == np.float32
    np.testing.assert_array_equal(stacked.observation_space.low, np.tile(single.observation_space.low, k))
    names = stacked.unwrapped.obs_names
    assert len(names) == k * d and names[-d:] == single.unwrapped.obs_names
    assert names[0] == f"buyer_price@-{k - 1}"
    frames: list[np.ndarray] = []
    for seed in (3, 4):
        obs, _ = single.reset(seed=seed)
        window, _ = stacked.reset(seed=seed)
        single.action_space.seed(seed)
        frames = [obs] * k  # padded with the reset observation
        for _ in range(60):
            assert window.tobytes() == np.concatenate(frames[-k:]).tobytes()
            assert stacked.observation_space.contains(window)
            action = single.action_space.sample()
            obs, _, terminated, _, _ = single.step(action)
            window, _, terminated_stacked, _, _ = stacked.step(action)
            assert terminated == terminated_stacked
            frames.append(obs)
            if terminated:
                obs, _ = single.reset()
                window, _ = stacked.reset()
                frames = [obs] * k


def test_gymnasium_and_sb3_checkers_pass_with_history() -> None:
    env = gym.make("IoA-DDA-v0", history_length=4, **SYNTHETIC)
    check_env(env.unwrapped)
    sb3_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    sb3_checker.check_env(gym.make("IoA-DDA-v0", history_length=4, **SYNTHETIC).unwrapped, warn=True)


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP, AutoresetMode.DISABLED])
def test_native_vector_env_with_history_is_sync_bit_for_bit(mode: AutoresetMode) -> None:
    sync, native = make_pair(
        "IoA-DDA-v0",
        4,
        mode,
        history_length=3,
        market_source="synthetic",
        step_min=0.2,
        max_episode_steps=25,
        max_rounds=25,
    )
    assert native.single_observation_space == sync.single_observation_space
    assert native.observation_space.shape == (4, 3 * 14)
    counts = assert_same_transitions(sync, native, 160, seed=5, reset_every=41)
    assert counts["terminated"] >= 10 and counts["truncated"] >= 4 and counts["simultaneous"] >= 1
    sync.close()
    native.close()


@pytest.mark.parametrize("env_id", ["IoA-DDA-v0", "IoA-DDA-StrategyProof-v0", "IoA-DDA-DoubleClock-v0"])
def test_adaptive_policy_acts_on_the_newest_frame(env_id: str) -> None:
    single, stacked = gym.make(env_id, **SYNTHETIC), gym.make(env_id, history_length=5, **SYNTHETIC)
    plain, history = AdaptiveStepPolicy(single), AdaptiveStepPolicy(stacked)
    for seed in (0, 1):
        obs, _ = single.reset(seed=seed)
        window, _ = stacked.reset(seed=seed)
        done = False
        while not done:
            action, _ = plain.predict(obs)
            assert np.array_equal(action, history.predict(window)[0])
            obs, reward, terminated, truncated, _ = single.step(action)
            window, reward_stacked, *_ = stacked.step(action)
            assert reward == reward_stacked
            done = terminated or truncated


@pytest.mark.parametrize("value", [0, -1, 65, 2.0, True, "3", None])
def test_bad_history_lengths_are_refused_naming_the_field_and_range(value: object) -> None:
    with pytest.raises(ValueError, match=r"history_length must be an integer in \[1, 64\]"):
        gym.make("IoA-DDA-v0", history_length=value)
    with pytest.raises(ValueError, match="history_length"):
        gym.make_vec("IoA-DDA-v0", 2, history_length=value)
