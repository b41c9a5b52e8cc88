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
    checkpoints/            rl_model_<T>_steps.zip every --save-freq steps and at the end or on Ctrl-C;
                            rl_model_replay_buffer_<T>_steps.pkl (off-policy algorithms; latest only)

Every model and result file is written to a temporary name in its folder and then renamed, so a crash
or Ctrl-C never leaves a partial file under a final name. Ctrl-C saves a checkpoint and exits with 130;
``--resume RUN_DIR`` continues from the latest checkpoint (and replay buffer) up to ``-n`` total
timesteps. A bad algorithm, env id, hyperparameter or env kwarg stops the run before anything is written,
with the valid choices and exit code 2.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import importlib.metadata
import inspect
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
import yaml
from gymnasium.envs.registration import load_env_creator
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback, CallbackList, EvalCallback
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.logger import (
    CSVOutputFormat,
    HumanOutputFormat,
    Logger,
    TensorBoardOutputFormat,
)
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.utils import get_device
from stable_baselines3.common.vec_env import VecEnv

from agents.registry import (
    BEST_MODEL,
    CHECKPOINT_DIR,
    CHECKPOINT_PREFIX,
    CONFIG_FILE,
    AgentConfigError,
    check_hyperparams,
    checkpoint_path,
    checkpoint_timesteps,
    get_agent_spec,
    import_env_packages,
    latest_checkpoint,
    list_agents,
    load_hyperparams,
    make_agent,
    make_vec_env_from_id,
    read_run_config,
)
from agents.vec_env import VEC_ENV_TYPES, check_native

EVAL_SEED_OFFSET = 10_000  # the eval env sees other markets than the training env
DEFAULT_N_TIMESTEPS = 100_000
DEFAULT_EVAL_FREQ = 10_000
DEFAULT_EVAL_EPISODES = 5
DEFAULT_CHECKPOINTS = 10  # --save-freq defaults to n_timesteps / 10
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EVALUATIONS_FILE = "evaluations.npz"
STAGING_DIR = ".staging"
# Flags that --resume takes from the run's config.yml; giving them again would silently fork the run.
FROZEN_ON_RESUME = ("algo", "env", "hyperparams", "env_kwargs", "conf_file", "n_envs", "vec_env", "seed")
# What config.yml of a run written before a flag existed means by its absence.
RECORDED_DEFAULTS = {"vec_env": "dummy"}


# --- command line ------------------------------------------------------------------------------------------


def parse_value(text: str) -> Any:
    """A Python literal when ``text`` is one (``1e-3``, ``[64, 64]``, ``True``), else the string itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


class StoreDict(argparse.Action):
    """Collect ``key:value`` arguments into a dict; values go through :func:`parse_value` (zoo style)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        pairs: dict[str, Any] = {}
        for item in values or []:
            key, separator, text = str(item).partition(":")
            if not separator or not key:
                parser.error(f"{option_string} expects key:value pairs, got {item!r}")
            pairs[key] = parse_value(text)
        setattr(namespace, self.dest, pairs)


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
        help=f"evaluate every N env steps, any n_envs; <=0 disables ({DEFAULT_EVAL_FREQ})",
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
        "--save-freq", type=int, help="checkpoint every N env steps; <=0: only at the end (n_timesteps / 10)"
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
        help="torch CPU threads (-1: torch's default; 1 is often fastest)",
    )
    parser.add_argument("--verbose", type=int, default=1, help="0: quiet, 1: training logs on stdout")
    return parser


# --- atomic files ----------------------------------------------------------------------------------------


