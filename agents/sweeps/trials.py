"""One trial of a sweep: ``train.py``'s code path (:func:`agents.runs.resolve_config` then
:func:`agents.runs.train`) in the trial's run folder ``<out>/runs/<algo>/<env>_<k>``, each evaluation
reported to Ray Tune; and the Tune search space of a sweep's trials."""

from __future__ import annotations

import math
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from agents.common.cli import set_torch_threads
from agents.common.errors import ConfigError
from agents.common.files import atomic_save
from agents.runs.cli import build_parser
from agents.runs.config import RunConfig, resolve_config
from agents.runs.experiment import train
from agents.runs.folder import RunFolder, algo_folder, checkpoint_timesteps
from agents.runs.groups import SWEEP_FILE
from agents.runs.timeline import read_evaluations, resumable_checkpoint
from agents.sweeps.spec import Trial, first_value

METRIC = "eval_reward"
"""What each trial reports to Tune after each evaluation (with ``timesteps``, ``done`` and ``node_id``, the
Ray node the trial runs on)."""


def resolve(
    trial: Trial,
    runs: Path,
    hyperparams: Mapping[str, Any],
    env_kwargs: Mapping[str, Any],
    resume: Path | None = None,
) -> RunConfig:
    """train.py's resolved configuration of a trial (its flags checked as train.py checks them)."""
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
    """Resolve every trial as train.py would (distributions at one of their values); ConfigError naming
    the trial otherwise. Nothing is written."""
    for index, trial in enumerate(trials):
        hyperparams = {
            **trial.hyperparams,
            **{k: first_value(d) for k, d in trial.sampled.get("hyperparams", {}).items()},
        }
        env_kwargs = {
            **trial.env_kwargs,
            **{k: first_value(d) for k, d in trial.sampled.get("env_kwargs", {}).items()},
        }
        try:
            config = resolve(trial, runs, hyperparams, env_kwargs)
        except (ConfigError, SystemExit) as error:
            problem = str(error) if isinstance(error, ConfigError) else "bad train.py flags"
            raise ConfigError(
                f"trial {index} ({trial.algo} on {trial.env}, seed {trial.seed}): {problem}"
            ) from None
        if config.args["num_threads"] < 1:
            raise ConfigError(f"trial {index}: train.num_threads must be >= 1 in a sweep (default 1)")


def last_evaluation(run_dir: Path) -> tuple[int, float]:
    """The timestep count and mean return of the run's last evaluation ((0, nan) before the first)."""
    evaluations = read_evaluations(run_dir)
    if not evaluations or len(evaluations["timesteps"]) == 0:
        return 0, math.nan
    return int(evaluations["timesteps"][-1]), float(evaluations["results"][-1].mean())


def report(reward: float, timesteps: int, done: bool) -> None:
    """Report to Tune: the reward, the timestep count, whether the trial is done and the node it runs on."""
    import ray
    from ray import tune

    node_id = ray.get_runtime_context().get_node_id()
    tune.report({METRIC: reward, "timesteps": timesteps, "done": done, "node_id": node_id})


def _report_done(timesteps: int, reward: float) -> None:
    report(reward, timesteps, done=True)


def _continue(
    run: RunFolder, trial: Trial, config: RunConfig, resolved: dict[str, Any], on_evaluation: Any
) -> int | None:
    """A run folder with files: finished (reported; None), resumed from its checkpoint, or set aside and
    started anew; returns the training's exit code."""
    if run.has_final_model(config.env_name):
        _report_done(*last_evaluation(run.path))
        return None
    try:
        checkpoint: Path | None = resumable_checkpoint(run.path)
    except ConfigError:  # no valid checkpoint: nothing worth keeping was trained
        checkpoint = None
    if checkpoint is not None and checkpoint_timesteps(checkpoint) >= config.n_timesteps:
        # Killed between its last checkpoint and the final save: that checkpoint is the final model.
        atomic_save(run.final_model(config.env_name), lambda p: shutil.copyfile(checkpoint, p))
        _report_done(*last_evaluation(run.path))
        return None
    if checkpoint is not None:
        return train(resolve(trial, resume=run.path, **resolved), on_evaluation=on_evaluation)
    # Start again, the leftovers set aside (not deleted) beside it.
    shutil.move(str(run.path), str(run.path.with_name(f".{run.path.name}.abandoned-{time.time_ns()}")))
    return train(config, run_dir=run.path, on_evaluation=on_evaluation)


def run_trial(params: dict[str, Any]) -> None:
    """The Tune trainable: one train.py run in the trial's run folder, reporting each evaluation.

    A run folder that already holds a finished run is reported, not retrained; one with a checkpoint is
    resumed from it (an interrupted sweep, or a retried trial); one without is set aside and started anew.
    """
    from ray import tune

    trial = Trial(**params["trial"])
    runs = Path(params["runs"])
    # config.yml records the command that made the run: here the sweep, not Ray's worker process.
    sys.argv = ["sweep.py", f"(trial {params['index']} of {runs.parent / SWEEP_FILE})"]
    resolved = {
        "runs": runs,
        "hyperparams": {**trial.hyperparams, **params.get("hyperparams", {})},
        "env_kwargs": {**trial.env_kwargs, **params.get("env_kwargs", {})},
    }
    run_name = trial.run_name
    if trial.sampled:
        run_name += "-" + tune.get_context().get_trial_id().replace("_", "-")
    run = RunFolder(algo_folder(runs, trial.algo) / run_name)

    def on_evaluation(timesteps: int, mean_reward: float) -> None:
        report(mean_reward, timesteps, done=False)

    config = resolve(trial, **resolved)
    # As train.py does: torch's threads as the flag says (a sweep has no "torch default" in check_trials).
    set_torch_threads(config.args["num_threads"], "num_threads")
    if run.path.is_dir() and any(run.path.iterdir()):
        code = _continue(run, trial, config, resolved, on_evaluation)
        if code is None:
            return
    else:
        code = train(config, run_dir=run.path, on_evaluation=on_evaluation)
    if code != 0:
        raise RuntimeError(
            f"train.py's run {run.path} stopped with exit code {code}; its last checkpoint is kept"
        )
    _, reward = last_evaluation(run.path)
    report(reward, config.n_timesteps, done=True)


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


__all__ = [
    "METRIC",
    "check_trials",
    "last_evaluation",
    "param_space",
    "report",
    "resolve",
    "run_trial",
    "trainable",
    "trial_name",
]
