"""What the client tests share: the registered ids, and a check of vector-env infos as a client stores them.

A helper module, not a test file (its name starts with an underscore, so pytest does not collect it).
"""

from __future__ import annotations

from collections.abc import Mapping

import gymnasium as gym
import numpy as np

import ioa_gym  # noqa: F401  (registers the environments)

ALL_IDS = (
    "IoA-DDA-v0",
    "IoA-DDA-Discrete-v0",
    "IoA-DDA-DoubleClock-v0",
    "IoA-DDA-StrategyProof-v0",
    "IoA-Stackelberg-v0",
)
"""The five registered ids, named as a user would (the clients page lists these)."""
NATIVE_IDS = tuple(env_id for env_id in ALL_IDS if gym.spec(env_id).vector_entry_point is not None)
"""The ids with a native batched vector env (``vectorization_mode="vector_entry_point"``)."""


def signature(value: object) -> tuple[str, tuple[int, ...]]:
    """The dtype and shape a client's buffer would give an info value."""
    array = np.asarray(value)
    return array.dtype.str, array.shape


def record_signatures(seen: dict[str, set], info: Mapping[str, object], prefix: str = "") -> None:
    """Add the dtype and shape of every value of a (possibly nested) info dict to ``seen``, by key."""
    for key, value in info.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            record_signatures(seen, value, prefix=f"{name}.")
        else:
            seen.setdefault(name, set()).add(signature(value))
