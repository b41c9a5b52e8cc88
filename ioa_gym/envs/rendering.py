"""A tiny RGB renderer shared by the environments: horizontal bars of values in [0, 1].

Enough for ``render_mode="rgb_array"`` (video recorders, SB3's default ``render_mode``) without a
graphics dependency."""

from __future__ import annotations

import numpy as np

PALETTE = np.array(
    [
        [214, 39, 40],
        [31, 119, 180],
        [44, 160, 44],
        [255, 127, 14],
        [148, 103, 189],
        [140, 86, 75],
        [227, 119, 194],
        [127, 127, 127],
    ],
    dtype=np.uint8,
)


def bars(
    values: list[float] | np.ndarray, width: int = 256, bar_height: int = 12, gap: int = 4
) -> np.ndarray:
    """An (H, width, 3) uint8 image with one bar per value (clipped to [0, 1]) on a white ground."""
    values = np.clip(np.nan_to_num(np.asarray(values, dtype=float)), 0.0, 1.0)
    height = gap + len(values) * (bar_height + gap)
    image = np.full((height, width, 3), 255, dtype=np.uint8)
    for row, value in enumerate(values):
        top = gap + row * (bar_height + gap)
        image[top : top + bar_height, : int(round(value * width))] = PALETTE[row % len(PALETTE)]
    return image
