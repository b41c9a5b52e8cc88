"""The settings of a training run: defaults, file names and the rules that turn the command line (and, on
``--resume``, the run's ``config.yml``) into one checked configuration dict, plus the numbering of new run
folders. Every bad value raises :class:`~agents.registry.AgentConfigError` before anything is written."""

from __future__ import annotations

import argparse
import inspect
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm
from stable_baselines3.common.utils import get_device

from agents.common.checks import POSITIVE_INT, Range, check_range
from agents.common.checks import check_device as _check_device
from agents.common.checks import check_writable_folder as _check_writable_folder
from agents.common.envs import check_env, env_folder_name
from agents.registry import (
    CONFIG_FILE,
    AgentConfigError,
    check_hyperparams,
    get_agent_spec,
    load_hyperparams,
    read_run_config,
)
from agents.vec_env import check_native

EVAL_SEED_OFFSET = 10_000
"""Added to the training seed for the evaluation env, so that it sees other markets than the training env."""
DEFAULT_N_TIMESTEPS = 100_000
DEFAULT_EVAL_FREQ = 10_000
DEFAULT_EVAL_EPISODES = 5
DEFAULT_CHECKPOINTS = 10
"""``--save-freq`` defaults to ``n_timesteps / DEFAULT_CHECKPOINTS``."""
EVALUATIONS_FILE = "evaluations.npz"
STAGING_DIR = ".staging"
FROZEN_ON_RESUME = ("algo", "env", "hyperparams", "env_kwargs", "conf_file", "n_envs", "vec_env", "seed")
"""Flags that ``--resume`` takes from the run's ``config.yml``; giving them again would fork the run."""
REQUIRED_ON_RESUME = ("algo", "env")
"""Keys that ``config.yml`` must hold for ``--resume``."""
RECORDED_DEFAULTS = {"vec_env": "dummy"}
"""What ``config.yml`` of a run written before a flag existed means by its absence."""


def load_conf_file(path: str, env_id: str) -> dict[str, Any]:
    """Hyperparameters of ``-conf FILE``: its ``env_id`` (or ``default``) entry, else the whole mapping.

    :param path: the YAML file.
    :param env_id: the registered env id, looked up first.
    """
    file = Path(path)
    if not file.is_file():
        raise AgentConfigError(f"--conf-file {path}: no such file")
    try:
        table = yaml.safe_load(file.read_text()) or {}
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as error:
        problem = " ".join(str(error).split()) or type(error).__name__
        raise AgentConfigError(f"--conf-file {path}: not valid YAML ({problem})") from error
    if not isinstance(table, dict):
        raise AgentConfigError(f"--conf-file {path}: expected a mapping, got {type(table).__name__}")
    for key in (env_id, "default"):
        if isinstance(table.get(key), dict):
            return dict(table[key])
    return table


def new_run_dir(log_folder: str, algo: str, env_name: str) -> Path:
    """``<log_folder>/<algo>/<env>_<N>`` with ``N`` one more than the largest existing (zoo numbering).

    The folder is created here; runs started at the same moment may pick the same ``N``: the first
    ``mkdir`` wins and the others move on to the next number.

    :param env_name: the file-system name of the env (:func:`~agents.common.envs.env_folder_name`).
    """
    parent = Path(log_folder) / algo.replace(":", "-")
    pattern = re.compile(rf"^{re.escape(env_name)}_(\d+)$")
    numbers = [int(m.group(1)) for p in parent.glob(f"{env_name}_*") if (m := pattern.match(p.name))]
    number = max(numbers, default=0) + 1
    parent.mkdir(parents=True, exist_ok=True)
    while True:
        run_dir = parent / f"{env_name}_{number}"
        try:
            run_dir.mkdir(exist_ok=False)
        except FileExistsError:
            number += 1
            continue
        return run_dir


SEED_RANGE = Range(0, 2**31 - 1, integer=True)
"""``--seed``: NumPy takes seeds below 2**32; the training env adds its index, the evaluation env
:data:`EVAL_SEED_OFFSET`, a resumed run the checkpoint's timestep count, which this range leaves room for."""
THREADS_RANGE = Range(1, integer=True, also=((-1, "torch's default"),))


def check_device(device: str) -> str:
    """The torch device of ``--device`` (``auto``: CUDA when available); refuses one this machine lacks
    (:func:`agents.common.checks.check_device`) instead of SB3's silent fall-back to the CPU."""
    return str(get_device(_check_device(device, "--device", error=AgentConfigError)))


def check_writable_folder(flag: str, folder: str | os.PathLike[str]) -> None:
    """Refuse a folder that cannot be created or written (see :func:`agents.common.checks`)."""
    _check_writable_folder(flag, folder, error=AgentConfigError)


def check_flag(flag: str, value: Any, allowed: Range) -> None:
    """:func:`~agents.common.checks.check_range` raising :class:`~agents.registry.AgentConfigError`."""
    check_range(flag, value, allowed, error=AgentConfigError)


