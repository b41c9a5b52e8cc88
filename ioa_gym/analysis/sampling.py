"""Random actions drawn in batches: the same actions as ``action_space.sample()``, at a fraction of its cost.

Gymnasium's ``Box.sample()`` costs more than a step of IoA-DDA-v0 (about 17 us a call, most of it NumPy's
per-call overhead on arrays of one or two numbers), so a loop that calls it before every step measures the
sampler rather than the env. :class:`ActionSampler` draws ``batch_size`` actions in one vectorised call of the
space's own generator and hands them out one at a time. For a Box whose every dimension is bounded (uniform
draws) and for a Discrete space (``integers``) NumPy's vectorised draw consumes the generator exactly as that
many ``sample()`` calls one after the other do, so the sampler returns **the same sequence of actions** as
``space.sample()`` called before every step from the same seed (tested), and leaves the generator where the
calls would have left it once a batch is used up. Other spaces (unbounded or integer Boxes, Dict, Tuple,
MultiDiscrete...) fall back to ``space.sample()`` per action, the same actions at the same cost.

The pattern (docs/model.md, Sec. 5)::

    from ioa_gym.analysis.sampling import ActionSampler

    env.action_space.seed(0)
    sample = ActionSampler(env.action_space)
    for _ in range(steps):
        observation, reward, terminated, truncated, info = env.step(sample())

The sampler owns the space's random stream while it holds drawn actions: a ``space.seed(s)`` (a new
generator) empties the buffer, so the next action is the first of seed ``s``; drawing from ``space.np_random``
directly in between would see the stream ``batch_size`` actions ahead (call :meth:`ActionSampler.clear` after
setting the generator's state by hand).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

__all__ = ["ActionSampler", "batchable"]

DEFAULT_BATCH = 256
"""Actions drawn per refill: one vectorised draw costs about as much as two ``sample()`` calls."""


def batchable(space: spaces.Space) -> bool:
    """Whether :class:`ActionSampler` draws ``space``'s actions in batches with the sequence of
    ``sample()``: a float Box bounded in every dimension, or a Discrete space."""
    if type(space) is spaces.Discrete:
        return True
    return (
        type(space) is spaces.Box
        and space.dtype is not None
        and space.dtype.kind == "f"
        and bool(np.all(space.bounded_below & space.bounded_above))
    )


class ActionSampler:
    """``space.sample()``'s actions, drawn ``batch_size`` at a time from the space's own generator.

    :param space: a Gymnasium space (its generator, ``space.np_random``, is the one drawn from).
    :param batch_size: actions drawn per refill (>= 1).

    Calling the sampler returns one action (a fresh float array of the Box's dtype and shape, or an
    ``np.int64`` index of a Discrete space, as ``sample()`` returns them); :meth:`sample_batch` returns ``n``
    of them stacked along a new first axis, the next ``n`` of the same sequence.
    """

    _generator: np.random.Generator | None
    _buffer: np.ndarray
    _rows: list[Any]
    _next: int
    _state_before: dict[str, Any] | None

    def __init__(self, space: spaces.Space, batch_size: int = DEFAULT_BATCH) -> None:
        if not isinstance(space, spaces.Space):
            raise ValueError(f"space must be a gymnasium Space, got {type(space).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        self.space = space
        self.batch_size = int(batch_size)
        self.batched = batchable(space)
        self.clear()

    def clear(self) -> None:
        """Forget the drawn actions not handed out yet (the next one is drawn afresh from the generator)."""
        self._generator = None
        self._buffer = np.empty(0)
        self._rows = []
        self._next = 0
        self._state_before = None

    def _draw(self, n: int) -> np.ndarray:
        """The next ``n`` actions of ``space.sample()``'s sequence, in one vectorised draw."""
        space, generator = self.space, self.space.np_random
        if isinstance(space, spaces.Discrete):
            return space.start + generator.integers(space.n, size=n, dtype=space.dtype.type)
        box = space
        assert isinstance(box, spaces.Box) and box.dtype is not None
        return generator.uniform(low=box.low, high=box.high, size=(n, *box.shape)).astype(box.dtype)

    def _refill(self) -> None:
        generator = self.space.np_random
        self._state_before = dict(generator.bit_generator.state)
        self._generator = generator
        self._buffer = self._draw(self.batch_size)
        self._rows = list(
            self._buffer
        )  # row views of a Box's buffer (each handed out once), np.int64 indices
        self._next = 0

    def __call__(self) -> Any:
        """The next action."""
        if not self.batched:
            return self.space.sample()
        index = self._next
        if index >= self.batch_size or self.space.np_random is not self._generator:
            self._refill()
            index = 0
        self._next = index + 1
        return self._rows[index]

    sample = __call__

    def sample_batch(self, n: int) -> np.ndarray:
        """The next ``n`` actions stacked along a new first axis (as ``np.stack`` of ``n`` calls)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n must be an integer >= 0, got {n!r}")
        if not self.batched:
            if not n:
                return np.empty((0, *(self.space.shape or ())), self.space.dtype)
            return np.stack([np.asarray(self.space.sample()) for _ in range(n)])
        if self.space.np_random is not self._generator:
            self._refill()
        parts, left = [], int(n)
        while True:
            take = min(left, len(self._buffer) - self._next)
            parts.append(self._buffer[self._next : self._next + take])
            self._next += take
            left -= take
            if not left:
                break
            self._refill()
        return parts[0].copy() if len(parts) == 1 else np.concatenate(parts)

    def generator_state(self) -> dict[str, Any]:
        """The state ``space.np_random``'s bit generator would have after handing out only the actions handed
        out so far, one ``sample()`` call each (what saving a random agent should record): the buffer's draws
        not handed out yet are undone."""
        generator = self.space.np_random
        if self._state_before is None or generator is not self._generator:
            return dict(generator.bit_generator.state)
        replay = np.random.Generator(type(generator.bit_generator)())
        replay.bit_generator.state = self._state_before
        if self._next:
            twin = _with_generator(self.space, replay)
            ActionSampler(twin, self._next)._draw(self._next)
        return replay.bit_generator.state


def _with_generator(space: spaces.Space, generator: np.random.Generator) -> spaces.Space:
    """A shallow copy of ``space`` drawing from ``generator``."""
    import copy

    twin = copy.copy(space)
    twin._np_random = generator
    return twin
