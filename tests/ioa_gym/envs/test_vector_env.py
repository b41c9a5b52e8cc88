"""Vector envs of IoA-DDA: Gymnasium's Sync and Async vector envs stack the infos of auctions that end on
the same step (every info has the same keys, each value of one dtype and shape), and the native vector env
(``vectorization_mode="vector_entry_point"``, ``ioa_gym/envs/dda_vector.py``) makes exactly the
transitions of the sync one: observations, rewards, terminations, truncations, infos and the ended
auctions' results (``last_results``), bit for bit, autoresets, time limits and partial resets included. Its
batched mechanism (``ioa_gym/auctions/double_dutch_batch.py``) plays every auction exactly as
``DoubleDutchAuction`` plays it."""

from __future__ import annotations

import dataclasses
import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.auctions import BUYER, AuctionResult, DoubleDutchAuction, Market
from ioa_gym.auctions.double_dutch_batch import DoubleDutchAuctionBatch
from ioa_gym.envs.dda import INFO_DTYPES, INFO_KEYS, DDAEnvConfig
from ioa_gym.envs.dda_vector import DoubleDutchAuctionVectorEnv

ENV_IDS = ("IoA-DDA-v0", "IoA-DDA-Discrete-v0")
NATIVE = "vector_entry_point"

DDA_VARIANTS = ("classic", "strategy-proof")


