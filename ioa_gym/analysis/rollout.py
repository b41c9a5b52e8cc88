"""The episode loop: play seeded episodes of any Gymnasium env with a policy given as a plain callable.

Every caller that plays whole episodes one env at a time goes through :func:`play`: the evaluation harness
(``agents.evaluation``), the IC audit's replays of misreports (:mod:`ioa_gym.analysis.ic_audit`), the figures
and the benchmarks. It needs only Gymnasium and NumPy.

A policy is ``policy(observations) -> actions``: a batch of observations (one row per env still playing)
in, one action per row out. An SB3 model, a baseline or a reference policy becomes one with
:func:`predictor`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

Policy = Callable[[np.ndarray], Any]
"""``policy(observations) -> actions``: one action per row of the batch of observations."""


@dataclass
class Episode:
    """One played episode.

    :param reset_seed: the seed ``env.reset`` was given.
    :param total_reward: the sum of the rewards (Python floats, in step order).
    :param length: the number of steps.
    :param info: the final step's info dict.
    :param terminated: whether it ended by termination (else by truncation).
    """

    reset_seed: int | None
    total_reward: float = 0.0
    length: int = 0
    info: dict[str, Any] = field(default_factory=dict)
    terminated: bool = False


def stack(observations: Sequence[Any]) -> Any:
    """Observations of several envs as one batch (a dict of batches for dict observations)."""
    if observations and isinstance(observations[0], Mapping):
        return {key: np.stack([observation[key] for observation in observations]) for key in observations[0]}
    return np.stack(observations)


def row(batch: Any, index: int) -> Any:
    """Row ``index`` of a batch made by :func:`stack`."""
    if isinstance(batch, Mapping):
        return {key: value[index] for key, value in batch.items()}
    return batch[index]


def predictor(agent: Any, deterministic: bool = True) -> Policy:
    """A :data:`Policy` from anything with SB3's ``predict(observation, deterministic=...)``."""

    def policy(observations: np.ndarray) -> Any:
        return agent.predict(observations, deterministic=deterministic)[0]

    return policy


def play(
    envs: Sequence[gym.Env],
    policy: Policy,
    reset_seeds: Sequence[int | None],
    options: Sequence[Mapping[str, Any] | None] | None = None,
) -> list[Episode]:
    """Play one episode on each env, all in lockstep; returns them in the order of ``envs``.

    Env ``i`` is reset with ``seed=reset_seeds[i]`` (and ``options=options[i]``); then, step after step, the
    observations of the envs still playing are stacked and given to ``policy`` in one call, and its
    ``k``-th action goes to the ``k``-th of them. An env whose episode has ended is not stepped again.

    :raises ValueError: when the lengths differ or the policy returns another number of actions.
    """
    count = len(envs)
    if len(reset_seeds) != count or (options is not None and len(options) != count):
        raise ValueError(
            f"play: {count} envs, {len(reset_seeds)} reset seeds, "
            f"{'no' if options is None else len(options)} options; give one per env"
        )
    episodes = [Episode(reset_seed=None if seed is None else int(seed)) for seed in reset_seeds]
    observations: list[Any] = []
    for index, env in enumerate(envs):
        option = None if options is None else options[index]
        reset_options = None if option is None else dict(option)
        observation, _ = env.reset(seed=reset_seeds[index], options=reset_options)
        observations.append(observation)
    playing = list(range(count))
    while playing:
        actions = policy(stack([observations[index] for index in playing]))
        if len(actions) != len(playing):
            raise ValueError(f"the policy returned {len(actions)} actions for {len(playing)} observations")
        still_playing = []
        for index, action in zip(playing, actions, strict=True):
            observation, reward, terminated, truncated, info = envs[index].step(action)
            episode = episodes[index]
            episode.total_reward += float(reward)
            episode.length += 1
            if terminated or truncated:
                episode.info, episode.terminated = info, bool(terminated)
            else:
                observations[index] = observation
                still_playing.append(index)
        playing = still_playing
    return episodes


__all__ = ["Episode", "Policy", "play", "predictor", "row", "stack"]
