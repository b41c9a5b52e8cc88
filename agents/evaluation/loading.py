"""Agents built and loaded for an evaluation, each with its own env instance, before any episode runs."""

from __future__ import annotations

import inspect
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
from stable_baselines3.common.base_class import BaseAlgorithm

from agents.baselines import BaselineAgent
from agents.common.errors import ConfigError
from agents.evaluation.specs import AgentRequest, parse_agent_spec
from agents.registry import get_agent_spec, list_agents, make_agent
from agents.runs.config import RunConfig
from agents.runs.loading import load_agent

UNTRAINED_SEED = 0
"""Seed of the weights of an SB3 algorithm built by name (and of a named baseline's generator)."""
KIND_NOTES = {
    "trained": "trained",
    "untrained": "UNTRAINED (SB3 by name)",
    "baseline": "baseline",
    "policy": "reference policy",
}


@dataclass
class AgentRun:
    """One trained model (or one built agent) of a label, with the env its episodes run on.

    :param name: run folder, model file, or the spec of an agent built by name.
    :param agent: anything with SB3's ``predict``.
    :param env: its own instance of the evaluation env.
    :param algo: registry name (from the run's config.yml, else the agent's class).
    :param num_timesteps: training steps of a saved SB3 model (None otherwise).
    """

    name: str
    agent: Any
    env: gym.Env
    algo: str
    num_timesteps: int | None = None


@dataclass
class LoadedAgent:
    """A label with its runs, built and checked before any episode.

    :param kind: ``"trained"`` (saved SB3 model), ``"untrained"`` (SB3 algorithm by name), ``"baseline"``
        or ``"policy"`` (reference policy).
    :param algo: registry name (or the agent's class name for saved baselines).
    :param warnings: mismatches worth a look (e.g. a run trained on another env).
    """

    label: str
    kind: str
    algo: str
    runs: list[AgentRun]
    warnings: list[str] = field(default_factory=list)

    @property
    def description(self) -> str:
        """One line for tables: what was evaluated."""
        note = KIND_NOTES.get(self.kind, self.kind)
        if self.kind == "trained":
            steps = sorted({run.num_timesteps for run in self.runs if run.num_timesteps is not None})
            trained = f", {'/'.join(map(str, steps))} steps" if steps else ""
            return f"{note} {self.algo}{trained}"
        return f"{note} {self.algo}"


def _kind_of(agent: Any) -> str:
    if isinstance(agent, BaseAlgorithm):
        return "trained"
    return "baseline" if isinstance(agent, BaselineAgent) else "policy"


def _registry_name(agent: Any) -> str:
    """Registry name of a loaded agent's class (its class name if it is not registered)."""
    for name in list_agents():
        spec = get_agent_spec(name)
        if spec.is_available() and spec.load() is type(agent):
            return name
    return type(agent).__name__


def _load_saved(
    request: AgentRequest,
    path: Path,
    env_id: str,
    env_kwargs: Mapping[str, Any],
    device: str,
    model: str,
    warnings: list[str],
) -> AgentRun:
    algo = None
    if path.is_dir():
        try:
            config = RunConfig.read(path)
        except ConfigError as error:
            raise ConfigError(f"--agents {request.label!r}: {error}") from None
        algo = config.algo
        trained_on = config.env_id
        if trained_on.rsplit(":", 1)[-1] != env_id:
            warnings.append(f"{path} was trained on {trained_on}, evaluated on {env_id}")
        trained_kwargs = config.env_kwargs
        if trained_kwargs != dict(env_kwargs):
            warnings.append(
                f"{path} was trained with env kwargs {trained_kwargs}, evaluated with {dict(env_kwargs)}"
            )
    model_file = next((f for f in (path, path.with_name(path.name + ".zip")) if f.is_file()), None)
    if model_file is not None and model_file.suffix != ".json" and not zipfile.is_zipfile(model_file):
        # agents.runs.load_agent would only say that it cannot tell the algorithm of such a file.
        raise ConfigError(
            f"--agents {request.label!r}: cannot load {path}: not a valid zip file (corrupt or truncated?)"
        )
    bind_env = gym.make(env_id, **env_kwargs)
    try:
        agent = load_agent(path, env=bind_env, device=device, model=model)  # type: ignore[arg-type]
    except ConfigError as error:
        raise ConfigError(f"--agents {request.label!r}: cannot load {path}: {error}") from None
    except Exception as error:  # noqa: BLE001 -- a corrupt zip fails in many ways (zipfile, pickle, torch)
        raise ConfigError(
            f"--agents {request.label!r}: cannot load {path}: {type(error).__name__}: {error}"
        ) from None
    if not hasattr(agent, "predict"):
        raise ConfigError(f"--agents {request.label!r}: {path} did not load an agent with predict()")
    steps = getattr(agent, "num_timesteps", None)
    return AgentRun(
        name=str(path),
        agent=agent,
        env=gym.make(env_id, **env_kwargs),
        algo=str(algo) if algo else _registry_name(agent),
        num_timesteps=int(steps) if steps is not None and _kind_of(agent) == "trained" else None,
    )


BUILT_BY_HARNESS = ("self", "env", "env_or_space", "seed", "observation_space")
"""Constructor parameters the harness fills in itself (not given in an ``--agents`` spec)."""
_KINDS = {"float": "a number", "int": "an integer", "bool": "True or False"}


