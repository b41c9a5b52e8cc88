"""The observation history of the IoA-DDA envs (``history_length``): the last k public observations stacked
oldest first into one flat float32 vector, the window padded at reset with copies of the reset observation
(as Gymnasium's ``FrameStackObservation`` with ``padding_type="reset"``). The single env keeps one window,
the native vector env one per sub-env, shifted as the sub-envs step and refilled as they reset.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

__all__ = ["MAX_HISTORY_LENGTH", "ObservationHistory", "history_names", "history_space"]

MAX_HISTORY_LENGTH = 64
"""Upper bound of ``history_length``."""


def history_names(names: tuple[str, ...], length: int) -> tuple[str, ...]:
    """The name of each entry of the stacked observation: the newest frame keeps the plain names (so that
    ``obs_names.index(name)`` reads the current observation), an older one j steps back ``name@-j``."""
    older = tuple(f"{name}@-{j}" for j in range(length - 1, 0, -1) for name in names)
    return older + names


def history_space(space: spaces.Box, length: int) -> spaces.Box:
    """The observation space of ``length`` stacked frames of ``space`` (its bounds repeated); ``space``
    itself for one frame."""
    if length == 1:
        return space
    low, high = np.tile(space.low, length), np.tile(space.high, length)
    return spaces.Box(low, high, dtype=np.float32)


class ObservationHistory:
    """The windows of ``n`` envs, an array (n, length, size) of their last ``length`` frames, oldest first."""

    def __init__(self, n: int, length: int, size: int) -> None:
        self.window = np.zeros((n, length, size), np.float32)

    def fill(self, rows: Any, frames: np.ndarray) -> None:
        """Reset the windows of ``rows`` (an index or a mask) to copies of ``frames`` (one per row)."""
        self.window[rows] = frames[:, None, :]

    def push(self, rows: Any, frames: np.ndarray) -> None:
        """Shift the windows of ``rows`` by one step and append ``frames`` (one per row); None: every row."""
        window = self.window
        if rows is None:
            window[:, :-1] = window[:, 1:]  # NumPy copies overlapping operands
            window[:, -1] = frames
        else:
            window[rows, :-1] = window[rows, 1:]
            window[rows, -1] = frames

    def stacked(self) -> np.ndarray:
        """A copy of every window, flat: (n, length * size)."""
        return self.window.reshape(self.window.shape[0], -1).copy()

    def reset_one(self, frame: np.ndarray) -> np.ndarray:
        """The single env's reset: its window all ``frame``; the stacked observation."""
        self.window[0] = frame
        return self.window[0].reshape(-1).copy()

    def push_one(self, frame: np.ndarray) -> np.ndarray:
        """The single env's step: its window shifted and ``frame`` appended; the stacked observation."""
        window = self.window[0]
        window[:-1] = window[1:]
        window[-1] = frame
        return window.reshape(-1).copy()
