"""Range checks of numeric settings that name the setting and its allowed range in the error.

Used by the hyperparameter checks (SB3 hyperparameters), ``DiffusionAC`` (every constructor argument), the
run configuration and every tool (their flags, the torch device and the output folders), so that a bad value
fails at once with :class:`~agents.common.errors.ConfigError` ``<name> must be <range>, got <value>``
instead of training with NaN losses or silently doing something else.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agents.common.errors import ConfigError


@dataclass(frozen=True)
class Range:
    """An interval of numbers, optionally of integers, plus a few extra allowed values (``-1``).

    :param low: lower bound (None: unbounded).
    :param high: upper bound (None: unbounded).
    :param low_open: the lower bound itself is excluded.
    :param high_open: the upper bound itself is excluded.
    :param integer: only integers (an integral float such as ``1e5`` counts; a bool never does).
    :param also: further allowed values outside the interval, with their meaning for the message.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False
    also: tuple[tuple[float, str], ...] = ()

    def describe(self) -> str:
        """``an integer >= 1 (or -1: ...)``, ``a number in [0, 1]``, ``a number > 0``..."""
        kind = "an integer" if self.integer else "a number"
        if self.low is not None and self.high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            text = f"{kind} in {left}{_number(self.low)}, {_number(self.high)}{right}"
        elif self.low is not None:
            text = f"{kind} {'>' if self.low_open else '>='} {_number(self.low)}"
        elif self.high is not None:
            text = f"{kind} {'<' if self.high_open else '<='} {_number(self.high)}"
        else:
            text = kind
        meanings: dict[str, list[str]] = {}
        for value, meaning in self.also:
            meanings.setdefault(meaning, []).append(_number(value))
        extras = "; ".join(
            f"{' or '.join(values)}: {meaning}" if meaning else " or ".join(values)
            for meaning, values in meanings.items()
        )
        return f"{text} (or {extras})" if extras else text

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is allowed (NaN never is)."""
        if isinstance(value, bool) or not isinstance(value, int | float) and not _is_numpy_number(value):
            return False
        number = float(value)
        if math.isnan(number):
            return False
        if any(number == extra for extra, _ in self.also):
            return True
        if self.integer and not number.is_integer():
            return False
        if self.low is not None and (number < self.low or (self.low_open and number == self.low)):
            return False
        if self.high is not None and (number > self.high or (self.high_open and number == self.high)):
            return False
        return True


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)


def _is_numpy_number(value: Any) -> bool:
    return isinstance(value, np.integer | np.floating) and not isinstance(value, np.bool_)


def check_range(name: str, value: Any, allowed: Range) -> None:
    """Raise :class:`~agents.common.errors.ConfigError` ``"<name> must be <range>, got <value>"`` unless
    ``allowed`` contains ``value``."""
    if not allowed.contains(value):
        raise ConfigError(f"{name} must be {allowed.describe()}, got {value!r}")


POSITIVE = Range(0.0, low_open=True)
NON_NEGATIVE = Range(0.0)
UNIT = Range(0.0, 1.0)
POSITIVE_INT = Range(1, integer=True)
NON_NEGATIVE_INT = Range(0, integer=True)

DEVICES = "auto, cpu, cuda, cuda:<index>, mps"
"""The torch devices a ``--device`` flag accepts (when the machine has them)."""


def check_device(device: str, flag: str = "--device") -> str:
    """Refuse a torch device this machine lacks (``cuda`` without CUDA, ``cuda:7`` of one GPU, no MPS) or
    that is no device at all, instead of SB3's silent fall-back to the CPU or a failure when a model
    loads; returns ``device`` as given (``auto`` included).

    :raises ConfigError: naming ``flag`` and the devices this machine has.
    """
    import torch

    if device == "auto":
        return device
    try:
        parsed = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        raise ConfigError(f"{flag} {device!r} is not a torch device; valid: {DEVICES}") from None
    if parsed.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ConfigError(f"{flag} {device!r}: CUDA is not available on this machine; use cpu or auto")
        if parsed.index is not None and parsed.index >= count:
            raise ConfigError(f"{flag} {device!r}: this machine has CUDA devices 0..{count - 1}")
    elif parsed.type == "mps":
        if not torch.backends.mps.is_available():
            raise ConfigError(f"{flag} {device!r}: MPS is not available on this machine; use cpu or auto")
    elif parsed.type != "cpu":
        raise ConfigError(f"{flag} {device!r} is not supported; valid: {DEVICES}")
    return device


def _can_create_in(folder: Path) -> bool:
    """Whether a folder can be made in ``folder`` (tried: an empty hidden folder, removed at once), for what
    ``os.access`` cannot tell, e.g. root in ``/proc`` or a read-only mount."""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".ioa-write-check-", dir=folder))
    except OSError:
        return False
    return True


def check_writable_folder(flag: str, folder: str | os.PathLike[str]) -> Path:
    """Refuse a folder that cannot be created or written: empty, a file, under a file, or its nearest existing
    ancestor not writable. Leaves nothing behind. Returns the path.

    :raises ConfigError: naming ``flag``.
    """
    if not str(folder).strip():
        raise ConfigError(f"{flag} must name a folder, got {str(folder)!r}")
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{flag} {path} exists and is not a folder")
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{flag} {path}: {existing} exists and is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK) or not _can_create_in(existing):
        raise ConfigError(f"{flag} {path}: {existing} is not writable")
    return path


__all__ = [
    "DEVICES",
    "NON_NEGATIVE",
    "NON_NEGATIVE_INT",
    "POSITIVE",
    "POSITIVE_INT",
    "UNIT",
    "Range",
    "check_device",
    "check_range",
    "check_writable_folder",
]
