"""A store of pre-solved Tier-1 slots: the Tier-2 markets of many slots, solved once and kept on disk, to
train at scale without solving a Stackelberg equilibrium at every reset (docs/model.md, Sec. 3).

An env with ``slot_store=True`` (or a folder) draws each market uniformly from the store with its own
generator instead of sampling a fresh slot and solving it. What that changes: the markets come from a
finite pool (``SLOT_STORE_SIZE`` tradable markets, built from the fixed stream ``SLOT_STORE_SEED``) rather
than from the whole distribution, so a long training run meets each market many times; everything else
(the auction, the observation, the reward) is the same. Evaluations and the IC audit sample fresh slots
unless told otherwise, so a store never leaks its pool into the test markets.

The store is built on first use and cached like numba's cache: one file per scenario configuration, solver
options, size and seed (the name holds a hash of them, of this format's version and of the source files that
draw and solve the markets, ``code_digest``), under ``slot_store`` if
it is a folder, else under ``$IOA_GYM_CACHE_DIR`` or ``~/.cache/ioa-gym/slot-store``. The file is written
atomically (a temporary name, then a rename), so concurrent builders and interrupted builds never leave a
partial store, and readable as the umask allows (a shared cache folder); a store that cannot be read is
rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ioa_gym.auctions.market import Market, MarketArrays
from ioa_gym.coupling.markets import sample_tier1_markets
from ioa_gym.tier1.scenario import ScenarioConfig

__all__ = ["SLOT_STORE_SEED", "SLOT_STORE_SIZE", "SlotStore", "default_store_folder", "slot_store"]

SLOT_STORE_SIZE = 20_000
"""Markets in a store: 2.8 MB on disk and in memory, built in about 6 s on two cores (10 CPU-s, 0.5 ms a slot;
``python -m benchmarks.bench_vector_env``, docs/benchmarks.md)."""
SLOT_STORE_SEED = 2**31 + 7
"""The stream a store's slots are drawn from (a seed no evaluation, training or audit uses)."""
FORMAT_VERSION = 1
"""Version of the file layout; a change makes every older store a cache miss."""
_BATCH = 512
"""Slots solved per call while building (the batch solver's work unit)."""
_FIELDS = ("buyer_values", "buyer_units", "seller_costs", "seller_units")


def default_store_folder() -> Path:
    """``$IOA_GYM_CACHE_DIR``, else ``~/.cache/ioa-gym/slot-store`` (``$XDG_CACHE_HOME`` if set)."""
    if os.environ.get("IOA_GYM_CACHE_DIR"):
        return Path(os.environ["IOA_GYM_CACHE_DIR"])
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "ioa-gym" / "slot-store"


