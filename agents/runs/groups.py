"""Folders of many runs: the runs of a sweep, grouped by algorithm and settings.

A sweep folder (``sweep.py``, :mod:`agents.sweeps`) holds ``sweep.yml`` (the resolved sweep) and its run
folders under ``runs/<algo>/<env>_<k>``; ``evaluate.py --sweep`` and ``figures.py --runs`` read it through
here, never through the sweep's own modules.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.common.errors import ConfigError
from agents.common.files import natural_key
from agents.runs.config import RunConfig
from agents.runs.folder import CONFIG_FILE, RunFolder

SWEEP_FILE = "sweep.yml"
"""The resolved sweep, written in the sweep folder (what ``sweep.py --resume`` reads)."""
RUNS_DIR = "runs"
"""The sweep folder's root of run folders: ``runs/<algo>/<env>_<k>``."""


def is_sweep_folder(folder: str | os.PathLike[str]) -> bool:
    """Whether ``folder`` is a sweep folder (it holds ``sweep.yml``)."""
    return (Path(folder) / SWEEP_FILE).is_file()


def runs_root(folder: str | os.PathLike[str]) -> Path:
    """Where the run folders of ``folder`` are: a sweep folder's ``runs/``, else ``folder`` itself."""
    folder = Path(folder)
    return folder / RUNS_DIR if is_sweep_folder(folder) else folder


@dataclass(frozen=True)
class RunGroup:
    """Runs of one algorithm with the same settings (the seeds of one grid point)."""

    label: str
    paths: tuple[Path, ...]
    hyperparams: dict[str, Any]
    env_kwargs: dict[str, Any]

    def describe(self) -> str:
        settings = f"hyperparams {self.hyperparams}, env_kwargs {self.env_kwargs}"
        return f"{self.label}: {len(self.paths)} run(s), {settings}"


def _settings_key(config: RunConfig) -> tuple[str, ...]:
    """What tells two runs' settings apart: algorithm, hyperparameters, env kwargs, budget and n_envs."""
    return (
        config.algo,
        json.dumps(config.hyperparams, sort_keys=True, default=str),
        json.dumps(config.env_kwargs, sort_keys=True, default=str),
        str(config.n_timesteps),
        str(config.n_envs),
    )


def sweep_runs(sweep_dir: str | os.PathLike[str], env_id: str) -> list[RunGroup]:
    """The finished run folders of a sweep trained on ``env_id``, grouped by algorithm and settings: one
    label per algorithm (``ppo``) when all its runs share hyperparameters, env kwargs, budget and n_envs,
    else one per setting (``ppo[1]``, ``ppo[2]``, ... in the sweep's order). Runs without a final model
    are left out, each named on stderr.

    :raises ConfigError: not a sweep folder, or no run of it on ``env_id``.
    """
    folder = Path(sweep_dir)
    if not is_sweep_folder(folder):
        raise ConfigError(f"--sweep {folder}: not a sweep folder (no {SWEEP_FILE}; sweep.py writes one)")
    groups: dict[tuple[str, ...], list[Path]] = {}
    unfinished = []
    for config_file in sorted((folder / RUNS_DIR).glob(f"*/*/{CONFIG_FILE}"), key=natural_key):
        run = RunFolder(config_file.parent)
        if run.path.name.startswith("."):  # a run set aside by a restarted trial
            continue
        config = RunConfig.read(run.path)
        if config.env_id != env_id:
            continue
        if not run.has_final_model(config.env_name):  # errored, interrupted or still training
            unfinished.append(run.path)
            continue
        groups.setdefault(_settings_key(config), []).append(run.path)
    for path in unfinished:
        print(f"--sweep: {path} left out: it has no final model (unfinished or errored)", file=sys.stderr)
    if not groups:
        raise ConfigError(f"--sweep {folder}: no run on {env_id} under {folder / RUNS_DIR}")
    per_algo: dict[str, int] = {}
    for algo, *_ in groups:
        per_algo[algo] = per_algo.get(algo, 0) + 1
    found, seen = [], {}
    for (algo, hyperparams, env_kwargs, *_), paths in groups.items():
        seen[algo] = seen.get(algo, 0) + 1
        label = algo if per_algo[algo] == 1 else f"{algo}[{seen[algo]}]"
        found.append(RunGroup(label, tuple(paths), json.loads(hyperparams), json.loads(env_kwargs)))
    return found


__all__ = ["RUNS_DIR", "SWEEP_FILE", "RunGroup", "is_sweep_folder", "runs_root", "sweep_runs"]