def same(a: object, b: object) -> bool:
    """Exact equality: arrays by shape, dtype and value (nan equal to nan), object arrays and
    AuctionResults element by element and field by field."""
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and a.keys() == b.keys()
            and all(same(a[key], b[key]) for key in a)
        )
    if isinstance(a, tuple) or isinstance(b, tuple):
        return (
            isinstance(a, tuple)
            and isinstance(b, tuple)
            and len(a) == len(b)
            and all(same(x, y) for x, y in zip(a, b, strict=True))
        )
    if dataclasses.is_dataclass(a):
        return type(a) is type(b) and all(
            same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if (a.shape, a.dtype) != (b.shape, b.dtype):
            return False
        if a.dtype == object:
            return all(same(x, y) for x, y in zip(a.tolist(), b.tolist(), strict=True))
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


MODES = (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP, AutoresetMode.DISABLED)


def make_pair(
    env_id: str, n_envs: int, autoreset_mode: AutoresetMode = AutoresetMode.NEXT_STEP, **kwargs
) -> tuple[VectorEnv, VectorEnv]:
    """The sync vector env and the native one, in one autoreset mode: Gymnasium's ``vector_kwargs`` for the
    sync env, the env option for the native one (a vector entry point takes no ``vector_kwargs``)."""
    return (
        gym.make_vec(
            env_id,
            n_envs,
            vectorization_mode="sync",
            vector_kwargs={"autoreset_mode": autoreset_mode},
            **kwargs,
        ),
        gym.make_vec(env_id, n_envs, vectorization_mode=NATIVE, autoreset_mode=autoreset_mode, **kwargs),
    )


def assert_same_transitions(
    sync: VectorEnv, native: VectorEnv, n_steps: int, seed: int, reset_every: int = 0
) -> dict[str, int]:
    """Play both envs from reset(seed) with the same random actions and assert every transition is
    identical; every `reset_every` steps, also a partial reset (alternate sub-envs, then the others with
    a seed list). In disabled autoreset mode the sub-envs that ended are reset after each step, as a user
    must. Returns counts of terminations, truncations and steps where several sub-envs ended."""
    mode = native.metadata["autoreset_mode"]
    assert mode == sync.metadata["autoreset_mode"]
    assert same(sync.reset(seed=seed), native.reset(seed=seed))
    sync.action_space.seed(seed)
    counts = {"terminated": 0, "truncated": 0, "simultaneous": 0}
    n_envs = sync.num_envs
    for t in range(1, n_steps + 1):
        actions = sync.action_space.sample()
        expected, got = sync.step(actions), native.step(actions)
        for part, name in enumerate(("observation", "reward", "terminated", "truncated", "info")):
            assert same(expected[part], got[part]), f"step {t}: {name}\n{expected[part]!r}\n{got[part]!r}"
        assert same(sync.get_attr("last_result"), tuple(native.unwrapped.last_results)), f"step {t}"
        ended = expected[2] | expected[3]
        if mode == AutoresetMode.SAME_STEP:
            assert ("final_obs" in got[4]) == ended.any()
        if mode == AutoresetMode.DISABLED and ended.any():
            assert same(
                sync.reset(options={"reset_mask": ended}), native.reset(options={"reset_mask": ended})
            )
        counts["terminated"] += int(expected[2].sum())
        counts["truncated"] += int(expected[3].sum())
        counts["simultaneous"] += int(expected[2].sum() >= 2)
        if reset_every and t % reset_every == 0:
            mask = np.arange(n_envs) % 2 == 0
            assert same(sync.reset(options={"reset_mask": mask}), native.reset(options={"reset_mask": mask}))
            seeds = [seed + 100 + i if i % 3 else None for i in range(n_envs)]
            expected = sync.reset(seed=seeds, options={"reset_mask": ~mask})
            assert same(expected, native.reset(seed=seeds, options={"reset_mask": ~mask}))
    return counts


# -- Gymnasium's vector envs and the info of the single env -------------------------------------------


def assert_batched_info(info: dict, n_envs: int) -> None:
    """Every key of the single env's info, batched by Gymnasium into an array of its dtype (never an object
    array), with a mask of True rows."""
    assert info.keys() == {*INFO_KEYS, *(f"_{key}" for key in INFO_KEYS)}
    for key, dtype in INFO_DTYPES.items():
        assert info[key].dtype == dtype and info[key].shape == (n_envs,), key
        assert info[f"_{key}"].all()
    assert not np.isnan(info["clearing_price"]).any()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_sync_and_async_stack_infos_of_simultaneous_episode_ends(mode: str) -> None:
    n_envs, n_steps = 6, 3000
    envs = gym.make_vec("IoA-DDA-v0", n_envs, vectorization_mode=mode, market_source="synthetic")
    try:
        _, info = envs.reset(seed=0)
        assert_batched_info(info, n_envs)
        envs.action_space.seed(0)
        simultaneous = 0
        for _ in range(n_steps):
            _, rewards, terminated, truncated, info = envs.step(envs.action_space.sample())
            assert not truncated.any()
            assert_batched_info(info, n_envs)
            assert np.array_equal(info["auction_ended"], terminated)
            ended = np.flatnonzero(terminated)
            simultaneous += ended.size >= 2
            if ended.size:
                results = envs.get_attr("last_result")  # next-step autoreset: not reset yet
                for i in ended:
                    result = results[i]
                    assert isinstance(result, AuctionResult)
                    assert info["units_traded"][i] == result.units_traded
                    assert rewards[i] == pytest.approx(info["efficiency"][i] - DDAEnvConfig().eta)
        assert simultaneous >= 10, "expected several steps where two or more auctions end together"
    finally:
        envs.close()


def test_sync_vector_env_with_tier1_markets() -> None:
    envs = gym.make_vec("IoA-DDA-v0", 4, vectorization_mode="sync")
    envs.reset(seed=1)
    envs.action_space.seed(1)
    ends = 0
    for _ in range(200):
        _, _, terminated, _, info = envs.step(envs.action_space.sample())
        assert_batched_info(info, 4)
        ends += int(terminated.sum())
        results = envs.get_attr("last_result")
        for i in np.flatnonzero(terminated):
            assert isinstance(results[i], AuctionResult)
            assert results[i].social_welfare == info["social_welfare"][i]
    assert ends >= 8
    envs.close()


def test_info_values_keep_one_type_and_shape_and_are_never_nan() -> None:
    kinds: dict[str, set[tuple[type, tuple[int, ...], str]]] = {}
    for options, n_steps in (
        ({"market_source": "synthetic"}, 3000),
        ({}, 300),
        ({"market_source": "synthetic", "variant": "strategy-proof", "step_min": 2.0}, 500),
        ({"market_source": "synthetic", "variant": "double-clock"}, 500),
    ):
        env = gym.make("IoA-DDA-v0", **options)
        env.action_space.seed(2)
        _, info = env.reset(seed=2)
        infos, ends = [info], 0
        for _ in range(n_steps):
            _, _, terminated, truncated, info = env.step(env.action_space.sample())
            infos.append(info)
            assert info.keys() == set(INFO_KEYS)
            assert info["auction_ended"] == terminated
            if terminated or truncated:
                ends += 1
                infos.append(env.reset()[1])
        assert ends >= 5
        for info in infos:
            for key, value in info.items():
                array = np.asarray(value)
                kinds.setdefault(key, set()).add((type(value), array.shape, array.dtype.str))
                assert np.isfinite(array).all(), f"{key} is not finite"
    for key, seen in kinds.items():
        assert len(seen) == 1, f"info[{key!r}] changes type or shape: {seen}"
    # NumPy numbers: scalars of float64 and int64, 0-d arrays of bool (which Gymnasium stacks as bool, where
    # it would stack np.bool_ scalars into an object array); every one has a dtype (TorchRL's info reader).
    assert {key: next(iter(seen)) for key, seen in kinds.items()} == {
        key: (np.ndarray, (), "|b1") if dtype is np.bool_ else (dtype, (), np.dtype(dtype).str)
        for key, dtype in INFO_DTYPES.items()
    }


# -- the native vector env ----------------------------------------------------------------------------


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_native_vector_env_follows_gymnasium_conventions(env_id: str) -> None:
    n_envs = 5
    envs = gym.make_vec(env_id, n_envs, vectorization_mode=NATIVE, market_source="synthetic")
    single = gym.make(env_id, market_source="synthetic")
    assert isinstance(envs, VectorEnv) and isinstance(envs.unwrapped, DoubleDutchAuctionVectorEnv)
    assert gym.make_vec(env_id, 2).unwrapped.__class__ is DoubleDutchAuctionVectorEnv  # the default mode
    assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    assert envs.num_envs == n_envs and envs.unwrapped.max_episode_steps == gym.spec(env_id).max_episode_steps
    assert envs.single_observation_space == single.observation_space
    assert envs.single_action_space == single.action_space
    assert envs.observation_space == batch_space(single.observation_space, n_envs)
    assert envs.action_space == batch_space(single.action_space, n_envs)
    assert envs.unwrapped.config == single.unwrapped.config
    assert same(envs.unwrapped.step_to_action(0.7), single.unwrapped.step_to_action(0.7))
    assert envs.spec.id == env_id and envs.spec.kwargs["vectorization_mode"] == NATIVE
    with pytest.raises(RuntimeError, match="reset"):
        envs.step(envs.action_space.sample())
    obs, info = envs.reset(seed=3)
    assert envs.observation_space.contains(obs)
    assert_batched_info(info, n_envs)
    envs.action_space.seed(3)
    for _ in range(60):
        obs, rewards, terminated, truncated, info = envs.step(envs.action_space.sample())
        assert envs.observation_space.contains(obs)
        assert_batched_info(info, n_envs)
        assert rewards.dtype == np.float64 and terminated.dtype == truncated.dtype == np.bool_
        assert rewards.shape == terminated.shape == truncated.shape == (n_envs,)
    envs.close()
    assert envs.closed


def test_native_seeding_is_deterministic() -> None:
    def run(seed: int) -> list:
        envs = gym.make_vec("IoA-DDA-v0", 4, vectorization_mode=NATIVE, market_source="synthetic")
        envs.action_space.seed(0)
        actions = [envs.action_space.sample() for _ in range(80)]
        transitions = [envs.reset(seed=seed)]
        transitions += [envs.step(action) for action in actions]
        transitions.append(envs.reset(seed=seed))  # a seeded reset starts the same markets again
        return transitions

    first, second, other = run(7), run(7), run(8)
    assert all(same(a, b) for a, b in zip(first, second, strict=True))
    assert same(first[0], first[-1])
    assert not same(first[0][0], other[0][0])


@pytest.mark.parametrize(
    ("env_id", "n_envs", "n_steps", "options"),
    [
        ("IoA-DDA-v0", 6, 400, {"market_source": "synthetic"}),
        (
            "IoA-DDA-v0",
            5,
            300,
            {"market_source": "synthetic", "variant": "strategy-proof", "per_clock_steps": True},
        ),
        (
            "IoA-DDA-v0",
            4,
            300,
            {
                "market_source": "synthetic",
                "step_scale": "linear",
                "max_rounds": 25,
                "synthetic_values": (4.0, 6.0),
                "synthetic_costs": (5.0, 6.0),
            },
        ),
        ("IoA-DDA-Discrete-v0", 6, 400, {"market_source": "synthetic"}),
        ("IoA-DDA-Discrete-v0", 3, 200, {"variant": "strategy-proof"}),
        ("IoA-DDA-v0", 4, 150, {}),
        ("IoA-DDA-v0", 3, 120, {"aerial_price": "clearing"}),
        # Solver options: initial prices in the batched solve, the NumPy reference one slot at a time.
        ("IoA-DDA-v0", 3, 120, {"solver": {"initial_prices": [5.0, 0.5, 7.0, 15.0, 2.0, 9.0]}}),
        ("IoA-DDA-v0", 2, 250, {"solver": {"method": "numpy"}}),
        ("IoA-DDA-DoubleClock-v0", 4, 300, {"market_source": "synthetic"}),
        ("IoA-DDA-DoubleClock-v0", 3, 200, {"per_clock_steps": True, "max_rounds": 30}),
        ("IoA-DDA-StrategyProof-v0", 4, 300, {"market_source": "synthetic"}),
        ("IoA-DDA-Discrete-v0", 3, 200, {"variant": "double-clock", "market_source": "synthetic"}),
    ],
)
def test_native_transitions_are_those_of_sync(env_id: str, n_envs: int, n_steps: int, options: dict) -> None:
    sync, native = make_pair(env_id, n_envs, **options)
    counts = assert_same_transitions(sync, native, n_steps, seed=11)
    assert counts["terminated"] >= 2 * n_envs, "expected several autoresets per sub-env"
    sync.close()
    native.close()


@pytest.mark.parametrize("mode", [AutoresetMode.SAME_STEP, AutoresetMode.DISABLED], ids=lambda m: m.value)
@pytest.mark.parametrize(
    ("env_id", "n_envs", "n_steps", "options"),
    [
        ("IoA-DDA-v0", 6, 300, {"market_source": "synthetic"}),
        (
            "IoA-DDA-v0",
            4,
            300,
            {"market_source": "synthetic", "variant": "strategy-proof", "per_clock_steps": True},
        ),
        ("IoA-DDA-Discrete-v0", 3, 150, {"variant": "strategy-proof"}),
        ("IoA-DDA-v0", 3, 120, {}),
        ("IoA-DDA-DoubleClock-v0", 4, 200, {"market_source": "synthetic"}),
    ],
)
def test_every_autoreset_mode_makes_the_transitions_of_sync_in_that_mode(
    mode: AutoresetMode, env_id: str, n_envs: int, n_steps: int, options: dict
) -> None:
    sync, native = make_pair(env_id, n_envs, mode, **options)
    assert native.metadata["autoreset_mode"] == mode and native.unwrapped.autoreset_mode == mode
    counts = assert_same_transitions(sync, native, n_steps, seed=12)
    assert counts["terminated"] >= 2 * n_envs, "expected several resets per sub-env"
    sync.close()
    native.close()


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
def test_every_autoreset_mode_with_time_limits_and_partial_resets(mode: AutoresetMode) -> None:
    sync, native = make_pair(
        "IoA-DDA-v0",
        5,
        mode,
        market_source="synthetic",
        step_min=0.2,
        max_episode_steps=25,
        max_rounds=25,
    )
    counts = assert_same_transitions(sync, native, 250, seed=6, reset_every=31)
    assert counts["truncated"] >= 10 and counts["terminated"] >= 10 and counts["simultaneous"] >= 3


def test_autoreset_mode_is_named_when_wrong_and_disabled_mode_refuses_to_step_an_ended_sub_env() -> None:
    with pytest.raises(ValueError, match="autoreset_mode must be one of"):
        gym.make_vec("IoA-DDA-v0", 2, vectorization_mode=NATIVE, autoreset_mode="sometimes")
    as_value = gym.make_vec("IoA-DDA-v0", 2, vectorization_mode=NATIVE, autoreset_mode="same_step")
    assert as_value.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    assert DoubleDutchAuctionVectorEnv.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP  # per instance
    envs = gym.make_vec(
        "IoA-DDA-v0",
        2,
        vectorization_mode=NATIVE,
        autoreset_mode=AutoresetMode.DISABLED,
        market_source="synthetic",
        step_min=4.0,
    )
    envs.reset(seed=0)
    terminated = np.zeros(2, dtype=bool)
    while not terminated.any():
        _, _, terminated, _, _ = envs.step(np.ones((2, 1), np.float32))
    with pytest.raises(RuntimeError, match="autoreset_mode is disabled"):
        envs.step(np.ones((2, 1), np.float32))
    envs.reset(options={"reset_mask": terminated})
    envs.step(np.ones((2, 1), np.float32))


def test_native_final_infos_of_simultaneous_ends_are_those_of_sync() -> None:
    sync, native = make_pair("IoA-DDA-v0", 8, market_source="synthetic")
    counts = assert_same_transitions(sync, native, 300, seed=4)
    assert counts["simultaneous"] >= 5


def test_native_time_limit_partial_resets_and_given_markets_are_those_of_sync() -> None:
    sync, native = make_pair(
        "IoA-DDA-v0", 4, market_source="synthetic", step_min=0.2, max_episode_steps=25, max_rounds=25
    )
    counts = assert_same_transitions(sync, native, 300, seed=5, reset_every=37)
    assert counts["truncated"] >= 10 and counts["terminated"] >= 10
    market = Market(
        buyer_values=[10.0, 8.0], buyer_units=[2, 2], seller_costs=[3.0, 6.0], seller_units=[3, 2]
    )
    expected = sync.reset(seed=2, options={"market": market})
    assert same(expected, native.reset(seed=2, options={"market": market}))
    assert native.unwrapped.markets == [market] * 4
    sync.action_space.seed(2)
    for _ in range(40):
        actions = sync.action_space.sample()
        assert same(sync.step(actions), native.step(actions))


def test_native_round_limit_ending_with_the_time_limit_is_that_of_sync() -> None:
    # Step 0.02 from (0, 30) never crosses within 1000 ticks: the round limit ends the auction on the very
    # step where the registered time limit (1000) truncates it.
    sync, native = make_pair(
        "IoA-DDA-v0", 2, market_source="synthetic", step_min=0.02, step_max=0.02, max_rounds=1000
    )
    counts = assert_same_transitions(sync, native, 1005, seed=0)
    assert counts["terminated"] == counts["truncated"] == 2


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"step_min": -1.0}, "step_min"),
        ({"variant": "english"}, "variant"),
        ({"num_envs": 0}, "num_envs"),
        ({"render_mode": "ansi"}, "render_mode"),
        ({"max_episode_steps": 0}, "max_episode_steps"),
    ],
)
def test_native_bad_options_fail_naming_the_field(options: dict, field: str) -> None:
    options = {"num_envs": 2, **options}
    with pytest.raises(ValueError, match=field):
        gym.make_vec("IoA-DDA-v0", vectorization_mode=NATIVE, **options)


