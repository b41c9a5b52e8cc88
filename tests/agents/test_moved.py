"""Modules and names of ``agents`` that moved in 0.2.0 fail loudly, naming their new home (as Gymnasium does
for renamed wrappers), instead of Python's bare "No module named ..." or a silent re-export; each new home
exists; the imports the README shows keep working."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys

import pytest

import agents
import agents.common.files
import agents.diffusion.diffusion
import agents.evaluation
import agents.evaluation.arguments
import agents.evaluation.specs
import agents.figures
import agents.registry

MOVED_MODULES = sorted(agents._MOVED_MODULES.items())
MOVED_NAMES = [
    (module, name, new)
    for module in (
        agents,
        agents.registry,
        agents.evaluation,
        agents.evaluation.specs,
        agents.evaluation.arguments,
        agents.common.files,
        agents.figures,
        agents.diffusion.diffusion,
    )
    for name, new in sorted(
        (agents._MOVED_NAMES if module is agents else getattr(module, "_MOVED", {})).items()
    )
]
MOVED_NAMES += [
    (agents.diffusion.diffusion, "validate_agent_args", "agents.diffusion.arguments.validate_agent_args"),
]


def resolve(home: str) -> object:
    """The object a new home names: its first dotted path (before any call or note), imported."""
    path = re.match(r"[\w.]+", home).group(0)  # type: ignore[union-attr]
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise AssertionError(f"{home} names nothing importable")


@pytest.mark.parametrize(("old", "new"), MOVED_MODULES, ids=[old for old, _ in MOVED_MODULES])
def test_importing_a_moved_module_names_its_new_home(old: str, new: str) -> None:
    with pytest.raises(ModuleNotFoundError, match="moved in version 0.2.0") as raised:
        importlib.import_module(old)
    assert new in str(raised.value)
    resolve(new)


@pytest.mark.parametrize(
    ("module", "name", "new"),
    MOVED_NAMES,
    ids=[f"{module.__name__}.{name}" for module, name, _ in MOVED_NAMES],
)
def test_a_moved_name_names_its_new_home(module: object, name: str, new: str) -> None:
    with pytest.raises(AttributeError, match="moved in version 0.2.0") as raised:
        getattr(module, name)
    assert new in str(raised.value)
    resolve(new)


@pytest.mark.slow
def test_the_moved_module_error_holds_in_a_fresh_interpreter() -> None:
    """An old import line, and the old multi-agent command, in programs that never imported agents before."""
    old_import = subprocess.run(
        [sys.executable, "-c", "from agents.training import main"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert old_import.returncode == 1
    assert "ModuleNotFoundError: agents.training moved in version 0.2.0: use agents.runs" in old_import.stderr
    old_command = subprocess.run(
        [sys.executable, "-m", "agents.multiagent_results", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert old_command.returncode == 1
    assert (
        "agents.multiagent_results moved in version 0.2.0: use agents.multiagent.results"
        in old_command.stderr
    )


def test_other_missing_names_keep_pythons_errors_and_the_documented_imports_work() -> None:
    with pytest.raises(ModuleNotFoundError, match="No module named 'agents.no_such_module'"):
        importlib.import_module("agents.no_such_module")
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        agents.no_such_name  # noqa: B018
    from agents import ConfigError, make_agent  # the README's, and the one error type
    from agents.runs import load_agent

    assert callable(make_agent) and callable(load_agent) and issubclass(ConfigError, ValueError)
