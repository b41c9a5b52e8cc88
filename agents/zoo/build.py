"""Building the zoo from finished training runs, and replaying its recorded returns.

    python -m agents.zoo build --runs 'sweeps-out/results/runs/*/IoA-DDA*_[123]' --out zoo

copies, from every finished run folder given (run folders, globs of them, or folders of
``<algo>/<env id>_<n>`` run folders such as a ``sweep.py`` folder), its ``config.yml``, final model and
``evaluations.npz`` to ``<out>/<algo>/<env id>_<n>``, measures each agent's mean return on the check
auctions and writes ``<out>/manifest.json`` (atomically, last).
"""

from __future__ import annotations

import glob
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agents.common.errors import ConfigError
from agents.common.files import atomic_write_text, json_text, natural_key
from agents.common.versions import library_versions
from agents.runs.config import RunConfig
from agents.runs.folder import CONFIG_FILE, EVALUATIONS_FILE, RunFolder, existing_model_file
from agents.zoo import (
    CHECK_EPISODES,
    CHECK_SEED,
    CHECK_TOLERANCE,
    MANIFEST_FILE,
    MANIFEST_FORMAT,
    ZooEntry,
    sha256_of,
)


def check_return(run_dir: Path) -> float:
    """Mean return of the run folder's final model on the check auctions (its env id and kwargs, deterministic
    actions, CPU)."""
    from agents.evaluation.harness import evaluate_agents
    from agents.evaluation.specs import AgentRequest

    config = RunConfig.read(run_dir)
    request = AgentRequest(label="zoo", text=str(run_dir), paths=(run_dir,))
    result = evaluate_agents(
        config.env, [request], CHECK_EPISODES, (CHECK_SEED,), env_kwargs=dict(config.env_kwargs)
    )
    returns = [float(row["return"]) for row in result.rows]
    return sum(returns) / len(returns)


def finished_runs(paths: Sequence[str | Path]) -> list[tuple[Path, RunConfig]]:
    """Every finished run folder (a final model of all its steps) among ``paths``: run folders, globs of them,
    or folders of ``<algo>/<env id>_<n>`` run folders (a ``sweep.py`` folder's ``runs/`` too)."""
    folders: list[Path] = []
    for path in map(str, paths):
        for match in sorted(glob.glob(path), key=natural_key) if glob.has_magic(path) else [path]:
            root = Path(match)
            if (root / CONFIG_FILE).is_file():
                folders.append(root)
                continue
            root = root / "runs" if (root / "runs").is_dir() else root
            folders += [file.parent for file in sorted(root.glob(f"*/*/{CONFIG_FILE}"), key=natural_key)]
    found = []
    for folder in folders:
        config = RunConfig.read(folder)
        if config.kind == "sb3" and existing_model_file(folder / config.env_name) is not None:
            found.append((folder, config))
    if not found:
        raise ConfigError(f"--runs {' '.join(map(str, paths))}: no finished run folder (with a final model)")
    return found


def build_zoo(runs: str | Path | Sequence[str | Path], out: Path, git_commit: str | None = None) -> Path:
    """Copy every finished run of ``runs`` (one path or several, as :func:`finished_runs` takes them) into the
    zoo ``out`` and write its manifest; returns it.

    :raises ConfigError: when ``out`` already holds a manifest, or ``runs`` holds no finished run.
    """
    if (out / MANIFEST_FILE).exists():
        raise ConfigError(f"--out {out} already holds a zoo ({MANIFEST_FILE}); choose an empty folder")
    paths = [runs] if isinstance(runs, (str, Path)) else list(runs)
    entries: dict[str, Any] = {}
    for folder, config in finished_runs(paths):
        target = out / config.algo / folder.name
        model = existing_model_file(folder / config.env_name)
        assert model is not None
        names = [RunFolder(folder).config_file.name, model.name]
        if RunFolder(folder).evaluations.is_file():
            names.append(EVALUATIONS_FILE)
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copyfile(folder / name, target / name)
        key = f"{config.algo}/{config.env}/{config.seed}"
        if key in entries:
            raise ConfigError(f"--runs {runs}: two runs of {key} ({entries[key]['folder']} and {folder})")
        entries[key] = {
            "folder": f"{config.algo}/{folder.name}",
            "algo": config.algo,
            "env": config.env,
            "seed": config.seed,
            "n_timesteps": config.n_timesteps,
            "files": {name: sha256_of(target / name) for name in names},
            "check_return": check_return(target),
        }
        print(f"zoo: {key:45s} check return {entries[key]['check_return']:.6f}", flush=True)
    document = {
        "format": MANIFEST_FORMAT,
        "built": {
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "from": [str(path) for path in paths],
            "git_commit": git_commit,
            "versions": library_versions(),
            "check": {"eval_seed": CHECK_SEED, "episodes": CHECK_EPISODES, "deterministic": True},
        },
        "entries": entries,
    }
    return atomic_write_text(out / MANIFEST_FILE, json_text(document))


def replay(entries: Sequence[ZooEntry]) -> list[tuple[ZooEntry, float]]:
    """Each entry's mean return on the check auctions now (files verified first).

    :raises ConfigError: for a file that fails its check; the returns are compared by the caller.
    """
    return [(entry.verify(), check_return(entry.path)) for entry in entries]


def mismatches(replayed: Sequence[tuple[ZooEntry, float]]) -> list[str]:
    """One line per entry whose replayed return differs from the recorded one by more than the tolerance."""
    return [
        f"{entry.key}: check return {value:.6f}, manifest {entry.check_return:.6f}"
        for entry, value in replayed
        if abs(value - entry.check_return) > CHECK_TOLERANCE
    ]


__all__ = ["build_zoo", "check_return", "finished_runs", "mismatches", "replay"]