def atomic_save(path: str | os.PathLike[str], write: Callable[[str], object]) -> Path:
    """Call ``write(temporary_path)`` then rename the result onto ``path``, so ``path`` is never partial.

    The temporary file sits in the same folder (same file system, so ``os.replace`` is atomic) and keeps the
    final suffix, so savers that append a missing suffix (SB3, NumPy) write exactly where they are told.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp{target.suffix}")
    try:
        write(str(temporary))
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def save_checkpoint(model: BaseAlgorithm, run_dir: Path) -> Path:
    """Save a checkpoint at the model's timestep count (and, off-policy, its replay buffer: latest only)."""
    saved = atomic_save(checkpoint_path(run_dir, model.num_timesteps), model.save)
    if isinstance(model, OffPolicyAlgorithm) and model.replay_buffer is not None:
        buffer = atomic_save(
            checkpoint_path(run_dir, model.num_timesteps, replay_buffer=True), model.save_replay_buffer
        )
        for older in (run_dir / CHECKPOINT_DIR).glob(f"{CHECKPOINT_PREFIX}_replay_buffer_*_steps.pkl"):
            if older != buffer:
                older.unlink(missing_ok=True)
    return saved


class AtomicCheckpointCallback(BaseCallback):
    """Checkpoint every ``save_freq`` calls (one call = one step of every env), atomically."""

    def __init__(self, save_freq: int, run_dir: Path, verbose: int = 0) -> None:
        super().__init__(verbose)
        self.save_freq = save_freq
        self.run_dir = run_dir

    def _on_step(self) -> bool:
        if self.save_freq > 0 and self.n_calls % self.save_freq == 0:
            path = save_checkpoint(self.model, self.run_dir)
            if self.verbose >= 1:
                print(f"Saving checkpoint to {path}")
        return True


class AtomicEvalCallback(EvalCallback):
    """SB3's EvalCallback whose ``evaluations.npz`` and ``best_model.zip`` appear atomically.

    SB3 writes them directly; here it writes them in a staging folder inside the run folder, and each is
    moved into place with ``os.replace`` after the evaluation. On resume, the earlier evaluations are loaded
    so the file keeps the whole history and the best model is only replaced by a better one.
    """

    def __init__(self, eval_env: VecEnv, run_dir: Path, **kwargs: Any) -> None:
        self.run_dir = run_dir
        self.staging = run_dir / STAGING_DIR
        super().__init__(
            eval_env, best_model_save_path=str(self.staging), log_path=str(self.staging), **kwargs
        )
        previous = run_dir / EVALUATIONS_FILE
        if previous.is_file():
            with np.load(previous) as history:
                self.evaluations_timesteps = history["timesteps"].tolist()
                self.evaluations_results = history["results"].tolist()
                self.evaluations_length = history["ep_lengths"].tolist()
            if self.evaluations_results and (run_dir / f"{BEST_MODEL}.zip").is_file():
                self.best_mean_reward = float(max(np.mean(results) for results in self.evaluations_results))

    def _on_step(self) -> bool:
        continue_training = super()._on_step()
        for name in (EVALUATIONS_FILE, f"{BEST_MODEL}.zip"):
            if (self.staging / name).is_file():
                os.replace(self.staging / name, self.run_dir / name)
        return continue_training


class ResumableCSVOutputFormat(CSVOutputFormat):
    """SB3's CSV writer that continues an existing ``progress.csv`` (on --resume) instead of truncating it."""

    def __init__(self, filename: str) -> None:
        previous = Path(filename).read_text() if Path(filename).is_file() else ""
        super().__init__(filename)
        if previous.strip():
            self.keys = previous.splitlines()[0].split(self.separator)
            self.file.write(previous if previous.endswith("\n") else previous + "\n")
            self.file.flush()


# --- configuration -----------------------------------------------------------------------------------------


def env_kwarg_names(env_id: str) -> list[str]:
    """Keyword arguments the env's constructor accepts (for error messages)."""
    try:
        creator = load_env_creator(gym.spec(env_id).entry_point)
        target = creator.__init__ if inspect.isclass(creator) else creator
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError, AttributeError, ImportError, gym.error.Error):
        return []
    plain = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in parameters if p.name != "self" and p.kind in plain]


