"""The settings of a training run as one typed, frozen record (:class:`RunConfig`), checked once when it is
made, written to and read from the run's ``config.yml``; and :func:`resolve_config`, which makes it from
``train.py``'s command line (and, on ``--resume``, the run's ``config.yml``).

``config.yml`` keeps the layout of every earlier version (the fields below, in this order, as top-level
keys, then the run's history: ``run_dir``, ``tensorboard_dir``, ``versions``, ``created``, ``command``,
``resumed``), so runs written before :class:`RunConfig` existed load and resume unchanged; a key an older run
lacks takes the default below (:meth:`RunConfig.from_record`). Every bad value raises
:class:`~agents.common.errors.ConfigError` naming the flag and its allowed values, before anything is written.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
import yaml
from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm
from stable_baselines3.common.utils import get_device

from agents.common.checks import POSITIVE_INT, Range, check_device, check_range, check_writable_folder
from agents.common.envs import check_env, env_folder_name
from agents.common.errors import ConfigError
from agents.hyperparameters import check_hyperparams
from agents.registry import AGENT_KINDS, AgentKind, get_agent_spec, load_hyperparams
from agents.runs.folder import RunFolder
from agents.vec_env import VEC_ENV_TYPES, check_native

EVAL_SEED_OFFSET = 10_000
"""Added to the training seed for the evaluation env, so that it sees other markets than the training env."""
DEFAULT_N_TIMESTEPS = 100_000
DEFAULT_EVAL_FREQ = 10_000
DEFAULT_EVAL_EPISODES = 5
DEFAULT_CHECKPOINTS = 10
"""``--save-freq`` defaults to ``n_timesteps / DEFAULT_CHECKPOINTS``."""
FROZEN_ON_RESUME = ("algo", "env", "hyperparams", "env_kwargs", "conf_file", "n_envs", "vec_env", "seed")
"""Flags that ``--resume`` takes from the run's ``config.yml``; giving them again would fork the run."""
REQUIRED_ON_RESUME = ("algo", "env")
"""Keys that ``config.yml`` must hold for ``--resume``."""
TRAINING_KEYS = ("n_timesteps", "n_envs")
"""Keys a hyperparameter file may hold beside the constructor's arguments: settings of the run."""

SEED_RANGE = Range(0, 2**31 - 1, integer=True)
"""``--seed``: NumPy takes seeds below 2**32; the training env adds its index, the evaluation env
:data:`EVAL_SEED_OFFSET`, a resumed run the checkpoint's timestep count, which this range leaves room for."""
N_TIMESTEPS_RANGE = Range(1, 2**31, integer=True)
"""``-n``: at most 2**31 (2.1e9) env steps. A resumed run seeds its agent with ``--seed`` + the checkpoint's
timestep count (fresh episodes, not a replay of the first ones), and NumPy takes seeds only below 2**32:
with ``--seed`` in :data:`SEED_RANGE` that holds for every checkpoint of a run of up to 2**31 steps. A
larger ``-n`` (``10**20``, a typo) would train until stopped and then fail to resume."""
THREADS_RANGE = Range(1, integer=True, also=((-1, "torch's default"),))
"""``--num-threads``."""
FREQ_RANGES = {
    "eval_freq": Range(1, integer=True, also=((0, "no evaluation"), (-1, "no evaluation"))),
    "save_freq": Range(1, integer=True, also=((0, "only at the end"), (-1, "only at the end"))),
}
VERBOSE_RANGE = Range(0, 2, integer=True)


