"""The layout of a run folder, ``<log-folder>/<algo>/<env>_<N>`` (rl-baselines3-zoo's)::

    config.yml              the run's settings (:class:`agents.runs.config.RunConfig`) and its history
    <env>.zip               the final model (a baseline's is <env>.json)
    best_model.zip          best mean evaluation return so far
    evaluations.npz         timesteps, results (episode returns), ep_lengths of every evaluation
    progress.csv            SB3's CSV log
    events.out.tfevents.*   TensorBoard (here, or under -tb <dir>/<algo>/<env>_<N>)
    checkpoints/            rl_model_<T>_steps.zip, rl_model_replay_buffer_<T>_steps.pkl
    checkpoints/abandoned/  files of a timeline that --resume dropped (:mod:`agents.runs.timeline`)
    .staging/               an evaluation's files before they are moved into place

Every name of that layout is here, and only here: the training (:mod:`agents.runs.experiment`), the
checkpoints and evaluations (:mod:`agents.runs.callbacks`), ``--resume`` (:mod:`agents.runs.timeline`),
loading (:mod:`agents.runs.loading`), the sweeps and the figures go through :class:`RunFolder`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agents.common.errors import ConfigError
from agents.common.files import atomic_write_text, natural_key, yaml_ready

CONFIG_FILE = "config.yml"
CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_PREFIX = "rl_model"
ABANDONED_DIR = "abandoned"
"""Under ``checkpoints/``: files of a timeline that ``--resume`` dropped (kept, never loaded)."""
BEST_MODEL = "best_model"
EVALUATIONS_FILE = "evaluations.npz"
PROGRESS_FILE = "progress.csv"
STAGING_DIR = ".staging"
MODEL_SUFFIXES = (".zip", ".json")
"""A learning agent's final model is an SB3 zip, a baseline's a JSON file."""


def checkpoint_timesteps(path: str | os.PathLike[str]) -> int:
    """Timestep count in a checkpoint's file name (``rl_model[_replay_buffer]_<T>_steps.<suffix>``)."""
    return int(Path(path).stem.rsplit("_", 2)[-2])


