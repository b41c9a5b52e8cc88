"""One timeline per run folder: what ``--resume`` does to the files of the run it continues.

A run killed between two checkpoints (``kill -9``, a crash, a lost machine, a full disk) has written
evaluations, ``progress.csv`` rows and TensorBoard events past its last checkpoint. The resumed run starts
again from that checkpoint, so those records belong to a timeline that no longer exists. Before training
resumes:

- the checkpoint is the newest one that loads (a corrupt latest one is set aside, said on stderr);
- ``progress.csv`` rows and ``evaluations.npz`` entries past its timestep count are dropped (and a last
  ``progress.csv`` row cut short by a kill or a full disk);
- TensorBoard events past it are purged by the new writer (``SummaryWriter(purge_step=T + 1)``);
- checkpoints, replay buffers, the best model and the final model saved past it move to
  ``checkpoints/abandoned/``;
- staging files and temporary files left by the killed process are removed.

Everything is checked first (:func:`resumable_checkpoint`, :func:`read_evaluations`) and only then
rewritten (:func:`rewind`), so a bad run folder stops ``--resume`` before anything changes.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import pickletools
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np
from stable_baselines3.common.save_util import load_from_zip_file

from agents.common.errors import ConfigError
from agents.common.files import atomic_save, atomic_write_text
from agents.runs.folder import RunFolder, checkpoint_timesteps

TIMESTEPS_COLUMN = "time/total_timesteps"
EVALUATION_KEYS = ("timesteps", "results", "ep_lengths")


def _loads(path: Path) -> str | None:
    """None if SB3 can read the checkpoint (data, parameters, tensors), else what went wrong."""
    try:
        data, params, _ = load_from_zip_file(path, device="cpu", print_system_info=False)
    except Exception as error:  # noqa: BLE001 - whatever a damaged file raises, it cannot be resumed
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else 'unreadable'}"
    if data is None or not params:
        return "no model data or parameters in it"
    return None


def resumable_checkpoint(run_dir: Path) -> Path:
    """The newest checkpoint of ``run_dir`` that loads; each newer, corrupt one is named on stderr.

    :raises ConfigError: no checkpoint, or none that loads.
    """
    folder = RunFolder(run_dir)
    models = folder.model_checkpoints()
    if not models:
        raise ConfigError(f"--resume {run_dir}: no checkpoint in {folder.checkpoints}")
    for index, model in enumerate(models):
        problem = _loads(model)
        if problem is None:
            return model
        following = f"; trying {models[index + 1].name}" if index + 1 < len(models) else ""
        print(f"--resume: checkpoint {model} is corrupt ({problem}){following}", file=sys.stderr)
    raise ConfigError(f"--resume {run_dir}: no checkpoint in {folder.checkpoints} can be loaded")


def read_evaluations(run_dir: Path) -> dict[str, np.ndarray] | None:
    """The arrays of ``evaluations.npz`` (None when the run has none yet).

    :raises ConfigError: the file is not an ``np.savez`` archive with timesteps, results and
        ep_lengths of matching lengths.
    """
    path = RunFolder(run_dir).evaluations
    if not path.exists():
        return None
    try:
        with np.load(path) as archive:
            arrays = {key: np.asarray(archive[key]) for key in archive.files}
    except Exception as error:  # noqa: BLE001 - zip, pickle or format errors alike
        raise ConfigError(
            f"--resume: {path} is corrupt ({type(error).__name__}); move it away to resume without the "
            f"evaluation history"
        ) from error
    missing = [key for key in EVALUATION_KEYS if key not in arrays]
    lengths = {len(arrays[key]) for key in EVALUATION_KEYS if key in arrays}
    if missing or len(lengths) > 1 or arrays["timesteps"].ndim != 1:
        raise ConfigError(
            f"--resume: {path} is corrupt (expected arrays {', '.join(EVALUATION_KEYS)} of one length, got "
            f"{ {key: value.shape for key, value in arrays.items()} }); move it away to resume without it"
        )
    return arrays


def check_progress(run_dir: Path) -> None:
    """Refuse a ``progress.csv`` that ``--resume`` cannot continue: not UTF-8 CSV, no
    ``time/total_timesteps`` column in its header, or a row with more fields than the header (a short last
    row, cut by a kill, is dropped by :func:`rewind` like any row past the checkpoint). An empty file is
    started again.

    :raises ConfigError: naming the file, what is wrong and what to do.
    """
    path = RunFolder(run_dir).progress
    if not path.is_file():
        return
    fix = "move it away to resume without the training log, or repair it"
    try:
        rows = list(csv.reader(io.StringIO(path.read_text())))
    except (UnicodeDecodeError, csv.Error, OSError) as error:
        raise ConfigError(f"--resume: {path} is corrupt ({type(error).__name__}); {fix}") from error
    rows = [row for row in rows if row]
    if not rows:
        return
    header = rows[0]
    if TIMESTEPS_COLUMN not in header or len(set(header)) != len(header):
        problem = "duplicate columns" if TIMESTEPS_COLUMN in header else f"no {TIMESTEPS_COLUMN} column"
        raise ConfigError(f"--resume: {path} is corrupt (its header has {problem}); {fix}")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) > len(header) or (len(row) < len(header) and number < len(rows)):
            raise ConfigError(
                f"--resume: {path} is corrupt (row {number} has {len(row)} fields, the header "
                f"{len(header)}); {fix}"
            )


def saved_policy_class(model_zip: Path) -> str | None:
    """``module.Class`` of the policy an SB3 zip was saved with, read from the names in its pickled class
    (nothing is unpickled); None when the zip, or a policy pickled by value, does not tell."""
    try:
        with zipfile.ZipFile(model_zip) as archive:
            policy = json.loads(archive.read("data"))["policy_class"]
        module, pickled = str(policy["__module__"]), base64.b64decode(policy[":serialized:"])
        strings: list[str] = []
        for opcode, argument, _ in pickletools.genops(pickled):
            if isinstance(argument, str):
                strings.append(argument)
            if opcode.name == "STACK_GLOBAL" and len(strings) >= 2 and strings[-2] == module:
                return f"{module}.{strings[-1]}"
            if opcode.name == "GLOBAL" and isinstance(argument, str) and argument.startswith(module + " "):
                return argument.replace(" ", ".", 1)
    except Exception:  # noqa: BLE001 - a damaged or foreign file does not tell; the load decides then
        return None
    return None


def saved_timesteps(model_zip: Path) -> int | None:
    """The ``num_timesteps`` stored in an SB3 zip (None when unreadable)."""
    try:
        with zipfile.ZipFile(model_zip) as archive:
            return int(json.loads(archive.read("data"))["num_timesteps"])
    except (KeyError, ValueError, TypeError, OSError, zipfile.BadZipFile):
        return None


def _abandon(path: Path, run: RunFolder, name: str | None = None) -> None:
    run.abandoned.mkdir(parents=True, exist_ok=True)
    path.replace(run.abandoned / (name or path.name))


def _remove_leftovers(run: RunFolder) -> None:
    """The staging folder and the temporary files of :func:`~agents.common.files.atomic_save`."""
    shutil.rmtree(run.staging, ignore_errors=True)
    for folder in (run.path, run.checkpoints):
        for leftover in folder.glob(".*.tmp*"):
            if leftover.is_file():
                leftover.unlink(missing_ok=True)


def truncate_progress(path: Path, timesteps: int) -> int:
    """Drop the rows of ``progress.csv`` from the first one past ``timesteps`` on, and a last row with fewer
    fields than the header (cut by a kill or a full disk); returns how many."""
    if not path.is_file():
        return 0
    text = path.read_text()
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or TIMESTEPS_COLUMN not in rows[0]:
        return 0
    column = rows[0].index(TIMESTEPS_COLUMN)
    keep = len(rows)
    for index, row in enumerate(rows[1:], start=1):
        try:
            past = column < len(row) and row[column] != "" and float(row[column]) > timesteps
        except ValueError:
            past = False
        cut = index == len(rows) - 1 and len(row) < len(rows[0])  # the last row, cut by a kill or a full disk
        if past or cut:
            keep = index
            break
    if keep == len(rows):
        return 0
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows[:keep])
    atomic_write_text(path, buffer.getvalue())
    return len(rows) - keep


def truncate_evaluations(run_dir: Path, evaluations: dict[str, np.ndarray] | None, timesteps: int) -> int:
    """Drop the entries of ``evaluations.npz`` past ``timesteps``; returns how many."""
    if evaluations is None:
        return 0
    kept = evaluations["timesteps"] <= timesteps
    dropped = int((~kept).sum())
    if dropped:
        arrays = {
            key: value[kept] if len(value) == len(kept) else value for key, value in evaluations.items()
        }
        atomic_save(RunFolder(run_dir).evaluations, lambda path: np.savez(path, **arrays))
    return dropped


def rewind(
    run_dir: Path, checkpoint: Path, evaluations: dict[str, np.ndarray] | None, final_name: str
) -> None:
    """Make ``run_dir`` hold the timeline of ``checkpoint`` only (see the module docstring).

    :param evaluations: :func:`read_evaluations` of the run folder.
    :param final_name: the file name of the final model (``<env>.zip``).
    """
    run = RunFolder(run_dir)
    timesteps = checkpoint_timesteps(checkpoint)
    _remove_leftovers(run)
    later: list[str] = []
    for path in [*run.model_checkpoints()[::-1], *run.replay_buffers()]:
        if checkpoint_timesteps(path) > timesteps:
            _abandon(path, run)
            later.append(path.name)
    for path in (run.best_model, run.path / final_name):
        saved = saved_timesteps(path) if path.is_file() else None
        if path.is_file() and (saved is None or saved > timesteps):
            _abandon(path, run, f"{path.stem}_{saved}_steps{path.suffix}")
            later.append(path.name)
    rows = truncate_progress(run.progress, timesteps)
    entries = truncate_evaluations(run_dir, evaluations, timesteps)
    if later or rows or entries:
        print(
            f"--resume from {timesteps} timesteps: dropped {rows} progress.csv row(s) and {entries} "
            f"evaluation(s) past it; moved {', '.join(later) or 'nothing'} to {run.abandoned}",
            file=sys.stderr,
        )


def replay_buffer_of(checkpoint: Path) -> Path:
    """The replay buffer file saved with ``checkpoint`` (it may not exist)."""
    return RunFolder(checkpoint.parent.parent).checkpoint(
        checkpoint_timesteps(checkpoint), replay_buffer=True
    )


__all__ = [
    "check_progress",
    "read_evaluations",
    "replay_buffer_of",
    "resumable_checkpoint",
    "rewind",
    "saved_policy_class",
    "saved_timesteps",
    "truncate_evaluations",
    "truncate_progress",
]
