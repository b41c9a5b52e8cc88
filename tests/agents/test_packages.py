"""How the tools of ``agents`` depend on each other (docs/architecture.md): a training run is owned by
``agents.runs``, which imports no other tool; evaluation and figures read run and sweep folders through
``agents.runs``, never through the sweeps; one configuration error type, no per-tool copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_layers import imported_modules

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("agents.evaluation", "agents.figures", "agents.sweeps", "agents.multiagent", "agents.quickstart")


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / "agents" / package).glob("*.py"))


@pytest.mark.parametrize("path", _modules("runs"), ids=lambda p: p.name)
def test_the_run_package_imports_no_other_tool(path: Path) -> None:
    found = sorted(name for name in imported_modules(path) if name.startswith(TOOLS))
    assert not found, f"agents/runs/{path.name} imports {found}"


@pytest.mark.parametrize(
    "path", [*_modules("evaluation"), *_modules("figures")], ids=lambda p: str(p.relative_to(ROOT))
)
def test_evaluation_and_figures_read_runs_through_the_run_package(path: Path) -> None:
    found = sorted(name for name in imported_modules(path) if name.startswith("agents.sweeps"))
    assert not found, f"{path.relative_to(ROOT)} imports {found}"


def test_one_configuration_error_type() -> None:
    """Every ``class ...Error`` of agents is the one ConfigError or derives from it (AgentUnavailableError
    is also an ImportError), but for the one error of a failed write, WriteError (an OSError naming the file:
    not bad input, exit 74 instead of 2)."""
    import agents
    from agents.common.errors import ConfigError
    from agents.common.files import WriteError

    classes = [
        (path, line.split("class ", 1)[1].split("(", 1)[0])
        for path in sorted((ROOT / "agents").rglob("*.py"))
        for line in path.read_text().splitlines()
        if line.startswith("class ") and line.split("(", 1)[0].endswith("Error")
    ]
    assert [name for _, name in classes] == ["ConfigError", "WriteError", "AgentUnavailableError"]
    assert issubclass(WriteError, OSError) and not issubclass(WriteError, ConfigError)
    assert issubclass(agents.AgentUnavailableError, ConfigError) and agents.ConfigError is ConfigError
