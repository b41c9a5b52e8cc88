"""The sweep file (``sweep.py --config``): its blocks checked field by field and expanded into
:class:`Trial` grid points, each with its run folder name (the file's format: :mod:`agents.sweeps.cli`).

Every error is a :class:`~agents.common.errors.ConfigError` naming the field (``trials[0].seed``,
``hyperparams.learning_rate.loguniform``...).
"""

from __future__ import annotations

import copy
import itertools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agents.common.envs import env_folder_name
from agents.common.errors import ConfigError
from agents.runs.folder import algo_folder, run_folder_name

TOP_KEYS = {"name", "train", "resources", "max_failures", "samples", "max_concurrent", "trials"}
BLOCK_KEYS = {"algo", "env", "seed", "n_timesteps", "hyperparams", "env_kwargs", "train"}
TRAIN_FLAGS = {
    "eval_freq",
    "eval_episodes",
    "n_eval_envs",
    "n_envs",
    "vec_env",
    "save_freq",
    "save_replay_buffer",
    "device",
    "num_threads",
    "conf_file",
    "verbose",
}
DISTRIBUTIONS = ("choice", "uniform", "loguniform", "randint")


@dataclass(frozen=True)
class Trial:
    """One grid point of a sweep: a train.py run, with the distributions Tune samples for it.

    :param run_name: ``<env>_<k>``, the run folder under ``runs/<algo>/`` (without the trial id that a
        sampled trial appends).
    :param sampled: ``"hyperparams"`` / ``"env_kwargs"`` -> {key: distribution}.
    :param train: ``train.py`` flags (:data:`TRAIN_FLAGS`).
    """

    algo: str
    env: str
    seed: int
    run_name: str
    n_timesteps: int | None = None
    hyperparams: dict[str, Any] = field(default_factory=dict)
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    sampled: dict[str, dict[str, Any]] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)


def _as_list(where: str, value: Any, kind: type) -> list[Any]:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise ConfigError(f"{where}: an empty list")
    for item in values:
        if not isinstance(item, kind) or isinstance(item, bool):
            raise ConfigError(f"{where}: expected {kind.__name__} or a list of them, got {item!r}")
    return values


def _split(where: str, table: Any) -> tuple[dict[str, list[Any]], dict[str, Any], dict[str, dict[str, Any]]]:
    """A hyperparams / env_kwargs table as (grids, fixed values, distributions)."""
    if table is None:
        return {}, {}, {}
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a mapping, got {table!r}")
    grids, fixed, sampled = {}, {}, {}
    for key, value in table.items():
        if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("grid", *DISTRIBUTIONS):
            kind, arguments = next(iter(value.items()))
            if not isinstance(arguments, list) or not arguments:
                raise ConfigError(f"{where}.{key}.{kind}: expected a non-empty list, got {arguments!r}")
            if kind == "grid":
                grids[key] = arguments
                continue
            if kind != "choice":
                if len(arguments) != 2 or not all(isinstance(a, (int, float)) for a in arguments):
                    raise ConfigError(f"{where}.{key}.{kind}: expected [low, high], got {arguments!r}")
                low, high = arguments
                if not low < high or (kind == "loguniform" and low <= 0):
                    raise ConfigError(
                        f"{where}.{key}.{kind}: expected low < high{' and low > 0' * (kind == 'loguniform')},"
                        f" got {arguments!r}"
                    )
            sampled[key] = {kind: arguments}
        else:
            fixed[key] = value
    return grids, fixed, sampled


def first_value(distribution: Mapping[str, Any]) -> Any:
    """A value a distribution can take (to check a trial's configuration before sampling)."""
    return next(iter(distribution.values()))[0]


