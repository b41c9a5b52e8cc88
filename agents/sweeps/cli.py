"""Seed and hyperparameter sweeps as Ray Tune trials (``sweep.py``, console script ``ioa-sweep``).

    python sweep.py --config sweeps/results.yml --out sweeps-out/results     # local Ray, all cores
    python sweep.py --config sweeps/results.yml --out DIR --address auto     # join a running Ray cluster
    python sweep.py --resume DIR                                             # continue an interrupted sweep
    python sweep.py --algo ppo sac --env IoA-DDA-v0 --seeds 0 1 2 -n 50000 --train eval_freq:5000   # flags

A sweep file (YAML) lists blocks of trials; each block is a grid, the product of its lists:

.. code-block:: yaml

    name: results                  # the Tune experiment's name (default: the file's stem)
    train: {eval_freq: 5000, eval_episodes: 30, device: cpu}   # train.py flags of every trial
    resources: {cpu: 1}            # per trial (default one CPU; each trial runs one torch thread)
    max_failures: 1                # retries of a failed trial before it is reported as errored
    samples: 1                     # draws of each grid point's distributions (see below)
    trials:
      - algo: [diffusion, ppo]
        env: IoA-DDA-v0
        seed: [0, 1, 2]
        n_timesteps: 100000
        hyperparams: {learning_rate: {grid: [1.0e-4, 3.0e-4]}}    # a grid over a hyperparameter
      - algo: ppo
        env: IoA-DDA-StrategyProof-v0
        seed: 0
        hyperparams: {learning_rate: {loguniform: [1.0e-5, 1.0e-3]}}  # sampled by Tune, `samples` times
        env_kwargs: {n_aa: {grid: [3, 5]}}

``algo``, ``env`` and ``seed`` take a value or a list (a grid); ``hyperparams`` and ``env_kwargs`` values are
taken as they are (a list is a list, e.g. ``net_arch``) unless written ``{grid: [...]}`` or as a Tune
distribution ``{choice: [...]}``, ``{uniform: [a, b]}``, ``{loguniform: [a, b]}``, ``{randint: [a, b]}``,
which Tune's search algorithm (its basic variant generator: grid and random search) samples for each trial.
A block's ``train`` overrides the sweep's.

Every trial is ``train.py``'s code path (:func:`agents.training.config.resolve_config` then
:func:`agents.training.run.train`) and writes the same run folder (config.yml, checkpoints, the final model,
``evaluations.npz``, TensorBoard events, ``progress.csv``) at ``<out>/runs/<algo>/<env>_<k>``: ``k`` numbers
the grid points of one algorithm and env in the file's order, so seed 0, 1, 2 of a block are ``_1 _2 _3``
(``-<trial id>`` is appended when the block samples distributions). Each evaluation is reported to Tune
(``eval_reward``, ``timesteps``). ``evaluate.py --sweep <out>`` and ``figures.py --runs <out>`` read the
folder directly.

Every trial's configuration is checked (as ``train.py`` checks its flags) before Ray starts: bad input exits
with 2 and names the field, with nothing written. A trial that fails is retried ``max_failures`` times, then
reported as errored; the other trials go on, and the exit code is 1. Ctrl-C stops the sweep: finished trials
are kept as they are, and ``--resume`` continues the others from their run folders' last checkpoints (a run
that finished but was not recorded by Tune is not retrained).
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agents.common.cli import EXIT_INTERRUPTED, StoreDict, set_torch_threads, usage_error
from agents.common.envs import env_folder_name
from agents.common.files import (
    atomic_save,
    atomic_write_text,
    check_output_dir,
    csv_text,
    natural_key,
    yaml_ready,
)

SWEEP_FILE = "sweep.yml"
"""The resolved sweep, written in the sweep folder (what ``--resume`` reads)."""
RUNS_DIR = "runs"
TUNE_DIR = "tune"
TRIALS_FILE = "trials.csv"
METRIC = "eval_reward"

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


class SweepConfigError(ValueError):
    """A sweep file or flag that cannot run; the message names the field."""


@dataclass(frozen=True)
class Trial:
    """One grid point of a sweep: a train.py run, with the distributions Tune samples for it."""

    algo: str
    env: str
    seed: int
    run_name: str  # <env>_<k>: the run folder under runs/<algo>/ (without the trial id of a sampled one)
    n_timesteps: int | None = None
    hyperparams: dict[str, Any] = field(default_factory=dict)
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    sampled: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  # "hyperparams"/"env_kwargs" -> {k: dist}
    train: dict[str, Any] = field(default_factory=dict)


# -- the sweep file --------------------------------------------------------------------------------------


def _as_list(where: str, value: Any, kind: type) -> list[Any]:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise SweepConfigError(f"{where}: an empty list")
    for item in values:
        if not isinstance(item, kind) or isinstance(item, bool):
            raise SweepConfigError(f"{where}: expected {kind.__name__} or a list of them, got {item!r}")
    return values


def _split(where: str, table: Any) -> tuple[dict[str, list[Any]], dict[str, Any], dict[str, dict[str, Any]]]:
    """A hyperparams / env_kwargs table as (grids, fixed values, distributions)."""
    if table is None:
        return {}, {}, {}
    if not isinstance(table, dict):
        raise SweepConfigError(f"{where}: expected a mapping, got {table!r}")
    grids, fixed, sampled = {}, {}, {}
    for key, value in table.items():
        if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("grid", *DISTRIBUTIONS):
            kind, arguments = next(iter(value.items()))
            if not isinstance(arguments, list) or not arguments:
                raise SweepConfigError(f"{where}.{key}.{kind}: expected a non-empty list, got {arguments!r}")
            if kind == "grid":
                grids[key] = arguments
                continue
            if kind != "choice":
                if len(arguments) != 2 or not all(isinstance(a, (int, float)) for a in arguments):
                    raise SweepConfigError(f"{where}.{key}.{kind}: expected [low, high], got {arguments!r}")
                low, high = arguments
                if not low < high or (kind == "loguniform" and low <= 0):
                    raise SweepConfigError(
                        f"{where}.{key}.{kind}: expected low < high{' and low > 0' * (kind == 'loguniform')},"
                        f" got {arguments!r}"
                    )
            sampled[key] = {kind: arguments}
        else:
            fixed[key] = value
    return grids, fixed, sampled


def _first_value(distribution: Mapping[str, Any]) -> Any:
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
            raise SweepConfigError(
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
            folder = (algo.replace(":", "-"), env_folder_name(env))
            counters[folder] = counters.get(folder, 0) + 1
            trials.append(
                Trial(
                    algo=algo,
                    env=env,
                    seed=seed,
                    run_name=f"{folder[1]}_{counters[folder]}",
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
    """The sweep as a dict with its defaults; SweepConfigError naming the field otherwise."""
    if not isinstance(spec, dict):
        raise SweepConfigError(
            f"{source}: expected a mapping with a 'trials' list, got {type(spec).__name__}"
        )
    unknown = set(spec) - TOP_KEYS
    if unknown:
        raise SweepConfigError(f"{source}: unknown key(s) {sorted(unknown)}; allowed: {sorted(TOP_KEYS)}")
    spec = copy.deepcopy(spec)
    spec.setdefault("name", "sweep")
    if not isinstance(spec["name"], str) or not spec["name"] or "/" in spec["name"]:
        raise SweepConfigError(f"name: a non-empty string without '/', got {spec['name']!r}")
    for key, low in (("max_failures", 0), ("samples", 1), ("max_concurrent", 0)):
        value = spec.setdefault(key, {"max_failures": 1, "samples": 1, "max_concurrent": 0}[key])
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise SweepConfigError(f"{key}: an integer >= {low}, got {value!r}")
    resources = spec.setdefault("resources", {"cpu": 1})
    if not isinstance(resources, dict) or set(resources) - {"cpu", "gpu"}:
        raise SweepConfigError(f"resources: a mapping with keys cpu and/or gpu, got {resources!r}")
    for key, value in resources.items():
        low_ok = value > 0 if key == "cpu" else value >= 0
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not low_ok:
            bound = "> 0" if key == "cpu" else ">= 0"
            raise SweepConfigError(f"resources.{key}: a number {bound}, got {value!r}")
    blocks = spec.get("trials")
    if not isinstance(blocks, list) or not blocks:
        raise SweepConfigError("trials: a non-empty list of blocks (each with algo and env)")
    for b, block in enumerate(blocks):
        _check_keys(f"trials[{b}]", block, BLOCK_KEYS, "a mapping")
        for key in ("algo", "env"):
            if key not in block:
                raise SweepConfigError(f"trials[{b}].{key}: required")
    for where, train in [("train", spec.get("train"))] + [
        (f"trials[{b}].train", block.get("train")) for b, block in enumerate(blocks)
    ]:
        if train is not None:
            _check_keys(where, train, TRAIN_FLAGS, "a mapping of train.py flags")
    return spec


def _check_keys(where: str, table: Any, allowed: set[str], what: str) -> None:
    if not isinstance(table, dict):
        raise SweepConfigError(f"{where}: expected {what}, got {table!r}")
    unknown = set(table) - allowed
    if unknown:
        raise SweepConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")


def load_spec(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a sweep file (its name defaults to the file's stem)."""
    file = Path(path)
    if not file.is_file():
        raise SweepConfigError(f"--config {file}: no such file")
    try:
        spec = yaml.safe_load(file.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise SweepConfigError(f"--config {file}: not valid YAML ({' '.join(str(error).split())})") from error
    if isinstance(spec, dict):
        spec.setdefault("name", file.stem)
    return check_spec(spec, f"--config {file}")


# -- one trial: train.py's code path ---------------------------------------------------------------------


def resolve(
    trial: Trial,
    runs: Path,
    hyperparams: Mapping[str, Any],
    env_kwargs: Mapping[str, Any],
    resume: Path | None = None,
) -> dict[str, Any]:
    """train.py's resolved configuration of a trial (its flags checked as train.py checks them)."""
    from agents.training.cli import build_parser
    from agents.training.config import resolve_config

    flags = {
        **trial.train,
        "num_threads": trial.train.get("num_threads", 1),
        "verbose": trial.train.get("verbose", 0),
    }
    argv = ["-f", str(runs)]
    if resume is not None:
        argv += ["--resume", str(resume)]
    else:
        argv += ["--algo", trial.algo, "--env", trial.env, "--seed", str(trial.seed)]
    if trial.n_timesteps is not None:
        argv += ["-n", str(trial.n_timesteps)]
    for key, value in flags.items():
        if key == "save_replay_buffer":
            argv += ["--save-replay-buffer"] if value else []
        else:
            argv += [f"--{key.replace('_', '-')}", str(value)]
    args = build_parser().parse_args(argv)
    if resume is None:
        args.hyperparams, args.env_kwargs = dict(hyperparams), dict(env_kwargs)
    return resolve_config(args)


def check_trials(trials: Sequence[Trial], runs: Path) -> None:
    """Resolve every trial as train.py would (distributions at one of their values); SweepConfigError naming
    the trial otherwise. Nothing is written."""
    from agents.registry import AgentConfigError

    for index, trial in enumerate(trials):
        hyperparams = {
            **trial.hyperparams,
            **{k: _first_value(d) for k, d in trial.sampled.get("hyperparams", {}).items()},
        }
        env_kwargs = {
            **trial.env_kwargs,
            **{k: _first_value(d) for k, d in trial.sampled.get("env_kwargs", {}).items()},
        }
        try:
            config = resolve(trial, runs, hyperparams, env_kwargs)
        except (AgentConfigError, SystemExit) as error:
            problem = str(error) if isinstance(error, AgentConfigError) else "bad train.py flags"
            raise SweepConfigError(
                f"trial {index} ({trial.algo} on {trial.env}, seed {trial.seed}): {problem}"
            ) from None
        if config["args"]["num_threads"] < 1:
            raise SweepConfigError(f"trial {index}: train.num_threads must be >= 1 in a sweep (default 1)")


def _finished(run_dir: Path, config: Mapping[str, Any]) -> bool:
    return (run_dir / f"{config['env_name']}.zip").is_file() or (
        run_dir / f"{config['env_name']}.json"
    ).is_file()


def _last_evaluation(run_dir: Path) -> tuple[int, float]:
    from agents.training.timeline import read_evaluations

    evaluations = read_evaluations(run_dir)
    if not evaluations or len(evaluations["timesteps"]) == 0:
        return 0, math.nan
    return int(evaluations["timesteps"][-1]), float(evaluations["results"][-1].mean())


def run_trial(params: dict[str, Any]) -> None:
    """The Tune trainable: one train.py run in the trial's run folder, reporting each evaluation.

    A run folder that already holds a finished run is reported, not retrained; one with a checkpoint is
    resumed from it (an interrupted sweep, or a retried trial); one without is set aside and started anew.
    """
    from ray import tune

    from agents.registry import AgentConfigError, checkpoint_timesteps
    from agents.training.run import train
    from agents.training.timeline import resumable_checkpoint

    trial = Trial(**params["trial"])
    runs = Path(params["runs"])
    # config.yml records the command that made the run: here the sweep, not Ray's worker process.
    sys.argv = ["sweep.py", f"(trial {params['index']} of {runs.parent / SWEEP_FILE})"]
    hyperparams = {**trial.hyperparams, **params.get("hyperparams", {})}
    env_kwargs = {**trial.env_kwargs, **params.get("env_kwargs", {})}
    run_name = trial.run_name
    if trial.sampled:
        run_name += "-" + tune.get_context().get_trial_id().replace("_", "-")
    run_dir = runs / trial.algo.replace(":", "-") / run_name

    def report(timesteps: int, mean_reward: float) -> None:
        tune.report({METRIC: mean_reward, "timesteps": timesteps, "done": False})

    config = resolve(trial, runs, hyperparams, env_kwargs)
    config["num_threads"] = config["args"]["num_threads"]
    # As train.py does: torch's threads as the flag says (a sweep has no "torch default" in check_trials).
    set_torch_threads(config["args"]["num_threads"], "num_threads")
    if run_dir.is_dir() and any(run_dir.iterdir()):
        if _finished(run_dir, config):
            timesteps, reward = _last_evaluation(run_dir)
            tune.report({METRIC: reward, "timesteps": timesteps, "done": True})
            return
        try:
            checkpoint: Path | None = resumable_checkpoint(run_dir)
        except AgentConfigError:  # no valid checkpoint: nothing worth keeping was trained
            checkpoint = None
        if checkpoint is not None and checkpoint_timesteps(checkpoint) >= config["n_timesteps"]:
            # Killed between its last checkpoint and the final save: that checkpoint is the final model.
            atomic_save(run_dir / f"{config['env_name']}.zip", lambda p: shutil.copyfile(checkpoint, p))
            timesteps, reward = _last_evaluation(run_dir)
            tune.report({METRIC: reward, "timesteps": timesteps, "done": True})
            return
        if checkpoint is not None:
            config = resolve(trial, runs, hyperparams, env_kwargs, resume=run_dir)
            config["num_threads"] = config["args"]["num_threads"]
            code = train(config, on_evaluation=report)
        else:  # start again, the leftovers set aside (not deleted) beside it
            shutil.move(str(run_dir), str(run_dir.with_name(f".{run_dir.name}.abandoned-{time.time_ns()}")))
            code = train(config, run_dir=run_dir, on_evaluation=report)
    else:
        code = train(config, run_dir=run_dir, on_evaluation=report)
    if code != 0:
        raise RuntimeError(
            f"train.py's run {run_dir} stopped with exit code {code}; its last checkpoint is kept"
        )
    _, reward = _last_evaluation(run_dir)
    tune.report({METRIC: reward, "timesteps": config["n_timesteps"], "done": True})


# -- reading a sweep folder ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunGroup:
    """Runs of one algorithm with the same settings (the seeds of one grid point)."""

    label: str
    paths: tuple[Path, ...]
    hyperparams: dict[str, Any]
    env_kwargs: dict[str, Any]

    def describe(self) -> str:
        settings = f"hyperparams {self.hyperparams}, env_kwargs {self.env_kwargs}"
        return f"{self.label}: {len(self.paths)} run(s), {settings}"


def sweep_runs(sweep_dir: str | os.PathLike[str], env_id: str) -> list[RunGroup]:
    """The finished run folders of a sweep trained on ``env_id``, grouped by algorithm and settings: one
    label per algorithm (``ppo``) when all its runs share hyperparameters, env kwargs, budget and n_envs,
    else one per setting (``ppo[1]``, ``ppo[2]``, ... in the sweep's order). Runs without a final model
    are left out, each named on stderr.

    :raises SweepConfigError: not a sweep folder, or no run of it on ``env_id``.
    """
    folder = Path(sweep_dir)
    if not (folder / SWEEP_FILE).is_file():
        raise SweepConfigError(f"--sweep {folder}: not a sweep folder (no {SWEEP_FILE}; sweep.py writes one)")
    groups: dict[tuple[str, ...], list[Path]] = {}
    unfinished = []
    for config_file in sorted((folder / RUNS_DIR).glob("*/*/config.yml"), key=natural_key):
        if config_file.parent.name.startswith("."):  # a run set aside by a restarted trial
            continue
        config = yaml.safe_load(config_file.read_text()) or {}
        if config.get("env_id") != env_id:
            continue
        if not _finished(config_file.parent, config):  # errored, interrupted or still training
            unfinished.append(config_file.parent)
            continue
        key = (
            str(config.get("algo")),
            json.dumps(config.get("hyperparams") or {}, sort_keys=True, default=str),
            json.dumps(config.get("env_kwargs") or {}, sort_keys=True, default=str),
            str(config.get("n_timesteps")),
            str(config.get("n_envs")),
        )
        groups.setdefault(key, []).append(config_file.parent)
    for run in unfinished:
        print(f"--sweep: {run} left out: it has no final model (unfinished or errored)", file=sys.stderr)
    if not groups:
        raise SweepConfigError(f"--sweep {folder}: no run on {env_id} under {folder / RUNS_DIR}")
    per_algo: dict[str, int] = {}
    for algo, *_ in groups:
        per_algo[algo] = per_algo.get(algo, 0) + 1
    found, seen = [], {}
    for (algo, hyperparams, env_kwargs, *_), paths in groups.items():
        seen[algo] = seen.get(algo, 0) + 1
        label = algo if per_algo[algo] == 1 else f"{algo}[{seen[algo]}]"
        found.append(RunGroup(label, tuple(paths), json.loads(hyperparams), json.loads(env_kwargs)))
    return found


# -- the sweep --------------------------------------------------------------------------------------------


def _distribution(spec: Mapping[str, Any]) -> Any:
    from ray import tune

    kind, arguments = next(iter(spec.items()))
    if kind == "choice":
        return tune.choice(arguments)
    if kind == "uniform":
        return tune.uniform(*arguments)
    if kind == "loguniform":
        return tune.loguniform(*arguments)
    return tune.randint(*arguments)


def param_space(trials: Sequence[Trial], runs: Path) -> dict[str, Any]:
    """One grid point per trial (Tune's grid search), each with the distributions its block samples."""
    from ray import tune

    points = []
    for index, trial in enumerate(trials):
        point: dict[str, Any] = {"index": index, "trial": asdict(trial), "runs": str(runs)}
        for group, table in trial.sampled.items():
            point[group] = {key: _distribution(value) for key, value in table.items()}
        points.append(point)
    return {"point": tune.grid_search(points)}


def trial_name(trial: Any) -> str:
    """``trial_<index>_<trial id>``: Tune's name and folder of a trial (its own spell the whole config)."""
    return f"trial_{trial.config['point']['index']}_{trial.trial_id}"


def trainable(params: dict[str, Any]) -> None:
    """Tune's entry point: the grid point of ``params`` as one trial."""
    run_trial(params["point"])


def start_ray(address: str | None, num_cpus: int | None) -> None:
    import ray

    if ray.is_initialized():
        return
    # Workers import the project like this process does (an editable install, or this folder on the path).
    root = str(Path(__file__).resolve().parent.parent)
    runtime_env = {
        "env_vars": {"PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    }
    if address:
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
    else:
        ray.init(
            num_cpus=num_cpus or os.cpu_count(),
            include_dashboard=False,
            runtime_env=runtime_env,
            log_to_driver=False,
        )


def trials_table(results: Any, trials: Sequence[Trial], runs: Path) -> str:
    """``trials.csv``: each trial's settings, status, last reported reward and run folder."""
    rows = []
    for result in results:
        point = (result.config or {}).get("point", {})
        index = point.get("index")
        trial = trials[index] if isinstance(index, int) and index < len(trials) else None
        metrics = result.metrics or {}
        rows.append(
            {
                "trial": index,
                "algo": trial.algo if trial else None,
                "env": trial.env if trial else None,
                "seed": trial.seed if trial else None,
                "hyperparams": {**(trial.hyperparams if trial else {}), **point.get("hyperparams", {})},
                "env_kwargs": {**(trial.env_kwargs if trial else {}), **point.get("env_kwargs", {})},
                "status": "error" if result.error else ("done" if metrics.get("done") else "stopped"),
                METRIC: metrics.get(METRIC),
                "timesteps": metrics.get("timesteps"),
                "trial_id": metrics.get("trial_id"),
            }
        )
    rows.sort(key=lambda row: (row["trial"] is None, row["trial"]))
    columns = [
        "trial",
        "algo",
        "env",
        "seed",
        "hyperparams",
        "env_kwargs",
        "status",
        METRIC,
        "timesteps",
        "trial_id",
    ]
    return csv_text(columns, rows)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sweep.py",
        description="Run a seed / hyperparameter sweep of train.py runs as Ray Tune trials.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", help="the sweep file (YAML; see agents/sweep.py or docs)")
    source.add_argument("--resume", metavar="SWEEP_DIR", help="continue an interrupted sweep in SWEEP_DIR")
    source.add_argument(
        "--algo", nargs="+", help="or a one-block sweep from flags: the algorithms (with --env, --seeds...)"
    )
    flags = parser.add_argument_group("a sweep from flags (one grid block, as in a sweep file)")
    flags.add_argument("--env", nargs="+", help="env ids")
    flags.add_argument("--seeds", type=int, nargs="+", help="training seeds (default 0)")
    flags.add_argument("-n", "--n-timesteps", type=int, help="env steps per trial")
    flags.add_argument(
        "--hyperparams",
        nargs="+",
        action=StoreDict,
        metavar="KEY:VALUE",
        help="hyperparameters; a value {'grid': [...]} or {'loguniform': [a, b]} (etc.) sweeps over it",
    )
    flags.add_argument(
        "--env-kwargs", nargs="+", action=StoreDict, metavar="KEY:VALUE", help="env kwargs, the same way"
    )
    flags.add_argument(
        "--train",
        nargs="+",
        action=StoreDict,
        metavar="KEY:VALUE",
        help="train.py flags, e.g. eval_freq:5000",
    )
    flags.add_argument("--name", help="the sweep's name (default: sweep)")
    flags.add_argument("--samples", type=int, help="draws of the distributions (default 1)")
    flags.add_argument("--max-failures", type=int, help="retries of a failed trial (default 1)")
    parser.add_argument(
        "--out", help="the sweep folder (default: sweeps-out/<name>); refused if it holds files"
    )
    parser.add_argument("--address", help="join this Ray cluster ('auto': the one this machine belongs to)")
    parser.add_argument("--num-cpus", type=int, help="CPUs of the local Ray (default: all of this machine's)")
    parser.add_argument(
        "--dry-run", action="store_true", help="check the sweep and list its trials; run nothing"
    )
    return parser


def spec_from_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The one-block sweep that ``--algo ... --env ...`` describe (checked as a sweep file is)."""
    if not args.env:
        raise SweepConfigError("--env is required with --algo (a sweep from flags)")
    block: dict[str, Any] = {"algo": args.algo, "env": args.env, "seed": args.seeds or [0]}
    if args.n_timesteps is not None:
        block["n_timesteps"] = args.n_timesteps
    for key in ("hyperparams", "env_kwargs"):
        if getattr(args, key):
            block[key] = getattr(args, key)
    spec = {
        "name": args.name or "sweep",
        "trials": [block],
        "samples": 1 if args.samples is None else args.samples,
        "max_failures": 1 if args.max_failures is None else args.max_failures,
    }
    if args.train:
        spec["train"] = args.train
    return check_spec(spec, "flags")


def prepare(args: argparse.Namespace) -> tuple[dict[str, Any], Path, list[Trial]]:
    """The sweep, its folder and its trials, all checked; SweepConfigError naming the flag or field."""
    if args.num_cpus is not None and args.num_cpus < 1:
        raise SweepConfigError(f"--num-cpus must be >= 1, got {args.num_cpus}")
    given = [
        flag
        for flag in ("env", "seeds", "n_timesteps", "hyperparams", "env_kwargs", "train")
        if getattr(args, flag)
    ]
    if given and not args.algo:
        raise SweepConfigError(
            f"--{given[0].replace('_', '-')} describes a sweep from flags: give --algo too, or put it in "
            "the sweep file"
        )
    if args.resume:
        out = Path(args.resume)
        if not (out / SWEEP_FILE).is_file():
            raise SweepConfigError(f"--resume {out}: not a sweep folder (no {SWEEP_FILE})")
        if args.out and Path(args.out) != out:
            raise SweepConfigError("--out cannot change on --resume")
        spec = check_spec(yaml.safe_load((out / SWEEP_FILE).read_text()), f"{out / SWEEP_FILE}")
    else:
        spec = load_spec(args.config) if args.config else spec_from_flags(args)
        out = Path(args.out or Path("sweeps-out") / spec["name"])
        check_output_dir(out, error=SweepConfigError)
    out = out.resolve()
    trials = expand(spec)
    check_trials(trials, out / RUNS_DIR)
    return spec, out, trials


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 every trial done, 1 some trial errored, 2 bad input (nothing written), 130 Ctrl-C
    (finished trials kept; ``--resume`` continues)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        spec, out, trials = prepare(args)
    except SweepConfigError as error:
        return usage_error(parser, error)
    if args.dry_run:
        for index, trial in enumerate(trials):
            print(
                index,
                trial.algo,
                trial.env,
                f"seed={trial.seed}",
                trial.run_name,
                trial.hyperparams,
                trial.env_kwargs,
                trial.sampled or "",
            )
        return 0
    try:
        import ray  # noqa: F401
        from ray import tune
    except ImportError:
        return usage_error(parser, SweepConfigError("sweep.py needs Ray Tune: pip install 'ioa-gym[sweep]'"))
    if not args.resume:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / SWEEP_FILE, yaml.safe_dump(yaml_ready(spec), sort_keys=False))
    os.environ.setdefault("RAY_CHDIR_TO_TRIAL_DIR", "0")  # every path here is absolute anyway
    start_ray(args.address, args.num_cpus)
    runs = out / RUNS_DIR
    resources = {key: value for key, value in spec["resources"].items() if value}
    entry = tune.with_resources(trainable, resources)
    experiment = out / TUNE_DIR / spec["name"]
    if args.resume and tune.Tuner.can_restore(str(experiment)):
        tuner = tune.Tuner.restore(str(experiment), entry, resume_unfinished=True, resume_errored=True)
    else:
        tuner = tune.Tuner(
            entry,
            param_space=param_space(trials, runs),
            tune_config=tune.TuneConfig(
                num_samples=spec["samples"],
                max_concurrent_trials=spec["max_concurrent"] or None,
                trial_name_creator=trial_name,
                trial_dirname_creator=trial_name,
            ),
            run_config=tune.RunConfig(
                name=spec["name"],
                storage_path=str(out / TUNE_DIR),
                failure_config=tune.FailureConfig(max_failures=spec["max_failures"]),
                verbose=1,
            ),
        )
    start = time.perf_counter()
    try:
        results = tuner.fit()
    except KeyboardInterrupt:
        print(f"sweep.py: interrupted; continue with: sweep.py --resume {out}", file=sys.stderr)
        return EXIT_INTERRUPTED
    atomic_write_text(out / TRIALS_FILE, trials_table(results, trials, runs))
    errors = [result for result in results if result.error]
    print(
        f"sweep.py: {len(results)} trials in {time.perf_counter() - start:.0f} s, {len(errors)} errored; "
        f"runs in {runs}, table in {out / TRIALS_FILE}"
    )
    for result in errors:
        print(f"  errored: {result.path}: {' '.join(str(result.error).split())[:300]}", file=sys.stderr)
    if _interrupted(results):  # Tune returns after Ctrl-C with trials neither done nor errored
        print(
            f"sweep.py: stopped before every trial finished; continue with: sweep.py --resume {out}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return 1 if errors else 0


def _interrupted(results: Any) -> bool:
    """Some trial neither finished nor errored (Tune returns after Ctrl-C with such trials)."""
    return any(not (result.metrics or {}).get("done") for result in results if not result.error)


if __name__ == "__main__":
    sys.exit(main())
