"""A tiny RGB renderer shared by the environments: horizontal bars of values in [0, 1].

Enough for ``render_mode="rgb_array"`` (video recorders, SB3's default ``render_mode``) without a
graphics dependency."""

from __future__ import annotations

import importlib.util
from typing import Any, Protocol

import gymnasium as gym
import numpy as np
from gymnasium.envs.registration import EnvSpec

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


class _UnlistedRenderCollection(gym.wrappers.RenderCollection):
    """``RenderCollection`` that leaves the env's spec as it is: ``gym.make`` then applies a registered
    ``additional_wrappers`` entry (as IoA-Stackelberg-v0 registered ``EndedEpisodeGuard`` before issue 24)
    above the TimeLimit as usual, instead of refusing the entry point's wrapper as a mismatch of that list."""

    # gym.Env declares ``spec`` a plain (writable) attribute, which gymnasium's own Wrapper.spec overrides
    # with a read-only property, as here; mypy flags every such override.
    @property
    def spec(self) -> EnvSpec | None:  # type: ignore[override]
        return self.env.spec


class _UnlistedHumanRendering(gym.wrappers.HumanRendering):
    """``HumanRendering`` that leaves the env's spec as it is (see ``_UnlistedRenderCollection``)."""

    @property
    def spec(self) -> EnvSpec | None:  # type: ignore[override]  # as _UnlistedRenderCollection.spec
        return self.env.spec


class _EnvClass(Protocol):
    """An IoA env class as :func:`make_with_render_mode` takes it: its ``metadata`` (the render modes) and a
    constructor with a ``render_mode`` argument."""

    metadata: dict[str, Any]

    def __call__(self, render_mode: str | None = None, **kwargs: Any) -> gym.Env: ...


def make_with_render_mode(
    env_class: _EnvClass, render_mode: str | None, kwargs: dict[str, Any], unlisted: bool = False
) -> gym.Env:
    """The registered entry point of an IoA env: ``env_class(render_mode=..., **kwargs)``, with the render
    modes that ``gym.make`` adds by wrappers handled here, where a bad one fails at ``gym.make``.

    A function has no ``metadata``, so ``gym.make`` passes ``render_mode`` through unchanged: "human" is then
    ``HumanRendering`` over "rgb_array" when pygame is installed and a ValueError naming the render modes when
    it is not (``gym.make`` would wrap it anyway and fail at the first reset, in the wrapper); "<mode>_list"
    is ``RenderCollection`` over "<mode>", as ``gym.make`` does; the env refuses any other unknown mode.
    ``unlisted``: the wrapper stays out of the spec's ``additional_wrappers`` (for an id that registers its
    own additional wrappers, which ``gym.make`` checks against the entry point's)."""
    collection = _UnlistedRenderCollection if unlisted else gym.wrappers.RenderCollection
    human = _UnlistedHumanRendering if unlisted else gym.wrappers.HumanRendering
    modes = list(env_class.metadata["render_modes"])
    if render_mode == "human" and "rgb_array" in modes:
        if importlib.util.find_spec("pygame") is None:
            raise ValueError(
                f"render_mode='human' needs pygame (pip install pygame) to show the 'rgb_array' frames; "
                f"render_mode must be one of {modes} (or 'human' with pygame, or '<mode>_list') or None"
            )
        return human(env_class(render_mode="rgb_array", **kwargs))
    if (
        isinstance(render_mode, str)
        and render_mode.endswith("_list")
        and render_mode[: -len("_list")] in modes
    ):
        return collection(env_class(render_mode=render_mode[: -len("_list")], **kwargs))
    return env_class(render_mode=render_mode, **kwargs)
