"""Compare any set of agents on the same seeded episodes of any registered Gymnasium env.

Command line (``evaluate.py`` at the repository root is a thin wrapper around :func:`main`)::

    python evaluate.py --env IoA-DDA-v0 --episodes 100 --seeds 0 1 2 \\
        --agents diffusion='runs/diffusion/IoA-DDA-v0_*' ppo=runs/ppo/IoA-DDA-v0_1 \\
                 greedy random fixed-step:step=1.0 adaptive

From Python (e.g. a quickstart or a figures script)::

    from agents.evaluation import evaluate_agents, write_results
    result = evaluate_agents("IoA-DDA-v0", ["greedy", "adaptive"], episodes=20, seeds=[0, 1])
    print(result.table())
    write_results(result, "results/quick")

Agent specs (``--agents``):

- ``LABEL=PATH``: a run folder of ``train.py``, a glob of run folders (several training runs of one label;
  quote it so that the shell does not expand it), or a saved model file (SB3 ``.zip``, baseline ``.json``).
  The algorithm comes from the run's ``config.yml`` or the zip (:func:`agents.load_agent`).
- ``NAME`` or ``NAME:key=value,...``: any registry name (:func:`agents.list_agents`) built for the env with
  those constructor arguments (``fixed-step:step=1.0``, ``adaptive:gap_fraction=0.3``). An SB3 algorithm
  by name is an *untrained* model (weights from seed 0); the table says so. ``LABEL=NAME:...`` gives it
  another label (e.g. two fixed steps side by side).

Episodes: evaluation seed ``s``, episode ``i`` (0-based) is ``env.reset(seed=reset_seed(s, i))`` with

    reset_seed(s, i) = 2**32 + 1_000_000 * s + i

for every agent, so all agents meet the same markets; the offset 2**32 keeps these seeds apart from the
seeds ``train.py`` gives its training and evaluation envs (it draws them below 2**31). Before each episode the
agent's own random generators are seeded with ``agent_seed(s, i) = 1_000_000 * s + i`` (SB3's
``set_random_seed``: Python, NumPy, torch; a baseline's action space), so ``--stochastic`` runs and the
random agent are reproducible too: identical arguments give identical ``episodes.csv`` up to the
wall-time column.

Statistics: the 95% confidence interval of the mean return is Student t over independent units: the
training runs of a label when it has several (each run's mean over all its episodes), else the evaluation
seeds (each seed's mean over its episodes), else, with a single seed, the episodes. The paired comparison
gives each agent's mean return minus the best agent's over the shared episodes (same reset seeds; a label
with several runs contributes the mean over its runs), with a Student t interval over those episodes.

Outputs (``--output DIR``, default a new ``results/eval-<env>-<timestamp>/``), each written atomically::

    episodes.csv             one row per agent / run / evaluation seed / episode: return, length,
                             wall_time_s and every scalar of the episode's final info dict
    summary.csv              one row per agent: return mean, std, CI, the paired difference to the best,
                             time per episode, the mean of every numeric info key, and counts of
                             episodes whose boolean info keys were False (e.g. IR/SBB violations)
    summary.json             the same plus the full command, versions, env kwargs, seeds, warnings
    table.txt                the table printed on stdout
    returns.png              bar chart of the mean return with its CI
    efficiency_vs_rounds.png scatter per agent (when the info has "efficiency" and "rounds")

A non-empty ``DIR`` is refused (exit 2) unless ``--overwrite``. Bad agent specs, missing or corrupt models,
unknown env ids or env kwargs stop the command before any episode, with exit code 2 and no traceback.

This module knows nothing of the economics: it uses env ids, ``info`` dicts and agents' ``predict``.
"""

from __future__ import annotations

import argparse
import csv
import glob
import inspect
import io
import json
import math
import os
import re
import shlex
import statistics
import sys
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import VecEnv

from agents.registry import (
    AgentConfigError,
    get_agent_spec,
    import_env_packages,
    list_agents,
    load_agent,
    make_agent,
    read_run_config,
)
from agents.training import StoreDict, parse_value
from agents.vec_env import (
    TERMINAL_OBSERVATION,
    TRUNCATED_KEY,
    VECTORIZATION_MODES,
    ScalarInfo,
    VectorEnvAdapter,
    has_vector_entry_point,
    make_vector_env,
)

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
SEED_BASE = 2**32
SEED_STRIDE = 1_000_000
MAX_EVAL_SEED = (2**32 - 1) // SEED_STRIDE - 1
"""Largest evaluation seed: agent seeds must stay below 2**32 (NumPy's legacy seeding)."""
CONFIDENCE = 0.95
UNTRAINED_SEED = 0
"""Seed of the weights of an SB3 algorithm built by name (and of a named baseline's generator)."""

BASE_COLUMNS = (
    "agent",
    "run",
    "run_index",
    "eval_seed",
    "episode",
    "reset_seed",
    "return",
    "length",
    "wall_time_s",
)
TIME_COLUMNS = ("wall_time_s",)
"""Columns that differ between identical runs (everything else is reproducible)."""
DISPLAY_KEYS = {
    "efficiency": "efficiency",
    "rounds": "rounds",
    "clearing_price": "clearing\nprice",
    "agent_utility": "agent\nutility",
    "best_response_utility": "best-response\nutility",
}
"""Numeric info keys shown in the table when the env reports them (all are in summary.csv)."""
VIOLATION_KEYS = {"individually_rational": "IR\nviol.", "budget_balanced": "SBB\nviol."}
"""Boolean info keys whose False count the table shows as violations."""
OUTPUT_FILES = (
    "episodes.csv",
    "summary.csv",
    "summary.json",
    "table.txt",
    "returns.png",
    "efficiency_vs_rounds.png",
)

KIND_NOTES = {
    "trained": "trained",
    "untrained": "UNTRAINED (SB3 by name)",
    "baseline": "baseline",
    "policy": "reference policy",
}


class EvaluationConfigError(AgentConfigError):
    """Bad input to the evaluation (agent spec, path, env, seeds, output folder); the message says which."""


# --------------------------------------------------------------------------------------------------------
# Seeds and statistics
# --------------------------------------------------------------------------------------------------------


def agent_seed(seed: int, episode: int) -> int:
    """Seed of the agent's generators for evaluation seed ``seed``, episode ``episode``."""
    return SEED_STRIDE * int(seed) + int(episode)


