"""The ``slot_store`` option of the IoA-DDA ids: Tier-1 markets drawn from a store of pre-solved slots
(``ioa_gym.coupling.store``), one index from the env's own generator per reset, the same markets in the single
and the vector env for the same seeds; the store built once and then read; refused, named, where it cannot
apply. The store is shrunk to a few dozen markets here (``SLOT_STORE_SIZE``, read when an env loads it)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.auctions import efficient_welfare
from ioa_gym.coupling import store
from tests.ioa_gym.envs.test_vector_env import assert_same_transitions, make_pair

SIZE = 40
FIELDS = ("buyer_values", "buyer_units", "seller_costs", "seller_units")


@pytest.fixture(autouse=True)
def small_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "SLOT_STORE_SIZE", SIZE)


def same_market(a: object, b: object) -> bool:
    return all(getattr(a, field).tobytes() == getattr(b, field).tobytes() for field in FIELDS)


def test_a_reset_draws_one_store_index_from_the_env_generator(tmp_path) -> None:
    env = gym.make("IoA-DDA-v0", slot_store=tmp_path)
    assert not list(tmp_path.iterdir())  # nothing is built or read before the first reset
    pool = store.slot_store(env.unwrapped.scenario_config, where=tmp_path, size=SIZE)
    mirror = np.random.default_rng(3)
    env.reset(seed=3)
    for _ in range(12):
        expected = pool.market(int(mirror.integers(SIZE)))
        assert same_market(env.unwrapped.market, expected)
        assert env.unwrapped.scenario is None and env.unwrapped.equilibrium is None
        mirror.permutation(expected.total_buyer_units)  # the auction's rationing draws follow
        mirror.permutation(expected.total_seller_units)
        env.reset()
    assert len(list(tmp_path.iterdir())) == 1


def test_single_and_vector_envs_play_the_same_store_markets(tmp_path) -> None:
    for mode in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
        sync, native = make_pair("IoA-DDA-v0", 4, mode, slot_store=str(tmp_path))
        counts = assert_same_transitions(sync, native, 150, seed=21)
        assert counts["terminated"] >= 8
        seen = {tuple(m.buyer_values.tolist()) for m in native.unwrapped.markets}
        pool = store.slot_store(native.unwrapped.scenario_config, where=tmp_path, size=SIZE)
        stored = {tuple(pool.market(i).buyer_values.tolist()) for i in range(SIZE)}
        assert seen <= stored
        assert all(efficient_welfare(m) > 0 for m in native.unwrapped.markets)


def test_the_store_is_built_once_then_read(tmp_path) -> None:
    first = gym.make_vec("IoA-DDA-v0", 3, slot_store=tmp_path)
    first.reset(seed=0)
    built = first.unwrapped._store
    assert built is not None and built.build_seconds > 0.0 and built.path.parent == tmp_path
    stamp = built.path.stat().st_mtime_ns
    again = gym.make("IoA-DDA-v0", slot_store=tmp_path)
    again.reset(seed=0)
    assert again.unwrapped._store.build_seconds == 0.0 and again.unwrapped._store.path == built.path
    assert built.path.stat().st_mtime_ns == stamp
    # Another scenario is another store, in the same folder.
    other = gym.make("IoA-DDA-v0", slot_store=tmp_path, n_aa=6)
    other.reset(seed=0)
    assert len(list(tmp_path.glob("slots-*.npz"))) == 2


def test_the_default_folder_is_the_cache_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("IOA_GYM_CACHE_DIR", str(tmp_path / "cache"))
    env = gym.make("IoA-DDA-v0", slot_store=True)
    env.reset(seed=1)
    assert env.unwrapped._store.path.parent == tmp_path / "cache"


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"slot_store": True, "market_source": "synthetic"}, "slot_store=True needs market_source='tier1'"),
        ({"slot_store": True, "coupling": "clearing"}, "coupling='none'"),
        ({"slot_store": True, "aerial_price": "clearing"}, "coupling='none'"),
        ({"slot_store": 3}, "slot_store must be False, True"),
        ({"slot_store": ""}, "slot_store must be False, True"),
    ],
)
def test_options_it_cannot_serve_are_refused_by_name(options: dict, match: str) -> None:
    for make in (gym.make, lambda env_id, **kw: gym.make_vec(env_id, 2, **kw)):
        with pytest.raises(ValueError, match=match):
            make("IoA-DDA-v0", **options)


def test_a_file_is_refused_as_the_store_folder(tmp_path) -> None:
    file = tmp_path / "not-a-folder"
    file.write_text("")
    with pytest.raises(ValueError, match="slot_store must be False, True"):
        gym.make("IoA-DDA-v0", slot_store=str(file))
