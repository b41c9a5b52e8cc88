"""One training run from its :class:`~agents.runs.config.RunConfig` (rl-baselines3-zoo's
``ExperimentManager``): the training and evaluation envs, the SB3 logger, the agent (fresh or from the
latest checkpoint), the run folder (new, or rewound to the checkpoint on ``--resume``) with ``config.yml``
and its resume history, and the learning loop with its evaluations, checkpoints and Ctrl-C handling.
Non-learning agents are evaluated once and saved.

Nothing is written before the agent is built: a configuration SB3 or torch refuse stops the run with a
:class:`~agents.common.errors.ConfigError` and the run folder untouched.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.logger import HumanOutputFormat, Logger, TensorBoardOutputFormat
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from agents.common.cli import add_hint, exit_code_of, signals_ignored
from agents.common.errors import ConfigError
from agents.common.files import atomic_save, writing
from agents.common.versions import library_versions
from agents.registry import get_agent_spec, list_agents, make_agent
from agents.runs.callbacks import (
    AtomicCheckpointCallback,
    AtomicEvalCallback,
    ResumableCSVOutputFormat,
    evaluation_line,
    save_checkpoint,
    save_model,
)
from agents.runs.config import EVAL_SEED_OFFSET, RunConfig
from agents.runs.folder import CONFIG_FILE, RunFolder, checkpoint_timesteps, new_run_dir
from agents.runs.timeline import (
    check_progress,
    read_evaluations,
    replay_buffer_of,
    resumable_checkpoint,
    rewind,
    saved_policy_class,
)
from agents.vec_env import make_sb3_vec_env

OnEvaluation = Callable[[int, float], None]
"""Called as ``on_evaluation(timesteps, mean_reward)`` after each evaluation (a sweep reports to Tune)."""


def make_envs(config: RunConfig, seed: int) -> tuple[VecEnv, VecEnv]:
    """Training and evaluation VecEnvs with episode statistics (Monitor or VecMonitor).

    The training one is of type ``config.vec_env``; the evaluation one is always a DummyVecEnv, seeded with
    ``seed + EVAL_SEED_OFFSET``.

    :param seed: the training env's seed.
    """
    train_env = make_sb3_vec_env(config.env, config.n_envs, seed, config.env_kwargs, vec_env=config.vec_env)
    eval_env = make_sb3_vec_env(config.env, config.n_eval_envs, seed + EVAL_SEED_OFFSET, config.env_kwargs)
    return train_env, eval_env


def _after_existing_event_files(folder: Path, longest_wait: float = 2.0) -> None:
    """Wait until the clock has passed the second in the name of every events file of ``folder``.

    TensorBoard reads a folder's event files in the order of their names, ``events.out.tfevents.<seconds>.
    <host>.<pid>.<n>``, and a writer's ``purge_step`` drops only the events of files read before its own. A
    resumed run whose writer starts within the second of the killed run's (a fast run killed early) would
    otherwise sort by process id, possibly first, and leave the dropped timeline in place."""
    newest = -1
    for path in folder.glob("events.out.tfevents.*"):
        field = path.name.split(".")[3]
        if field.isdigit():
            newest = max(newest, int(field))
    deadline = (
        time.monotonic() + longest_wait
    )  # a clock far behind a file's (another machine's) waits no longer
    while int(time.time()) <= newest and time.monotonic() < deadline:
        time.sleep(0.05)


class PurgingTensorBoardOutputFormat(TensorBoardOutputFormat):
    """SB3's TensorBoard writer whose ``SummaryWriter`` purges the events at ``purge_step`` and later that
    earlier event files of the folder hold (the timeline a ``--resume`` dropped).

    :param folder: the TensorBoard folder.
    :param purge_step: the first step to purge (None: none).
    """

    def __init__(self, folder: str, purge_step: int | None = None) -> None:
        from torch.utils.tensorboard import SummaryWriter

        _after_existing_event_files(Path(folder))
        with writing(Path(folder) / "events.out.tfevents.*"):
            self.writer = SummaryWriter(log_dir=folder, purge_step=purge_step)
        self._is_closed = False

    @property
    def events_file(self) -> str:
        """The events file written (what a failed write names)."""
        file_writer = self.writer.file_writer
        name = getattr(getattr(file_writer, "event_writer", None), "_file_name", None)
        return str(name or Path(self.writer.get_logdir()) / "events.out.tfevents.*")

    def write(
        self, key_values: dict[str, Any], key_excluded: dict[str, tuple[str, ...]], step: int = 0
    ) -> None:
        # A thread of TensorBoard's writes the events; its OSError surfaces at the next write or flush.
        with writing(self.events_file):
            super().write(key_values, key_excluded, step)

    def close(self) -> None:
        with writing(self.events_file):
            super().close()


def make_logger(config: RunConfig, run_dir: Path, resumed_at: int | None = None) -> tuple[Logger, Path]:
    """SB3 logger writing ``progress.csv`` in the run folder and TensorBoard events, and its tables to stdout
    when ``config.verbose`` asks for SB3's output (1 or 2): the files are the same either way.

    :param resumed_at: the timestep count of the resumed checkpoint: TensorBoard events past it are purged.
    :returns: the logger and the TensorBoard folder.
    """
    if config.tensorboard_log:
        tensorboard_dir = Path(config.tensorboard_log) / run_dir.parent.name / run_dir.name
    else:
        tensorboard_dir = run_dir
    tensorboard_dir.mkdir(parents=True, exist_ok=True)
    formats: list[Any] = [
        ResumableCSVOutputFormat(str(RunFolder(run_dir).progress)),
        PurgingTensorBoardOutputFormat(str(tensorboard_dir), None if resumed_at is None else resumed_at + 1),
    ]
    if config.sb3_verbose >= 1:
        formats.append(HumanOutputFormat(sys.stdout))
    return Logger(folder=str(run_dir), output_formats=formats), tensorboard_dir


def build_model(config: RunConfig, train_env: VecEnv, resume_from: Path | None) -> Any:
    """A fresh agent, or the checkpoint ``resume_from`` (with its replay buffer when saved) on ``train_env``.

    Non-learning agents take the hyperparameters as constructor kwargs (``--hyperparams step:0.5``).

    :param resume_from: the checkpoint to load, or None for a fresh agent.
    """
    if resume_from is None:
        if config.kind != "sb3":
            return make_agent(config.algo, train_env, seed=config.seed, **config.hyperparams)
        return make_agent(
            config.algo,
            train_env,
            seed=config.seed,
            device=config.device,
            hyperparams=config.hyperparams,
            verbose=config.sb3_verbose,
            defaults=False,  # config.hyperparams already holds the file's defaults (or -conf's)
        )
    # SB3's zip holds the schedules and action noise; only the replay buffer is a separate file.
    model = get_agent_spec(config.algo).load().load(resume_from, env=train_env, device=config.device)
    if isinstance(model, OffPolicyAlgorithm):
        buffer = replay_buffer_of(resume_from)
        if buffer.is_file():
            model.load_replay_buffer(buffer)
            print(f"--resume: replay buffer loaded from {buffer}", file=sys.stderr)
        else:
            print(
                f"--resume: no replay buffer was saved with {resume_from.name} (periodic checkpoints save "
                f"one only with --save-replay-buffer): the replay buffer starts empty",
                file=sys.stderr,
            )
    model.set_random_seed(config.seed + model.num_timesteps)
    model.verbose = config.sb3_verbose  # this run's flag, not the one saved with the checkpoint
    return model


def _build_checked(config: RunConfig, env: VecEnv, resume_from: Path | None) -> Any:
    """:func:`build_model`, with whatever SB3 or torch raise while building as a ConfigError."""
    try:
        return build_model(config, env, resume_from)
    except ConfigError:
        raise
    except (ValueError, TypeError, AssertionError, RuntimeError, KeyError, IndexError) as error:
        # SB3's checks of values and spaces, torch's of layer shapes ("negative dimension"): raised
        # before the run folder is created or changed, so that nothing is written.
        problem = " ".join(str(error).split()) or type(error).__name__
        raise ConfigError(f"cannot build {config.algo} for {config.env_id}: {problem}") from error


def run_record(
    config: RunConfig, run_dir: Path, tensorboard_dir: Path, resume_from: Path | None
) -> dict[str, Any]:
    """What ``config.yml`` holds: the settings, where things are, versions, and the resume history (each
    ``--resume``: when, from which checkpoint, the command and its parsed arguments; the first run's
    ``created``, ``command`` and ``args`` stay as they were)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S")
    record = {
        **config.to_record(),
        "run_dir": str(run_dir),
        "tensorboard_dir": str(tensorboard_dir),
        "versions": library_versions(),
    }
    if resume_from is None:
        return {**record, "created": now, "command": sys.argv, "resumed": []}
    previous = RunFolder(run_dir).read_record()
    resumed = {"at": now, "from": str(resume_from), "command": sys.argv, "args": record.pop("args")}
    return {**previous, **record, "resumed": [*(previous.get("resumed") or []), resumed]}


