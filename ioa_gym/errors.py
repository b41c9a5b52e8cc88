"""Errors of bad input that the package names, and of imports that moved (standard library only).

A bad *value* of a known option is a ``ValueError`` naming the field and the allowed range. An *unknown*
option is an :class:`OptionError`: a ``TypeError`` with Python's own wording ("got an unexpected keyword
argument 'NAME'") so that callers probing for optional keywords work as with any constructor (TorchRL's
``GymEnv`` calls ``gym.make(id, frameskip=...)`` and retries without it only on such a TypeError), and a
``ValueError`` too, as unknown options were before."""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Iterable, Mapping


class OptionError(TypeError, ValueError):
    """An unknown option (keyword argument) of an env, a config or a solver."""


def unknown_option_error(
    owner: str, unknown: Iterable[str], valid: Iterable[str], what: str = "option"
) -> OptionError:
    """The error for ``unknown`` options of ``owner``: Python's wording for the first one, then all of them
    and the valid ones (``what`` names them: "option", "ScenarioConfig field")."""
    unknown = sorted(unknown)
    hint = ""
    if "autoreset_mode" in unknown:  # an env option of the native vector envs only
        hint = (
            "; autoreset_mode is an option of the native vector env "
            "(vectorization_mode='vector_entry_point'): for 'sync' and 'async' pass "
            "vector_kwargs={'autoreset_mode': mode}"
        )
    return OptionError(
        f"{owner} got an unexpected keyword argument {unknown[0]!r} (unknown {what}(s) {unknown}); "
        f"valid {what}s: {sorted(valid)}{hint}"
    )


class MovedModuleFinder(importlib.abc.MetaPathFinder):
    """An import hook for modules that moved: importing one raises ``ModuleNotFoundError`` naming its new
    home, instead of Python's bare "No module named ...". It answers only for the names in ``moved``, and only
    once every other finder has failed (it is appended to ``sys.meta_path``).

    :param moved: old dotted module name -> what to import instead.
    :param since: the version that moved them, for the message.
    """

    def __init__(self, moved: Mapping[str, str], since: str) -> None:
        self.moved, self.since = dict(moved), since

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        new_home = self.moved.get(fullname)
        if new_home is not None:
            # No ``name=``: ``from package import old`` swallows a ModuleNotFoundError named after the module
            # it tries and says only "cannot import name"; unnamed, the message reaches the user.
            raise ModuleNotFoundError(
                f"{fullname} moved in version {self.since}: use {new_home} (CHANGELOG.md lists every move)"
            )
        return None


def install_moved_modules(moved: Mapping[str, str], since: str) -> MovedModuleFinder:
    """Install a :class:`MovedModuleFinder` for ``moved`` (once per table of moves); returns it."""
    for finder in sys.meta_path:
        if isinstance(finder, MovedModuleFinder) and finder.moved == dict(moved):
            return finder
    finder = MovedModuleFinder(moved, since)
    sys.meta_path.append(finder)
    return finder


def moved_attribute_error(owner: str, name: str, moved: Mapping[str, str], since: str) -> AttributeError:
    """The error of ``owner.name`` when ``name`` moved (its new home from ``moved``) or never existed."""
    if name in moved:
        return AttributeError(f"{owner}.{name} moved in version {since}: use {moved[name]}")
    return AttributeError(f"module {owner!r} has no attribute {name!r}")
