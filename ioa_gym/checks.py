"""Argument checks shared by every subpackage of ``ioa_gym``: each raises a ``ValueError`` that names the
field and its allowed range (``<name> must be <range>, got <value>``), before anything is computed.

NumPy only. The envs' action checks, which name the action space, are in ``ioa_gym.envs.actions``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "check_int",
    "check_int_range",
    "check_range",
    "check_scalar",
    "check_seed",
    "is_int",
    "is_real",
    "real_array",
]


def is_real(value: object) -> bool:
    """A real number (Python or NumPy), not a bool and not a string that would parse as one."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def is_int(value: object) -> bool:
    """An integer (Python or NumPy), not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _bounds_text(low: float, high: float, strict_low: bool) -> str:
    return f"({low}, {high}]" if strict_low else f"[{low}, {high}]"


def check_range(
    name: str, value: Any, low: float = -math.inf, high: float = math.inf, strict_low: bool = False
) -> tuple[float, float]:
    """A (min, max) pair of numbers lying inside [low, high] (``strict_low``: (low, high]) with min <= max,
    as floats; else ValueError naming ``name`` and the allowed range."""
    bound = _bounds_text(low, high, strict_low)
    # A tuple, list or 1-D array: tuple() of a dict or a set would take its keys or an arbitrary order.
    pair = tuple(value) if isinstance(value, (tuple, list, np.ndarray)) else ()
    if len(pair) != 2 or not all(is_real(v) for v in pair):
        raise ValueError(
            f"{name} must be a pair (min, max) of numbers in {bound} (a tuple or list), got {value!r}"
        )
    lo, hi = float(pair[0]), float(pair[1])
    for v in (lo, hi):
        if not math.isfinite(v) or v > high or v < low or (strict_low and v <= low):
            raise ValueError(f"{name} must lie in {bound}, got {value!r}")
    if lo > hi:
        raise ValueError(f"{name} must be an increasing range (min <= max) in {bound}, got {value!r}")
    return lo, hi


def check_int_range(name: str, value: Any, low: int, high: int) -> tuple[int, int]:
    """A (min, max) pair of integers inside [low, high] with min <= max (an inclusive range)."""
    lo, hi = check_range(name, value, low, high)
    if any(isinstance(v, (float, np.floating)) and not float(v).is_integer() for v in value):
        raise ValueError(f"{name} must be a pair (min, max) of integers in [{low}, {high}], got {value!r}")
    return int(lo), int(hi)


def check_scalar(
    name: str, value: Any, low: float = -math.inf, high: float = math.inf, strict_low: bool = False
) -> float:
    """A finite number in [low, high] (``strict_low``: (low, high]), as a float; else ValueError naming
    ``name`` and the allowed range."""
    bound = _bounds_text(low, high, strict_low)
    if not is_real(value):
        raise ValueError(f"{name} must be a number in {bound}, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v > high or v < low or (strict_low and v <= low):
        raise ValueError(f"{name} must lie in {bound}, got {value!r}")
    return v


def check_int(name: str, value: Any, low: int, high: int = 10**6) -> int:
    """An integer (not a bool) in [low, high], as an int; else ValueError naming ``name`` and the range."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return int(value)


def check_seed(seed: object, name: str = "seed") -> None:
    """A seed of ``np.random.default_rng``: None, an integer >= 0, a Generator or a SeedSequence (else
    ValueError naming ``name``)."""
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return
    if not (is_int(seed) and seed >= 0):  # type: ignore[operator]
        raise ValueError(
            f"{name} must be None, an integer >= 0, a numpy.random.Generator or a SeedSequence, got {seed!r}"
        )


def real_array(value: object) -> np.ndarray | None:
    """``value`` as a float array if it holds real numbers (no strings, bools, complex or objects), else
    None (the caller names the field in its error)."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return None
    return array.astype(float) if array.dtype.kind in "iuf" else None
