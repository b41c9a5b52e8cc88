"""Command-line flags shared by ``evaluate.py`` and ``evaluate.py ic-audit``, and the checks of flags that
``figures.py`` and ``quickstart.py`` share with them (output folders, ranges); each check names its flag and
the allowed values, before anything runs."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from agents.common.checks import DEVICES, Range, check_device, check_range, check_writable_folder
from agents.common.cli import StoreDict, set_torch_threads
from agents.common.envs import check_env
from agents.common.errors import ConfigError
from agents.registry import list_agents
from ioa_gym.analysis.seeding import MAX_EVAL_SEED, SEED_STRIDE
from ioa_gym.errors import moved_attribute_error

EPISODES_RANGE = Range(1, SEED_STRIDE, integer=True)
"""``--episodes`` (per evaluation seed) and ``ic-audit --markets``: the indices of the seed rule
(:mod:`ioa_gym.analysis.seeding`)."""
EVAL_SEED_RANGE = Range(0, MAX_EVAL_SEED, integer=True)
"""``--seeds``, ``ic-audit --seed``, ``figures.py --seed``: agent seeds must stay below 2**32."""
THREADS_RANGE = Range(1, integer=True)


def check_eval_seeds(flag: str, seeds: Any) -> list[int]:
    """Evaluation seeds: at least one, each in ``[0, MAX_EVAL_SEED]``, distinct; returns them as ints."""
    values = list(seeds)
    if not values:
        raise ConfigError(f"{flag}: give at least one evaluation seed")
    for seed in values:
        if not EVAL_SEED_RANGE.contains(seed):
            raise ConfigError(
                f"{flag} must be integers in [0, {MAX_EVAL_SEED}] (ioa_gym.analysis.seeding.MAX_EVAL_SEED), "
                f"got {values}"
            )
    checked = [int(seed) for seed in values]
    if len(set(checked)) != len(checked):
        raise ConfigError(f"{flag} must be distinct, got {checked}")
    return checked


def check_output_folder(
    flag: str, folder: str | os.PathLike[str], overwrite: bool = False, refuse_non_empty: bool = True
) -> Path:
    """An output folder that can be created and written: not a file, nor under one, writable (its nearest
    existing ancestor when it does not exist yet); non-empty only with ``overwrite`` (when
    ``refuse_non_empty``). Returns the path; leaves nothing behind (writability is tried with an empty
    folder, removed at once)."""
    path = check_writable_folder(flag, folder)
    if refuse_non_empty and path.is_dir() and any(path.iterdir()) and not overwrite:
        raise ConfigError(
            f"{flag}: output folder {path} exists and is not empty; pass --overwrite or choose another {flag}"
        )
    return path


def add_common_arguments(parser: argparse.ArgumentParser, agents_required: bool = True) -> None:
    """Flags shared by ``evaluate.py`` and ``evaluate.py ic-audit``.

    :param agents_required: whether argparse itself requires ``--agents`` (not on a parser with subcommands,
        whose main then checks it).
    """
    parser.add_argument(
        "--agents",
        nargs="+",
        required=agents_required,
        metavar="SPEC",
        help=f"LABEL=RUN_DIR|GLOB|MODEL.zip, [LABEL=]zoo:ALGO/ENV[/SEED] (a pretrained agent: python -m "
        f"agents.zoo list), NAME, NAME:key=value,... (names: {', '.join(list_agents())})",
    )
    parser.add_argument(
        "--env-kwargs",
        nargs="+",
        action=StoreDict,
        default={},
        metavar="KEY:VALUE",
        help="env constructor kwargs (values are Python literals or strings)",
    )
    parser.add_argument(
        "--device",
        default="cpu",
        help=f"torch device of SB3 models (default: cpu; {DEVICES}; one this machine lacks is refused)",
    )
    parser.add_argument(
        "--model",
        default="final",
        choices=("final", "best", "checkpoint"),
        help="which model of a run folder (default: final)",
    )
    parser.add_argument("--output", help="output folder (default: a new results/<...>-<timestamp>/)")
    parser.add_argument("--overwrite", action="store_true", help="allow a non-empty output folder")
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument(
        "-P",
        "--progress",
        action="store_true",
        help="show a progress bar on stderr (default: when stderr is a terminal)",
    )
    progress.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="torch intra-op threads, >= 1 (default 1: one observation at a time gains nothing from more, "
        "and loses much on shared cores)",
    )


def shows_progress(args: argparse.Namespace) -> bool:
    """Whether to draw the progress bar (on stderr): ``-P``, else unless ``--no-progress`` when stderr is a
    terminal (a bar in a log file is only noise)."""
    return bool(args.progress or (not args.no_progress and sys.stderr.isatty()))


def apply_common_arguments(args: argparse.Namespace) -> str:
    """Check ``--torch-threads``, ``--device`` and ``--env`` with ``--env-kwargs``, then set torch's threads;
    returns the registered env id.

    :raises ConfigError: naming the flag, before anything runs.
    """
    check_range("--torch-threads", args.torch_threads, THREADS_RANGE)
    check_device(args.device)
    env_id = check_env(args.env, args.env_kwargs)
    try:
        set_torch_threads(args.torch_threads)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    return env_id


_MOVED = {"check_flag": "agents.common.checks.check_range (it raises agents.ConfigError)"}
"""``check_device`` is :func:`agents.common.checks.check_device` itself now (one error type, no wrapper)."""


def __getattr__(name: str) -> object:
    raise moved_attribute_error(__name__, name, _MOVED, "0.2.0")


__all__ = [
    "EPISODES_RANGE",
    "EVAL_SEED_RANGE",
    "THREADS_RANGE",
    "add_common_arguments",
    "apply_common_arguments",
    "check_eval_seeds",
    "check_output_folder",
    "shows_progress",
]
