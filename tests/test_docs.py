"""The docs name what exists: every module docs/architecture.md names is a file of the repository, and every
package of ``ioa_gym`` and ``agents`` appears in it, so the map of the code cannot fall behind the code
silently. Module paths named in the other docs exist too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
DOTTED = re.compile(r"`((?:ioa_gym|agents)(?:\.[A-Za-z_][A-Za-z0-9_]*\*?)*)")
"""A dotted name in backticks that starts with one of the packages (``ioa_gym.tier1.scenario``, or a name
inside a module: ``ioa_gym.analysis.rollout.play``)."""
TABLE_ROW = re.compile(r"^\| `((?:ioa_gym|agents)(?:\.\w+)*)` \| ((?:`[\w.]+\.py`,? ?)+) \|", re.MULTILINE)
"""A row of the architecture's package tables: the package, then the modules it holds."""


def packages() -> list[str]:
    """Every package of ``ioa_gym`` and ``agents`` (a folder with an ``__init__.py``), dotted."""
    found = []
    for top in ("ioa_gym", "agents"):
        for init in sorted((ROOT / top).rglob("__init__.py")):
            found.append(".".join(init.parent.relative_to(ROOT).parts))
    return found


def resolves(dotted: str) -> bool:
    """Whether a dotted name is a module or package of the repository, or a name defined in one."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:split])
        if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
            rest = parts[split:]
            if not rest:
                return True
            source = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
            name = rest[0]
            pattern = re.escape(name[:-1]) + r"\w*" if name.endswith("*") else rf"{re.escape(name)}\b"
            return re.search(rf"\b{pattern}", source.read_text()) is not None
    return False


def test_every_package_appears_in_the_architecture() -> None:
    text = ARCHITECTURE.read_text()
    missing = [name for name in packages() if f"`{name}`" not in text]
    assert not missing, f"docs/architecture.md leaves out {missing}"


def test_every_module_in_the_package_tables_exists() -> None:
    rows = TABLE_ROW.findall(ARCHITECTURE.read_text())
    assert rows, "no package table found"
    for package, modules in rows:
        folder = ROOT.joinpath(*package.split("."))
        for module in re.findall(r"`([\w.]+\.py)`", modules):
            assert (folder / module).is_file(), f"{package}: {module} does not exist"


def test_every_package_table_lists_all_its_modules() -> None:
    rows = dict(TABLE_ROW.findall(ARCHITECTURE.read_text()))
    for package in packages():
        if package not in rows:
            continue
        listed = set(re.findall(r"`([\w.]+\.py)`", rows[package]))
        present = {path.name for path in ROOT.joinpath(*package.split(".")).glob("*.py")} - {"__init__.py"}
        assert present <= listed, (
            f"docs/architecture.md's row of {package} leaves out {sorted(present - listed)}"
        )


@pytest.mark.parametrize(
    "doc", ["architecture.md", "model.md", "results.md", "benchmarks.md"], ids=lambda name: f"docs/{name}"
)
def test_every_dotted_module_name_in_the_docs_exists(doc: str) -> None:
    text = (ROOT / "docs" / doc).read_text()
    wrong = sorted({name for name in DOTTED.findall(text) if not resolves(name)})
    assert not wrong, f"docs/{doc} names what does not exist: {wrong}"


@pytest.mark.parametrize("doc", ["architecture.md", "model.md", "results.md", "benchmarks.md"])
def test_every_file_path_in_the_docs_exists(doc: str) -> None:
    text = (ROOT / "docs" / doc).read_text()
    paths = set(re.findall(r"`((?:ioa_gym|agents|tests|benchmarks|scripts)/[\w/.]*\w)`", text))
    wrong = sorted(path for path in paths if not (ROOT / path).exists())
    assert not wrong, f"docs/{doc} names files that do not exist: {wrong}"
