"""Saved agents back in memory: a run folder (its final, best or latest checkpointed model), a model file
(SB3 zip or a baseline's JSON), or a non-learning agent by name."""

from __future__ import annotations

import contextlib
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any, Literal

import gymnasium as gym
from stable_baselines3.common.vec_env import VecEnv

from agents.common.errors import ConfigError
from agents.registry import get_agent_spec, import_env_packages, list_agents, make_agent
from agents.runs.config import RunConfig
from agents.runs.folder import BEST_MODEL, CONFIG_FILE, RunFolder, existing_model_file
from agents.zoo import is_zoo_spec, resolve_one

ModelChoice = Literal["final", "best", "checkpoint"]
"""Which model of a run folder: the final one (else the latest checkpoint of an interrupted run), the best
evaluated one, or the latest checkpoint."""


def _algo_from_nearby_config(model_file: Path) -> str | None:
    """The algorithm recorded in the run folder holding ``model_file`` (itself or a checkpoint)."""
    for folder in (model_file.parent, model_file.parent.parent):
        if (folder / CONFIG_FILE).is_file():
            return RunFolder(folder).read_record().get("algo")
    return None


def _algo_from_zip(model_file: Path) -> str | None:
    """Guess the algorithm of an SB3 zip from its policy class's package (unique match only)."""
    try:
        with zipfile.ZipFile(model_file) as archive:
            data = json.loads(archive.read("data"))
        policy_module = data["policy_class"]["__module__"]
    except (KeyError, ValueError, zipfile.BadZipFile):
        return None
    matches = []
    for name in list_agents():
        spec = get_agent_spec(name)
        if spec.kind != "sb3" or not spec.is_available():
            continue
        package = spec.load().__module__.rsplit(".", 1)[0]
        if policy_module.startswith(package + "."):
            matches.append(spec.name)
    return matches[0] if len(matches) == 1 else None


def _load_model_file(model_file: Path, env: Any, algo: str | None, device: str) -> Any:
    if model_file.read_bytes()[:1] == b"{":
        from agents.baselines import BaselineAgent

        return BaselineAgent.load(model_file, env=env)
    algo = algo or _algo_from_nearby_config(model_file) or _algo_from_zip(model_file)
    if algo is None:
        raise ConfigError(
            f"cannot tell which algorithm saved {model_file}; pass algo= (one of {', '.join(list_agents())})"
        )
    spec = get_agent_spec(algo)
    if spec.kind != "sb3":
        raise ConfigError(f"{model_file} is an SB3 zip but algo={algo!r} is not a learning agent")
    # SB3 prints how it wraps the env when the model was saved with verbose=1: not news to whoever loads it.
    with contextlib.redirect_stdout(io.StringIO()):
        return spec.load().load(model_file, env=env, device=device)


def _load_run_folder(run_dir: Path, env: Any, device: str, model: ModelChoice) -> Any:
    config = RunConfig.read(run_dir)
    if config.kind == "policy":
        # Hand-written policies have no saved state: rebuild them for the run's env.
        if env is None:
            import_env_packages()
            env = gym.make(config.env, **config.env_kwargs)
        return make_agent(config.algo, env, **config.hyperparams)
    folder = RunFolder(run_dir)
    checkpoint = folder.latest_checkpoint()
    final = existing_model_file(folder.path / config.env_name)
    candidates = {
        "final": final or (checkpoint[0] if checkpoint else None),
        "best": existing_model_file(folder.path / BEST_MODEL),
        "checkpoint": checkpoint[0] if checkpoint else None,
    }
    if model not in candidates:
        raise ConfigError(f"model={model!r}; valid: {', '.join(candidates)}")
    if candidates[model] is None:
        available = [name for name, path in candidates.items() if path is not None]
        raise ConfigError(
            f"run folder {run_dir} has no {model} model; it has: {', '.join(available) or 'none'}"
        )
    return _load_model_file(candidates[model], env, config.algo, device)


def load_agent(
    name_or_path: str | os.PathLike[str],
    env: gym.Env | VecEnv | None = None,
    algo: str | None = None,
    device: str = "auto",
    model: ModelChoice = "final",
) -> Any:
    """Load a saved agent.

    :param name_or_path: a run folder written by ``train.py``, a saved model file (SB3 ``.zip`` or a
        baseline's ``.json``; the suffix may be omitted), a pretrained agent of the zoo
        (``"zoo:<algo>/<env id>/<seed>"``, its files checked against the zoo's manifest, :mod:`agents.zoo`),
        or the name of a non-learning agent (``"greedy"``, ``"adaptive"``...), which is then built for
        ``env``.
    :param env: the env to attach (needed to continue training, or to build a named non-learning agent).
    :param algo: registry name of the algorithm that saved a zip; read from the run folder's config.yml
        when omitted, else guessed from the zip's policy class when that is unambiguous.
    :param device: torch device for SB3 models ("auto": CUDA when available, else CPU).
    :param model: for a run folder, which model: ``"final"`` (falls back to the latest checkpoint of an
        interrupted run), ``"best"`` (EvalCallback's best) or ``"checkpoint"`` (the latest checkpoint).
    :raises ConfigError: naming what is missing or which choices there are.
    """
    if is_zoo_spec(name_or_path):
        return _load_run_folder(resolve_one(str(name_or_path)).path, env, device, model)
    path = Path(name_or_path)
    if path.is_dir():
        return _load_run_folder(path, env, device, model)
    model_file = existing_model_file(path)
    if model_file is not None:
        return _load_model_file(model_file, env, algo, device)
    name = str(name_or_path)
    non_learning = [spec.name for spec in map(get_agent_spec, list_agents()) if spec.kind != "sb3"]
    if name in non_learning:
        if env is None:
            raise ConfigError(f"building agent {name!r} needs env=")
        return make_agent(name, env)
    raise ConfigError(
        f"{name!r} is neither a run folder nor a saved model file, nor a non-learning agent name "
        f"({', '.join(sorted(non_learning))})"
    )


__all__ = ["ModelChoice", "load_agent"]
