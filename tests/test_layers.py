"""The layers depend on each other one way: ``ioa_gym`` (economics and envs: NumPy, numba, Gymnasium) <-
``agents`` (algorithms, then the tooling) <- the top-level scripts. See docs/architecture.md."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RL_SIDE = ("agents", "torch", "stable_baselines3", "sb3_contrib", "rich", "tqdm", "matplotlib")
"""What the env package must not import, at any depth, lazily or not (PyYAML is not on the list: Gymnasium's
own dependencies may load it)."""
SCRIPTS = ("train.py", "evaluate.py", "figures.py", "quickstart.py", "sweep.py")


def imported_modules(path: Path) -> set[str]:
    """Every module an ``import`` or ``from ... import`` anywhere in the file names (lazy imports too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def top_level(name: str) -> str:
    return name.split(".", 1)[0]


@pytest.mark.parametrize(
    "path", sorted((ROOT / "ioa_gym").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_env_package_imports_nothing_from_the_rl_side(path: Path) -> None:
    found = sorted(name for name in imported_modules(path) if top_level(name) in (*RL_SIDE, "yaml"))
    assert not found, f"{path.relative_to(ROOT)} imports {found}"


def test_env_package_runs_the_economics_envs_and_audit_without_the_rl_side() -> None:
    """In a fresh interpreter: import every ioa_gym module, step each env, solve Tier 1 and audit a policy
    given as a plain callable; then none of the RL side's packages has been imported."""
    program = textwrap.dedent(
        f"""
        import importlib, pkgutil, sys
        import gymnasium as gym
        import numpy as np
        import ioa_gym
        for module in pkgutil.walk_packages(ioa_gym.__path__, "ioa_gym."):
            importlib.import_module(module.name)
        from ioa_gym.analysis.ic_audit import audit_policy
        from ioa_gym.tier1.scenario import ScenarioConfig
        from ioa_gym.tier1.stackelberg import solve_equilibrium
        assert solve_equilibrium(ScenarioConfig().sample(0)).converged
        for env_id in ("IoA-DDA-v0", "IoA-DDA-Discrete-v0", "IoA-Stackelberg-v0"):
            env = gym.make(env_id)
            env.reset(seed=0)
            env.step(env.action_space.sample())
        env = gym.make("IoA-DDA-v0", market_source="synthetic")
        action = env.unwrapped.step_to_action(1.0)
        result = audit_policy(lambda observations: np.repeat(action[None], len(observations), 0),
                              "IoA-DDA-v0", {{"market_source": "synthetic"}}, n_markets=1, n_deviations=2)
        assert result.summary()["auctions_replayed"] > 0
        loaded = sorted(name for name in sys.modules if name.split(".")[0] in {RL_SIDE!r})
        assert not loaded, loaded
        print("ok")
        """
    )
    process = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert process.returncode == 0 and process.stdout.strip() == "ok", process.stderr


ECONOMICS = ("tier1", "auctions", "coupling")
"""The subpackages of the economics: NumPy (and numba) only."""


def _modules(*parts: str) -> list[Path]:
    return sorted((ROOT.joinpath("ioa_gym", *parts)).rglob("*.py"))


@pytest.mark.parametrize("package", ECONOMICS)
def test_economics_imports_no_gymnasium_and_no_env(package: str) -> None:
    for path in _modules(package):
        modules = imported_modules(path)
        assert not {
            m
            for m in modules
            if top_level(m) == "gymnasium"
            or m.startswith(("ioa_gym.envs", "ioa_gym.analysis", "ioa_gym.multiagent"))
        }, path.relative_to(ROOT)


def test_the_tiers_import_nothing_of_each_other() -> None:
    """The auctions know nothing of Tier 1 and Tier 1 nothing of the auctions: ``ioa_gym.coupling`` joins
    them."""
    for package, other in (
        ("auctions", ("ioa_gym.tier1", "ioa_gym.coupling")),
        ("tier1", ("ioa_gym.auctions", "ioa_gym.coupling")),
    ):
        for path in _modules(package):
            found = sorted(m for m in imported_modules(path) if m.startswith(other))
            assert not found, f"{path.relative_to(ROOT)} imports {found}"


def _private_imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every ``from ioa_gym... import`` in the file that reaches a private module or
    name."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("ioa_gym"):
            module = node.module or ""
            for alias in node.names:
                if any(part.startswith("_") for part in module.split(".")) or alias.name.startswith("_"):
                    found.append((module, alias.name))
    return found


@pytest.mark.parametrize(
    "path",
    sorted([*(ROOT / "ioa_gym").rglob("*.py"), *(ROOT / "agents").rglob("*.py")]),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_private_names_stay_in_their_subpackage(path: Path) -> None:
    """A private module or name of ``ioa_gym`` is imported only from inside its own subpackage (tests may
    test private code; nothing else may lean on it)."""
    relative = path.relative_to(ROOT).with_suffix("")
    package = ".".join(relative.parts[:2]) if relative.parts[0] == "ioa_gym" else None
    for module, name in _private_imports(path):
        home = ".".join(module.split(".")[:2])
        assert package is not None and home == package and home != "ioa_gym", (
            f"{relative} imports {name} from {module}: private to {home}"
        )


def test_shared_infrastructure_knows_no_algorithm_or_tool() -> None:
    """agents.common is the bottom of the RL side: it imports neither the algorithms nor the tooling."""
    for path in sorted((ROOT / "agents" / "common").glob("*.py")):
        found = sorted(
            name
            for name in imported_modules(path)
            if top_level(name) == "agents" and not name.startswith("agents.common")
        )
        assert not found, f"{path.relative_to(ROOT)} imports {found}"


def test_algorithms_do_not_import_the_tooling() -> None:
    """Algorithms (registry, hyperparameters, baselines, vector-env adapter, diffusion) never import the
    tooling: runs (training), evaluation, figures, sweeps, the multi-agent experiments or the quickstart."""
    tooling = (
        "agents.runs",
        "agents.evaluation",
        "agents.figures",
        "agents.sweeps",
        "agents.multiagent",
        "agents.quickstart",
    )
    paths = [
        ROOT / "agents" / name
        for name in ("__init__.py", "registry.py", "hyperparameters.py", "baselines.py", "vec_env.py")
    ]
    paths += sorted((ROOT / "agents" / "diffusion").glob("*.py"))
    for path in paths:
        found = sorted(name for name in imported_modules(path) if name.startswith(tooling))
        assert not found, f"{path.relative_to(ROOT)} imports {found}"


@pytest.mark.parametrize("script", SCRIPTS)
def test_top_level_scripts_are_thin_and_import_no_other_script(script: str) -> None:
    modules = imported_modules(ROOT / script)
    others = {Path(name).stem for name in SCRIPTS} - {Path(script).stem}
    assert not modules & others, f"{script} imports {sorted(modules & others)}"
    assert all(top_level(name) == "agents" for name in modules), f"{script} imports {sorted(modules)}"


def test_tests_and_benchmarks_do_not_edit_sys_path() -> None:
    for path in sorted([*(ROOT / "tests").rglob("*.py"), *(ROOT / "benchmarks").rglob("*.py")]):
        text = path.read_text()
        assert (
            "sys.path.insert" not in text
            and "sys.path.append" not in text
            or path.name == Path(__file__).name
        ), f"{path.relative_to(ROOT)} edits sys.path"


def test_console_scripts_are_the_scripts_mains(capsys: pytest.CaptureFixture[str]) -> None:
    """pyproject's [project.scripts] point at the same ``main`` the top-level wrappers call, and each
    answers ``--help``; ``ic-audit`` is a real subcommand of ``ioa-evaluate``."""
    import importlib
    import importlib.metadata

    # The installed package's scripts (CI installs afresh; after editing pyproject.toml: pip install -e .).
    scripts = {
        entry.name: entry.value
        for entry in importlib.metadata.entry_points(group="console_scripts")
        if entry.name.startswith("ioa-")
    }
    assert set(scripts) == {"ioa-train", "ioa-evaluate", "ioa-figures", "ioa-quickstart", "ioa-sweep"}
    for name, target in scripts.items():
        module, _, function = target.partition(":")
        main = getattr(importlib.import_module(module), function)
        wrapper = ROOT / f"{name.removeprefix('ioa-')}.py"
        assert f"from {module} import {function}" in wrapper.read_text(), wrapper
        with pytest.raises(SystemExit) as exit_info:
            main(["--help"])
        assert exit_info.value.code == 0
    from agents.evaluation.cli import build_parser, main

    with pytest.raises(SystemExit) as exit_info:
        main(["ic-audit", "--help"])
    assert exit_info.value.code == 0 and "--deviations" in capsys.readouterr().out
    assert build_parser().parse_args(["ic-audit", "--agents", "greedy"]).command == "ic-audit"
    with pytest.raises(SystemExit):  # the comparison's own flags belong before no subcommand
        main(["--episodes", "3", "ic-audit", "--agents", "greedy"])
    assert "ic-audit takes its own options" in capsys.readouterr().err


MECHANISM_HOMES = {
    "classic": {"ioa_gym/auctions/double_dutch.py", "ioa_gym/auctions/double_dutch_batch.py"},
    "strategy-proof": {"ioa_gym/auctions/double_dutch.py", "ioa_gym/auctions/double_dutch_batch.py"},
    "double-clock": {"ioa_gym/auctions/double_clock.py"},
}
"""Where each built-in mechanism's name may appear as a string in code: its own modules; the env ids'
registration (``ioa_gym/__init__.py``) may name any."""


def _code_strings(path: Path) -> list[tuple[int, str]]:
    """(line, value) of the string constants of a module's code: docstrings (of modules, classes, functions
    and attributes) are documentation, not code."""
    tree = ast.parse(path.read_text(), filename=str(path))
    documentation = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for index, statement in enumerate(body):
            is_string = isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
            if is_string and isinstance(statement.value.value, str):
                after_assignment = index > 0 and isinstance(body[index - 1], (ast.Assign, ast.AnnAssign))
                if index == 0 or after_assignment:
                    documentation.add(id(statement.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in documentation
    ]


@pytest.mark.parametrize(
    "path",
    sorted([*(ROOT / "ioa_gym").rglob("*.py"), *(ROOT / "agents").rglob("*.py")]),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_mechanism_names_appear_only_in_their_modules_and_the_registration(path: Path) -> None:
    """A mechanism is looked up in the registry (``ioa_gym.auctions.get_mechanism``), never recognised by its
    name: no ``variant == "..."`` outside the mechanism's own module."""
    relative = str(path.relative_to(ROOT))
    if relative == "ioa_gym/__init__.py":
        return
    found = [
        f"line {line}: {value!r}"
        for line, value in _code_strings(path)
        if value in MECHANISM_HOMES and relative not in MECHANISM_HOMES[value]
    ]
    assert not found, f"{relative} names mechanisms: {found}"


MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 100
SIZED = ("ioa_gym", "agents", "tests", "benchmarks", "scripts")
"""Where the size limits hold; numba kernels (``*_kernel.py``, whose compiled functions must share a file:
numba's cache watches only a function's own file) are exempt."""


def _sized_modules() -> list[Path]:
    paths = [path for folder in SIZED for path in (ROOT / folder).rglob("*.py")]
    return sorted([*paths, *(ROOT / script for script in SCRIPTS)])


@pytest.mark.parametrize("path", _sized_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_over_600_lines_and_no_function_over_100(path: Path) -> None:
    if path.name.endswith("_kernel.py"):
        return
    text = path.read_text()
    lines = text.count("\n") + (not text.endswith("\n"))
    assert lines <= MAX_MODULE_LINES, (
        f"{path.relative_to(ROOT)} has {lines} lines (at most {MAX_MODULE_LINES})"
    )
    long = [
        f"{node.name} (line {node.lineno}): {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{path.relative_to(ROOT)}: functions over {MAX_FUNCTION_LINES} lines: {long}"
