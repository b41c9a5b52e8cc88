"""The ``train.py`` command line: its argument parser (rl-baselines3-zoo flag names) and :func:`main`, which
resolves the configuration, runs it and turns a bad algorithm, env id, hyperparameter or env kwarg into a
usage message and exit code 2 before anything is written."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from agents.common.cli import (
    StoreDict,
    exit_code_of,
    interrupt_on_signals,
    set_torch_threads,
    usage_error,
)
from agents.registry import AgentConfigError, list_agents
from agents.training.config import DEFAULT_EVAL_EPISODES, DEFAULT_EVAL_FREQ, resolve_config
from agents.training.run import train
from agents.vec_env import VEC_ENV_TYPES


def build_parser() -> argparse.ArgumentParser:
    """The ``train.py`` argument parser (rl-baselines3-zoo flag names)."""
    parser = argparse.ArgumentParser(
        prog="train.py",
        description="Train an agent and write a run folder <log-folder>/<algo>/<env>_<N>.",
    )
    parser.add_argument("--algo", help=f"agent name: {', '.join(list_agents())}, or package.module:Class")
    parser.add_argument("--env", help="Gymnasium env id (IoA-DDA-v0, ...; 'module:Id' imports module first)")
    parser.add_argument(
        "-n", "--n-timesteps", type=int, help="total env steps (default: hyperparams file, else 100000)"
    )
    parser.add_argument("--seed", type=int, help="random seed (default: drawn, and recorded in config.yml)")
    parser.add_argument(
        "--device", default="auto", help="torch device: auto (CUDA if available), cpu, cuda:0"
    )
    parser.add_argument("-tb", "--tensorboard-log", help="TensorBoard root (default: the run folder)")
    parser.add_argument("-f", "--log-folder", default="logs", help="root of the run folders (default: logs)")
    parser.add_argument(
        "--eval-freq",
        type=int,
        help=f"evaluate each time the env step count crosses a multiple of N, any n_envs; 0 or -1: never "
        f"({DEFAULT_EVAL_FREQ})",
    )
    parser.add_argument(
        "--eval-episodes", type=int, help=f"episodes per evaluation ({DEFAULT_EVAL_EPISODES})"
    )
    parser.add_argument("--n-eval-envs", type=int, help="parallel envs for evaluation (1)")
    parser.add_argument(
        "--n-envs", type=int, help="parallel training envs (default: hyperparams file, else 1)"
    )
    parser.add_argument(
        "--vec-env",
        choices=VEC_ENV_TYPES,
        help="training VecEnv: dummy (SB3 DummyVecEnv, default), subproc (SubprocVecEnv), native (the env's "
        "own vector implementation, gym.make_vec vector_entry_point)",
    )
    parser.add_argument(
        "--save-freq",
        type=int,
        help="checkpoint each time the env step count crosses a multiple of N; 0 or -1: only at the end "
        "(n_timesteps / 10)",
    )
    parser.add_argument(
        "--save-replay-buffer",
        action="store_true",
        help="save the replay buffer with every checkpoint (off-policy; default: only at the end and on "
        "interruption, it can weigh hundreds of MB)",
    )
    parser.add_argument(
        "--hyperparams", nargs="+", action=StoreDict, help="override hyperparameters: key:value ..."
    )
    parser.add_argument(
        "--env-kwargs", nargs="+", action=StoreDict, help="env constructor kwargs: key:value ..."
    )
    parser.add_argument(
        "-conf",
        "--conf-file",
        help="YAML hyperparameters (keyed by env id / default, or flat) replacing the defaults",
    )
    parser.add_argument("-P", "--progress", action="store_true", help="show a progress bar")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its latest checkpoint")
    parser.add_argument(
        "--num-threads",
        type=int,
        default=-1,
        help="torch CPU threads, >= 1 (-1: torch's default; 1 is often fastest)",
    )
    parser.add_argument("--verbose", type=int, default=1, help="0: quiet, 1: training logs on stdout")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``train.py``.

    :param argv: the arguments (None: this process's).
    :returns: the exit code (0 done, 2 bad input, 130 Ctrl-C, 143 SIGTERM).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    # SIGINT (Ctrl-C, also in a background job) and SIGTERM (kill, timeout, schedulers) raise
    # KeyboardInterrupt: training saves a checkpoint and the exit code is 128 + the signal.
    with interrupt_on_signals():
        try:
            config = resolve_config(args)
            if args.num_threads > 0:
                # Small MLPs gain little from several threads, and lose a lot when the cores are shared.
                set_torch_threads(args.num_threads, "--num-threads")
                config["num_threads"] = args.num_threads
            return train(config)
        except AgentConfigError as error:
            return usage_error(parser, error)
        except KeyboardInterrupt as interrupt:  # before training started: nothing to save
            print(f"\n{parser.prog}: interrupted before training started", file=sys.stderr)
            return exit_code_of(interrupt)


__all__ = ["build_parser", "main"]
