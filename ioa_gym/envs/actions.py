"""Action checks shared by the IoA envs: an action outside its space is a ValueError naming the space.

The rule, the same in every IoA env (single and vector): a Discrete action is an integer (Python or NumPy,
or an integer array of one element) in [0, n), never a float, a bool or a negative index; a Box action has
the space's shape (a 1-entry Box also takes a scalar) and finite real entries (no strings, bools or complex
numbers). Finite Box entries outside
[low, high] are clipped to the bounds (documented in each env's action mapping); NaN and inf are refused.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from gymnasium import spaces


def check_discrete_action(action: Any, space: spaces.Discrete) -> int:
    """The index of a ``Discrete(n)`` action; ValueError unless it is an integer in [0, n)."""
    if isinstance(action, (int, np.integer)) and not isinstance(action, bool):
        index = int(action)
    elif (
        isinstance(action, np.ndarray) and action.dtype.kind in "iu" and action.size == 1 and action.ndim <= 1
    ):
        index = int(action.reshape(-1)[0])
    else:
        raise ValueError(
            f"action must be an integer in [0, {int(space.n) - 1}] (the action space is {space}), "
            f"got {action!r}"
        )
    if not 0 <= index < space.n:
        raise ValueError(
            f"action must be an integer in [0, {int(space.n) - 1}] (the action space is {space}; no negative "
            f"indexing), got {action!r}"
        )
    return index


def check_box_action(action: Any, space: spaces.Box) -> list[float]:
    """The entries (Python floats) of a 1-D ``Box`` action; ValueError unless it has the space's shape (a
    scalar for a 1-entry space) and finite entries. Out-of-bounds finite entries are left to the caller,
    which clips them."""
    shape = space.shape
    if isinstance(action, np.ndarray) and action.shape == shape and action.dtype.kind == "f":
        entries = action.tolist()
    else:
        try:
            array = np.asarray(action)
        except (TypeError, ValueError):
            array = None
        if array is not None and array.dtype.kind in "iuf":  # no strings, bools, complex or objects
            array = array.astype(float)
        else:
            array = None
        if array is None or not (array.shape == shape or (shape == (1,) and array.shape == ())):
            got = "no array of real numbers" if array is None else f"shape {array.shape}"
            raise ValueError(
                f"action must be an array of shape {shape} (the action space is {space}), "
                f"got {got}: {action!r}"
            )
        entries = array.reshape(-1).tolist()
    for entry in entries:
        if not math.isfinite(entry):
            raise ValueError(
                f"action must be finite (the action space is {space}; finite values outside "
                f"[{space.low.min()}, {space.high.max()}] are clipped), got {action!r}"
            )
    return entries


def real_array(action: Any, space: Any, name: str = "action") -> np.ndarray:
    """``action`` as an array of real numbers (ints or floats; no strings, bools, complex numbers or objects),
    else ValueError naming ``name`` and the action ``space``."""
    try:
        array = np.asarray(action)
    except (TypeError, ValueError):
        array = None
    if array is None or array.dtype.kind not in "iuf":
        raise ValueError(
            f"{name} must be an array of real numbers (no strings, bools or complex numbers; "
            f"the action space is {space}), got {action!r}"
        )
    return array
