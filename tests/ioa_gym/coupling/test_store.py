"""The slot store: pre-solved Tier-1 markets built once, cached on disk under a key of everything they depend
on, read back unchanged, rebuilt when unreadable, and sampled uniformly."""

from __future__ import annotations

import numpy as np
import pytest

from ioa_gym.auctions import efficient_welfare, is_tradable
from ioa_gym.coupling.markets import sample_tier1_market
from ioa_gym.coupling.store import SLOT_STORE_SEED, default_store_folder, slot_store
from ioa_gym.tier1 import ScenarioConfig

SIZE = 48


def test_a_store_holds_the_first_tradable_market_of_each_spawned_stream(tmp_path) -> None:
    store = slot_store(ScenarioConfig(), where=tmp_path, size=SIZE)
    assert len(store) == SIZE and store.build_seconds > 0.0 and store.path.parent == tmp_path
    streams = np.random.SeedSequence(SLOT_STORE_SEED).spawn(SIZE)
    for index in (0, 7, SIZE - 1):
        market, _, _ = sample_tier1_market(ScenarioConfig(), np.random.default_rng(streams[index]))
        stored = store.market(index)
        assert is_tradable(stored) and efficient_welfare(stored) == efficient_welfare(market)
        for field in ("buyer_values", "buyer_units", "seller_costs", "seller_units"):
            assert getattr(stored, field).tobytes() == getattr(market, field).tobytes()


def test_a_store_is_built_once_and_keyed_by_what_it_depends_on(tmp_path) -> None:
    first = slot_store(ScenarioConfig(), where=tmp_path, size=SIZE)
    again = slot_store(ScenarioConfig(), where=tmp_path, size=SIZE)
    assert again.build_seconds == 0.0 and again.path == first.path
    assert np.array_equal(again.buyer_values, first.buyer_values)
    others = [
        slot_store(ScenarioConfig(n_aa=6), where=tmp_path, size=SIZE),
        slot_store(ScenarioConfig(), {"tol": 1e-3}, where=tmp_path, size=SIZE),
        slot_store(ScenarioConfig(), where=tmp_path, size=SIZE + 1),
    ]
    assert len({store.path for store in (first, *others)}) == 4
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(s.path.name for s in (first, *others))


def test_an_unreadable_store_is_rebuilt(tmp_path) -> None:
    store = slot_store(ScenarioConfig(), where=tmp_path, size=SIZE)
    store.path.write_bytes(b"not a store")
    rebuilt = slot_store(ScenarioConfig(), where=tmp_path, size=SIZE)
    assert rebuilt.build_seconds > 0.0 and np.array_equal(rebuilt.seller_costs, store.seller_costs)


def test_sampling_is_uniform_over_the_store(tmp_path) -> None:
    store = slot_store(ScenarioConfig(), where=tmp_path, size=SIZE)
    rng = np.random.default_rng(0)
    counts = np.bincount([store.sample_index(rng) for _ in range(SIZE * 200)], minlength=SIZE)
    # A chi-square test of uniformity (df = SIZE - 1 = 47: the 99.9 % quantile is about 82.7).
    expected = counts.sum() / SIZE
    assert ((counts - expected) ** 2 / expected).sum() < 82.7
    assert all(is_tradable(store.sample(np.random.default_rng(seed))) for seed in range(50))


def test_bad_store_locations_are_named(tmp_path, monkeypatch) -> None:
    file = tmp_path / "a-file"
    file.write_text("")
    with pytest.raises(ValueError, match="slot_store must be True or a folder"):
        slot_store(ScenarioConfig(), where=file, size=SIZE)
    with pytest.raises(ValueError, match="slot_store must be True"):
        slot_store(ScenarioConfig(), where=3, size=SIZE)  # type: ignore[arg-type]
    monkeypatch.setenv("IOA_GYM_CACHE_DIR", str(tmp_path / "cache"))
    assert default_store_folder() == tmp_path / "cache"


def test_a_store_built_by_other_code_is_a_cache_miss(tmp_path, monkeypatch) -> None:
    """The key holds a hash of the sources that draw and solve the markets, as numba's cache watches its
    functions' files: a changed solver rebuilds instead of serving another version's markets."""
    from ioa_gym.coupling import store as store_module

    first = slot_store(ScenarioConfig(), where=tmp_path, size=SIZE)
    monkeypatch.setattr(store_module, "code_digest", lambda: "another version")
    other = slot_store(ScenarioConfig(), where=tmp_path, size=SIZE)
    assert other.path != first.path and other.build_seconds > 0.0


def test_a_store_file_is_readable_as_the_umask_allows(tmp_path) -> None:
    import os

    umask = os.umask(0o022)
    try:
        store = slot_store(ScenarioConfig(), where=tmp_path, size=SIZE)
    finally:
        os.umask(umask)
    assert store.path.stat().st_mode & 0o777 == 0o644


def test_a_store_of_the_default_size_takes_about_150_bytes_a_market(tmp_path) -> None:
    """The documented size (about 3 MB for SLOT_STORE_SIZE = 20,000 markets), as bytes per market of a
    small store: the arrays and the file both."""
    store = slot_store(ScenarioConfig(), where=tmp_path, size=SIZE)
    names = ("buyer_values", "buyer_units", "seller_costs", "seller_units", "buyer_start", "seller_start")
    arrays = sum(getattr(store, name).nbytes for name in names)
    file_bytes = store.path.stat().st_size
    assert arrays / SIZE < 200, arrays / SIZE  # 20,000 markets: under 4 MB
    assert file_bytes < arrays + 10_000, (file_bytes, arrays)  # the npz's headers and key: a few KB