def check_rollout_batch(algo_class: type, hyperparams: dict[str, Any], n_envs: int) -> None:
    """On-policy algorithms with minibatches (PPO): refuse ``batch_size`` > ``n_steps * n_envs``, the
    rollout a minibatch is drawn from (SB3 only warns, and trains on the whole rollout instead).

    The values not given are the constructor's defaults.
    """
    if not (isinstance(algo_class, type) and issubclass(algo_class, OnPolicyAlgorithm)):
        return
    parameters = inspect.signature(algo_class.__init__).parameters
    if "batch_size" not in parameters or "n_steps" not in parameters:
        return
    values = {}
    for name in ("batch_size", "n_steps"):
        value = hyperparams.get(name, parameters[name].default)
        if not isinstance(value, int | float) or isinstance(value, bool):
            return  # checked elsewhere (check_hyperparams)
        values[name] = int(value)
    if values["batch_size"] > values["n_steps"] * n_envs:
        raise AgentConfigError(
            f"hyperparameter batch_size {values['batch_size']} is larger than the rollout, n_steps * n_envs "
            f"= {values['n_steps']} * {n_envs} = {values['n_steps'] * n_envs}: lower batch_size or raise "
            f"n_steps / --n-envs"
        )


def resolve_config(args: argparse.Namespace) -> dict[str, Any]:
    """Validate the arguments and merge them with the defaults (or, on ``--resume``, the run's config.yml).

    :param args: the parsed command line of :func:`agents.training.cli.build_parser`.
    :returns: every setting of the run, as :func:`agents.training.run.train` takes it.
    """
    saved: dict[str, Any] = {}
    if args.resume:
        saved = read_run_config(args.resume)
        config_file = Path(args.resume) / CONFIG_FILE
        if not saved:
            raise AgentConfigError(f"--resume: {config_file} is empty: it has none of the run's settings")
        missing = [key for key in REQUIRED_ON_RESUME if saved.get(key) in (None, "")]
        if missing:
            raise AgentConfigError(
                f"--resume: {config_file} is incomplete: it lacks {', '.join(missing)} (train.py writes "
                f"{', '.join(REQUIRED_ON_RESUME)} in every run's config.yml)"
            )
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
    env_id = check_env(env, env_kwargs, error=AgentConfigError)

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
    n_timesteps = next((n for n in candidates if n is not None), DEFAULT_N_TIMESTEPS)
    if isinstance(n_timesteps, str):  # YAML reads 1e6 (no dot) as a string
        try:
            n_timesteps = float(n_timesteps)
        except ValueError:
            pass
    check_flag("-n/--n-timesteps", n_timesteps, POSITIVE_INT)
    n_timesteps = int(n_timesteps)
    n_envs = pick("n_envs", None)
    if n_envs is None:  # not `or`: --n-envs 0 is an error, not the file's value
        n_envs = hyperparams.get("n_envs", 1)
    check_flag("--n-envs", n_envs, POSITIVE_INT)
    n_envs = int(n_envs)
    if spec.kind == "sb3":
        check_rollout_batch(algo_class, hyperparams, n_envs)
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
    check_flag("--seed", seed, SEED_RANGE)
    device = check_device(args.device)
    eval_freq = pick("eval_freq", DEFAULT_EVAL_FREQ)
    check_flag(
        "--eval-freq", eval_freq, Range(1, integer=True, also=((0, "no evaluation"), (-1, "no evaluation")))
    )
    save_freq = pick("save_freq", None)
    if save_freq is None:
        save_freq = max(n_timesteps // DEFAULT_CHECKPOINTS, 1)
    check_flag(
        "--save-freq",
        save_freq,
        Range(1, integer=True, also=((0, "only at the end"), (-1, "only at the end"))),
    )
    eval_episodes, n_eval_envs = pick("eval_episodes", DEFAULT_EVAL_EPISODES), pick("n_eval_envs", 1)
    check_flag("--eval-episodes", eval_episodes, POSITIVE_INT)
    check_flag("--n-eval-envs", n_eval_envs, POSITIVE_INT)
    if n_eval_envs > eval_episodes:  # SB3's evaluate_policy only warns, and the extra envs idle
        raise AgentConfigError(
            f"--n-eval-envs {n_eval_envs} is more than --eval-episodes {eval_episodes}: "
            "each evaluation env plays at least one episode"
        )
    check_flag("--num-threads", getattr(args, "num_threads", -1), THREADS_RANGE)
    check_flag("--verbose", args.verbose, Range(0, 2, integer=True))
    log_folder, tensorboard_log = pick("log_folder", "logs"), pick("tensorboard_log", None)
    if args.resume:
        check_writable_folder("--resume", args.resume)
    else:
        check_writable_folder("-f/--log-folder", log_folder)
    if tensorboard_log:
        check_writable_folder("-tb/--tensorboard-log", tensorboard_log)
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
        "eval_freq": int(eval_freq),
        "eval_episodes": int(eval_episodes),
        "n_eval_envs": int(n_eval_envs),
        "save_freq": int(save_freq),
        "save_replay_buffer": bool(
            getattr(args, "save_replay_buffer", False) or saved.get("save_replay_buffer")
        ),
        "log_folder": log_folder,
        "tensorboard_log": tensorboard_log,
        "verbose": args.verbose,
        "num_threads": torch.get_num_threads(),
        "progress": args.progress,
        "conf_file": pick("conf_file", None),
        "resume": args.resume,
        "args": dict(vars(args)),  # the command line as parsed
    }


__all__ = [
    "DEFAULT_CHECKPOINTS",
    "DEFAULT_EVAL_EPISODES",
    "DEFAULT_EVAL_FREQ",
    "DEFAULT_N_TIMESTEPS",
    "EVALUATIONS_FILE",
    "EVAL_SEED_OFFSET",
    "FROZEN_ON_RESUME",
    "RECORDED_DEFAULTS",
    "SEED_RANGE",
    "STAGING_DIR",
    "check_device",
    "check_flag",
    "check_rollout_batch",
    "check_writable_folder",
    "load_conf_file",
    "new_run_dir",
    "resolve_config",
]
