"""Modules and names that moved in 0.2.0 fail loudly, naming their new home (as Gymnasium does for renamed
wrappers), instead of Python's bare "No module named ..." or a silent re-export; the new homes import."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import ioa_gym
from ioa_gym.errors import MovedModuleFinder, install_moved_modules

MOVED = sorted(ioa_gym._MOVED_MODULES.items())


@pytest.mark.parametrize(("old", "new"), MOVED, ids=[old for old, _ in MOVED])
def test_importing_a_moved_module_names_its_new_home(old: str, new: str) -> None:
    with pytest.raises(ModuleNotFoundError, match="moved in version 0.2.0") as raised:
        importlib.import_module(old)
    assert new in str(raised.value)
    # ``from package import old`` shows the same message (a named ModuleNotFoundError would be swallowed).
    package, _, leaf = old.rpartition(".")
    with pytest.raises(ModuleNotFoundError, match=f"{old} moved in version 0.2.0"):
        exec(f"from {package} import {leaf}", {})
    with pytest.raises(AttributeError, match="moved in version 0.2.0"):
        getattr(ioa_gym, old.rsplit(".", 1)[1])
    # The new home imports (its first module path, before any parenthesised note).
    importlib.import_module(new.split(" ")[0])


def test_the_moved_module_error_holds_in_a_fresh_interpreter() -> None:
    """``from ioa_gym.auction import Market`` in a program that never imported ioa_gym before."""
    program = "from ioa_gym.auction import Market"
    process = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert process.returncode == 1
    assert (
        "ModuleNotFoundError: ioa_gym.auction moved in version 0.2.0: use ioa_gym.auctions" in process.stderr
    )


def test_other_missing_modules_and_names_keep_pythons_errors() -> None:
    with pytest.raises(ModuleNotFoundError, match="No module named 'ioa_gym.no_such_module'"):
        importlib.import_module("ioa_gym.no_such_module")
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        ioa_gym.no_such_name  # noqa: B018
    # ioa_gym's finder is installed once, however often it is asked to be.
    install_moved_modules(ioa_gym._MOVED_MODULES, ioa_gym._MOVED_IN)
    ours = [
        f for f in sys.meta_path if isinstance(f, MovedModuleFinder) and f.moved == ioa_gym._MOVED_MODULES
    ]
    assert len(ours) == 1


@pytest.mark.parametrize("name", ["VARIANTS", "DDA_VARIANTS"])
def test_removed_auction_names_point_to_the_registry(name: str) -> None:
    import ioa_gym.auctions

    with pytest.raises(AttributeError, match=f"ioa_gym.auctions.{name} was removed"):
        getattr(ioa_gym.auctions, name)