def existing_model_file(path: str | os.PathLike[str]) -> Path | None:
    """``path`` itself, or with ``.zip`` or ``.json`` appended, whichever is a file first (None: none)."""
    path = Path(path)
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in MODEL_SUFFIXES)):
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class RunFolder:
    """The files of one run folder (see the module docstring); nothing is created until written.

    :param path: the run folder.
    """

    path: Path

    def __init__(self, path: str | os.PathLike[str]) -> None:
        object.__setattr__(self, "path", Path(path))

    def __fspath__(self) -> str:
        return str(self.path)

    @property
    def config_file(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def checkpoints(self) -> Path:
        return self.path / CHECKPOINT_DIR

    @property
    def abandoned(self) -> Path:
        return self.checkpoints / ABANDONED_DIR

    @property
    def staging(self) -> Path:
        return self.path / STAGING_DIR

    @property
    def evaluations(self) -> Path:
        return self.path / EVALUATIONS_FILE

    @property
    def progress(self) -> Path:
        return self.path / PROGRESS_FILE

    @property
    def best_model(self) -> Path:
        return self.path / f"{BEST_MODEL}.zip"

    def final_model(self, env_name: str, suffix: str = ".zip") -> Path:
        """``<env>.zip`` (or ``<env>.json``, a baseline's)."""
        return self.path / f"{env_name}{suffix}"

    def has_final_model(self, env_name: str) -> bool:
        """Whether the run finished: its final model (zip or JSON) is there."""
        return any(self.final_model(env_name, suffix).is_file() for suffix in MODEL_SUFFIXES)

    def checkpoint(self, num_timesteps: int, replay_buffer: bool = False) -> Path:
        """The checkpoint at ``num_timesteps`` (SB3's CheckpointCallback naming), or its replay buffer."""
        kind, suffix = ("_replay_buffer", ".pkl") if replay_buffer else ("", ".zip")
        return self.checkpoints / f"{CHECKPOINT_PREFIX}{kind}_{num_timesteps}_steps{suffix}"

    def model_checkpoints(self) -> list[Path]:
        """The model checkpoints, newest (most timesteps) first."""
        models = self.checkpoints.glob(f"{CHECKPOINT_PREFIX}_[0-9]*_steps.zip")
        return sorted(models, key=checkpoint_timesteps, reverse=True)

    def replay_buffers(self) -> list[Path]:
        """The replay buffers saved with checkpoints."""
        return list(self.checkpoints.glob(f"{CHECKPOINT_PREFIX}_replay_buffer_*_steps.pkl"))

    def latest_checkpoint(self) -> tuple[Path, Path | None] | None:
        """(model, replay buffer or None) of the checkpoint with the most timesteps; None if there is none."""
        models = self.model_checkpoints()
        if not models:
            return None
        buffer = self.checkpoint(checkpoint_timesteps(models[0]), replay_buffer=True)
        return models[0], buffer if buffer.is_file() else None

    def read_record(self) -> dict[str, Any]:
        """The mapping ``config.yml`` holds (the settings and the history; :meth:`RunConfig.read
        <agents.runs.config.RunConfig.read>` gives the settings typed).

        :raises ConfigError: no ``config.yml``, not YAML, or not a mapping.
        """
        if not self.config_file.is_file():
            raise ConfigError(f"{self.path} is not a run folder: it has no {CONFIG_FILE}")
        try:
            record = yaml.safe_load(self.config_file.read_text()) or {}
        except (yaml.YAMLError, UnicodeDecodeError, OSError) as error:
            problem = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ConfigError(f"{self.config_file} is not readable YAML ({problem})") from error
        if not isinstance(record, dict):
            raise ConfigError(
                f"{self.config_file} must hold a mapping of settings, got {type(record).__name__}"
            )
        return record

    def write_record(self, record: Mapping[str, Any]) -> Path:
        """Write ``config.yml`` atomically."""
        return atomic_write_text(self.config_file, yaml.safe_dump(yaml_ready(dict(record)), sort_keys=False))


def run_folder_name(env_name: str, number: int) -> str:
    """``<env>_<N>``."""
    return f"{env_name}_{number}"


def algo_folder(log_folder: str | os.PathLike[str], algo: str) -> Path:
    """``<log_folder>/<algo>`` (a ``package.module:Class`` algorithm with ``-`` for ``:``)."""
    return Path(log_folder) / algo.replace(":", "-")


def new_run_dir(log_folder: str | os.PathLike[str], algo: str, env_name: str) -> Path:
    """``<log_folder>/<algo>/<env>_<N>`` with ``N`` one more than the largest existing (zoo numbering).

    The folder is created here; runs started at the same moment may pick the same ``N``: the first
    ``mkdir`` wins and the others move on to the next number.

    :param env_name: the file-system name of the env (:func:`~agents.common.envs.env_folder_name`).
    """
    parent = algo_folder(log_folder, algo)
    pattern = re.compile(rf"^{re.escape(env_name)}_(\d+)$")
    numbers = [int(m.group(1)) for p in parent.glob(f"{env_name}_*") if (m := pattern.match(p.name))]
    number = max(numbers, default=0) + 1
    parent.mkdir(parents=True, exist_ok=True)
    while True:
        run_dir = parent / run_folder_name(env_name, number)
        try:
            run_dir.mkdir(exist_ok=False)
        except FileExistsError:
            number += 1
            continue
        return run_dir


def run_folders(root: str | os.PathLike[str] | None, algo: str, env_name: str) -> list[Path]:
    """The run folders of ``algo`` on ``env_name`` under ``root`` (``<root>/<algo>/<env>_<n>``, or
    ``<env>_<n>-<trial id>`` for a sweep's sampled trial), in natural order (``_2`` before ``_10``)."""
    if root is None:
        return []
    return sorted(algo_folder(root, algo).glob(f"{env_name}_*"), key=natural_key)


def run_env_name(run_dir: str | os.PathLike[str]) -> str:
    """The env name of a run folder's name: ``IoA-DDA-v0_3`` (or ``IoA-DDA-v0_3-<trial id>``) gives
    ``IoA-DDA-v0``."""
    return Path(run_dir).name.rsplit("_", 1)[0]


__all__ = [
    "ABANDONED_DIR",
    "BEST_MODEL",
    "CHECKPOINT_DIR",
    "CHECKPOINT_PREFIX",
    "CONFIG_FILE",
    "EVALUATIONS_FILE",
    "MODEL_SUFFIXES",
    "PROGRESS_FILE",
    "STAGING_DIR",
    "RunFolder",
    "algo_folder",
    "checkpoint_timesteps",
    "existing_model_file",
    "new_run_dir",
    "run_env_name",
    "run_folder_name",
    "run_folders",
]
