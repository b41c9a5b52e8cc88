"""Bad actions (refused at ``step``, naming the action space) and bad reset options of the IoA envs;
stepping past an episode's end; random actions never give NaN rewards or observations, and info values keep
one type; bad arguments of the IC audit (issue 11, the env side)."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.analysis.ic_audit import audit_policy
from ioa_gym.auctions import (
    Market,
)
from ioa_gym.envs.dda import INFO_DTYPES, INFO_KEYS
from ioa_gym.envs.wrappers import EndedEpisodeGuard
from ioa_gym.errors import OptionError

DDA, DISCRETE, STACKELBERG = "IoA-DDA-v0", "IoA-DDA-Discrete-v0", "IoA-Stackelberg-v0"
SYNTHETIC = {"market_source": "synthetic"}
NATIVE = "vector_entry_point"
MARKET = Market([10.0, 8.0], [2, 2], [3.0, 6.0], [3, 2])


DISCRETE_MESSAGE = r"action must be an integer in \[0, 11\] \(the action space is Discrete\(12\)"
BOX_SHAPE = (
    r"action must be an array of shape \(1,\) \(the action space is Box\(-1.0, 1.0, \(1,\), float32\)\)"
)
BOX_FINITE = r"action must be finite \(the action space is Box\(-1.0, 1.0, \(1,\), float32\)"
ACTION_CASES = [
    ("discrete-negative", DISCRETE, {}, -1, DISCRETE_MESSAGE + "; no negative indexing"),
    ("discrete-too-large", DISCRETE, {}, 12, DISCRETE_MESSAGE),
    ("discrete-float", DISCRETE, {}, 3.7, DISCRETE_MESSAGE),
    ("discrete-integral-float", DISCRETE, {}, 3.0, DISCRETE_MESSAGE),
    ("discrete-bool", DISCRETE, {}, True, DISCRETE_MESSAGE),
    ("discrete-float-array", DISCRETE, {}, np.array([1.0]), DISCRETE_MESSAGE),
    ("discrete-string", DISCRETE, {}, "3", DISCRETE_MESSAGE),
    ("box-two-entries", DDA, {}, np.array([0.0, 1.0], np.float32), BOX_SHAPE + r", got shape \(2,\)"),
    ("box-empty", DDA, {}, np.array([], np.float32), BOX_SHAPE + r", got shape \(0,\)"),
    ("box-2d", DDA, {}, np.array([[0.5]], np.float32), BOX_SHAPE + r", got shape \(1, 1\)"),
    ("box-string", DDA, {}, "fast", BOX_SHAPE),
    ("box-numeric-string", DDA, {}, "0.5", BOX_SHAPE + r", got no array of real numbers"),
    ("box-bool", DDA, {}, True, BOX_SHAPE + r", got no array of real numbers"),
    ("box-complex", DDA, {}, np.array([1j]), BOX_SHAPE + r", got no array of real numbers"),
    ("stackelberg-string", STACKELBERG, {}, "0.5", BOX_SHAPE + r", got no array of real numbers"),
    ("box-nan", DDA, {}, np.array([np.nan], np.float32), BOX_FINITE),
    ("box-inf", DDA, {}, [math.inf], BOX_FINITE),
    (
        "per-clock-one-entry",
        DDA,
        {"per_clock_steps": True},
        np.array([0.5], np.float32),
        r"action must be an array of shape \(2,\) \(the action space is Box\(-1.0, 1.0, \(2,\), float32\)\)",
    ),
    (
        "per-clock-nan-seller",
        DDA,
        {"per_clock_steps": True},
        np.array([0.5, np.nan], np.float32),
        r"action must be finite \(the action space is Box\(-1.0, 1.0, \(2,\), float32\)",
    ),
    ("stackelberg-nan", STACKELBERG, {}, np.array([np.nan], np.float32), BOX_FINITE),
    ("stackelberg-inf", STACKELBERG, {}, np.array([-math.inf], np.float32), BOX_FINITE),
    ("stackelberg-empty", STACKELBERG, {}, np.array([], np.float32), BOX_SHAPE + r", got shape \(0,\)"),
    ("stackelberg-two", STACKELBERG, {}, np.array([0.1, 0.2], np.float32), BOX_SHAPE + r", got shape \(2,\)"),
]


@pytest.mark.parametrize(
    ("env_id", "options", "action", "pattern"),
    [case[1:] for case in ACTION_CASES],
    ids=[case[0] for case in ACTION_CASES],
)
def test_actions_outside_the_space_fail_naming_the_space(env_id, options, action, pattern) -> None:
    env = gym.make(env_id, **({} if env_id == STACKELBERG else SYNTHETIC), **options)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=pattern):
        env.step(action)
    # Nothing moved: a valid action still steps the episode from its start.
    assert env.unwrapped.auction.rounds == 0 if env_id != STACKELBERG else True
    env.step(env.action_space.sample())


@pytest.mark.parametrize(
    ("env_id", "actions", "pattern"),
    [
        (
            DDA,
            np.array([[0.0], [np.nan], [0.5]], np.float32),
            r"actions must be finite \(the action space is Box.*sub-env 1",
        ),
        (DDA, np.array([[0.0], [np.inf], [0.5]], np.float32), r"actions must be finite"),
        (DDA, np.zeros((3, 2), np.float32), r"actions must have shape \(3, 1\) \(the action space is Box"),
        (DDA, np.array([["a"], ["b"], ["c"]]), r"actions must be an array of real numbers"),
        (
            DDA,
            np.array([["0.5"], ["0.1"], ["0.2"]]),
            r"actions must be an array of real numbers \(no strings",
        ),
        (DDA, np.array([[True], [False], [True]]), r"actions must be an array of real numbers \(no strings"),
        (
            DISCRETE,
            np.array([0, -1, 1]),
            r"actions must lie in \[0, 11\] \(the action space is MultiDiscrete.*no negative indexing",
        ),
        (DISCRETE, np.array([0.0, 3.7, 1.0]), r"actions must be 3 integers"),
    ],
)
def test_native_vector_env_checks_actions_like_the_single_env(env_id, actions, pattern) -> None:
    envs = gym.make_vec(env_id, 3, vectorization_mode=NATIVE, **SYNTHETIC)
    envs.reset(seed=0)
    with pytest.raises(ValueError, match=pattern):
        envs.step(actions)


def test_finite_box_actions_outside_the_bounds_are_clipped_in_every_env() -> None:
    for env_id in (DDA, STACKELBERG):
        kwargs = {} if env_id == STACKELBERG else SYNTHETIC
        inside, outside = gym.make(env_id, **kwargs), gym.make(env_id, **kwargs)
        inside.reset(seed=3), outside.reset(seed=3)
        a, b = inside.step(np.array([1.0], np.float32)), outside.step(np.array([7.5], np.float32))
        np.testing.assert_array_equal(a[0], b[0])
        assert a[1] == b[1]


# -- reset options and the episode's end --------------------------------------------------------------


def test_bad_reset_options_fail_naming_them() -> None:
    env = gym.make(DDA, **SYNTHETIC)
    with pytest.raises(
        OptionError, match=r"reset\(\) options got an unexpected keyword argument 'markt'.*'market'"
    ):
        env.reset(options={"markt": None})
    with pytest.raises(ValueError, match=r"options of reset\(\) must be a dict or None"):
        env.reset(options=["market"])
    with pytest.raises(ValueError, match=r"options\['market'\] must be an ioa_gym.auctions.Market"):
        env.reset(options={"market": "small"})
    with pytest.raises(OptionError, match=r"unexpected keyword argument 'market'"):
        gym.make(STACKELBERG).reset(options={"market": None})
    envs = gym.make_vec(DDA, 2, vectorization_mode=NATIVE, **SYNTHETIC)
    with pytest.raises(OptionError, match=r"unexpected keyword argument 'mask'.*'reset_mask'"):
        envs.reset(options={"mask": None})


@pytest.mark.parametrize("env_id", [DDA, DISCRETE])
def test_stepping_after_the_auction_ended_raises(env_id: str) -> None:
    env = gym.make(env_id, max_rounds=3, step_min=0.02, step_max=0.02, **SYNTHETIC)
    env.reset(seed=0)
    action = env.unwrapped.step_to_action(0.02)
    ends = [env.step(action)[2] for _ in range(3)]
    assert ends == [False, False, True]
    with pytest.raises(RuntimeError, match=r"the episode has ended .*terminated.*call reset\(\)"):
        env.step(action)
    env.reset()
    env.step(action)


def test_stepping_the_stackelberg_env_after_truncation_raises_under_the_guard() -> None:
    """IoA-Stackelberg-v0 registers no EndedEpisodeGuard (Gymnasium's make_vec refuses a vector entry point
    beside additional wrappers): wrapped by hand, above the TimeLimit, it refuses a step after the end."""
    env = EndedEpisodeGuard(gym.make(STACKELBERG, max_episode_steps=2))
    env.reset(seed=0)
    action = np.zeros(1, np.float32)
    assert [env.step(action)[3] for _ in range(2)] == [False, True]
    with pytest.raises(
        RuntimeError, match=r"the episode has ended \(truncated by the time limit\); call reset\(\)"
    ):
        env.step(action)
    env.reset(seed=1)
    assert not env.step(action)[3]


# -- properties ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("env_id", "options"), [(DDA, {}), (DDA, {"per_clock_steps": True}), (DISCRETE, {})])
def test_random_actions_never_give_nan_and_infos_keep_their_types(env_id: str, options: dict) -> None:
    env = gym.make(env_id, **SYNTHETIC, **options)
    base = env.unwrapped
    rng = np.random.default_rng(7)
    types: dict[str, set] = {}
    episodes = 0
    obs, info = env.reset(seed=7)
    for step in range(4000):
        if base.step_sizes is not None:  # the largest step often: the shortest auctions
            action = int(rng.integers(base.action_space.n)) if step % 3 else base.action_space.n - 1
        else:  # finite, partly outside [-1, 1] (clipped), and the largest step often
            action = (
                rng.uniform(-3, 3, base.action_space.shape) if step % 3 else np.ones(base.action_space.shape)
            ).astype(np.float32)
        assert info["active_clock"] in (0, 1) and info["active_clock"] == obs[3]
        obs, reward, terminated, truncated, info = env.step(action)
        assert np.isfinite(obs).all() and math.isfinite(reward)
        assert info.keys() == set(INFO_KEYS)
        for key, value in info.items():
            types.setdefault(key, set()).add((type(value), np.asarray(value).dtype))
            assert np.isfinite(value), key
        if terminated or truncated:
            assert info["auction_ended"] and math.isfinite(info["clearing_price"])
            episodes += 1
            obs, info = env.reset()
    assert episodes >= 100
    assert types == {
        key: {(np.ndarray, np.dtype(bool)) if dtype is np.bool_ else (dtype, np.dtype(dtype))}
        for key, dtype in INFO_DTYPES.items()
    }


def test_vector_env_active_clock_is_an_int_matching_the_observation() -> None:
    envs = gym.make_vec(DDA, 4, vectorization_mode=NATIVE, **SYNTHETIC)
    obs, info = envs.reset(seed=0)
    envs.action_space.seed(0)
    for _ in range(60):
        assert info["active_clock"].dtype == np.int64
        np.testing.assert_array_equal(info["active_clock"], obs[:, 3].astype(np.int64))
        obs, rewards, _, _, info = envs.step(envs.action_space.sample())
        assert np.isfinite(obs).all() and np.isfinite(rewards).all()
        assert np.isfinite(info["clearing_price"]).all()


def test_stackelberg_random_actions_never_give_nan() -> None:
    env = gym.make(STACKELBERG, max_episode_steps=10)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(10):
        obs, reward, _, _, info = env.step(rng.uniform(-3, 3, 1).astype(np.float32))
        assert np.isfinite(obs).all() and math.isfinite(reward)
        assert all(np.isfinite(np.asarray(v, dtype=float)).all() for v in info.values())
        assert all(isinstance(v, np.ndarray | np.float64) for v in info.values())


# -- second round: failures at reset name the options; time limits, given markets, seeds -----------------


def test_an_untradable_tier1_scenario_fails_at_reset_naming_the_options_that_decide_it() -> None:
    # Not refused at construction (capacities just hold the largest work of most slots), so the sampling
    # failure itself names the options, as a ValueError.
    env = gym.make(DDA, fa_capacity_range=(400.0, 450.0))
    with pytest.raises(ValueError, match=r"no tradable Tier-2 market in 100 sampled slots") as raised:
        env.reset(seed=0)
    for name in ("unit_size", "aa_supply_range", "fa_capacity_range", "n_wa", "n_aa"):
        assert name in str(raised.value)


@pytest.mark.parametrize("env_id", [DDA, DISCRETE])
def test_a_time_limit_below_max_rounds_truncates_as_documented(env_id: str) -> None:
    """A TimeLimit the user asks for below max_rounds is Gymnasium's truncation (docs/model.md, Sec. 5): the
    episode is cut with truncated=True and no efficiency reward; the single and native vector envs agree."""
    env = gym.make(env_id, max_episode_steps=2, step_min=0.1, step_max=0.1, **SYNTHETIC)
    env.reset(seed=0)
    action = env.unwrapped.step_to_action(0.1)
    steps = [env.step(action) for _ in range(2)]
    (_, reward, terminated, truncated, info) = steps[-1]
    assert (terminated, truncated) == (False, True) and reward == pytest.approx(-env.unwrapped.config.eta)
    # The auction has not ended: its outcome keys hold their values before the end.
    assert np.isfinite(reward) and not info["auction_ended"] and info["efficiency"] == 0.0
    vector = gym.make_vec(
        env_id, 2, vectorization_mode=NATIVE, max_episode_steps=2, step_min=0.1, step_max=0.1, **SYNTHETIC
    )
    vector.reset(seed=0)
    for _ in range(2):
        _, _, terminated, truncated, _ = vector.step(np.stack([action, action]))
    assert not terminated.any() and truncated.all()
    vector.close()


@pytest.mark.parametrize(
    "market", [Market([], [], [], []), Market([1.0], [2], [5.0], [2])], ids=["empty", "no-gains"]
)
def test_an_untradable_given_market_is_refused(market: Market) -> None:
    for env in (
        gym.make(DDA, **SYNTHETIC),
        gym.make_vec(DDA, 2, vectorization_mode=NATIVE, **SYNTHETIC),
    ):
        with pytest.raises(ValueError, match=r"options\['market'\] must be a tradable Market"):
            env.reset(seed=0, options={"market": market})


def test_vector_env_seeds_numpy_ints_work_and_fractions_are_refused() -> None:
    envs = gym.make_vec(DDA, 2, vectorization_mode=NATIVE, **SYNTHETIC)
    first = envs.reset(seed=np.int64(3))[0]
    np.testing.assert_array_equal(first, envs.reset(seed=3)[0])
    for seed in (1.5, -1, "x", [1, 2.5]):
        with pytest.raises(ValueError, match=r"seed must be None, an integer >= 0 or a list of 2 seeds"):
            envs.reset(seed=seed)


@pytest.mark.parametrize("mode", ["ansi_list", "rgb_array_list"])
def test_stackelberg_list_render_modes_work_under_the_episode_guard(mode: str) -> None:
    env = EndedEpisodeGuard(gym.make(STACKELBERG, render_mode=mode, max_episode_steps=1))
    env.reset(seed=0)
    env.step(env.action_space.sample())
    frames = env.render()
    assert isinstance(frames, list) and frames and env.render_mode == mode
    with pytest.raises(RuntimeError, match=r"the episode has ended"):
        env.step(env.action_space.sample())


def test_action_to_step_refuses_non_numbers_naming_the_space() -> None:
    with pytest.raises(
        ValueError, match=r"action must be an array of real numbers \(no strings.*the action space is Box"
    ):
        gym.make(DDA, **SYNTHETIC).unwrapped.action_to_step("abc")


def _zero_policy(observations: np.ndarray) -> np.ndarray:
    return np.zeros((len(observations), 1), np.float32)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"seed": -1}, r"seed must be an integer >= 0"),
        ({"seed": 1.5}, r"seed must be an integer >= 0"),
        ({"seed": "x"}, r"seed must be an integer >= 0"),
        ({"n_markets": None}, r"n_markets must be an integer in \[1, 1000000\]"),
        ({"env_kwargs": ["market_source"]}, r"env_kwargs must be a mapping"),
        ({"policy": None}, r"policy must have SB3's predict\(\) or be a callable"),
        ({"on_market": 3}, r"on_market must be a callable"),
        ({"markets": []}, r"markets must be a sequence of at least n_markets=2 Markets"),
        ({"markets": [MARKET]}, r"markets must be a sequence of at least n_markets=2 Markets.*got 1 markets"),
        ({"markets": ["a", "b"]}, r"markets must hold ioa_gym.auctions.Market objects"),
    ],
)
def test_ic_audit_refuses_bad_arguments_up_front(kwargs: dict, pattern: str) -> None:
    arguments = {"policy": _zero_policy, "env_kwargs": SYNTHETIC, "n_markets": 2, **kwargs}
    with pytest.raises(ValueError, match=pattern):
        audit_policy(arguments.pop("policy"), **arguments)


def test_price_conversions_and_plans_before_reset_are_named_errors() -> None:
    """Methods that read the current slot or auction say so before the first reset (not an AttributeError
    on None)."""
    from ioa_gym.analysis.policies import ClairvoyantPolicy
    from ioa_gym.multiagent import leaders_v0

    stackelberg = gym.make(STACKELBERG).unwrapped
    for call in (lambda: stackelberg.action_to_price([0.0]), lambda: stackelberg.price_to_action(5.0)):
        with pytest.raises(RuntimeError, match=r"call reset\(\) before"):
            call()
    leaders = leaders_v0.parallel_env()
    agent = leaders.possible_agents[0]
    for call in (
        lambda: leaders.action_to_price(agent, [0.0]),
        lambda: leaders.price_to_action(agent, 5.0),
        leaders.best_responses,
    ):
        with pytest.raises(RuntimeError, match=r"call reset\(\) before"):
            call()
    with pytest.raises(ValueError, match="plays a reset env whose auction is running"):
        ClairvoyantPolicy(gym.make(DDA)).predict(np.zeros(14, np.float32))