@dataclass(frozen=True, eq=False)
class SlotStore:
    """The markets of a store as flat arrays with offsets (market i's buyers are
    ``buyer_values[buyer_start[i]:buyer_start[i + 1]]``, and so on), and where it lives.

    :ivar path: the file.
    :ivar key: what it was built from (configuration, solver options, size, seed, format version).
    :ivar build_seconds: the wall time its build took (0 when it was loaded).
    """

    path: Path
    key: dict[str, Any]
    buyer_values: np.ndarray
    buyer_units: np.ndarray
    seller_costs: np.ndarray
    seller_units: np.ndarray
    buyer_start: np.ndarray
    seller_start: np.ndarray
    build_seconds: float = 0.0

    def __len__(self) -> int:
        return int(self.buyer_start.shape[0] - 1)

    def market(self, index: int) -> Market:
        """Market ``index`` (a new ``Market`` over copies of its rows)."""
        b0, b1 = int(self.buyer_start[index]), int(self.buyer_start[index + 1])
        s0, s1 = int(self.seller_start[index]), int(self.seller_start[index + 1])
        return Market.from_valid_arrays(
            self.buyer_values[b0:b1].copy(),
            self.buyer_units[b0:b1].copy(),
            self.seller_costs[s0:s1].copy(),
            self.seller_units[s0:s1].copy(),
        )

    def sample_index(self, rng: np.random.Generator) -> int:
        """The index of a market drawn uniformly with ``rng`` (one ``integers`` draw)."""
        return int(rng.integers(len(self)))

    def sample(self, rng: np.random.Generator) -> Market:
        """A market drawn uniformly with ``rng`` (the market of :meth:`sample_index`)."""
        return self.market(self.sample_index(rng))

    @cached_property
    def arrays(self) -> MarketArrays:
        """The store's markets as ``MarketArrays`` (the same arrays)."""
        return MarketArrays(
            self.buyer_values,
            self.buyer_units,
            self.buyer_start,
            self.seller_costs,
            self.seller_units,
            self.seller_start,
        )

    def sample_many(self, rngs: object, streams: np.ndarray) -> MarketArrays:
        """For each k, the market :meth:`sample` draws with generator ``rngs[streams[k]]`` (a numba typed
        list, ``ioa_gym.auctions.market.generator_list``): the same draws, in one compiled call."""
        return self.arrays.sample(rngs, streams)[1]


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A hash of the source files that turn a seed into a store's markets (Tier 1's modules, the market
    and its Tier-1 coupling): like numba's cache, a store built by other code is a cache miss, so a changed
    solver never serves markets it would not draw."""
    root = Path(__file__).resolve().parent.parent
    files = sorted((root / "tier1").glob("*.py")) + [
        root / "coupling" / "markets.py",
        root / "coupling" / "_markets_kernel.py",
        root / "auctions" / "market.py",
    ]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _key(config: ScenarioConfig, solver: Mapping[str, Any], size: int, seed: int) -> dict[str, Any]:
    solver_options = {
        name: (np.asarray(value).tolist() if name == "initial_prices" else value)
        for name, value in sorted(solver.items())
    }
    return {
        "format": FORMAT_VERSION,
        "code": code_digest(),
        "scenario": config.to_dict(),
        "solver": solver_options,
        "size": int(size),
        "seed": int(seed),
    }


def _file_name(key: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]
    return f"slots-{digest}.npz"


def _build(config: ScenarioConfig, solver: Mapping[str, Any], size: int, seed: int) -> dict[str, np.ndarray]:
    """``size`` tradable markets of the stream ``seed``: the markets ``size`` generators spawned from it give
    at their first tradable slot, solved ``_BATCH`` at a time over all cores."""
    streams = [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(size)]
    markets: list[Market] = []
    for start in range(0, size, _BATCH):
        markets += sample_tier1_markets(config, streams[start : start + _BATCH], **solver)
    arrays = {field: np.concatenate([getattr(m, field) for m in markets]) for field in _FIELDS}
    arrays["buyer_start"] = np.concatenate([[0], np.cumsum([m.n_buyers for m in markets])]).astype(np.int64)
    arrays["seller_start"] = np.concatenate([[0], np.cumsum([m.n_sellers for m in markets])]).astype(np.int64)
    return arrays


_LOADED: dict[Path, tuple[tuple[int, int], SlotStore]] = {}
"""The stores this process has read or built, by file, with the file's (mtime, size) then: the envs of one
process (a vector env's, a SyncVectorEnv's sub-envs) share one store's arrays instead of each reading its
own copy."""


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def _load(path: Path, key: Mapping[str, Any]) -> dict[str, np.ndarray] | None:
    """The arrays of a store file built from ``key``, or None if it is missing, unreadable or another's."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            if json.loads(str(archive["key"])) != dict(key):
                return None
            return {name: archive[name] for name in (*_FIELDS, "buyer_start", "seller_start")}
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return None


def _save(path: Path, key: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
    """Write the store atomically: a temporary file in the same folder, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp's 0600 would hide a shared cache from other users
        with os.fdopen(handle, "wb") as file:
            contents = {"key": np.array(json.dumps(dict(key), sort_keys=True)), **arrays}
            np.savez(file, allow_pickle=False, **contents)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def slot_store(
    config: ScenarioConfig,
    solver: Mapping[str, Any] | None = None,
    where: bool | str | os.PathLike[str] = True,
    size: int = SLOT_STORE_SIZE,
    seed: int = SLOT_STORE_SEED,
) -> SlotStore:
    """The store of ``config`` and ``solver`` (``solve_equilibrium``'s options): loaded from its file, or
    built and saved there first.

    :param where: True for the default folder (:func:`default_store_folder`), or a folder.
    :raises ValueError: if ``where`` is neither, or names a file; OSError if the folder cannot be written.
    """
    solver = dict(solver or {})
    if where is True:
        folder = default_store_folder()
    elif isinstance(where, (str, os.PathLike)) and not isinstance(where, bool):
        folder = Path(where).expanduser()
        if folder.exists() and not folder.is_dir():
            raise ValueError(
                f"slot_store must be True or a folder for the store's files, got the file {folder}"
            )
    else:
        raise ValueError(f"slot_store must be True (the default folder) or a folder path, got {where!r}")
    key = _key(config, solver, size, seed)
    path = folder / _file_name(key)
    loaded = _LOADED.get(path)
    if loaded is not None and loaded[0] == _stamp(path):
        return replace(loaded[1], build_seconds=0.0)
    arrays = _load(path, key)
    seconds = 0.0
    if arrays is None:
        started = time.perf_counter()
        arrays = _build(config, solver, size, seed)
        seconds = time.perf_counter() - started
        _save(path, key, arrays)
    for array in arrays.values():
        array.setflags(write=False)
    store = SlotStore(path=path, key=key, build_seconds=seconds, **arrays)
    stamp = _stamp(path)
    if stamp is not None:
        _LOADED[path] = (stamp, store)
    return store
