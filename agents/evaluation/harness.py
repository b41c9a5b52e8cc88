"""The evaluation harness: every agent plays the same seeded episodes, one row per episode.

One episode at a time on each run's own env, through the project's one episode loop
(:func:`ioa_gym.analysis.rollout.play`), or in batches on a vector env (:func:`run_vector_episodes`), which
gives the same rows for deterministic agents. Seeds follow :mod:`ioa_gym.analysis.seeding`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import VecEnv
from tqdm import tqdm

from agents.common.checks import Range, check_range
from agents.common.envs import check_env, report_spec
from agents.common.errors import ConfigError
from agents.common.versions import library_versions
from agents.evaluation.arguments import EPISODES_RANGE, check_eval_seeds
from agents.evaluation.loading import LoadedAgent, load_agents, seed_agent
from agents.evaluation.results import BASE_COLUMNS, EvaluationResult
from agents.evaluation.specs import AgentRequest
from agents.vec_env import (
    TERMINAL_OBSERVATION,
    TRUNCATED_KEY,
    VECTORIZATION_MODES,
    ScalarInfo,
    VectorEnvAdapter,
    has_vector_entry_point,
    make_vector_env,
)
from ioa_gym.analysis.rollout import Policy, play, row
from ioa_gym.analysis.seeding import agent_seed
from ioa_gym.analysis.seeding import episode_seed as reset_seed


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


def episode_row(
    seed: int, episode: int, total: float, length: int, wall_time: float, info: Mapping[str, Any]
) -> dict[str, Any]:
    """The episodes.csv row of one episode (without the agent / run columns): seeds, return, length, wall
    time and every scalar of the final info (a key clashing with a base column gets an ``info_`` prefix)."""
    result: dict[str, Any] = {
        "eval_seed": int(seed),
        "episode": int(episode),
        "reset_seed": reset_seed(seed, episode),
        "return": float(total),
        "length": int(length),
        "wall_time_s": wall_time,
    }
    for key, value in scalar_info(info).items():
        result[f"info_{key}" if key in BASE_COLUMNS else key] = value
    return result


def single_env_policy(agent: Any, deterministic: bool = True) -> Policy:
    """The :data:`~ioa_gym.analysis.rollout.Policy` of an agent on one env: SB3's ``predict`` on that env's
    (unbatched) observation, with its recurrent state carried from step to step of one episode."""
    state, episode_start = None, np.ones((1,), dtype=bool)

    def policy(observations: Any) -> list[Any]:
        nonlocal state, episode_start
        action, state = agent.predict(
            row(observations, 0), state=state, episode_start=episode_start, deterministic=deterministic
        )
        episode_start = np.zeros((1,), dtype=bool)
        return [action]

    return policy


def run_episode(
    env: gym.Env, agent: Any, seed: int, episode: int, deterministic: bool = True
) -> dict[str, Any]:
    """Play episode ``episode`` of evaluation seed ``seed``; return its row (without agent/run columns)."""
    start = time.perf_counter()
    seed_agent(agent, agent_seed(seed, episode))
    (played,) = play([env], single_env_policy(agent, deterministic), [reset_seed(seed, episode)])
    return episode_row(
        seed, episode, played.total_reward, played.length, time.perf_counter() - start, played.info
    )


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
            info = {k: v for k, v in final_infos[index].items() if k not in VECTOR_INFO_KEYS}
            rows.append(episode_row(seed, first + index, totals[index], lengths[index], wall_time, info))
    return rows


def check_seeds(episodes: int, seeds: Sequence[int]) -> list[int]:
    """Validate ``--episodes`` (in ``[1, SEED_STRIDE]``) and ``--seeds`` (in ``[0, MAX_EVAL_SEED]``,
    distinct, :mod:`ioa_gym.analysis.seeding`); returns the seeds as ints."""
    check_range("--episodes", episodes, EPISODES_RANGE)
    return check_eval_seeds("--seeds", seeds)


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
    :raises ConfigError: before any episode, for bad specs, env, kwargs, seeds or vector env.
    """
    env_kwargs = dict(env_kwargs or {})
    seed_list = check_seeds(episodes, seeds)
    env_id = check_env(env_id, env_kwargs)
    check_vectorization(env_id, n_envs, vectorization_mode, episodes)
    if agent_specs and all(isinstance(spec, LoadedAgent) for spec in agent_specs):
        agents = list(agent_specs)  # type: ignore[arg-type]
    else:
        agents = load_agents(env_id, agent_specs, env_kwargs, device, model)  # type: ignore[arg-type]
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
                        for played_row in played:
                            rows.append({**labels, **played_row})
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
        report=report_spec(agents[0].runs[0].env),
    )


def check_vectorization(
    env_id: str, n_envs: int, vectorization_mode: str, episodes: int | None = None
) -> None:
    """Raise ``ConfigError`` naming ``--n-envs`` / ``--vectorization-mode`` if they are invalid.

    :param episodes: episodes per seed, when known: ``--n-envs`` may not exceed it (more sub-envs than
        episodes in a batch would only be stepped for nothing).
    """
    high = int(episodes) if episodes is not None else None
    allowed = Range(1, high, integer=True)
    if not allowed.contains(n_envs):
        bound = " (at most --episodes: a batch never holds more episodes than a seed has)" if high else ""
        raise ConfigError(f"--n-envs must be {allowed.describe()}{bound}, got {n_envs!r}")
    if vectorization_mode not in VECTORIZATION_MODES:
        raise ConfigError(
            f"--vectorization-mode must be one of {', '.join(VECTORIZATION_MODES)}, "
            f"got {vectorization_mode!r}"
        )
    if n_envs > 1 and vectorization_mode == "vector_entry_point" and not has_vector_entry_point(env_id):
        raise ConfigError(
            f"--vectorization-mode vector_entry_point: {env_id} has no vector entry point; use sync or async"
        )


__all__ = [
    "agent_seed",
    "check_seeds",
    "check_vectorization",
    "episode_row",
    "evaluate_agents",
    "reset_seed",
    "run_episode",
    "run_vector_episodes",
    "scalar_info",
    "single_env_policy",
]
