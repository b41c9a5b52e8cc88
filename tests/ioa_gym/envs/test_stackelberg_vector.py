"""The native vector env of IoA-Stackelberg-v0 (``gym.make_vec``'s default for the id,
``ioa_gym/envs/stackelberg_vector.py``) makes exactly the transitions of ``vectorization_mode="sync"``:
observations, rewards, terminations, truncations and infos (keys in the same order, with their masks, one
dtype and shape per key), bit for bit, autoresets, time limits and partial resets included; bad arguments
and actions fail naming what is wrong, as the single env's do. The single env's own observation is the
NumPy definition it had (ioa_gym 0.2.0)."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.envs.stackelberg import StackelbergPricingEnv
from ioa_gym.envs.stackelberg_vector import INFO_KEYS, MAX_NUM_ENVS, StackelbergPricingVectorEnv
from ioa_gym.errors import OptionError

ENV_ID = "IoA-Stackelberg-v0"


def same(a: object, b: object) -> bool:
    """Exact equality: dicts with their keys in the same order, arrays by shape, dtype and bytes."""
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and list(a) == list(b)
            and all(same(a[k], b[k]) for k in a)
        )
    if isinstance(a, tuple) or isinstance(b, tuple):
        return (
            isinstance(a, tuple)
            and isinstance(b, tuple)
            and all(same(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and (a.shape, a.dtype) == (b.shape, b.dtype)
            and a.tobytes() == b.tobytes()
        )
    return type(a) is type(b) and a == b


def play_both(n_envs: int, n_steps: int, seed: int, reset_every: int = 0, **kwargs) -> int:
    """Play the sync and the native vector env from reset(seed) with the same actions (some outside [-1, 1])
    and assert every transition identical; every ``reset_every`` steps also partial resets (alternate
    sub-envs, then the others with a seed list). Returns the truncations seen."""
    sync = gym.make_vec(ENV_ID, n_envs, vectorization_mode="sync", **kwargs)
    native = gym.make_vec(ENV_ID, n_envs, **kwargs)
    assert isinstance(native.unwrapped, StackelbergPricingVectorEnv)
    assert same(sync.reset(seed=seed), native.reset(seed=seed))
    rng = np.random.default_rng(seed)
    truncations = 0
    for t in range(1, n_steps + 1):
        actions = rng.uniform(-1.3, 1.3, (n_envs, 1)).astype(np.float32)
        expected, got = sync.step(actions), native.step(actions)
        for part, name in enumerate(("observation", "reward", "terminated", "truncated", "info")):
            assert same(expected[part], got[part]), f"step {t}: {name}\n{expected[part]!r}\n{got[part]!r}"
        truncations += int(expected[3].sum())
        if reset_every and t % reset_every == 0:
            mask = np.arange(n_envs) % 2 == 0
            assert same(sync.reset(options={"reset_mask": mask}), native.reset(options={"reset_mask": mask}))
            seeds = [seed + 100 + i if i % 3 else None for i in range(n_envs)]
            expected_reset = sync.reset(seed=seeds, options={"reset_mask": ~mask})
            assert same(expected_reset, native.reset(seed=seeds, options={"reset_mask": ~mask}))
    return truncations


@pytest.mark.parametrize(
    ("n_envs", "kwargs"),
    [
        (3, {"max_episode_steps": 4}),
        (4, {"max_episode_steps": 5, "leader": 0}),  # an MA prices
        (2, {"max_episode_steps": 3, "n_wa": 7, "n_ma": 1, "n_fa": 2, "n_aa": 3}),
        (2, {"max_episode_steps": 3, "n_ma": 3, "n_fa": 0, "n_aa": 0}),
        (3, {"max_episode_steps": 6, "rayleigh_fading": False, "scenario": {"n_wa": 30}}),
    ],
)
def test_native_transitions_are_the_sync_ones(n_envs: int, kwargs: dict) -> None:
    assert play_both(n_envs, 16, seed=n_envs, **kwargs) > 0


def test_partial_resets_and_the_registered_time_limit() -> None:
    assert play_both(4, 55, seed=7, reset_every=0) == 4  # the registered 50 steps
    play_both(5, 14, seed=8, reset_every=5, max_episode_steps=4)


def test_infos_have_every_key_with_its_mask_one_dtype_and_shape() -> None:
    envs = gym.make_vec(ENV_ID, 3)
    _, info = envs.reset(seed=0)
    config = envs.unwrapped.scenario_config
    for source in (info, envs.step(np.zeros((3, 1), np.float32))[4]):
        assert list(source) == [name for key in INFO_KEYS for name in (key, f"_{key}")]
        assert source["ratios"].shape == (3, config.n_wa, config.n_leaders)
        assert source["agent_utility"].shape == (3,) and source["latency_by_composition"].shape == (3, 3)
        assert all(source[key].dtype == np.float64 and source[f"_{key}"].all() for key in INFO_KEYS)


def test_bad_arguments_and_actions_are_named() -> None:
    for bad in (0, MAX_NUM_ENVS + 1, 2.5, True):
        with pytest.raises(ValueError, match=r"num_envs must be an integer in \[1, 65536\]"):
            StackelbergPricingVectorEnv(bad)
    with pytest.raises(ValueError, match="max_episode_steps must be an integer >= 1"):
        StackelbergPricingVectorEnv(2, max_episode_steps=0)
    with pytest.raises(ValueError, match="render_mode must be None"):
        StackelbergPricingVectorEnv(2, render_mode="ansi")
    with pytest.raises(OptionError, match="unexpected keyword argument 'colour'"):
        StackelbergPricingVectorEnv(2, colour=1)
    envs = StackelbergPricingVectorEnv(2, max_episode_steps=50)
    with pytest.raises(RuntimeError, match=r"call reset\(\) before step\(\)"):
        envs.step(np.zeros((2, 1)))
    with pytest.raises(RuntimeError, match="without a reset_mask first"):
        envs.reset(options={"reset_mask": np.array([True, False])})
    envs.reset(seed=np.int64(3))
    for actions, message in (
        (np.zeros((3, 1)), r"actions must have shape \(2, 1\)"),
        (np.array([[0.1], [math.nan]]), r"actions must be finite .*\(sub-env 1\)"),
        (np.array(["a", "b"]), "actions must be an array of real numbers"),
    ):
        with pytest.raises(ValueError, match=message):
            envs.step(actions)
    with pytest.raises(OptionError, match="unexpected keyword argument 'market'"):
        envs.reset(options={"market": None})
    for seed in (1.5, -1, [1, 2.5], [1]):
        with pytest.raises(ValueError, match="seed must be None, an integer >= 0 or a list of 2 seeds"):
            envs.reset(seed=seed)
    with pytest.raises(ValueError, match="reset_mask"):
        envs.reset(options={"reset_mask": np.array([False, False])})
    np.testing.assert_array_equal(envs.step(np.array([5.0, -5.0]))[2], [False, False])  # clipped, as (2,)


def reference_observation(env: StackelbergPricingEnv) -> np.ndarray:
    """``StackelbergPricingEnv._observation`` as ioa_gym 0.2.0 wrote it, in NumPy."""
    sc, cfg, me = env.scenario, env.scenario_config, env.leader
    assert sc is not None
    p_max = cfg.max_price
    capacity = sc.fa_capacity[me - cfg.n_ma] / cfg.fa_capacity_range[1] if env.is_fa else 0.0
    share = env._share[me - cfg.n_ma] if env.is_fa else 0.0
    adjustment = sc.direct_cost_adjustment[:, me]
    if env.is_fa:
        adjustment = adjustment + share * sc.aerial_cost_extra[:, me - cfg.n_ma]
    n_others = env._others.size
    obs = np.empty(n_others + 10)
    obs[:4] = (sc.leader_unit_cost[me] / p_max, float(env.is_fa), capacity, env._prices[me] / p_max)
    obs[4 : 4 + n_others] = env._prices[env._others] / p_max
    obs[4 + n_others :] = (
        sc.task_work.mean() / env._max_work,
        sc.satisfaction_weight.mean() / cfg.satisfaction_weight_range[1],
        (adjustment / sc.task_work).mean() / p_max,
        env._loads[me] / (sc.n_wa * env._max_work),
        share,
        cfg.aerial_price / p_max,
    )
    return np.clip(obs, -1.0, 1.0).astype(np.float32)


@pytest.mark.parametrize("kwargs", [{}, {"leader": 1}, {"n_wa": 200}, {"n_wa": 3, "n_ma": 0, "n_fa": 1}])
def test_the_single_env_observation_is_its_numpy_definition(kwargs: dict) -> None:
    env = StackelbergPricingEnv(**kwargs)
    observation, _ = env.reset(seed=4)
    rng = np.random.default_rng(4)
    for _ in range(10):
        assert observation.tobytes() == reference_observation(env).tobytes()
        observation = env.step(rng.uniform(-1.2, 1.2, (1,)).astype(np.float32))[0]


@pytest.mark.parametrize("mode", [gym.vector.AutoresetMode.NEXT_STEP, "NextStep", "next_step"])
def test_next_step_autoreset_mode_is_taken(mode: object) -> None:
    envs = gym.make_vec(ENV_ID, 2, autoreset_mode=mode)
    assert envs.metadata["autoreset_mode"] is gym.vector.AutoresetMode.NEXT_STEP
    envs.close()


@pytest.mark.parametrize("mode", [gym.vector.AutoresetMode.SAME_STEP, "Disabled", "bogus", 3])
def test_other_autoreset_modes_are_refused_naming_the_sync_env(mode: object) -> None:
    with pytest.raises(ValueError, match=r"autoreset_mode must be one of \['NextStep'\].*vector_kwargs"):
        gym.make_vec(ENV_ID, 2, autoreset_mode=mode)


@pytest.mark.parametrize("env_id", [ENV_ID, "IoA-DDA-v0"])
def test_autoreset_mode_given_to_the_sync_env_names_vector_kwargs(env_id: str) -> None:
    with pytest.raises(ValueError, match=r"autoreset_mode.*vector_kwargs=\{'autoreset_mode': mode\}"):
        gym.make_vec(env_id, 2, vectorization_mode="sync", autoreset_mode="SameStep")