def check_env(env_id: str, env_kwargs: dict[str, Any]) -> str:
    """Check the env id and kwargs by building the env once; returns the registered id."""
    import_env_packages()
    try:
        spec = gym.spec(env_id)
    except (gym.error.Error, ModuleNotFoundError) as error:
        registered = sorted(gym.registry)
        close = difflib.get_close_matches(env_id.rsplit(":", 1)[-1], registered, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise AgentConfigError(
            f"unknown env id {env_id!r} ({error}).{hint} Registered ids: {', '.join(registered)}; "
            "or 'module:Id' to import the module that registers Id."
        ) from error
    try:
        gym.make(env_id, **env_kwargs).close()
    except (TypeError, ValueError, gym.error.Error) as error:
        valid = env_kwarg_names(env_id)
        raise AgentConfigError(
            f"invalid --env-kwargs {env_kwargs} for {spec.id}: {error}; "
            f"valid kwargs: {', '.join(valid) if valid else 'see the env constructor'}"
        ) from error
    return spec.id


def load_conf_file(path: str, env_id: str) -> dict[str, Any]:
    """Hyperparameters of ``-conf FILE``: its ``env_id`` (or ``default``) entry, else the whole mapping."""
    file = Path(path)
    if not file.is_file():
        raise AgentConfigError(f"--conf-file {path}: no such file")
    table = yaml.safe_load(file.read_text()) or {}
    if not isinstance(table, dict):
        raise AgentConfigError(f"--conf-file {path}: expected a mapping, got {type(table).__name__}")
    for key in (env_id, "default"):
        if isinstance(table.get(key), dict):
            return dict(table[key])
    return table


def yaml_ready(value: Any) -> Any:
    """Plain YAML types: tuples become lists, NumPy scalars Python numbers, other objects their repr."""
    if isinstance(value, dict):
        return {str(key): yaml_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [yaml_ready(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def library_versions() -> dict[str, str | None]:
    """Versions of the libraries that decide a run's numbers, and the git commit of this checkout."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in ("ioa-gym", "numpy", "torch", "gymnasium", "stable-baselines3", "sb3-contrib"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        versions["git_commit"] = commit.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        versions["git_commit"] = None
    return versions


def env_folder_name(env_id: str) -> str:
    """File-system name of an env id: ``module:Name/Id-v0`` gives ``Name-Id-v0``."""
    return env_id.rsplit(":", 1)[-1].replace("/", "-")


def new_run_dir(log_folder: str, algo: str, env_name: str) -> Path:
    """``<log_folder>/<algo>/<env>_<N>`` with N one more than the largest existing (zoo numbering)."""
    parent = Path(log_folder) / algo.replace(":", "-")
    pattern = re.compile(rf"^{re.escape(env_name)}_(\d+)$")
    numbers = [int(m.group(1)) for p in parent.glob(f"{env_name}_*") if (m := pattern.match(p.name))]
    number = max(numbers, default=0) + 1
    parent.mkdir(parents=True, exist_ok=True)
    while True:  # runs started at the same moment may pick the same N: the first mkdir wins, others move on
        run_dir = parent / f"{env_name}_{number}"
        try:
            run_dir.mkdir(exist_ok=False)
        except FileExistsError:
            number += 1
            continue
        return run_dir


def resolve_config(args: argparse.Namespace) -> dict[str, Any]:
    """Validate the arguments and merge them with the defaults (or, on --resume, the run's config.yml)."""
    saved: dict[str, Any] = {}
    if args.resume:
        saved = read_run_config(args.resume)
        for name in FROZEN_ON_RESUME:
            given, recorded = getattr(args, name), saved.get(name, RECORDED_DEFAULTS.get(name))
            if given is not None and given != recorded:
                raise AgentConfigError(
                    f"--{name.replace('_', '-')} cannot change on --resume (the run has {recorded!r})"
                )

    def pick(name: str, default: Any) -> Any:
        value = getattr(args, name, None)
        if value is not None:
            return value
        return saved.get(name, default)

    algo, env = pick("algo", None), pick("env", None)
    if algo is None or env is None:
        raise AgentConfigError("--algo and --env are required (unless --resume RUN_DIR)")
    spec = get_agent_spec(algo)
    algo_class = spec.load()
    env_kwargs = dict(pick("env_kwargs", {}) or {})
    env_id = check_env(env, env_kwargs)

    if args.resume:
        hyperparams = dict(saved.get("hyperparams") or {})
    else:
        defaults = (
            load_conf_file(args.conf_file, env_id) if args.conf_file else load_hyperparams(algo, env_id)
        )
        hyperparams = {**defaults, **(args.hyperparams or {})}
    if spec.kind == "sb3":
        check_hyperparams(algo_class, hyperparams)

    candidates = (args.n_timesteps, saved.get("n_timesteps"), hyperparams.get("n_timesteps"))
    n_timesteps = int(float(next((n for n in candidates if n is not None), DEFAULT_N_TIMESTEPS)))
    n_envs = int(pick("n_envs", None) or hyperparams.get("n_envs", 1))
    vec_env = pick("vec_env", RECORDED_DEFAULTS["vec_env"])
    if vec_env == "native":
        try:
            check_native(env_id)
        except ValueError as error:
            raise AgentConfigError(str(error)) from error
    # Training settings live at the top level of config.yml; hyperparams keeps constructor arguments.
    hyperparams = {key: value for key, value in hyperparams.items() if key not in ("n_timesteps", "n_envs")}
    seed = pick("seed", None)
    if seed is None:
        seed = int(np.random.default_rng().integers(2**31 - 1))
    try:
        device = str(get_device(args.device))
    except RuntimeError as error:
        raise AgentConfigError(
            f"--device {args.device!r}: {error}; valid: auto, cpu, cuda, cuda:<index>"
        ) from error
    eval_freq = int(pick("eval_freq", DEFAULT_EVAL_FREQ))
    save_freq = pick("save_freq", None)
    if save_freq is None:
        save_freq = max(n_timesteps // DEFAULT_CHECKPOINTS, 1)
    for name, value in (("n_timesteps", n_timesteps), ("n_envs", n_envs)):
        if value < 1:
            raise AgentConfigError(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    return {
        "algo": algo,
        "env": env,
        "env_id": env_id,
        "env_name": env_folder_name(env),
        "env_kwargs": env_kwargs,
        "hyperparams": hyperparams,
        "kind": spec.kind,
        "n_timesteps": n_timesteps,
        "n_envs": n_envs,
        "vec_env": vec_env,
        "seed": int(seed),
        "device": device,
        "eval_freq": eval_freq,
        "eval_episodes": int(pick("eval_episodes", DEFAULT_EVAL_EPISODES)),
        "n_eval_envs": int(pick("n_eval_envs", 1)),
        "save_freq": int(save_freq),
        "log_folder": pick("log_folder", "logs"),
        "tensorboard_log": pick("tensorboard_log", None),
        "verbose": args.verbose,
        "num_threads": torch.get_num_threads(),
        "progress": args.progress,
        "conf_file": pick("conf_file", None),
        "resume": args.resume,
        "args": dict(vars(args)),  # the command line as parsed
    }


# --- training ----------------------------------------------------------------------------------------------


def make_envs(config: dict[str, Any], seed: int) -> tuple[VecEnv, VecEnv]:
    """Training and evaluation VecEnvs with episode statistics (Monitor or VecMonitor), the evaluation one
    with another seed; the training one of type ``--vec-env``, the evaluation one always a DummyVecEnv."""
    env_id, env_kwargs = config["env"], config["env_kwargs"]
    vec_env = config.get("vec_env", RECORDED_DEFAULTS["vec_env"])
    train_env = make_vec_env_from_id(env_id, config["n_envs"], seed, env_kwargs, vec_env=vec_env)
    eval_env = make_vec_env_from_id(env_id, config["n_eval_envs"], seed + EVAL_SEED_OFFSET, env_kwargs)
    return train_env, eval_env


def make_logger(config: dict[str, Any], run_dir: Path) -> tuple[Logger, Path]:
    """SB3 logger writing progress.csv in the run folder, TensorBoard events, and stdout when verbose."""
    if config["tensorboard_log"]:
        tensorboard_dir = Path(config["tensorboard_log"]) / run_dir.parent.name / run_dir.name
    else:
        tensorboard_dir = run_dir
    tensorboard_dir.mkdir(parents=True, exist_ok=True)
    formats: list[Any] = [
        ResumableCSVOutputFormat(str(run_dir / "progress.csv")),
        TensorBoardOutputFormat(str(tensorboard_dir)),
    ]
    if config["verbose"] >= 1:
        formats.append(HumanOutputFormat(sys.stdout))
    return Logger(folder=str(run_dir), output_formats=formats), tensorboard_dir


def build_model(config: dict[str, Any], train_env: VecEnv, resume_from: Path | None) -> Any:
    """A fresh agent, or the checkpoint ``resume_from`` (with its replay buffer when saved) on ``train_env``.

    Non-learning agents take the hyperparameters as constructor kwargs (``--hyperparams step:0.5``).
    """
    if resume_from is None:
        if config["kind"] != "sb3":
            return make_agent(config["algo"], train_env, seed=config["seed"], **config["hyperparams"])
        return make_agent(
            config["algo"],
            train_env,
            seed=config["seed"],
            device=config["device"],
            hyperparams=config["hyperparams"],
            verbose=config["verbose"],
            defaults=False,  # config["hyperparams"] already holds the file's defaults (or -conf's)
        )
    # SB3's zip holds the schedules and action noise; only the replay buffer is a separate file.
    model = get_agent_spec(config["algo"]).load().load(resume_from, env=train_env, device=config["device"])
    buffer = checkpoint_path(resume_from.parent.parent, model.num_timesteps, replay_buffer=True)
    if isinstance(model, OffPolicyAlgorithm) and buffer.is_file():
        model.load_replay_buffer(buffer)
    model.set_random_seed(config["seed"] + model.num_timesteps)
    return model


def write_config(config: dict[str, Any], run_dir: Path) -> None:
    """Write config.yml atomically."""
    text = yaml.safe_dump(yaml_ready(config), sort_keys=False)
    atomic_save(run_dir / CONFIG_FILE, lambda path: Path(path).write_text(text))


def evaluate_fixed_agent(
    agent: Any, config: dict[str, Any], eval_env: VecEnv, run_dir: Path, logger: Logger
) -> None:
    """Non-learning agents: one evaluation at timestep 0, written like EvalCallback's, and the agent saved."""
    returns, lengths = evaluate_policy(
        agent,
        eval_env,
        n_eval_episodes=config["eval_episodes"],
        deterministic=True,
        return_episode_rewards=True,
    )
    atomic_save(
        run_dir / EVALUATIONS_FILE,
        lambda path: np.savez(path, timesteps=[0], results=[returns], ep_lengths=[lengths]),
    )
    logger.record("eval/mean_reward", float(np.mean(returns)))
    logger.record("eval/mean_ep_length", float(np.mean(lengths)))
    logger.dump(0)
    if hasattr(agent, "save"):
        atomic_save(run_dir / f"{config['env_name']}.json", agent.save)


def run_record(
    config: dict[str, Any], run_dir: Path, tensorboard_dir: Path, resume_from: Path | None
) -> dict[str, Any]:
    """What config.yml holds: the resolved config, where things are, versions, and the resume history."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S")
    record = {
        **config,
        "run_dir": str(run_dir),
        "tensorboard_dir": str(tensorboard_dir),
        "versions": library_versions(),
    }
    if resume_from is None:
        return {**record, "created": now, "command": sys.argv, "resumed": []}
    previous = read_run_config(run_dir)
    resumed = {"at": now, "from": str(resume_from), "command": sys.argv, "args": record.pop("args")}
    return {**previous, **record, "resumed": [*(previous.get("resumed") or []), resumed]}


def train(config: dict[str, Any]) -> int:
    """Run the experiment described by a :func:`resolve_config` dict; returns the process exit code."""
    resume_from, run_dir, seed = None, None, config["seed"]
    if config["resume"]:
        run_dir = Path(config["resume"])
        checkpoint = latest_checkpoint(run_dir)
        if checkpoint is None:
            raise AgentConfigError(f"--resume {run_dir}: no checkpoint in {run_dir / CHECKPOINT_DIR}")
        resume_from = checkpoint[0]
        seed += checkpoint_timesteps(resume_from)  # fresh episodes, not a replay of the first ones
    train_env, eval_env = make_envs(config, seed)
    try:
        try:
            # A non-learning agent is built for the env it is evaluated on (one DummyVecEnv whatever
            # --vec-env is): a batched vector env may not offer every method of its single env.
            agent_env = train_env if config["kind"] == "sb3" else eval_env
            agent = build_model(config, agent_env, resume_from)
        except AgentConfigError:
            raise
        except (ValueError, TypeError, AssertionError) as error:  # SB3's checks of values and spaces
            raise AgentConfigError(
                f"cannot build {config['algo']} for {config['env_id']}: {error}"
            ) from error
        if run_dir is None:
            run_dir = new_run_dir(config["log_folder"], config["algo"], config["env_name"])
        logger, tensorboard_dir = make_logger(config, run_dir)
        write_config(run_record(config, run_dir, tensorboard_dir, resume_from), run_dir)
        if config["verbose"] >= 1:
            print(f"Run folder: {run_dir}")
        if not isinstance(agent, BaseAlgorithm):
            evaluate_fixed_agent(agent, config, eval_env, run_dir, logger)
            logger.close()
            return 0
        return learn(agent, config, eval_env, run_dir, logger, resumed=resume_from is not None)
    finally:
        train_env.close()
        eval_env.close()


def learn(
    model: BaseAlgorithm,
    config: dict[str, Any],
    eval_env: VecEnv,
    run_dir: Path,
    logger: Logger,
    resumed: bool,
) -> int:
    """Train up to ``n_timesteps`` in total, with evaluation and checkpoints; Ctrl-C saves a checkpoint."""
    model.set_logger(logger)
    n_envs = config["n_envs"]
    callbacks: list[BaseCallback] = [
        AtomicCheckpointCallback(
            max(config["save_freq"] // n_envs, 1) if config["save_freq"] > 0 else 0, run_dir
        )
    ]
    if config["eval_freq"] > 0:
        callbacks.append(
            AtomicEvalCallback(
                eval_env,
                run_dir,
                eval_freq=max(config["eval_freq"] // n_envs, 1),
                n_eval_episodes=config["eval_episodes"],
                deterministic=True,
                verbose=config["verbose"],
            )
        )
    remaining = config["n_timesteps"] - model.num_timesteps
    try:
        if remaining > 0:
            with warnings.catch_warnings():
                # The evaluation env is a DummyVecEnv whatever --vec-env is; EvalCallback warns about that.
                warnings.filterwarnings("ignore", message="Training and eval env are not of the same type")
                model.learn(
                    total_timesteps=remaining,
                    callback=CallbackList(callbacks),
                    reset_num_timesteps=not resumed,
                    progress_bar=config["progress"],
                )
        elif config["verbose"] >= 1:
            print(f"Already at {model.num_timesteps} >= {config['n_timesteps']} timesteps: nothing to train")
    except KeyboardInterrupt:
        # A second Ctrl-C must not interrupt the save that makes the first one safe.
        previous_handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            path = save_checkpoint(model, run_dir)
        finally:
            signal.signal(signal.SIGINT, previous_handler)
        print(
            f"\nInterrupted at {model.num_timesteps} timesteps; checkpoint saved to {path}.\n"
            f"Continue with: python train.py --resume {run_dir}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    finally:
        logger.close()
        shutil.rmtree(run_dir / STAGING_DIR, ignore_errors=True)
    save_checkpoint(model, run_dir)
    final = atomic_save(run_dir / f"{config['env_name']}.zip", model.save)
    if config["verbose"] >= 1:
        print(f"Saved the final model ({model.num_timesteps} timesteps) to {final}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``train.py``; returns the exit code (0 done, 2 bad input, 130 interrupted)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # A shell starts background jobs with SIGINT ignored; `kill -INT` must still stop the run cleanly.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if args.num_threads > 0:
        # Small MLPs gain little from several threads, and lose a lot when the cores are shared.
        torch.set_num_threads(args.num_threads)
    try:
        return train(resolve_config(args))
    except AgentConfigError as error:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return EXIT_USAGE


__all__ = ["atomic_save", "build_parser", "main", "resolve_config", "save_checkpoint", "train"]
