"""Wrappers that registered IoA ids add (``additional_wrappers`` of their registration)."""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym


class EndedEpisodeGuard(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Refuse ``step`` after the episode ended (terminated, or truncated by the ``TimeLimit`` below this
    wrapper) until ``reset``: a RuntimeError instead of silently playing on past the end.

    IoA-Stackelberg-v0 never terminates by itself, so only its ``TimeLimit`` ends an episode, and the env
    cannot see that limit (``gym.make`` applies it outside the env, with any ``max_episode_steps``): this
    wrapper, outside the TimeLimit, sees every end: ``EndedEpisodeGuard(gym.make("IoA-Stackelberg-v0"))``.
    No id registers it (an ``additional_wrappers`` entry would make Gymnasium's ``make_vec`` refuse the ids'
    native vector envs); the IoA-DDA ids refuse a step after their auction ended in the env itself, and the
    native vector envs never step an ended episode (next-step autoreset)."""

    def __init__(self, env: gym.Env) -> None:
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.Wrapper.__init__(self, env)
        self._ended: str | None = None

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        self._ended = None
        return self.env.reset(**kwargs)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        if self._ended is not None:
            raise RuntimeError(f"the episode has ended ({self._ended}); call reset() before step()")
        obs, reward, terminated, truncated, info = self.env.step(action)
        if terminated or truncated:
            self._ended = "terminated" if terminated else "truncated by the time limit"
        return obs, reward, terminated, truncated, info