def evaluate_fixed_agent(
    agent: Any, config: RunConfig, eval_env: VecEnv, run_dir: Path, logger: Logger
) -> None:
    """Non-learning agents: one evaluation at timestep 0, written like EvalCallback's, and the agent saved."""
    returns, lengths = evaluate_policy(
        agent,
        eval_env,
        n_eval_episodes=config.eval_episodes,
        deterministic=True,
        return_episode_rewards=True,
    )
    run = RunFolder(run_dir)
    atomic_save(
        run.evaluations, lambda path: np.savez(path, timesteps=[0], results=[returns], ep_lengths=[lengths])
    )
    logger.record("eval/mean_reward", float(np.mean(returns)))
    logger.record("eval/mean_ep_length", float(np.mean(lengths)))
    logger.dump(0)
    if config.verbose is None:
        print(evaluation_line(0, returns), flush=True)
    if hasattr(agent, "save"):
        save_model(agent, run.final_model(config.env_name, ".json"))


def _policy_names(algo: str) -> set[str]:
    """``module.Class`` of every policy ``algo`` builds (its SB3 ``policy_aliases``; none for a baseline)."""
    aliases = getattr(get_agent_spec(algo).load(), "policy_aliases", None) or {}
    return {f"{policy.__module__}.{policy.__qualname__}" for policy in aliases.values()}


