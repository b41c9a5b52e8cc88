"""``evaluate.py`` (and the console script ``ioa-evaluate``): compare agents, or ``ic-audit`` them.

    evaluate.py --env ENV --agents SPEC ... [--episodes N] [--seeds S ...] [--compare A B] ...
    evaluate.py ic-audit --agents SPEC ... [--markets N] [--deviations D] ...

The comparison's flags belong to ``evaluate.py`` itself (so every existing command line keeps working);
``ic-audit`` is an argparse subcommand with its own flags (:mod:`agents.evaluation.ic_audit`).

The comparison prints its table with the columns that fit in 100 characters and a line naming the others and
``table.txt``, which keeps every column (``-v`` prints them all), after a progress bar on stderr when stderr
is a terminal (``-P`` always, ``--no-progress`` never).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from agents.common.cli import EXIT_INTERRUPTED, command_line, io_error, usage_error
from agents.common.errors import ConfigError
from agents.common.files import default_output_dir
from agents.evaluation import ic_audit
from agents.evaluation.arguments import (
    add_common_arguments,
    apply_common_arguments,
    check_output_folder,
    shows_progress,
)
from agents.evaluation.harness import check_seeds, check_vectorization, evaluate_agents
from agents.evaluation.loading import load_agents
from agents.evaluation.report import write_results
from agents.evaluation.results import PRINT_WIDTH, EvaluationResult, check_comparisons
from agents.evaluation.specs import AgentRequest, parse_agent_spec
from agents.runs.groups import sweep_runs
from agents.vec_env import VECTORIZATION_MODES
from ioa_gym.analysis.seeding import MAX_EVAL_SEED, SEED_STRIDE

PROG = "evaluate.py"


def build_parser() -> argparse.ArgumentParser:
    """The ``evaluate.py`` argument parser."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Compare agents on the same seeded episodes of a registered env "
        "('evaluate.py ic-audit --help' for the incentive-compatibility audit).",
    )
    parser.add_argument("--env", help="registered env id (IoA-DDA-v0, IoA-Stackelberg-v0, ...); required")
    parser.add_argument(
        "--episodes",
        type=int,
        default=100,
        help=f"episodes per evaluation seed, in [1, {SEED_STRIDE}] (default 100)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0],
        help=f"evaluation seeds, distinct, in [0, {MAX_EVAL_SEED}] (default 0)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--deterministic",
        dest="deterministic",
        action="store_true",
        default=True,
        help="deterministic actions (default)",
    )
    mode.add_argument("--stochastic", dest="deterministic", action="store_false", help="sampled actions")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument(
        "--n-envs",
        type=int,
        default=1,
        help="play episodes in batches of N <= --episodes on a vector env (default 1: one at a time; same "
        "rows for deterministic agents)",
    )
    parser.add_argument(
        "--vectorization-mode",
        choices=VECTORIZATION_MODES,
        help="the vector env when --n-envs > 1: Gymnasium's sync (default) or async, or the env's "
        "vector_entry_point",
    )
    parser.add_argument(
        "--compare",
        nargs=2,
        action="append",
        default=[],
        metavar=("A", "B"),
        help="also report the paired difference A - B of two different agent labels (repeatable)",
    )
    parser.add_argument(
        "--sweep",
        metavar="SWEEP_DIR",
        help="also every run of a sweep.py folder on --env: one agent per algorithm (per setting when its "
        "runs differ in hyperparameters or env kwargs)",
    )
    add_common_arguments(parser, agents_required=False)
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help=f"print the whole table, every column and how the CI is computed, as table.txt holds it "
        f"(default: the columns that fit in {PRINT_WIDTH} characters)",
    )
    commands = parser.add_subparsers(dest="command", title="subcommands", metavar="{ic-audit}")
    audit = commands.add_parser(
        "ic-audit",
        prog=ic_audit.PROG,
        help="incentive-compatibility audit of auctioneers (evaluate.py ic-audit --help)",
        description=ic_audit.DESCRIPTION,
    )
    ic_audit.add_arguments(audit)
    audit.set_defaults(command_parser=audit)
    return parser