def _expected_kind(parameter: inspect.Parameter) -> tuple[str, bool] | None:
    """What a constructor parameter takes, from its annotation (``float``, ``int | None``, ``bool``) or else
    its default's type: ``(kind, None allowed)``; None when it takes anything else."""
    annotation = parameter.annotation
    if annotation is inspect.Parameter.empty:
        default = parameter.default
        kind = type(default).__name__ if type(default) in (bool, int, float) else None
        return (_KINDS[kind], False) if kind else None
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    parts = {part.strip() for part in text.replace("Optional[", "").rstrip("]").split("|")}
    optional = "None" in parts or parameter.default is None
    parts.discard("None")
    if len(parts) == 1 and (kind := next(iter(parts))) in _KINDS:
        return _KINDS[kind], optional
    return None


def _has_kind(value: Any, kind: str) -> bool:
    if kind == "True or False":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "an integer":
        return isinstance(value, int)
    return isinstance(value, int | float)


def check_kwarg_types(request: AgentRequest, agent_class: type) -> None:
    """Refuse an ``--agents NAME:key=value`` argument of the wrong type (``step='a'``, ``step=[1]``,
    ``close_early=1``) before the constructor sees it, naming the key and what it takes; unknown keys are
    named with the valid ones."""
    signature = inspect.signature(agent_class.__init__).parameters.values()
    open_ended = any(parameter.kind == parameter.VAR_KEYWORD for parameter in signature)
    parameters = {
        parameter.name: parameter
        for parameter in signature
        if parameter.name not in BUILT_BY_HARNESS
        and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
    }
    for key, value in request.kwargs.items():
        if key not in parameters and open_ended:
            continue
        if key not in parameters:
            raise ConfigError(
                f"--agents {request.text!r}: {request.name} takes no argument {key!r}; valid arguments: "
                f"{', '.join(parameters) or 'none'}"
            )
        expected = _expected_kind(parameters[key])
        if expected is None:
            continue
        kind, optional = expected
        if not (_has_kind(value, kind) or (optional and value is None)):
            raise ConfigError(
                f"--agents {request.text!r}: {key} must be {kind}{' or None' if optional else ''}, "
                f"got {value!r}"
            )


def _build_named(request: AgentRequest, env_id: str, env_kwargs: Mapping[str, Any], device: str) -> AgentRun:
    assert request.name is not None
    spec = get_agent_spec(request.name)
    if spec.kind != "sb3":  # SB3 hyperparameters are checked by the registry
        check_kwarg_types(request, spec.load())
    bind_env = gym.make(env_id, **env_kwargs)
    extra = {"device": device} if spec.kind == "sb3" else {}
    try:
        agent = make_agent(request.name, bind_env, seed=UNTRAINED_SEED, **extra, **dict(request.kwargs))
    except ConfigError as error:
        raise ConfigError(f"--agents {request.text!r}: {error}") from None
    except (TypeError, ValueError, AssertionError) as error:
        valid = ""
        if isinstance(error, TypeError) and spec.kind != "sb3":
            parameters = inspect.signature(spec.load().__init__).parameters
            names = [p for p in parameters if p not in BUILT_BY_HARNESS]
            valid = f"; valid arguments: {', '.join(names) or 'none'}"
        raise ConfigError(f"--agents {request.text!r}: {error}{valid}") from None
    # A reference policy plays the env it was built on: the clairvoyant one reads that env's auction.
    play_env = bind_env if spec.kind == "policy" else gym.make(env_id, **env_kwargs)
    return AgentRun(name=request.text, agent=agent, env=play_env, algo=request.name)


def load_agents(
    env_id: str,
    requests: Sequence[str | AgentRequest],
    env_kwargs: Mapping[str, Any] | None = None,
    device: str = "cpu",
    model: str = "final",
) -> list[LoadedAgent]:
    """Parse, build and load every agent (each with its own env instance), before any episode runs.

    :param model: for run folders: ``"final"``, ``"best"`` or ``"checkpoint"``
        (:func:`agents.runs.load_agent`).
    :raises ConfigError: for a bad spec, label clash, missing or corrupt model, bad kwargs.
    """
    env_kwargs = dict(env_kwargs or {})
    parsed = [parse_agent_spec(r) if isinstance(r, str) else r for r in requests]
    if not parsed:
        raise ConfigError("--agents: no agents given")
    labels = [request.label for request in parsed]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise ConfigError(
            f"--agents: duplicate agent label(s) {duplicates}; use LABEL=... to tell them apart"
        )
    loaded = []
    for request in parsed:
        warnings: list[str] = []
        if request.name is not None:
            run = _build_named(request, env_id, env_kwargs, device)
            spec = get_agent_spec(request.name)
            kind = "untrained" if spec.kind == "sb3" else spec.kind
            loaded.append(LoadedAgent(request.label, kind, request.name, [run], warnings))
            continue
        runs = [
            _load_saved(request, path, env_id, env_kwargs, device, model, warnings) for path in request.paths
        ]
        kinds = {_kind_of(run.agent) for run in runs}
        algos = {run.algo for run in runs}
        if len(algos) > 1:
            warnings.append(f"label {request.label!r} mixes algorithms {sorted(algos)}")
        loaded.append(
            LoadedAgent(request.label, "/".join(sorted(kinds)), "/".join(sorted(algos)), runs, warnings)
        )
    return loaded


def seed_agent(agent: Any, seed: int) -> None:
    """Seed an agent's own generators: SB3's ``set_random_seed``, else its action space's ``seed``."""
    if hasattr(agent, "set_random_seed"):
        agent.set_random_seed(seed)
        return
    action_space = getattr(agent, "action_space", None)
    if action_space is not None and hasattr(action_space, "seed"):
        action_space.seed(seed)


__all__ = [
    "KIND_NOTES",
    "UNTRAINED_SEED",
    "AgentRun",
    "LoadedAgent",
    "check_kwarg_types",
    "load_agents",
    "seed_agent",
]