def check_checkpoint_algorithm(config: RunConfig, checkpoint: Path) -> None:
    """Refuse a checkpoint whose policy the run's algorithm does not build (a diffusion checkpoint in a PPO
    run folder): SB3 would fail in the constructor with a message that names neither. Algorithms that share
    a policy class (PPO and A2C) are not told apart.

    :raises ConfigError: naming the checkpoint, the algorithm that saved it and the run's algorithm.
    """
    saved, expected = saved_policy_class(checkpoint), _policy_names(config.algo)
    if saved is None or not expected or saved in expected:
        return
    savers = [
        name
        for name in list_agents()
        if get_agent_spec(name).kind == "sb3"
        and get_agent_spec(name).is_available()
        and saved in _policy_names(name)
    ]
    by = " or ".join(savers) if savers else "another algorithm"
    raise ConfigError(
        f"--resume {config.resume}: checkpoint {checkpoint.name} is a checkpoint of another algorithm: "
        f"{by} saved it (policy {saved}), but the run's algorithm is {config.algo} ({CONFIG_FILE}); resume "
        f"it from a run folder of {by}"
    )


def _resume_point(config: RunConfig) -> tuple[Path, int, dict[str, np.ndarray] | None]:
    """``--resume``: the checkpoint to continue from, its timestep count and the run's evaluations, all
    checked before the run folder changes."""
    run_dir = Path(str(config.resume))
    resume_from = resumable_checkpoint(run_dir)
    check_checkpoint_algorithm(config, resume_from)
    at = checkpoint_timesteps(resume_from)
    if config.n_timesteps <= at:
        raise ConfigError(
            f"-n {config.n_timesteps} is not above the run's {at} timesteps (its latest checkpoint, "
            f"{resume_from.name}): give -n/--n-timesteps > {at} to train further"
        )
    evaluations = read_evaluations(run_dir)
    check_progress(run_dir)
    return resume_from, at, evaluations


def _check_new_run_dir(config: RunConfig, run_dir: Path | None) -> None:
    if run_dir is None:
        return
    if config.resume:
        raise ConfigError("run_dir is for a new run; a resumed run keeps its folder")
    if run_dir.exists() and (not run_dir.is_dir() or any(run_dir.iterdir())):
        raise ConfigError(f"run folder {run_dir} exists and is not empty")