@dataclass(frozen=True)
class RunConfig:
    """Every setting of a training run (``train.py``'s flags, resolved), checked when it is made.

    :param algo: registry name of the agent (:func:`agents.list_agents`) or ``package.module:Class``.
    :param env: the env id as given (``module:Id`` imports the module first).
    :param env_id: the registered id (default: ``env`` without its ``module:`` prefix).
    :param env_kwargs: the env's constructor kwargs.
    :param hyperparams: the agent's constructor arguments (the hyperparameter file's or ``-conf``'s
        entry, updated by ``--hyperparams``), without the run's own settings ``n_timesteps``/``n_envs``.
    :param kind: the registry kind of ``algo``: ``"sb3"``, ``"baseline"`` or ``"policy"``.
    :param n_timesteps: total env steps (``-n``), at most 2**31 (:data:`N_TIMESTEPS_RANGE`).
    :param n_envs: parallel training envs.
    :param vec_env: the training VecEnv: ``dummy``, ``subproc`` or ``native``.
    :param seed: the training seed (the evaluation env's is ``seed + EVAL_SEED_OFFSET``).
    :param device: the torch device of the model.
    :param eval_freq: evaluate each time the env step count crosses a multiple of it (0 or -1: never).
    :param eval_episodes: episodes per evaluation.
    :param n_eval_envs: parallel evaluation envs (at most ``eval_episodes``).
    :param save_freq: checkpoint each time the step count crosses a multiple of it (0 or -1: only at the
        end); None: ``n_timesteps // DEFAULT_CHECKPOINTS`` (at least 1).
    :param save_replay_buffer: save the replay buffer with every checkpoint, not only the last one.
    :param log_folder: root of the run folders (``-f``).
    :param tensorboard_log: TensorBoard root (None: the run folder).
    :param verbose: what the run prints on stdout. None (the default): the run folder, one line per
        evaluation and the final model; 0: nothing (warnings and errors still go to stderr); 1: SB3's own
        output as well, its log tables, its evaluation text and the device; 2: SB3's debug too. Whatever
        the level, ``progress.csv``, the TensorBoard events and ``evaluations.npz`` are the same.
    :param num_threads: torch's CPU threads during the run (recorded; ``train.py --num-threads`` sets them).
    :param progress: a progress bar; None (the default): one when stdout is a terminal and ``verbose`` is
        None.
    :param conf_file: the ``-conf`` hyperparameter file, if any.
    :param resume: the run folder ``--resume`` continues (None: a new run).
    :param args: the command line as parsed (``train.py``'s namespace), for the record.
    """

    algo: str
    env: str
    env_id: str = ""
    env_name: str = field(init=False, default="")
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    hyperparams: dict[str, Any] = field(default_factory=dict)
    kind: AgentKind = "sb3"
    n_timesteps: int = DEFAULT_N_TIMESTEPS
    n_envs: int = 1
    vec_env: str = "dummy"
    seed: int = 0
    device: str = "auto"
    eval_freq: int = DEFAULT_EVAL_FREQ
    eval_episodes: int = DEFAULT_EVAL_EPISODES
    n_eval_envs: int = 1
    save_freq: int | None = None
    save_replay_buffer: bool = False
    log_folder: str = "logs"
    tensorboard_log: str | None = None
    verbose: int | None = None
    num_threads: int = field(default_factory=torch.get_num_threads)
    progress: bool | None = None
    conf_file: str | None = None
    resume: str | None = None
    args: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("algo", "env"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{name} must be a non-empty string, got {value!r}")
        for name in ("env_kwargs", "hyperparams", "args"):
            value = getattr(self, name)
            if not isinstance(value, Mapping):
                raise ConfigError(f"{name} must be a mapping, got {value!r}")
            self._set(name, dict(value))
        check_range("-n/--n-timesteps", self.n_timesteps, N_TIMESTEPS_RANGE)
        check_range("--n-envs", self.n_envs, POSITIVE_INT)
        if self.vec_env not in VEC_ENV_TYPES:
            raise ConfigError(f"--vec-env must be one of {', '.join(VEC_ENV_TYPES)}, got {self.vec_env!r}")
        check_range("--seed", self.seed, SEED_RANGE)
        check_range("--eval-freq", self.eval_freq, FREQ_RANGES["eval_freq"])
        if self.save_freq is None:
            self._set("save_freq", max(int(self.n_timesteps) // DEFAULT_CHECKPOINTS, 1))
        check_range("--save-freq", self.save_freq, FREQ_RANGES["save_freq"])
        check_range("--eval-episodes", self.eval_episodes, POSITIVE_INT)
        check_range("--n-eval-envs", self.n_eval_envs, POSITIVE_INT)
        if self.n_eval_envs > self.eval_episodes:  # SB3's evaluate_policy only warns, and the extra envs idle
            raise ConfigError(
                f"--n-eval-envs {self.n_eval_envs} is more than --eval-episodes {self.eval_episodes}: "
                "each evaluation env plays at least one episode"
            )
        if self.verbose is not None:
            check_range("--verbose", self.verbose, VERBOSE_RANGE)
            self._set("verbose", int(self.verbose))
        if self.progress is not None:
            self._set("progress", bool(self.progress))
        check_range("num_threads", self.num_threads, POSITIVE_INT)
        if self.kind not in AGENT_KINDS:
            raise ConfigError(f"kind must be one of {', '.join(AGENT_KINDS)}, got {self.kind!r}")
        for name in (
            "n_timesteps",
            "n_envs",
            "seed",
            "eval_freq",
            "eval_episodes",
            "n_eval_envs",
            "save_freq",
        ):
            self._set(name, int(getattr(self, name)))
        self._set("save_replay_buffer", bool(self.save_replay_buffer))
        self._set("env_id", self.env_id or self.env.rsplit(":", 1)[-1])
        self._set("env_name", env_folder_name(self.env))

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)  # the record is frozen once made

    @property
    def sb3_verbose(self) -> int:
        """The ``verbose`` of SB3's objects (the model, ``EvalCallback``) and whether the SB3 logger writes
        to stdout: 0 unless ``verbose`` asks for SB3's output (1 or 2)."""
        return 0 if self.verbose is None else self.verbose

    @property
    def summary(self) -> bool:
        """Whether ``train.py`` prints its own lines (the run folder, the final model): not under
        ``verbose`` 0."""
        return self.verbose != 0

    HISTORY_KEYS: ClassVar[tuple[str, ...]] = (
        "run_dir",
        "tensorboard_dir",
        "versions",
        "created",
        "command",
        "resumed",
    )
    """The keys ``config.yml`` holds after the settings: where the run is, the versions and its history
    (:func:`agents.runs.experiment.run_record`); not settings, so not fields."""

    def to_record(self) -> dict[str, Any]:
        """The settings as ``config.yml`` holds them: one key per field, in order."""
        return {item.name: getattr(self, item.name) for item in dataclasses.fields(self)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any], source: str = "config.yml") -> RunConfig:
        """The settings of a ``config.yml`` mapping (the history's keys are ignored).

        Runs of earlier versions hold the same keys; a key missing from an older (or hand-written) file takes
        its default: ``env`` the recorded ``env_id``, ``kind`` the registry's kind of ``algo``, the others the
        field's default (``vec_env: dummy`` for a run written before ``--vec-env`` existed).

        :param source: the file, for the messages.
        :raises ConfigError: no ``algo`` or env, or a value out of its range.
        """
        values = {key: record[key] for key in _RECORD_KEYS if record.get(key) is not None}
        values.setdefault("env", record.get("env_id"))
        missing = [key for key in ("algo", "env") if values.get(key) in (None, "")]
        if missing:
            raise ConfigError(f"{source} lacks {', '.join(missing)}")
        for key in ("env_kwargs", "hyperparams", "args"):
            values[key] = record.get(key) or {}
        if "kind" not in values:
            values["kind"] = get_agent_spec(str(values["algo"])).kind
        try:
            return cls(**values)
        except ConfigError as error:
            raise ConfigError(f"{source}: {error}") from None

    @classmethod
    def read(cls, run_dir: str | os.PathLike[str]) -> RunConfig:
        """The settings of the run folder ``run_dir`` (its ``config.yml``)."""
        folder = RunFolder(run_dir)
        return cls.from_record(folder.read_record(), str(folder.config_file))


_RECORD_KEYS = tuple(item.name for item in dataclasses.fields(RunConfig) if item.init)


def load_conf_file(path: str, env_id: str) -> dict[str, Any]:
    """Hyperparameters of ``-conf FILE``: its ``env_id`` (or ``default``) entry, else the whole mapping.

    :param path: the YAML file.
    :param env_id: the registered env id, looked up first.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"--conf-file {path}: no such file")
    try:
        table = yaml.safe_load(file.read_text()) or {}
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as error:
        problem = " ".join(str(error).split()) or type(error).__name__
        raise ConfigError(f"--conf-file {path}: not valid YAML ({problem})") from error
    if not isinstance(table, dict):
        raise ConfigError(f"--conf-file {path}: expected a mapping, got {type(table).__name__}")
    for key in (env_id, "default"):
        if isinstance(table.get(key), dict):
            return dict(table[key])
    return table


def resolve_device(device: str) -> str:
    """The torch device of ``--device`` (``auto``: CUDA when available); refuses one this machine lacks
    (:func:`agents.common.checks.check_device`) instead of SB3's silent fall-back to the CPU."""
    return str(get_device(check_device(device, "--device")))


def check_rollout_batch(algo_class: type, hyperparams: Mapping[str, Any], n_envs: int) -> None:
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
        raise ConfigError(
            f"hyperparameter batch_size {values['batch_size']} is larger than the rollout, n_steps * n_envs "
            f"= {values['n_steps']} * {n_envs} = {values['n_steps'] * n_envs}: lower batch_size or raise "
            f"n_steps / --n-envs"
        )


def saved_config(run_dir: str) -> RunConfig:
    """The settings ``--resume RUN_DIR`` continues from: the run's ``config.yml``, which must hold at least
    :data:`REQUIRED_ON_RESUME`."""
    folder = RunFolder(run_dir)
    record = folder.read_record()
    if not record:
        raise ConfigError(f"--resume: {folder.config_file} is empty: it has none of the run's settings")
    missing = [key for key in REQUIRED_ON_RESUME if record.get(key) in (None, "")]
    if missing:
        raise ConfigError(
            f"--resume: {folder.config_file} is incomplete: it lacks {', '.join(missing)} (train.py writes "
            f"{', '.join(REQUIRED_ON_RESUME)} in every run's config.yml)"
        )
    return RunConfig.from_record(record, f"--resume: {folder.config_file}")


def _pick(args: argparse.Namespace, saved: RunConfig | None, name: str, default: Any = None) -> Any:
    """A flag's value: the command line's, else the resumed run's, else ``default``."""
    value = getattr(args, name, None)
    if value is not None:
        return value
    return default if saved is None else getattr(saved, name)


def _check_frozen(args: argparse.Namespace, saved: RunConfig) -> None:
    for name in FROZEN_ON_RESUME:
        given, recorded = getattr(args, name), getattr(saved, name)
        if given is not None and given != recorded:
            raise ConfigError(
                f"--{name.replace('_', '-')} cannot change on --resume (the run has {recorded!r})"
            )


def _hyperparams(args: argparse.Namespace, saved: RunConfig | None, algo: str, env_id: str) -> dict[str, Any]:
    """A resumed run's own; else the ``-conf`` file's (or the registry's file's), updated by
    ``--hyperparams``."""
    if saved is not None:
        return dict(saved.hyperparams)
    defaults = load_conf_file(args.conf_file, env_id) if args.conf_file else load_hyperparams(algo, env_id)
    return {**defaults, **(args.hyperparams or {})}


def _n_timesteps(args: argparse.Namespace, saved: RunConfig | None, hyperparams: Mapping[str, Any]) -> Any:
    candidates = (
        args.n_timesteps,
        None if saved is None else saved.n_timesteps,
        hyperparams.get("n_timesteps"),
    )
    n_timesteps = next((n for n in candidates if n is not None), DEFAULT_N_TIMESTEPS)
    if isinstance(n_timesteps, str):  # YAML reads 1e6 (no dot) as a string
        try:
            n_timesteps = float(n_timesteps)
        except ValueError:
            pass
    return n_timesteps


def resolve_config(args: argparse.Namespace) -> RunConfig:
    """Validate the arguments and merge them with the defaults (or, on ``--resume``, the run's config.yml).

    :param args: the parsed command line of :func:`agents.runs.cli.build_parser`.
    :returns: every setting of the run, as :func:`agents.runs.experiment.train` takes it.
    :raises ConfigError: naming the flag or field and its allowed values; nothing is written.
    """
    saved = saved_config(args.resume) if args.resume else None
    if saved is not None:
        _check_frozen(args, saved)
    algo, env = _pick(args, saved, "algo"), _pick(args, saved, "env")
    if algo is None or env is None:
        raise ConfigError("--algo and --env are required (unless --resume RUN_DIR)")
    spec = get_agent_spec(algo)
    algo_class = spec.load()
    env_kwargs = dict(_pick(args, saved, "env_kwargs", {}) or {})
    env_id = check_env(env, env_kwargs)
    hyperparams = _hyperparams(args, saved, algo, env_id)
    if spec.kind == "sb3":
        check_hyperparams(algo_class, hyperparams)
    n_envs = _pick(args, saved, "n_envs")
    if n_envs is None:  # not `or`: --n-envs 0 is an error, not the file's value
        n_envs = hyperparams.get("n_envs", 1)
    seed = _pick(args, saved, "seed")
    if seed is None:
        seed = int(np.random.default_rng().integers(2**31 - 1))
    check_range("--num-threads", getattr(args, "num_threads", -1), THREADS_RANGE)
    config = RunConfig(
        algo=algo,
        env=env,
        env_id=env_id,
        env_kwargs=env_kwargs,
        hyperparams={key: value for key, value in hyperparams.items() if key not in TRAINING_KEYS},
        kind=spec.kind,
        n_timesteps=_n_timesteps(args, saved, hyperparams),
        n_envs=n_envs,
        vec_env=_pick(args, saved, "vec_env", "dummy"),
        seed=seed,
        device=resolve_device(args.device),
        eval_freq=_pick(args, saved, "eval_freq", DEFAULT_EVAL_FREQ),
        eval_episodes=_pick(args, saved, "eval_episodes", DEFAULT_EVAL_EPISODES),
        n_eval_envs=_pick(args, saved, "n_eval_envs", 1),
        save_freq=_pick(args, saved, "save_freq"),
        save_replay_buffer=bool(
            getattr(args, "save_replay_buffer", False) or (saved and saved.save_replay_buffer)
        ),
        log_folder=_pick(args, saved, "log_folder", "logs"),
        tensorboard_log=_pick(args, saved, "tensorboard_log"),
        verbose=args.verbose,
        num_threads=args.num_threads if getattr(args, "num_threads", -1) > 0 else torch.get_num_threads(),
        progress=args.progress,
        conf_file=_pick(args, saved, "conf_file"),
        resume=args.resume,
        args=dict(vars(args)),  # the command line as parsed
    )
    if spec.kind == "sb3":
        check_rollout_batch(algo_class, hyperparams, config.n_envs)
    if config.vec_env == "native":
        check_native(env_id)
    check_writable_folder("--resume" if args.resume else "-f/--log-folder", args.resume or config.log_folder)
    if config.tensorboard_log:
        check_writable_folder("-tb/--tensorboard-log", config.tensorboard_log)
    return config


__all__ = [
    "DEFAULT_CHECKPOINTS",
    "DEFAULT_EVAL_EPISODES",
    "DEFAULT_EVAL_FREQ",
    "DEFAULT_N_TIMESTEPS",
    "EVAL_SEED_OFFSET",
    "FROZEN_ON_RESUME",
    "N_TIMESTEPS_RANGE",
    "REQUIRED_ON_RESUME",
    "SEED_RANGE",
    "THREADS_RANGE",
    "RunConfig",
    "check_rollout_batch",
    "load_conf_file",
    "resolve_config",
    "resolve_device",
    "saved_config",
]
