"""Train any registered agent on any Gymnasium env id and write an rl-baselines3-zoo style run folder.

Command line (``train.py`` at the repository root is a thin wrapper around :func:`main`)::

    python train.py --algo diffusion --env IoA-DDA-v0 -n 100000 --seed 0
    python train.py --algo ppo --env Pendulum-v1 -n 5000 --hyperparams n_steps:64 learning_rate:lin_1e-3
    python train.py --resume logs/ppo/Pendulum-v1_1 -n 10000
    python train.py --algo ppo --env IoA-DDA-v0 --vec-env native --n-envs 64   # the env's batched version

Run folder ``<log-folder>/<algo>/<env>_<N>`` (``N`` = 1 + the largest existing; reused by ``--resume``)::

    config.yml              every setting of the run: arguments, resolved hyperparameters, env kwargs,
                            seed, device, library versions, resume history
    <env>.zip               the final model (a baseline's is <env>.json)
    best_model.zip          best mean evaluation return so far (EvalCallback)
    evaluations.npz         timesteps, results (episode returns), ep_lengths of every evaluation
    progress.csv            SB3 logger, CSV format (continued on --resume)
    events.out.tfevents.*   TensorBoard (here, or under -tb <dir>/<algo>/<env>_<N>)
    checkpoints/            rl_model_<T>_steps.zip each time the step count crosses a multiple of
                            --save-freq, at the end and on interruption; rl_model_replay_buffer_<T>_steps.pkl
                            (off-policy; latest only) at the end and on interruption, and with every
                            checkpoint under --save-replay-buffer
    checkpoints/abandoned/  files of a timeline that --resume dropped (see below)

Evaluations happen each time the env step count crosses a multiple of ``--eval-freq`` (once per multiple,
whatever ``n_envs`` or the rollout length, none past ``-n``). Every model and result file is written to a
temporary name in its folder and then renamed, so a crash or Ctrl-C never leaves a partial file under a
final name. Ctrl-C (SIGINT) saves a checkpoint with the replay buffer and exits with 130; SIGTERM (``kill``,
``timeout``, a batch scheduler) does the same and exits with 143 (128 + the signal).

``--resume RUN_DIR`` continues from the newest checkpoint that loads (a corrupt newer one is named on
stderr and set aside), with the replay buffer saved next to it when there is one (stderr says when there
is none), up to ``-n`` total timesteps. A run folder holds one timeline: rows of ``progress.csv`` and
entries of ``evaluations.npz`` past the resumed checkpoint are dropped, TensorBoard events past it are
purged (``SummaryWriter(purge_step=...)``), later checkpoints and a later best or final model move to
``checkpoints/abandoned/``, staging and temporary files of a killed run are removed
(:mod:`.timeline`).

A bad algorithm, env id, hyperparameter (name or range: ``gamma`` in [0, 1], ``batch_size >= 1``...), env
kwarg or flag (``--n-envs 0``, ``--eval-episodes -1``, ``--device cuda`` without CUDA, an unwritable
``-f``/``-tb``, a corrupt, empty or incomplete ``config.yml``, a corrupt ``evaluations.npz`` or
``progress.csv``, or ``-n`` not above the run's timesteps on ``--resume``, bad YAML in ``-conf``, a
``policy_kwargs.net_arch`` that is no list of layer sizes, a PPO ``batch_size`` above ``n_steps * n_envs``,
an env that fails at its first reset, any error SB3 or torch raise while building the agent...) stops the
run before anything is written, with a message naming it and its allowed values, and exit code 2.

Modules: :mod:`.config` (defaults, flag checks, ``resolve_config``, run-folder numbering),
:mod:`.callbacks` (atomic checkpoints, evaluations and ``progress.csv``), :mod:`.timeline` (what
``--resume`` does to the run folder), :mod:`.run` (envs, logger, agent, ``config.yml``, the
learning loop) and :mod:`.cli` (the parser and :func:`main`). Command-line helpers, atomic files, env
checks and library versions come from :mod:`agents.common`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.common.cli import EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_USAGE, StoreDict, parse_value
from agents.common.envs import check_env as _check_env
from agents.common.envs import env_folder_name, env_kwarg_names
from agents.common.files import atomic_save, yaml_ready
from agents.common.versions import library_versions
from agents.registry import AgentConfigError
from agents.training.callbacks import (
    AtomicCheckpointCallback,
    AtomicEvalCallback,
    ResumableCSVOutputFormat,
    save_checkpoint,
)
from agents.training.cli import build_parser, main
from agents.training.config import (
    DEFAULT_CHECKPOINTS,
    DEFAULT_EVAL_EPISODES,
    DEFAULT_EVAL_FREQ,
    DEFAULT_N_TIMESTEPS,
    EVAL_SEED_OFFSET,
    EVALUATIONS_FILE,
    FROZEN_ON_RESUME,
    RECORDED_DEFAULTS,
    STAGING_DIR,
    load_conf_file,
    new_run_dir,
    resolve_config,
)
from agents.training.run import (
    build_model,
    evaluate_fixed_agent,
    learn,
    make_envs,
    make_logger,
    run_record,
    train,
    write_config,
)


def check_env(env_id: str, env_kwargs: Mapping[str, Any] | None = None) -> str:
    """:func:`agents.common.envs.check_env` raising train.py's :class:`~agents.registry.AgentConfigError`."""
    return _check_env(env_id, env_kwargs, error=AgentConfigError)


__all__ = [
    "AtomicCheckpointCallback",
    "AtomicEvalCallback",
    "DEFAULT_CHECKPOINTS",
    "DEFAULT_EVAL_EPISODES",
    "DEFAULT_EVAL_FREQ",
    "DEFAULT_N_TIMESTEPS",
    "EVALUATIONS_FILE",
    "EVAL_SEED_OFFSET",
    "EXIT_INTERRUPTED",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "FROZEN_ON_RESUME",
    "RECORDED_DEFAULTS",
    "ResumableCSVOutputFormat",
    "STAGING_DIR",
    "StoreDict",
    "atomic_save",
    "build_model",
    "build_parser",
    "check_env",
    "env_folder_name",
    "env_kwarg_names",
    "evaluate_fixed_agent",
    "learn",
    "library_versions",
    "load_conf_file",
    "main",
    "make_envs",
    "make_logger",
    "new_run_dir",
    "parse_value",
    "resolve_config",
    "run_record",
    "save_checkpoint",
    "train",
    "write_config",
    "yaml_ready",
]