def expand(spec: Mapping[str, Any]) -> list[Trial]:
    """Every grid point of a (validated) sweep, in the file's order, with its run folder name."""
    trials, counters = [], {}
    base_train = dict(spec.get("train") or {})
    for b, block in enumerate(spec["trials"]):
        where = f"trials[{b}]"
        algos = _as_list(f"{where}.algo", block.get("algo"), str)
        envs = _as_list(f"{where}.env", block.get("env"), str)
        seeds = _as_list(f"{where}.seed", block.get("seed", 0), int)
        hp_grids, hp_fixed, hp_sampled = _split(f"{where}.hyperparams", block.get("hyperparams"))
        kw_grids, kw_fixed, kw_sampled = _split(f"{where}.env_kwargs", block.get("env_kwargs"))
        if spec.get("samples", 1) > 1 and not (hp_sampled or kw_sampled):
            raise ConfigError(
                f"samples: {spec['samples']} draws of a block without distributions ({where}) would repeat "
                "the same runs; give that block's hyperparameters a distribution or set samples: 1"
            )
        train = {**base_train, **(block.get("train") or {})}
        grid_keys = [("hp", k) for k in hp_grids] + [("kw", k) for k in kw_grids]
        grid_values = [hp_grids[k] for k in hp_grids] + [kw_grids[k] for k in kw_grids]
        for algo, env, combo, seed in itertools.product(algos, envs, itertools.product(*grid_values), seeds):
            hyperparams, env_kwargs = dict(hp_fixed), dict(kw_fixed)
            for (kind, key), value in zip(grid_keys, combo, strict=True):
                (hyperparams if kind == "hp" else env_kwargs)[key] = value
            folder = (algo_folder("", algo).name, env_folder_name(env))
            counters[folder] = counters.get(folder, 0) + 1
            trials.append(
                Trial(
                    algo=algo,
                    env=env,
                    seed=seed,
                    run_name=run_folder_name(folder[1], counters[folder]),
                    n_timesteps=block.get("n_timesteps"),
                    hyperparams=hyperparams,
                    env_kwargs=env_kwargs,
                    sampled={
                        key: value
                        for key, value in (("hyperparams", hp_sampled), ("env_kwargs", kw_sampled))
                        if value
                    },
                    train=train,
                )
            )
    return trials


def check_spec(spec: Any, source: str) -> dict[str, Any]:
    """The sweep as a dict with its defaults; ConfigError naming the field otherwise."""
    if not isinstance(spec, dict):
        raise ConfigError(f"{source}: expected a mapping with a 'trials' list, got {type(spec).__name__}")
    unknown = set(spec) - TOP_KEYS
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {sorted(unknown)}; allowed: {sorted(TOP_KEYS)}")
    spec = copy.deepcopy(spec)
    spec.setdefault("name", "sweep")
    if not isinstance(spec["name"], str) or not spec["name"] or "/" in spec["name"]:
        raise ConfigError(f"name: a non-empty string without '/', got {spec['name']!r}")
    for key, low in (("max_failures", 0), ("samples", 1), ("max_concurrent", 0)):
        value = spec.setdefault(key, {"max_failures": 1, "samples": 1, "max_concurrent": 0}[key])
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ConfigError(f"{key}: an integer >= {low}, got {value!r}")
    resources = spec.setdefault("resources", {"cpu": 1})
    if not isinstance(resources, dict) or set(resources) - {"cpu", "gpu"}:
        raise ConfigError(f"resources: a mapping with keys cpu and/or gpu, got {resources!r}")
    for key, value in resources.items():
        low_ok = value > 0 if key == "cpu" else value >= 0
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not low_ok:
            bound = "> 0" if key == "cpu" else ">= 0"
            raise ConfigError(f"resources.{key}: a number {bound}, got {value!r}")
    blocks = spec.get("trials")
    if not isinstance(blocks, list) or not blocks:
        raise ConfigError("trials: a non-empty list of blocks (each with algo and env)")
    for b, block in enumerate(blocks):
        _check_keys(f"trials[{b}]", block, BLOCK_KEYS, "a mapping")
        for key in ("algo", "env"):
            if key not in block:
                raise ConfigError(f"trials[{b}].{key}: required")
    for where, train in [("train", spec.get("train"))] + [
        (f"trials[{b}].train", block.get("train")) for b, block in enumerate(blocks)
    ]:
        if train is not None:
            _check_keys(where, train, TRAIN_FLAGS, "a mapping of train.py flags")
    return spec


def _check_keys(where: str, table: Any, allowed: set[str], what: str) -> None:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected {what}, got {table!r}")
    unknown = set(table) - allowed
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")


def load_spec(path: str | os.PathLike[str], source: str | None = None) -> dict[str, Any]:
    """Read and check a sweep file (its name defaults to the file's stem).

    :param source: how messages name the file (default ``--config <path>``; ``sweep.py --resume`` names the
        sweep folder's ``sweep.yml``).
    :raises ConfigError: no such file, not YAML (a corrupt ``sweep.yml``), or a bad field, naming it.
    """
    file = Path(path)
    source = source or f"--config {file}"
    if not file.is_file():
        raise ConfigError(f"{source}: no such file")
    try:
        spec = yaml.safe_load(file.read_text())
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as error:
        raise ConfigError(f"{source}: not valid YAML ({' '.join(str(error).split())})") from error
    if isinstance(spec, dict):
        spec.setdefault("name", file.stem)
    return check_spec(spec, source)


__all__ = [
    "BLOCK_KEYS",
    "DISTRIBUTIONS",
    "TOP_KEYS",
    "TRAIN_FLAGS",
    "Trial",
    "check_spec",
    "expand",
    "first_value",
    "load_spec",
]
