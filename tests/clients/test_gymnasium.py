"""Gymnasium as a client: its env checker on every id, and ``gym.make_vec`` in each vectorisation mode stepped
as a user would, every info value keeping one dtype and shape from step to step.

Gymnasium is a dependency of the project, so this file runs everywhere (also in the RLlib venv of
``scripts/check_clients.sh``, where Gymnasium is RLlib's pinned 1.2.2).
"""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from tests.clients._envs import ALL_IDS, NATIVE_IDS, record_signatures

STEPS = 150
NUM_ENVS = 3


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_gymnasium_env_checker_passes(env_id: str) -> None:
    env = gym.make(env_id)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the checker's warnings count as failures here
            check_env(env.unwrapped, skip_render_check=True)
    finally:
        env.close()


MODES = [(env_id, mode) for env_id in ALL_IDS for mode in ("sync", "async")] + [
    (env_id, "vector_entry_point") for env_id in NATIVE_IDS
]


@pytest.mark.parametrize(("env_id", "mode"), MODES, ids=[f"{env_id}-{mode}" for env_id, mode in MODES])
def test_make_vec_steps_with_one_dtype_and_shape_per_info_value(env_id: str, mode: str) -> None:
    envs = gym.make_vec(env_id, num_envs=NUM_ENVS, vectorization_mode=mode)
    try:
        envs.action_space.seed(0)
        observations, infos = envs.reset(seed=0)
        seen: dict[str, set] = {}
        record_signatures(seen, infos)
        episodes = 0
        for _ in range(STEPS):
            observations, rewards, terminated, truncated, infos = envs.step(envs.action_space.sample())
            assert envs.observation_space.contains(observations)
            assert rewards.shape == terminated.shape == truncated.shape == (NUM_ENVS,)
            assert np.all(np.isfinite(rewards))
            record_signatures(seen, infos)
            episodes += int(np.sum(terminated | truncated))
    finally:
        envs.close()
    assert episodes > 0, f"no episode ended in {STEPS} steps"
    varying = {key: sorted(kinds) for key, kinds in seen.items() if len(kinds) > 1}
    assert not varying, f"info values whose dtype or shape changes from step to step: {varying}"
    for key, kinds in seen.items():
        (dtype, shape), *_ = kinds
        assert shape[:1] == (NUM_ENVS,), f"info[{key!r}] is not one value per sub-env: shape {shape}"
        if key.split(".")[-1].startswith("_"):
            assert dtype == "|b1", f"mask info[{key!r}] is not boolean: {dtype}"