def sweep_requests(sweep_dir: str, env_id: str, taken: set[str]) -> list[AgentRequest]:
    """One agent per group of a sweep's runs on ``env_id`` (:func:`agents.runs.groups.sweep_runs`), printed
    with its settings; ConfigError for a folder that is not a sweep, or a label ``--agents`` uses."""
    groups = sweep_runs(sweep_dir, env_id)
    requests = []
    for group in groups:
        if group.label in taken:
            raise ConfigError(
                f"--sweep {sweep_dir}: its agent {group.label!r} has the label of an --agents entry; "
                "rename that one"
            )
        print(f"--sweep: {group.describe()}")
        requests.append(AgentRequest(label=group.label, text=f"--sweep {sweep_dir}", paths=group.paths))
    return requests


def print_table(result: EvaluationResult, out_dir: Path, verbose: bool = False) -> None:
    """The result on stdout: the whole table under ``-v``; else the columns that fit in
    :data:`~agents.evaluation.results.PRINT_WIDTH` characters, and a line naming those left out and
    ``table.txt``, which holds them."""
    if verbose:
        print(result.table(), end="")
        return
    text, dropped = result.short_table()
    print(text, end="")
    if dropped:
        print(f"Every column ({', '.join(dropped)} too) in {out_dir / 'table.txt'}, or -v")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``evaluate.py``: 0 done, 2 bad input (nothing run), 74 a result file could not be
    written (a full disk; each file is whole or absent), 130 interrupted (nothing saved)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.command == "ic-audit":
        if arguments[0] != "ic-audit":
            parser.error("ic-audit takes its own options: write evaluate.py ic-audit [options]")
        return ic_audit.run(args, args.command_parser, arguments)
    missing = [
        flag
        for flag, value in (("--env", args.env), ("--agents or --sweep", args.agents or args.sweep))
        if value is None
    ]
    if missing:
        parser.error(f"the following arguments are required: {', '.join(missing)}")
    try:
        check_seeds(args.episodes, args.seeds)
        env_id = apply_common_arguments(args)
        vectorization_mode = args.vectorization_mode or "sync"
        check_vectorization(env_id, args.n_envs, vectorization_mode, args.episodes)
        if args.vectorization_mode is not None and args.n_envs == 1:
            raise ConfigError(
                f"--vectorization-mode {args.vectorization_mode} applies with --n-envs > 1 (episodes are "
                "played one at a time otherwise); give --n-envs N or leave the flag out"
            )
        output = default_output_dir(env_id) if args.output is None else args.output
        out_dir = check_output_folder("--output", output, args.overwrite)
        requests = [parse_agent_spec(spec) for spec in args.agents or []]
        if args.sweep:
            requests += sweep_requests(args.sweep, env_id, {request.label for request in requests})
        check_comparisons([request.label for request in requests], args.compare)
        agents = load_agents(env_id, requests, args.env_kwargs, args.device, args.model)
        result = evaluate_agents(
            env_id,
            agents,
            args.episodes,
            args.seeds,
            args.env_kwargs,
            args.deterministic,
            args.device,
            args.model,
            progress=shows_progress(args),
            command=command_line(arguments, PROG),
            n_envs=args.n_envs,
            vectorization_mode=vectorization_mode,
        )
        result.comparisons = [(a, b) for a, b in args.compare]
        written = write_results(result, out_dir, overwrite=args.overwrite, plots=not args.no_plots)
    except ConfigError as error:
        return usage_error(parser, error)
    except OSError as error:
        return io_error(PROG, error)
    except KeyboardInterrupt:
        print("\ninterrupted; nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED
    print_table(result, out_dir, args.verbose)
    print(f"Wrote {', '.join(path.name for path in written)} to {out_dir}")
    return 0


__all__ = ["build_parser", "main"]