def reset_seed(seed: int, episode: int) -> int:
    """``env.reset`` seed of evaluation seed ``seed``, episode ``episode``: 2**32 + 10**6 seed + episode."""
    return SEED_BASE + agent_seed(seed, episode)


def _t_two_sided_cdf(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with an integer number of degrees of freedom (closed form series)."""
    theta = math.atan(t / math.sqrt(df))
    sin, cos2 = math.sin(theta), math.cos(theta) ** 2
    if df % 2 == 1:
        if df == 1:
            return 2.0 * theta / math.pi
        term, total = 1.0, 1.0
        for k in range(1, (df - 3) // 2 + 1):
            term *= cos2 * (2 * k) / (2 * k + 1)
            total += term
        return 2.0 / math.pi * (theta + sin * math.cos(theta) * total)
    term, total = 1.0, 1.0
    for k in range(1, (df - 2) // 2 + 1):
        term *= cos2 * (2 * k - 1) / (2 * k)
        total += term
    return sin * total


def student_t_quantile(probability: float, df: int) -> float:
    """Quantile of Student's t distribution (``probability`` in (0, 1), integer ``df`` >= 1).

    Exact series inverted by bisection for df <= 200; above, the Cornish-Fisher expansion around the
    normal quantile (error below 1e-8 there).
    """
    if not 0.0 < probability < 1.0:
        raise ValueError(f"probability must be in (0, 1), got {probability}")
    if int(df) != df or df < 1:
        raise ValueError(f"df must be an integer >= 1, got {df}")
    if probability < 0.5:
        return -student_t_quantile(1.0 - probability, df)
    if probability == 0.5:
        return 0.0
    if df > 200:
        z = statistics.NormalDist().inv_cdf(probability)
        return (
            z
            + (z**3 + z) / (4 * df)
            + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
        )
    coverage = 2.0 * probability - 1.0
    low, high = 0.0, 1.0
    while _t_two_sided_cdf(high, df) < coverage:
        low, high = high, 2.0 * high
    for _ in range(200):
        middle = 0.5 * (low + high)
        if _t_two_sided_cdf(middle, df) < coverage:
            low = middle
        else:
            high = middle
        if high - low <= 1e-12 * high:
            break
    return 0.5 * (low + high)


def mean_confidence_interval(
    values: Sequence[float], confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """(mean, low, high): Student t interval of the mean of independent ``values`` (nan bounds for < 2)."""
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(array.mean())
    if array.size < 2:
        return mean, math.nan, math.nan
    half = (
        student_t_quantile(0.5 + confidence / 2.0, array.size - 1)
        * float(array.std(ddof=1))
        / math.sqrt(array.size)
    )
    return mean, mean - half, mean + half


# --------------------------------------------------------------------------------------------------------
# Agent specs
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentRequest:
    """A parsed ``--agents`` entry.

    :param label: the name in tables and files.
    :param text: the entry as given.
    :param name: registry name of an agent built by name; None for saved models.
    :param kwargs: constructor arguments of an agent built by name.
    :param paths: run folders or model files (one per training run) of a saved agent.
    """

    label: str
    text: str
    name: str | None = None
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    paths: tuple[Path, ...] = ()


def _split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split on ``separator`` outside brackets and quotes (``a=[1,2],b=3`` gives two items)."""
    items, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == separator and depth == 0:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return items


def _parse_named(label: str, text: str, spec_text: str) -> AgentRequest:
    """``NAME`` or ``NAME:key=value,...`` (a ``package.module:Class`` has no ``=`` after its colon)."""
    name, separator, arguments = spec_text.partition(":")
    if not separator or "=" not in arguments:
        name, arguments = spec_text, ""
    kwargs: dict[str, Any] = {}
    for item in _split_top_level(arguments) if arguments else []:
        key, equals, value = item.partition("=")
        if not equals or not key.strip().isidentifier():
            raise EvaluationConfigError(
                f"agent {text!r}: expected NAME:key=value,... with identifier keys, got {item!r}"
            )
        kwargs[key.strip()] = parse_value(value.strip())
    try:
        get_agent_spec(name)
    except AgentConfigError as error:
        raise EvaluationConfigError(f"agent {text!r}: {error}") from None
    return AgentRequest(label=label, text=text, name=name, kwargs=kwargs)


def _natural_key(path: str) -> list[Any]:
    """Sort ``run_2`` before ``run_10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path)]


def _model_path_exists(path: Path) -> bool:
    return (
        path.exists()
        or path.with_name(path.name + ".zip").is_file()
        or path.with_name(path.name + ".json").is_file()
    )


def parse_agent_spec(text: str) -> AgentRequest:
    """Parse one ``--agents`` entry (see the module docstring); raise EvaluationConfigError if it is bad.

    ``LABEL=TARGET`` when ``=`` comes before any ``:``; TARGET is a glob (has ``*?[``), an existing path,
    or else a registry ``NAME[:key=value,...]``. Otherwise the entry is ``NAME[:key=value,...]`` and
    its label is the entry itself.
    """
    text = text.strip()
    equals, colon = text.find("="), text.find(":")
    if equals > 0 and (colon < 0 or equals < colon):
        label, target = text[:equals].strip(), text[equals + 1 :].strip()
        if not label or not target:
            raise EvaluationConfigError(
                f"agent {text!r}: expected LABEL=PATH with a non-empty label and path"
            )
        if glob.has_magic(target):
            matches = sorted(glob.glob(target), key=_natural_key)
            if not matches:
                raise EvaluationConfigError(
                    f"agent {label!r}: no run folder or model file matches {target!r}"
                )
            return AgentRequest(label=label, text=text, paths=tuple(Path(match) for match in matches))
        if _model_path_exists(Path(target)):
            return AgentRequest(label=label, text=text, paths=(Path(target),))
        name = target.partition(":")[0]
        if name in list_agents() and "/" not in target and not target.endswith((".zip", ".json")):
            return _parse_named(label, text, target)
        raise EvaluationConfigError(
            f"agent {label!r}: no such run folder or model file: {target} (nor is {name!r} an agent name; "
            f"valid names: {', '.join(list_agents())})"
        )
    if not text:
        raise EvaluationConfigError("empty agent spec")
    if ("/" in text or text.endswith((".zip", ".json"))) and _model_path_exists(Path(text)):
        raise EvaluationConfigError(
            f"agent {text!r} is a path: give it a label, LABEL=PATH (and quote a glob of run folders so "
            "that the shell passes it unexpanded)"
        )
    return _parse_named(text, text, text)


# --------------------------------------------------------------------------------------------------------
# Environments and agents
# --------------------------------------------------------------------------------------------------------


def check_env(env_id: str, env_kwargs: Mapping[str, Any] | None = None) -> str:
    """Check that ``env_id`` is registered and accepts ``env_kwargs`` (builds it once); returns the id."""
    import_env_packages()
    try:
        spec = gym.spec(env_id)
    except (gym.error.Error, ModuleNotFoundError) as error:
        raise EvaluationConfigError(
            f"unknown env id {env_id!r} ({error}); registered IoA ids: "
            f"{', '.join(sorted(k for k in gym.registry if k.startswith('IoA')))}"
        ) from None
    try:
        gym.make(env_id, **dict(env_kwargs or {})).close()
    except (TypeError, ValueError, gym.error.Error) as error:
        raise EvaluationConfigError(
            f"invalid --env-kwargs {dict(env_kwargs or {})} for {spec.id}: {error}"
        ) from None
    return spec.id


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
    from stable_baselines3.common.base_class import BaseAlgorithm

    from agents.baselines import BaselineAgent

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
            config = read_run_config(path)
        except AgentConfigError as error:
            raise EvaluationConfigError(f"agent {request.label!r}: {error}") from None
        algo = config.get("algo")
        trained_on = config.get("env_id") or config.get("env")
        if trained_on and str(trained_on).rsplit(":", 1)[-1] != env_id:
            warnings.append(f"{path} was trained on {trained_on}, evaluated on {env_id}")
        trained_kwargs = dict(config.get("env_kwargs") or {})
        if trained_kwargs != dict(env_kwargs):
            warnings.append(
                f"{path} was trained with env kwargs {trained_kwargs}, evaluated with {dict(env_kwargs)}"
            )
    model_file = next((f for f in (path, path.with_name(path.name + ".zip")) if f.is_file()), None)
    if model_file is not None and model_file.suffix != ".json" and not zipfile.is_zipfile(model_file):
        # agents.load_agent would only say that it cannot tell the algorithm of such a file.
        raise EvaluationConfigError(
            f"agent {request.label!r}: cannot load {path}: not a valid zip file (corrupt or truncated?)"
        )
    bind_env = gym.make(env_id, **env_kwargs)
    try:
        agent = load_agent(path, env=bind_env, device=device, model=model)  # type: ignore[arg-type]
    except AgentConfigError as error:
        raise EvaluationConfigError(f"agent {request.label!r}: cannot load {path}: {error}") from None
    except Exception as error:  # noqa: BLE001 -- a corrupt zip fails in many ways (zipfile, pickle, torch)
        raise EvaluationConfigError(
            f"agent {request.label!r}: cannot load {path}: {type(error).__name__}: {error}"
        ) from None
    if not hasattr(agent, "predict"):
        raise EvaluationConfigError(f"agent {request.label!r}: {path} did not load an agent with predict()")
    steps = getattr(agent, "num_timesteps", None)
    return AgentRun(
        name=str(path),
        agent=agent,
        env=gym.make(env_id, **env_kwargs),
        algo=str(algo) if algo else _registry_name(agent),
        num_timesteps=int(steps) if steps is not None and _kind_of(agent) == "trained" else None,
    )


def _build_named(request: AgentRequest, env_id: str, env_kwargs: Mapping[str, Any], device: str) -> AgentRun:
    assert request.name is not None
    spec = get_agent_spec(request.name)
    bind_env = gym.make(env_id, **env_kwargs)
    extra = {"device": device} if spec.kind == "sb3" else {}
    try:
        agent = make_agent(request.name, bind_env, seed=UNTRAINED_SEED, **extra, **dict(request.kwargs))
    except AgentConfigError as error:
        raise EvaluationConfigError(f"agent {request.text!r}: {error}") from None
    except (TypeError, ValueError, AssertionError) as error:
        valid = ""
        if isinstance(error, TypeError) and spec.kind != "sb3":
            parameters = inspect.signature(spec.load().__init__).parameters
            names = [
                p for p in parameters if p not in ("self", "env", "env_or_space", "seed", "observation_space")
            ]
            valid = f"; valid arguments: {', '.join(names) or 'none'}"
        raise EvaluationConfigError(f"agent {request.text!r}: {error}{valid}") from None
    return AgentRun(name=request.text, agent=agent, env=gym.make(env_id, **env_kwargs), algo=request.name)


def load_agents(
    env_id: str,
    requests: Sequence[str | AgentRequest],
    env_kwargs: Mapping[str, Any] | None = None,
    device: str = "cpu",
    model: str = "final",
) -> list[LoadedAgent]:
    """Parse, build and load every agent (each with its own env instance), before any episode runs.

    :param model: for run folders: ``"final"``, ``"best"`` or ``"checkpoint"`` (:func:`agents.load_agent`).
    :raises EvaluationConfigError: for a bad spec, label clash, missing or corrupt model, bad kwargs.
    """
    env_kwargs = dict(env_kwargs or {})
    parsed = [parse_agent_spec(r) if isinstance(r, str) else r for r in requests]
    if not parsed:
        raise EvaluationConfigError("no agents given")
    labels = [request.label for request in parsed]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise EvaluationConfigError(
            f"duplicate agent label(s) {duplicates}; use LABEL=... to tell them apart"
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


# --------------------------------------------------------------------------------------------------------
# Episodes
# --------------------------------------------------------------------------------------------------------


def scalar_info(info: Mapping[str, Any]) -> dict[str, bool | int | float]:
    """The scalar entries of an info dict (bools, ints, floats, 0-d arrays); strings and arrays dropped."""
    scalars: dict[str, bool | int | float] = {}
    for key, value in info.items():
        if key.startswith("_"):
            continue
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value.item()
        if isinstance(value, bool | np.bool_):
            scalars[key] = bool(value)
        elif isinstance(value, int | np.integer):
            scalars[key] = int(value)
        elif isinstance(value, float | np.floating):
            scalars[key] = float(value)
    return scalars


VECTOR_INFO_KEYS = (TERMINAL_OBSERVATION, TRUNCATED_KEY)
"""Info keys an SB3 VecEnv adds to an episode's final info; not the env's, so not recorded."""


def run_episode(
    env: gym.Env, agent: Any, seed: int, episode: int, deterministic: bool = True
) -> dict[str, Any]:
    """Play episode ``episode`` of evaluation seed ``seed``; return its row (without agent/run columns)."""
    start = time.perf_counter()
    observation, info = env.reset(seed=reset_seed(seed, episode))
    seed_agent(agent, agent_seed(seed, episode))
    state, episode_start = None, np.ones((1,), dtype=bool)
    total, length, done = 0.0, 0, False
    while not done:
        action, state = agent.predict(
            observation, state=state, episode_start=episode_start, deterministic=deterministic
        )
        episode_start = np.zeros((1,), dtype=bool)
        observation, reward, terminated, truncated, info = env.step(action)
        total += float(reward)
        length += 1
        done = terminated or truncated
    row: dict[str, Any] = {
        "eval_seed": int(seed),
        "episode": int(episode),
        "reset_seed": reset_seed(seed, episode),
        "return": total,
        "length": length,
        "wall_time_s": time.perf_counter() - start,
    }
    for key, value in scalar_info(info).items():
        row[f"info_{key}" if key in BASE_COLUMNS else key] = value
    return row


def run_vector_episodes(
    env: VecEnv | gym.vector.VectorEnv,
    agent: Any,
    seed: int,
    episodes: int,
    deterministic: bool = True,
    first_episode: int = 0,
) -> list[dict[str, Any]]:
    """Play episodes ``first_episode ..`` ``first_episode + episodes - 1`` of evaluation seed ``seed`` on any
    vector env (an SB3 VecEnv: Dummy, Subproc...; a Gymnasium vector env: Sync, Async, batched); one row each.

    The episodes run in batches of ``num_envs``: before a batch every sub-env is seeded, sub-env ``i`` with
    ``reset_seed(seed, e + i)`` (``e`` the batch's first episode), so each episode meets the same market as in
    :func:`run_episode`; the batch ends when each of its episodes has ended (what a sub-env does after that is
    not counted). A deterministic agent gives the rows of :func:`run_episode` (the return summed from the
    float32 rewards of SB3's VecEnv API; ``wall_time_s`` is the batch's time divided among its episodes). The
    agent is seeded once per batch, with ``agent_seed(seed, e)``, so a stochastic agent is reproducible but
    draws other actions than one episode at a time.
    """
    vec_env = VectorEnvAdapter(env) if isinstance(env, gym.vector.VectorEnv) else env
    if not isinstance(vec_env, VecEnv):
        raise TypeError(f"expected an SB3 VecEnv or a Gymnasium vector env, got {type(env).__name__}")
    n_envs = vec_env.num_envs
    rows: list[dict[str, Any]] = []
    for first in range(first_episode, first_episode + episodes, n_envs):
        count = min(n_envs, first_episode + episodes - first)
        start = time.perf_counter()
        vec_env.seed(reset_seed(seed, first))  # sub-env i: reset_seed(seed, first) + i
        observation = vec_env.reset()
        seed_agent(agent, agent_seed(seed, first))
        state, episode_start = None, np.ones((n_envs,), dtype=bool)
        totals, lengths = np.zeros(n_envs), np.zeros(n_envs, dtype=int)
        final_infos: list[dict[str, Any]] = [{} for _ in range(n_envs)]
        running = np.arange(n_envs) < count
        while running.any():
            action, state = agent.predict(
                observation, state=state, episode_start=episode_start, deterministic=deterministic
            )
            observation, rewards, dones, infos = vec_env.step(action)
            totals[running] += np.asarray(rewards, dtype=float)[running]
            lengths[running] += 1
            for index in np.flatnonzero(dones & running):
                final_infos[index] = infos[index]
            running &= ~dones
            episode_start = dones
        wall_time = (time.perf_counter() - start) / count
        for index in range(count):
            row: dict[str, Any] = {
                "eval_seed": int(seed),
                "episode": first + index,
                "reset_seed": reset_seed(seed, first + index),
                "return": float(totals[index]),
                "length": int(lengths[index]),
                "wall_time_s": wall_time,
            }
            info = {k: v for k, v in final_infos[index].items() if k not in VECTOR_INFO_KEYS}
            for key, value in scalar_info(info).items():
                row[f"info_{key}" if key in BASE_COLUMNS else key] = value
            rows.append(row)
    return rows


# --------------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------------


@dataclass
class AgentSummary:
    """Per-agent statistics of an :class:`EvaluationResult` (see the module docstring for the CIs)."""

    label: str
    kind: str
    description: str
    runs: list[str]
    n_episodes: int
    return_mean: float
    return_std: float
    ci_low: float
    ci_high: float
    ci_over: str
    n_units: int
    time_per_episode_s: float
    means: dict[str, float]
    violations: dict[str, int]
    diff_to_best: float = math.nan
    diff_ci_low: float = math.nan
    diff_ci_high: float = math.nan
    n_pairs: int = 0

    def row(self) -> dict[str, Any]:
        """Flat summary.csv row."""
        row = {
            "agent": self.label,
            "kind": self.kind,
            "description": self.description,
            "n_runs": len(self.runs),
            "runs": " ".join(self.runs),
            "n_episodes": self.n_episodes,
            "return_mean": self.return_mean,
            "return_std": self.return_std,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "ci_over": self.ci_over,
            "n_units": self.n_units,
            "diff_to_best": self.diff_to_best,
            "diff_ci_low": self.diff_ci_low,
            "diff_ci_high": self.diff_ci_high,
            "n_pairs": self.n_pairs,
            "time_per_episode_s": self.time_per_episode_s,
        }
        row.update({f"mean_{key}": value for key, value in self.means.items()})
        row.update({f"violations_{key}": value for key, value in self.violations.items()})
        return row


def _nanmean(values: Iterable[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return math.fsum(finite) / len(finite) if finite else math.nan


@dataclass
class EvaluationResult:
    """Every episode of an evaluation, its settings, and the statistics derived from them."""

    env_id: str
    env_kwargs: dict[str, Any]
    seeds: list[int]
    episodes: int
    deterministic: bool
    device: str
    model: str
    agents: list[LoadedAgent]
    rows: list[dict[str, Any]]
    command: str | None = None
    created: str = ""
    versions: dict[str, Any] = field(default_factory=dict)
    comparisons: list[tuple[str, str]] = field(default_factory=list)
    n_envs: int = 1
    vectorization_mode: str | None = None

    @property
    def info_keys(self) -> list[str]:
        """Info columns of episodes.csv, sorted."""
        return sorted({key for row in self.rows for key in row} - set(BASE_COLUMNS))

    def _agent_rows(self, label: str) -> list[dict[str, Any]]:
        return [row for row in self.rows if row["agent"] == label]

    def _episode_returns(self, label: str) -> dict[tuple[int, int], float]:
        """Mean return over the label's runs per shared episode (eval seed, episode)."""
        grouped: dict[tuple[int, int], list[float]] = {}
        for row in self._agent_rows(label):
            grouped.setdefault((row["eval_seed"], row["episode"]), []).append(row["return"])
        return {key: math.fsum(values) / len(values) for key, values in grouped.items()}

    def summaries(self) -> list[AgentSummary]:
        """Per-agent statistics in the order given, with the paired difference to the best agent."""
        summaries = []
        keys = self.info_keys
        for loaded in self.agents:
            rows = self._agent_rows(loaded.label)
            returns = np.array([row["return"] for row in rows], dtype=float)
            n_runs = len(loaded.runs)
            if n_runs > 1:
                ci_over, groups = (
                    "training runs",
                    [[r["return"] for r in rows if r["run_index"] == i] for i in range(n_runs)],
                )
            elif len(self.seeds) > 1:
                ci_over, groups = (
                    "evaluation seeds",
                    [[r["return"] for r in rows if r["eval_seed"] == s] for s in self.seeds],
                )
            else:
                ci_over, groups = "episodes", [[value] for value in returns.tolist()]
            mean, low, high = mean_confidence_interval([float(np.mean(group)) for group in groups])
            means: dict[str, float] = {}
            violations: dict[str, int] = {}
            for key in keys:
                values = [row[key] for row in rows if key in row]
                if values and all(isinstance(value, bool) for value in values):
                    violations[key] = sum(1 for value in values if not value)
                    means[key] = sum(values) / len(values)
                elif values:
                    means[key] = _nanmean(float(value) for value in values)
            summaries.append(
                AgentSummary(
                    label=loaded.label,
                    kind=loaded.kind,
                    description=loaded.description,
                    runs=[run.name for run in loaded.runs],
                    n_episodes=len(rows),
                    return_mean=mean,
                    return_std=float(returns.std(ddof=1)) if returns.size > 1 else math.nan,
                    ci_low=low,
                    ci_high=high,
                    ci_over=ci_over,
                    n_units=len(groups),
                    time_per_episode_s=float(np.mean([row["wall_time_s"] for row in rows])),
                    means=means,
                    violations=violations,
                )
            )
        if summaries:
            best = self.best_agent(summaries)
            best_returns = self._episode_returns(best)
            for summary in summaries:
                own = self._episode_returns(summary.label)
                shared = sorted(set(own) & set(best_returns))
                diffs = [own[key] - best_returns[key] for key in shared]
                summary.diff_to_best, summary.diff_ci_low, summary.diff_ci_high = mean_confidence_interval(
                    diffs
                )
                summary.n_pairs = len(diffs)
        return summaries

    def paired_difference(self, label_a: str, label_b: str) -> dict[str, Any]:
        """Mean return of ``label_a`` minus ``label_b`` over their shared episodes, with its Student t CI.

        Each agent's return on an episode is the mean over its runs, so a label with several training
        runs is compared as "the mean of its runs". The CI is over episodes (same reset seeds).
        """
        check_comparisons([loaded.label for loaded in self.agents], [(label_a, label_b)])
        own, other = self._episode_returns(label_a), self._episode_returns(label_b)
        shared = sorted(set(own) & set(other))
        mean, low, high = mean_confidence_interval([own[key] - other[key] for key in shared])
        return dict(a=label_a, b=label_b, diff=mean, ci_low=low, ci_high=high, n_pairs=len(shared))

    @staticmethod
    def best_agent(summaries: Sequence[AgentSummary]) -> str:
        """Label with the highest mean return (the first one on a tie)."""
        return max(summaries, key=lambda s: (s.return_mean, -summaries.index(s))).label

    @property
    def warnings(self) -> list[str]:
        """Warnings collected while loading the agents."""
        return [warning for loaded in self.agents for warning in loaded.warnings]

    def table(self) -> str:
        """The result table as plain text (rich layout, no colours), with the CI and paired notes."""
        summaries = self.summaries()
        keys = set(self.info_keys)
        shown = [key for key in DISPLAY_KEYS if key in keys]
        flagged = [key for key in VIOLATION_KEYS if key in keys]
        columns = [
            "agent",
            "type",
            "runs",
            "episodes",
            "return\nmean",
            "std",
            f"{CONFIDENCE:.0%} CI",
            "CI over",
            *(DISPLAY_KEYS[key] for key in shown),
            *(VIOLATION_KEYS[key] for key in flagged),
            "ms /\nepisode",
        ]
        rows = []
        for s in summaries:
            rows.append(
                [
                    s.label,
                    s.description,
                    str(len(s.runs)),
                    str(s.n_episodes),
                    _fmt(s.return_mean),
                    _fmt(s.return_std),
                    _fmt_ci(s.ci_low, s.ci_high),
                    f"{s.n_units} {s.ci_over}",
                    *(_fmt(s.means.get(key, math.nan)) for key in shown),
                    *(str(s.violations.get(key, 0)) for key in flagged),
                    f"{1e3 * s.time_per_episode_s:.1f}",
                ]
            )
        title = (
            f"{self.env_id}: {len(self.seeds)} evaluation seed(s) x {self.episodes} episodes, "
            f"{'deterministic' if self.deterministic else 'stochastic'} actions"
        )
        lines = [render_table(title, columns, rows)]
        lines.append(
            f"{CONFIDENCE:.0%} CI of the mean return: Student t over independent units: training runs "
            "(each run's mean over its episodes) when a label has several, else evaluation seeds "
            "(each seed's mean), else episodes."
        )
        if summaries:
            best = self.best_agent(summaries)
            lines.append(
                f"Paired difference in mean return to the best agent ({best}), over the shared "
                f"episodes (same reset seeds), {CONFIDENCE:.0%} Student t CI:"
            )
            for s in summaries:
                if s.label == best:
                    continue
                lines.append(
                    f"  {s.label}: {_fmt(s.diff_to_best, signed=True)} "
                    f"{_fmt_ci(s.diff_ci_low, s.diff_ci_high)} over {s.n_pairs} episodes"
                )
        if self.comparisons:
            lines.append(f"Requested paired differences in mean return, {CONFIDENCE:.0%} Student t CI:")
            for label_a, label_b in self.comparisons:
                d = self.paired_difference(label_a, label_b)
                lines.append(
                    f"  {label_a} - {label_b}: {_fmt(d['diff'], signed=True)} "
                    f"{_fmt_ci(d['ci_low'], d['ci_high'])} over {d['n_pairs']} episodes"
                )
        untrained = [s.label for s in summaries if s.kind == "untrained"]
        if untrained:
            lines.append(
                f"UNTRAINED: {', '.join(untrained)} (SB3 algorithm by name: fresh weights, seed "
                f"{UNTRAINED_SEED})."
            )
        lines.extend(f"warning: {warning}" for warning in self.warnings)
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        """summary.json content (NaN becomes null)."""
        summaries = self.summaries()
        return _json_ready(
            {
                "command": self.command,
                "created": self.created,
                "versions": self.versions,
                "env_id": self.env_id,
                "env_kwargs": self.env_kwargs,
                "seeds": self.seeds,
                "episodes_per_seed": self.episodes,
                "deterministic": self.deterministic,
                "device": self.device,
                "model": self.model,
                "reset_seed_rule": f"env.reset(seed={SEED_BASE} + {SEED_STRIDE} * eval_seed + episode)",
                "agent_seed_rule": f"agent seeded with {SEED_STRIDE} * eval_seed + episode before it"
                + ("" if self.n_envs == 1 else f" (the first of each batch of {self.n_envs} episodes)"),
                "n_envs": self.n_envs,
                "vectorization_mode": self.vectorization_mode,
                "confidence": CONFIDENCE,
                "ci_method": "Student t over training runs (if several), else eval seeds, else episodes",
                "paired_method": "return minus the best agent's on shared episodes, Student t over episodes",
                "best_agent": self.best_agent(summaries) if summaries else None,
                "info_keys": self.info_keys,
                "agents": [{**summary.row(), "runs": summary.runs} for summary in summaries],
                "comparisons": [self.paired_difference(a, b) for a, b in self.comparisons],
                "warnings": self.warnings,
            }
        )


def _fmt(value: float, signed: bool = False) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:+.4g}" if signed else f"{value:.4g}"


def _fmt_ci(low: float, high: float) -> str:
    if math.isnan(low) or math.isnan(high):
        return "n/a"
    return f"[{low:.4g}, {high:.4g}]"


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def render_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table as plain text laid out by rich (first column left-aligned, the rest right-aligned)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Text, not markup: labels hold run paths such as "[/runs/ppo/...]", which rich would read as tags.
    table = Table(title=Text(title), box=box.SIMPLE_HEAD, title_justify="left")
    for index, column in enumerate(columns):
        table.add_column(Text(column), justify="left" if index < 2 else "right", no_wrap=index > 1)
    for row in rows:
        table.add_row(*(Text(str(cell)) for cell in row))
    console = Console(file=io.StringIO(), width=240, color_system=None, force_terminal=False, highlight=False)
    console.print(table)
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines())  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------------------


def check_seeds(episodes: int, seeds: Sequence[int]) -> list[int]:
    """Validate the episode count and the evaluation seeds; returns the seeds as ints."""
    if isinstance(episodes, bool) or int(episodes) != episodes or not 1 <= episodes <= SEED_STRIDE:
        raise EvaluationConfigError(f"--episodes must be an integer in [1, {SEED_STRIDE}], got {episodes!r}")
    checked = [int(seed) for seed in seeds]
    if not checked:
        raise EvaluationConfigError("give at least one evaluation seed")
    if any(not 0 <= seed <= MAX_EVAL_SEED for seed in checked):
        raise EvaluationConfigError(f"--seeds must be integers in [0, {MAX_EVAL_SEED}], got {checked}")
    if len(set(checked)) != len(checked):
        raise EvaluationConfigError(f"--seeds must be distinct, got {checked}")
    return checked


def library_versions() -> dict[str, Any]:
    """Library versions and git commit (train.py's record), or just Python's if that is unavailable."""
    try:
        from agents.training import library_versions as versions
    except ImportError:
        import platform

        return {"python": platform.python_version()}
    return versions()


def evaluate_agents(
    env_id: str,
    agent_specs: Sequence[str | AgentRequest] | Sequence[LoadedAgent],
    episodes: int,
    seeds: Sequence[int] = (0,),
    env_kwargs: Mapping[str, Any] | None = None,
    deterministic: bool = True,
    device: str = "cpu",
    model: str = "final",
    progress: bool = False,
    command: str | None = None,
    n_envs: int = 1,
    vectorization_mode: str = "sync",
) -> EvaluationResult:
    """Play ``episodes`` episodes per evaluation seed with every agent (and every run of a label).

    :param agent_specs: ``--agents`` strings, parsed :class:`AgentRequest`, or agents already loaded with
        :func:`load_agents` (then ``env_kwargs`` must be the ones they were loaded with).
    :param progress: show a tqdm progress bar on stderr.
    :param command: the command line to record in summary.json.
    :param n_envs: 1: one episode at a time on each run's own env (:func:`run_episode`); more: batches of
        ``n_envs`` episodes on one vector env (:func:`run_vector_episodes`; the same rows for deterministic
        agents).
    :param vectorization_mode: the vector env when ``n_envs > 1``: ``"sync"``, ``"async"`` (Gymnasium's, each
        sub-env keeping the scalar info entries only) or ``"vector_entry_point"`` (the env's own).
    :raises EvaluationConfigError: before any episode, for bad specs, env, kwargs, seeds or vector env.
    """
    env_kwargs = dict(env_kwargs or {})
    seed_list = check_seeds(episodes, seeds)
    env_id = check_env(env_id, env_kwargs)
    check_vectorization(env_id, n_envs, vectorization_mode)
    if agent_specs and all(isinstance(spec, LoadedAgent) for spec in agent_specs):
        agents = list(agent_specs)  # type: ignore[arg-type]
    else:
        agents = load_agents(env_id, agent_specs, env_kwargs, device, model)  # type: ignore[arg-type]
    from tqdm import tqdm

    total = sum(len(loaded.runs) for loaded in agents) * len(seed_list) * episodes
    rows: list[dict[str, Any]] = []
    vector_env = None
    if n_envs > 1:
        wrappers = None if vectorization_mode == "vector_entry_point" else [ScalarInfo]
        vector_env = make_vector_env(env_id, n_envs, vectorization_mode, env_kwargs, wrappers=wrappers)
    try:
        with tqdm(total=total, disable=not progress, unit="ep", desc="episodes", dynamic_ncols=True) as bar:
            for loaded in agents:
                bar.set_postfix_str(loaded.label)
                for run_index, run in enumerate(loaded.runs):
                    labels = {"agent": loaded.label, "run": run.name, "run_index": run_index}
                    for seed in seed_list:
                        if vector_env is None:
                            played: Iterable[dict[str, Any]] = (
                                run_episode(run.env, run.agent, seed, episode, deterministic)
                                for episode in range(episodes)
                            )
                        else:
                            played = run_vector_episodes(vector_env, run.agent, seed, episodes, deterministic)
                        for row in played:
                            rows.append({**labels, **row})
                            bar.update(1)
    finally:
        if vector_env is not None:
            vector_env.close()
    return EvaluationResult(
        env_id=env_id,
        env_kwargs=env_kwargs,
        seeds=seed_list,
        episodes=int(episodes),
        deterministic=deterministic,
        device=device,
        model=model,
        agents=agents,
        rows=rows,
        command=command,
        created=time.strftime("%Y-%m-%dT%H:%M:%S"),
        versions=library_versions(),
        n_envs=int(n_envs),
        vectorization_mode=vectorization_mode if n_envs > 1 else None,
    )


def check_vectorization(env_id: str, n_envs: int, vectorization_mode: str) -> None:
    """Raise ``EvaluationConfigError`` naming ``--n-envs`` / ``--vectorization-mode`` if they are invalid."""
    if n_envs < 1:
        raise EvaluationConfigError(f"--n-envs must be >= 1, got {n_envs}")
    if vectorization_mode not in VECTORIZATION_MODES:
        raise EvaluationConfigError(
            f"--vectorization-mode must be one of {', '.join(VECTORIZATION_MODES)}, "
            f"got {vectorization_mode!r}"
        )
    if n_envs > 1 and vectorization_mode == "vector_entry_point" and not has_vector_entry_point(env_id):
        raise EvaluationConfigError(
            f"--vectorization-mode vector_entry_point: {env_id} has no vector entry point; use sync or async"
        )


# --------------------------------------------------------------------------------------------------------
# Output files
# --------------------------------------------------------------------------------------------------------


def check_output_dir(out_dir: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Refuse an existing non-empty folder (or a file) unless ``overwrite``; returns the path."""
    path = Path(out_dir)
    if path.exists() and not path.is_dir():
        raise EvaluationConfigError(f"output {path} exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise EvaluationConfigError(
            f"output folder {path} exists and is not empty; pass --overwrite or choose another --output"
        )
    return path


def default_output_dir(env_id: str, prefix: str = "eval", root: str | os.PathLike[str] = "results") -> Path:
    """A new ``results/<prefix>-<env>-<YYYYmmdd-HHMMSS>`` folder name (suffixed -2, -3... if taken)."""
    stem = f"{prefix}-{env_id.rsplit(':', 1)[-1].replace('/', '-')}-{time.strftime('%Y%m%d-%H%M%S')}"
    candidate, number = Path(root) / stem, 1
    while candidate.exists():
        number += 1
        candidate = Path(root) / f"{stem}-{number}"
    return candidate


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to a temporary file in the same folder, then rename it onto ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return str(value)


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV with a header; floats written with ``repr`` (exact round trip), missing cells empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(column)) for column in columns])
    return buffer.getvalue()


def json_text(document: Any) -> str:
    """Strict JSON (NaN and infinities as null), indented."""
    return json.dumps(_json_ready(document), indent=2, allow_nan=False) + "\n"


def _new_figure(width: float, height: float) -> tuple[Any, Any]:
    """A figure on matplotlib's Agg canvas, without pyplot (no global backend switch, nothing to close)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _save_figure(figure: Any, path: Path) -> Path:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        figure.savefig(temporary, dpi=120, bbox_inches="tight", format="png")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def plot_returns(result: EvaluationResult, path: Path) -> Path:
    """Bar chart of the mean return per agent with its confidence interval."""
    summaries = result.summaries()
    means = np.array([s.return_mean for s in summaries])
    lower = np.nan_to_num(means - np.array([s.ci_low for s in summaries]))
    upper = np.nan_to_num(np.array([s.ci_high for s in summaries]) - means)
    figure, axis = _new_figure(max(4.0, 1.1 * len(summaries) + 1.5), 4.0)
    positions = np.arange(len(summaries))
    axis.bar(positions, means, yerr=np.vstack([lower, upper]), capsize=4, color="tab:blue", alpha=0.8)
    axis.set_xticks(positions, [s.label for s in summaries], rotation=30, ha="right")
    axis.axhline(0.0, color="black", linewidth=0.6)
    axis.set_ylabel("mean return")
    units = sorted({s.ci_over for s in summaries})
    axis.set_title(f"{result.env_id}: mean return, {CONFIDENCE:.0%} CI over {' / '.join(units)}")
    return _save_figure(figure, path)


def plot_efficiency_vs_rounds(result: EvaluationResult, path: Path) -> Path:
    """Scatter of the episodes' efficiency against rounds, one colour per agent."""
    figure, axis = _new_figure(6.0, 4.0)
    for loaded in result.agents:
        rows = [row for row in result.rows if row["agent"] == loaded.label and "efficiency" in row]
        axis.scatter(
            [row["rounds"] for row in rows],
            [row["efficiency"] for row in rows],
            s=10,
            alpha=0.5,
            label=loaded.label,
        )
    axis.set_xlabel("rounds")
    axis.set_ylabel("efficiency")
    axis.set_title(f"{result.env_id}: efficiency vs rounds per episode")
    axis.legend(fontsize="small")
    return _save_figure(figure, path)


def write_results(
    result: EvaluationResult, out_dir: str | os.PathLike[str], overwrite: bool = False, plots: bool = True
) -> list[Path]:
    """Write episodes.csv, summary.csv, summary.json, table.txt and the plots into ``out_dir``.

    Refuses an existing non-empty ``out_dir`` unless ``overwrite`` (then the files of an earlier evaluation
    that this one does not produce are removed). Returns the paths written.
    """
    folder = check_output_dir(out_dir, overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    episode_columns = [*BASE_COLUMNS, *result.info_keys]
    summaries = result.summaries()
    summary_rows = [summary.row() for summary in summaries]
    summary_columns = list(dict.fromkeys(key for row in summary_rows for key in row))
    written = [
        atomic_write_text(folder / "episodes.csv", csv_text(episode_columns, result.rows)),
        atomic_write_text(folder / "summary.csv", csv_text(summary_columns, summary_rows)),
        atomic_write_text(folder / "summary.json", json_text(result.to_json())),
        atomic_write_text(folder / "table.txt", result.table()),
    ]
    if plots:
        written.append(plot_returns(result, folder / "returns.png"))
        if {"efficiency", "rounds"} <= set(result.info_keys):
            written.append(plot_efficiency_vs_rounds(result, folder / "efficiency_vs_rounds.png"))
    for name in OUTPUT_FILES:
        if folder / name not in written:
            (folder / name).unlink(missing_ok=True)
    return written


# --------------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------------


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags shared by ``evaluate.py`` and ``evaluate.py ic-audit``."""
    parser.add_argument(
        "--agents",
        nargs="+",
        required=True,
        metavar="SPEC",
        help=f"LABEL=RUN_DIR|GLOB|MODEL.zip, NAME, NAME:key=value,... (names: {', '.join(list_agents())})",
    )
    parser.add_argument(
        "--env-kwargs",
        nargs="+",
        action=StoreDict,
        default={},
        metavar="KEY:VALUE",
        help="env constructor kwargs (values are Python literals or strings)",
    )
    parser.add_argument("--device", default="cpu", help="torch device of SB3 models (default: cpu)")
    parser.add_argument(
        "--model",
        default="final",
        choices=("final", "best", "checkpoint"),
        help="which model of a run folder (default: final)",
    )
    parser.add_argument("--output", help="output folder (default: a new results/<...>-<timestamp>/)")
    parser.add_argument("--overwrite", action="store_true", help="allow a non-empty output folder")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="torch intra-op threads (default 1: one observation at a time gains nothing from more, and "
        "loses much on shared cores)",
    )


def check_comparisons(labels: Sequence[str], pairs: Sequence[Sequence[str]]) -> None:
    """Raise ``EvaluationConfigError`` if a pair to compare (``--compare A B``) names an unknown label."""
    for label in (label for pair in pairs for label in pair):
        if label not in labels:
            raise EvaluationConfigError(f"--compare: unknown agent label {label!r}; labels: {list(labels)}")


def set_torch_threads(threads: int) -> None:
    """Set torch's intra-op thread count (>= 1) for the command's inference."""
    import torch

    if threads < 1:
        raise EvaluationConfigError(f"--torch-threads must be >= 1, got {threads}")
    torch.set_num_threads(threads)


def build_parser() -> argparse.ArgumentParser:
    """The ``evaluate.py`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="evaluate.py",
        description="Compare agents on the same seeded episodes of a registered env "
        "('evaluate.py ic-audit --help' for the incentive-compatibility audit).",
    )
    parser.add_argument(
        "--env", required=True, help="registered env id (IoA-DDA-v0, IoA-Stackelberg-v0, ...)"
    )
    parser.add_argument(
        "--episodes", type=int, default=100, help="episodes per evaluation seed (default 100)"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="evaluation seeds (default 0)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--deterministic",
        dest="deterministic",
        action="store_true",
        default=True,
        help="deterministic actions (default)",
    )
    mode.add_argument("--stochastic", dest="deterministic", action="store_false", help="sampled actions")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument(
        "--n-envs",
        type=int,
        default=1,
        help="play episodes in batches of N on a vector env (default 1: one at a time; same rows for "
        "deterministic agents)",
    )
    parser.add_argument(
        "--vectorization-mode",
        default="sync",
        choices=VECTORIZATION_MODES,
        help="the vector env when --n-envs > 1: Gymnasium's sync or async, or the env's vector_entry_point",
    )
    parser.add_argument(
        "--compare",
        nargs=2,
        action="append",
        default=[],
        metavar=("A", "B"),
        help="also report the paired difference A - B of two agent labels (repeatable)",
    )
    add_common_arguments(parser)
    return parser


def command_line(argv: Sequence[str] | None, program: str = "evaluate.py") -> str:
    """The command as one shell-quoted line."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    return shlex.join([sys.executable, program, *arguments])


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``evaluate.py``: 0 done, 2 bad input (nothing run), 130 interrupted (nothing saved)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        set_torch_threads(args.torch_threads)
        env_id = check_env(args.env, args.env_kwargs)
        check_seeds(args.episodes, args.seeds)
        check_vectorization(env_id, args.n_envs, args.vectorization_mode)
        out_dir = Path(args.output) if args.output else default_output_dir(env_id)
        check_output_dir(out_dir, args.overwrite)
        agents = load_agents(env_id, args.agents, args.env_kwargs, args.device, args.model)
        check_comparisons([loaded.label for loaded in agents], args.compare)
        result = evaluate_agents(
            env_id,
            agents,
            args.episodes,
            args.seeds,
            args.env_kwargs,
            args.deterministic,
            args.device,
            args.model,
            progress=not args.no_progress,
            command=command_line(argv),
            n_envs=args.n_envs,
            vectorization_mode=args.vectorization_mode,
        )
        result.comparisons = [(a, b) for a, b in args.compare]
        written = write_results(result, out_dir, overwrite=args.overwrite, plots=not args.no_plots)
    except AgentConfigError as error:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\ninterrupted; nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(result.table(), end="")
    print(f"Wrote {', '.join(path.name for path in written)} to {out_dir}")
    return 0


__all__ = [
    "AgentRequest",
    "AgentRun",
    "AgentSummary",
    "EvaluationConfigError",
    "EvaluationResult",
    "LoadedAgent",
    "agent_seed",
    "atomic_write_text",
    "check_env",
    "check_output_dir",
    "csv_text",
    "evaluate_agents",
    "json_text",
    "load_agents",
    "main",
    "mean_confidence_interval",
    "parse_agent_spec",
    "render_table",
    "reset_seed",
    "run_episode",
    "run_vector_episodes",
    "student_t_quantile",
    "write_results",
]