def test_native_rejects_malformed_actions_and_resets() -> None:
    envs = gym.make_vec("IoA-DDA-Discrete-v0", 3, vectorization_mode=NATIVE, market_source="synthetic")
    envs.reset(seed=0)
    with pytest.raises(ValueError, match="actions must lie in"):
        envs.step(np.array([0, 12, 1]))
    with pytest.raises(ValueError, match="actions must be 3 integers"):
        envs.step(np.zeros(3))
    with pytest.raises(ValueError, match="reset_mask"):
        envs.reset(options={"reset_mask": np.zeros(3, dtype=bool)})
    with pytest.raises(ValueError, match="seed"):
        envs.reset(seed=[1, 2])
    boxes = gym.make_vec("IoA-DDA-v0", 3, vectorization_mode=NATIVE, market_source="synthetic")
    boxes.reset(seed=0)
    with pytest.raises(ValueError, match=r"actions must have shape \(3, 1\)"):
        boxes.step(np.zeros((3, 2), np.float32))
    with pytest.raises(ValueError, match="actions must be finite"):
        boxes.step(np.array([[0.0], [np.nan], [0.5]], np.float32))


# -- the batched mechanism ----------------------------------------------------------------------------


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), variant=st.sampled_from(DDA_VARIANTS), max_rounds=st.integers(1, 120))
def test_batched_auctions_play_exactly_like_single_auctions(seed: int, variant: str, max_rounds: int) -> None:
    """Rows restarted at random times on random markets (ties in the reports, empty sides, units accepting
    in the same tick) against one DoubleDutchAuction each: every public quantity after every tick and the
    whole AuctionResult are bitwise equal."""
    rng = np.random.default_rng(seed)
    n_rows = 5
    batch = DoubleDutchAuctionBatch(n_rows, variant, (0.0, 20.0), max_rounds)
    auctions: list[DoubleDutchAuction | None] = [None] * n_rows

    def start(row: int) -> None:
        n_buyers, n_sellers = rng.integers(1, 5, 2)
        # Reports on a coarse grid, so that units tie and accept in the same tick.
        market = Market(
            buyer_values=rng.integers(2, 40, n_buyers) / 2.0,
            buyer_units=rng.integers(0, 4, n_buyers),
            seller_costs=rng.integers(0, 36, n_sellers) / 2.0,
            seller_units=rng.integers(0, 4, n_sellers),
        )
        auction_seed = int(rng.integers(2**31))
        auctions[row] = DoubleDutchAuction(market, variant, (0.0, 20.0), max_rounds, seed=auction_seed)
        batch.start(row, market, seed=auction_seed)

    for row in range(n_rows):
        start(row)
    results = 0
    for _ in range(120):
        ticking = ~batch.done & (rng.random(n_rows) < 0.8)
        steps = np.where(ticking, rng.choice([0.25, 0.5, 1.0, 2.5, 7.0], n_rows), np.nan)
        batch.tick(steps, ticking)
        for row, auction in enumerate(auctions):
            if ticking[row]:
                auction.tick(steps[row])
            assert batch.buyer_price[row] == auction.buyer_price
            assert batch.seller_price[row] == auction.seller_price
            assert batch.buyer_turn[row] == (auction.active_clock == BUYER)
            assert (batch.rounds[row], batch.done[row], batch.crossed[row]) == (
                auction.rounds,
                auction.done,
                auction.crossed,
            )
            assert (batch.buyer_units_accepted[row], batch.seller_units_accepted[row]) == (
                auction.buyer_units_accepted,
                auction.seller_units_accepted,
            )
            if auction.done:
                assert batch.closing_price[row] == auction.closing_price
                assert same(batch.result(row), auction.result())
                results += 1
                if rng.random() < 0.5:
                    start(row)
    assert results