def train(
    config: RunConfig,
    run_dir: str | os.PathLike[str] | None = None,
    on_evaluation: OnEvaluation | None = None,
) -> int:
    """Run the experiment ``config`` describes (:func:`~agents.runs.config.resolve_config` makes it from
    ``train.py``'s command line).

    :param run_dir: the run folder of a new run (it must be empty or absent); None: the next
        ``<log_folder>/<algo>/<env>_<N>`` (a resumed run keeps its own).
    :param on_evaluation: called as ``on_evaluation(timesteps, mean_reward)`` after each evaluation.
    :returns: the process exit code (0 done, 130 interrupted, 143 terminated).
    :raises ConfigError: no checkpoint to resume from, a checkpoint of another algorithm, an agent that
        cannot be built for the env, or a ``run_dir`` that holds files.
    :raises OSError: a write failed (a full disk: :class:`~agents.common.files.WriteError` naming the file);
        once the run folder exists, with a hint (:func:`agents.common.cli.add_hint`, :func:`resume_hint`):
        the last checkpoint and how to ``--resume`` from it.
    """
    given_dir = None if run_dir is None else Path(run_dir)
    _check_new_run_dir(config, given_dir)
    resume_from, resumed_at, evaluations, seed = None, None, None, config.seed
    if config.resume:
        resume_from, resumed_at, evaluations = _resume_point(config)
        seed += resumed_at  # fresh episodes, not a replay of the first ones
    train_env, eval_env = make_envs(config, seed)
    folder: Path | None = None
    try:
        # A non-learning agent is built for the env it is evaluated on (one DummyVecEnv whatever
        # --vec-env is): a batched vector env may not offer every method of its single env.
        agent = _build_checked(config, train_env if config.kind == "sb3" else eval_env, resume_from)
        if resume_from is not None:
            folder = Path(str(config.resume))
            rewind(folder, resume_from, evaluations, RunFolder(folder).final_model(config.env_name).name)
        elif given_dir is not None:
            folder = given_dir
            given_dir.mkdir(parents=True, exist_ok=True)
        else:
            folder = new_run_dir(config.log_folder, config.algo, config.env_name)
        logger, tensorboard_dir = make_logger(config, folder, resumed_at)
        RunFolder(folder).write_record(run_record(config, folder, tensorboard_dir, resume_from))
        if config.summary:
            print(f"Run folder: {folder}", flush=True)
        if not isinstance(agent, BaseAlgorithm):
            evaluate_fixed_agent(agent, config, eval_env, folder, logger)
            logger.close()
            return 0
        return learn(agent, config, eval_env, folder, logger, resume_from is not None, on_evaluation)
    except OSError as error:  # a full disk: every file is atomic, the last checkpoint stays loadable
        if folder is not None:
            add_hint(error, resume_hint(config, folder))
        raise
    finally:
        train_env.close()
        eval_env.close()


def resume_hint(config: RunConfig, run_dir: Path) -> str:
    """What to do after a write failed in ``run_dir``: ``--resume`` from its last checkpoint (the line Ctrl-C
    prints), or, without a checkpoint, start again; a checkpoint at the full budget is the trained model."""
    latest = RunFolder(run_dir).latest_checkpoint()
    if latest is None:
        return f"{run_dir} holds no checkpoint yet: once the files can be written, start the run again"
    checkpoint = latest[0]
    at = checkpoint_timesteps(checkpoint)
    if at >= config.n_timesteps:
        final = RunFolder(run_dir).final_model(config.env_name)
        return (
            f"The run reached its {config.n_timesteps} timesteps: its last checkpoint {checkpoint} is the "
            f"trained model; once the files can be written, copy it to {final}"
        )
    return (
        f"The run keeps its last checkpoint, {checkpoint} ({at} timesteps); once the files can be written:\n"
        f"Continue with: python train.py --resume {run_dir}"
    )


def _callbacks(
    config: RunConfig, eval_env: VecEnv, run_dir: Path, on_evaluation: OnEvaluation | None
) -> list[BaseCallback]:
    """The evaluations (unless ``eval_freq <= 0``), then the checkpoints: a checkpoint at a step is saved
    after that step's evaluation, so a run stopped during an evaluation (or whose evaluation could not be
    written) resumes from the checkpoint before it and evaluates again: ``evaluations.npz`` has no gap."""
    callbacks: list[BaseCallback] = []
    if config.eval_freq > 0:
        callbacks.append(
            AtomicEvalCallback(
                eval_env,
                run_dir,
                eval_freq=config.eval_freq,
                n_timesteps=config.n_timesteps,
                n_eval_episodes=config.eval_episodes,
                deterministic=True,
                verbose=config.sb3_verbose,
                on_evaluation=on_evaluation,
                print_line=config.verbose is None,
            )
        )
    callbacks.append(
        AtomicCheckpointCallback(
            config.save_freq,
            run_dir,
            n_timesteps=config.n_timesteps,
            save_replay_buffer=config.save_replay_buffer,
        )
    )
    return callbacks


