"""Errors of bad input that the package names (standard library only).

A bad *value* of a known option is a ``ValueError`` naming the field and the allowed range. An *unknown*
option is an :class:`OptionError`: a ``TypeError`` with Python's own wording ("got an unexpected keyword
argument 'NAME'") so that callers probing for optional keywords work as with any constructor (TorchRL's
``GymEnv`` calls ``gym.make(id, frameskip=...)`` and retries without it only on such a TypeError), and a
``ValueError`` too, as unknown options were before."""

from __future__ import annotations

from collections.abc import Iterable


class OptionError(TypeError, ValueError):
    """An unknown option (keyword argument) of an env, a config or a solver."""


def unknown_option_error(
    owner: str, unknown: Iterable[str], valid: Iterable[str], what: str = "option"
) -> OptionError:
    """The error for ``unknown`` options of ``owner``: Python's wording for the first one, then all of them
    and the valid ones (``what`` names them: "option", "ScenarioConfig field")."""
    unknown = sorted(unknown)
    return OptionError(
        f"{owner} got an unexpected keyword argument {unknown[0]!r} (unknown {what}(s) {unknown}); "
        f"valid {what}s: {sorted(valid)}"
    )
