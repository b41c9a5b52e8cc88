"""Command-line flags shared by ``evaluate.py`` and ``evaluate.py ic-audit``."""

from __future__ import annotations

import argparse

from agents.common.cli import StoreDict, set_torch_threads
from agents.common.envs import check_env
from agents.evaluation.specs import EvaluationConfigError
from agents.registry import list_agents


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
        help=f"LABEL=RUN_DIR|GLOB|MODEL.zip, NAME, NAME:key=value,... (names: {', '.join(list_agents())})",
    )
    parser.add_argument(
        "--env-kwargs",
        nargs="+",
        action=StoreDict,
        default={},
        metavar="KEY:VALUE",
        help="env constructor kwargs (values are Python literals or strings)",
    )
    parser.add_argument("--device", default="cpu", help="torch device of SB3 models (default: cpu)")
    parser.add_argument(
        "--model",
        default="final",
        choices=("final", "best", "checkpoint"),
        help="which model of a run folder (default: final)",
    )
    parser.add_argument("--output", help="output folder (default: a new results/<...>-<timestamp>/)")
    parser.add_argument("--overwrite", action="store_true", help="allow a non-empty output folder")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="torch intra-op threads (default 1: one observation at a time gains nothing from more, and "
        "loses much on shared cores)",
    )


def apply_common_arguments(args: argparse.Namespace) -> str:
    """Set torch's threads and check ``--env`` with ``--env-kwargs``; returns the registered env id.

    :raises EvaluationConfigError: naming the flag, before anything runs.
    """
    try:
        set_torch_threads(args.torch_threads)
    except ValueError as error:
        raise EvaluationConfigError(str(error)) from None
    return check_env(args.env, args.env_kwargs, error=EvaluationConfigError)


__all__ = ["add_common_arguments", "apply_common_arguments"]