def shows_progress_bar(config: RunConfig) -> bool:
    """Whether training shows SB3's progress bar: ``config.progress`` when given (``-P``, ``--no-progress``),
    else when stdout is a terminal and ``config.verbose`` is the default (not under ``--verbose 0``, which
    prints nothing, nor under SB3's tables, which would tear it)."""
    if config.progress is not None:
        return config.progress
    return config.verbose is None and sys.stdout.isatty()


def learn(
    model: BaseAlgorithm,
    config: RunConfig,
    eval_env: VecEnv,
    run_dir: Path,
    logger: Logger,
    resumed: bool,
    on_evaluation: OnEvaluation | None = None,
) -> int:
    """Train up to ``n_timesteps`` in total, with evaluation and checkpoints; Ctrl-C or SIGTERM (raised as
    ``KeyboardInterrupt``, :func:`agents.common.cli.interrupt_on_signals`) saves a checkpoint with the
    replay buffer.

    Evaluations and periodic checkpoints happen when the timestep count crosses a multiple of
    ``eval_freq`` / ``save_freq`` (once per multiple, none past ``n_timesteps``); the replay buffer is saved
    at the end and on interruption, and with periodic checkpoints only when ``save_replay_buffer``.

    :param resumed: the model comes from a checkpoint (its timestep count is kept).
    :param on_evaluation: called as ``on_evaluation(timesteps, mean_reward)`` after each evaluation.
    :returns: 0, or 128 + the signal after an interruption (130 Ctrl-C, 143 SIGTERM).
    """
    model.set_logger(logger)
    callbacks = _callbacks(config, eval_env, run_dir, on_evaluation)
    remaining = config.n_timesteps - model.num_timesteps
    failed = True  # until training ends or its interruption is saved: a write failure is the error to report
    try:
        if remaining > 0:
            with warnings.catch_warnings():
                # The evaluation env is a DummyVecEnv whatever --vec-env is; EvalCallback warns about that.
                warnings.filterwarnings("ignore", message="Training and eval env are not of the same type")
                model.learn(
                    total_timesteps=remaining,
                    callback=CallbackList(callbacks),
                    reset_num_timesteps=not resumed,
                    progress_bar=shows_progress_bar(config),
                )
        elif config.summary:
            print(f"Already at {model.num_timesteps} >= {config.n_timesteps} timesteps: nothing to train")
        failed = False
    except KeyboardInterrupt as interrupt:
        # A second Ctrl-C (or SIGTERM) must not interrupt the save that makes the first one safe.
        with signals_ignored():
            path = save_checkpoint(model, run_dir)
        failed = False
        print(
            f"\nInterrupted at {model.num_timesteps} timesteps; checkpoint saved to {path}.\n"
            f"Continue with: python train.py --resume {run_dir}",
            file=sys.stderr,
        )
        return exit_code_of(interrupt)
    finally:
        try:
            logger.close()
        except OSError:
            if not failed:  # else the first failure (on the same full disk) is the one that propagates
                raise
        finally:
            shutil.rmtree(RunFolder(run_dir).staging, ignore_errors=True)
    with signals_ignored():  # the run is done: finish saving it rather than stop half-way
        save_checkpoint(model, run_dir)
        final = save_model(model, RunFolder(run_dir).final_model(config.env_name))
    if config.summary:
        print(f"Saved the final model ({model.num_timesteps} timesteps) to {final}")
    return 0


__all__ = [
    "OnEvaluation",
    "PurgingTensorBoardOutputFormat",
    "build_model",
    "check_checkpoint_algorithm",
    "evaluate_fixed_agent",
    "learn",
    "make_envs",
    "make_logger",
    "resume_hint",
    "run_record",
    "shows_progress_bar",
    "train",
]
