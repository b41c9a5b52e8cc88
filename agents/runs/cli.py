"""Train any registered agent on any Gymnasium env id and write an rl-baselines3-zoo style run folder: the
``train.py`` command line (console script ``ioa-train``; ``train.py`` at the repository root is a thin
wrapper around :func:`main`)::

    python train.py --algo diffusion --env IoA-DDA-v0 -n 100000 --seed 0
    python train.py --algo ppo --env Pendulum-v1 -n 5000 --hyperparams n_steps:64 learning_rate:lin_1e-3
    python train.py --resume logs/ppo/Pendulum-v1_1 -n 10000
    python train.py --algo ppo --env IoA-DDA-v0 --vec-env native --n-envs 64   # the env's batched version

The run folder ``<log-folder>/<algo>/<env>_<N>`` (``N`` = 1 + the largest existing; reused by ``--resume``)
is laid out in :mod:`agents.runs.folder`; ``config.yml`` holds the resolved
:class:`~agents.runs.config.RunConfig` and the run's history.

Evaluations happen each time the env step count crosses a multiple of ``--eval-freq`` (once per multiple,
whatever ``n_envs`` or the rollout length, none past ``-n``); checkpoints likewise with ``--save-freq``, at
the end and on interruption. Every model and result file is written to a temporary name in its folder and then
renamed, so a crash or Ctrl-C never leaves a partial file under a final name. Ctrl-C (SIGINT) saves a
checkpoint with the replay buffer and exits with 130; SIGTERM (``kill``, ``timeout``, a batch scheduler) does
the same and exits with 143 (128 + the signal). A write that fails (a full disk: ``ENOSPC``; a read-only file
system) stops the run with one line naming the file, ``train.py: error: cannot write <path>: No space left on
device (ENOSPC)``, then the run's last checkpoint and ``Continue with: python train.py --resume RUN_DIR``, and
exit code 74 (sysexits' ``EX_IOERR``); the files written before are whole, and ``--resume`` continues from
that checkpoint once there is space.

What it prints on stdout: by default the run folder, one line per evaluation (``eval    10000 steps  mean
reward 0.912 +/- 0.031  (best so far)``) and the final model, with a progress bar when stdout is a terminal
(``-P`` always, ``--no-progress`` never); ``-v`` (``--verbose 1``) prints SB3's output as well (the device,
its log table after each rollout or log interval and after each evaluation, its evaluation text) and no bar
unless ``-P``; ``--verbose 0`` prints nothing but warnings and errors (stderr). ``progress.csv``, the
TensorBoard events and ``evaluations.npz`` are the same at every level.

``--resume RUN_DIR`` continues from the newest checkpoint that loads (a corrupt newer one is named on
stderr and set aside), with the replay buffer saved next to it when there is one (stderr says when there
is none), up to ``-n`` total timesteps. A run folder holds one timeline (:mod:`agents.runs.timeline`).

A bad algorithm, env id, hyperparameter (name or range: ``gamma`` in [0, 1], ``batch_size >= 1``...), env
kwarg or flag (``--n-envs 0``, ``--eval-episodes -1``, ``--device cuda`` without CUDA, an unwritable
``-f``/``-tb``, a corrupt, empty or incomplete ``config.yml``, a corrupt ``evaluations.npz`` or
``progress.csv``, or ``-n`` not above the run's timesteps on ``--resume``, bad YAML in ``-conf``, a
``policy_kwargs.net_arch`` that is no list of layer sizes, a PPO ``batch_size`` above ``n_steps * n_envs``,
an env that fails at its first reset, any error SB3 or torch raise while building the agent, ``-n`` above
2**31 (:data:`~agents.runs.config.N_TIMESTEPS_RANGE` says why), ``--resume`` of a run folder whose checkpoint
another algorithm saved...) stops the run before anything is written, with a message naming it and its
allowed values, and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from agents.common.cli import (
    StoreDict,
    exit_code_of,
    interrupt_on_signals,
    io_error,
    set_torch_threads,
    usage_error,
)
from agents.common.errors import ConfigError
from agents.registry import list_agents
from agents.runs.config import DEFAULT_EVAL_EPISODES, DEFAULT_EVAL_FREQ, resolve_config
from agents.runs.experiment import train
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
        "-n",
        "--n-timesteps",
        type=int,
        help="total env steps, at most 2**31 (default: hyperparams file, else 100000)",
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
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument(
        "-P",
        "--progress",
        action="store_const",
        const=True,
        help="show a progress bar (default: when stdout is a terminal, unless -v or --verbose N)",
    )
    progress.add_argument(
        "--no-progress", dest="progress", action="store_const", const=False, help="no progress bar"
    )
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its latest checkpoint")
    parser.add_argument(
        "--num-threads",
        type=int,
        default=-1,
        help="torch CPU threads, >= 1 (-1: torch's default; 1 is often fastest)",
    )
    parser.add_argument(
        "--verbose",
        type=int,
        metavar="N",
        help="0: nothing but warnings and errors; 1: SB3's output too (its log tables, evaluation text, "
        "device); 2: SB3's debug (default: the run folder, one line per evaluation, the final model)",
    )
    parser.add_argument(
        "-v", dest="verbose", action="count", help="SB3's output, as --verbose 1 (-vv: --verbose 2)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``train.py``.

    :param argv: the arguments (None: this process's).
    :returns: the exit code (0 done, 2 bad input, 74 a write failed, 130 Ctrl-C, 143 SIGTERM).
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
            return train(config)
        except ConfigError as error:
            return usage_error(parser, error)
        except OSError as error:  # a full disk: one line naming the file, and how to resume
            return io_error(parser.prog, error)
        except KeyboardInterrupt as interrupt:  # before training started: nothing to save
            print(f"\n{parser.prog}: interrupted before training started", file=sys.stderr)
            return exit_code_of(interrupt)


__all__ = ["build_parser", "main"]
