"""Batched random actions (ioa_gym/analysis/sampling.py): the same actions, in the same order and of the same
types, as one ``space.sample()`` per action from the same seed, whatever the batch size and however the draws
are split between single actions and batches; reseeding starts the new seed's sequence; the generator state
a random agent saves is the one the per-call draws would have left."""

from __future__ import annotations

import copy

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from hypothesis import given, settings
from hypothesis import strategies as st

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.analysis.sampling import ActionSampler, batchable

SPACES = {
    "box1": spaces.Box(-1.0, 1.0, (1,), np.float32),
    "box2": spaces.Box(np.array([-1.0, 0.0], np.float32), np.array([1.0, 0.5], np.float32)),
    "box64": spaces.Box(-3.0, 2.0, (2, 3), np.float64),
    "discrete": spaces.Discrete(12),
    "discrete_start": spaces.Discrete(5, start=-2),
    "unbounded": spaces.Box(-np.inf, 1.0, (2,), np.float32),
    "integer_box": spaces.Box(0, 5, (2,), np.int64),
    "multi_discrete": spaces.MultiDiscrete([3, 4]),
}


def same_action(a: object, b: object) -> bool:
    return type(a) is type(b) and np.asarray(a).dtype == np.asarray(b).dtype and np.array_equal(a, b)


@pytest.mark.parametrize("name", sorted(SPACES))
@given(
    seed=st.integers(0, 2**32 - 1),
    batch_size=st.integers(1, 40),
    chunks=st.lists(st.integers(0, 30), min_size=1, max_size=8),
)
@settings(max_examples=25, deadline=None)
def test_the_same_actions_as_sample_called_per_action(name: str, seed: int, batch_size: int, chunks) -> None:
    reference, space = copy.deepcopy(SPACES[name]), copy.deepcopy(SPACES[name])
    reference.seed(seed)
    space.seed(seed)
    sampler = ActionSampler(space, batch_size)
    for index, chunk in enumerate(chunks):
        if index % 2:  # a batch
            expected = np.stack([np.asarray(reference.sample()) for _ in range(chunk)]) if chunk else None
            got = sampler.sample_batch(chunk)
            assert expected is None and len(got) == 0 or same_action(expected, got)
        else:
            for _ in range(chunk):
                assert same_action(reference.sample(), sampler())
    assert sampler.generator_state() == reference.np_random.bit_generator.state


def test_which_spaces_are_drawn_in_batches() -> None:
    assert {name for name, space in SPACES.items() if batchable(space)} == {
        "box1",
        "box2",
        "box64",
        "discrete",
        "discrete_start",
    }
    for env_id in ("IoA-DDA-v0", "IoA-DDA-Discrete-v0", "IoA-DDA-StrategyProof-v0", "IoA-Stackelberg-v0"):
        assert ActionSampler(gym.make(env_id).action_space).batched, env_id


def test_reseeding_starts_the_new_seed_and_actions_are_fresh_arrays() -> None:
    space = spaces.Box(-1.0, 1.0, (1,), np.float32)
    sampler = ActionSampler(space, 64)
    space.seed(3)
    first = [sampler() for _ in range(5)]
    space.seed(3)
    again = [sampler() for _ in range(5)]
    assert all(same_action(a, b) for a, b in zip(first, again, strict=True))
    again[0][0] = 5.0  # an action handed out is the caller's: writing into it changes no other action
    assert all(a[0] != 5.0 for a in again[1:]) and sampler()[0] != 5.0
    sampler.clear()
    reference = copy.deepcopy(space)
    assert sampler.generator_state() == reference.np_random.bit_generator.state


def test_env_loop_with_the_sampler_plays_the_sample_loop() -> None:
    """A naive loop (``env.action_space.sample()`` before every step) and the sampler's loop, same seeds:
    the same transitions."""
    runs = []
    for batched in (False, True):
        env = gym.make("IoA-DDA-v0", market_source="synthetic")
        env.action_space.seed(11)
        sample = ActionSampler(env.action_space) if batched else env.action_space.sample
        env.reset(seed=5)
        rewards = []
        for _ in range(300):
            _, reward, terminated, truncated, _ = env.step(sample())
            rewards.append(reward)
            if terminated or truncated:
                env.reset()
        runs.append(rewards)
    assert runs[0] == runs[1]


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_batch_size_is_named(bad: object) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        ActionSampler(spaces.Discrete(3), bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="space"):
        ActionSampler("Discrete(3)")  # type: ignore[arg-type]
