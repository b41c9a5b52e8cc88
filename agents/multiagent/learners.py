"""Independent learners on the PettingZoo envs of ``ioa_gym.multiagent``: one Stable-Baselines3 model per
agent, trained in turn while the others' policies stay fixed (iterated best response by learning).

Why SB3 per agent and not a MARL library: the agents of both games are few (six leaders; one learning bidder
against truthful others), each is an ordinary single-agent problem once the others are fixed, and SB3 is
already the project's learner (no new dependency, the same hyperparameter files and seeding). A library such
as RLlib's multi-agent API is issue 15's subject. The experiments of docs/results.md built on these learners
are :mod:`agents.multiagent.results`.

- :class:`SingleAgentView`: a Gymnasium env in which one agent of a parallel env acts and the others follow
  fixed policies (callables ``observation -> action``);
- :func:`train_in_turn`: rounds of training each learner for some steps against the others' current
  (deterministic) policies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from agents.registry import make_agent

Policy = Callable[[np.ndarray], Any]
"""An agent's fixed policy: its observation -> its action."""


class SingleAgentView(gym.Env):
    """``agent`` of the parallel env ``par_env`` as a Gymnasium env: the others act by ``others`` (agent ->
    policy; an agent without one plays ``default(agent)``, e.g. the truthful report). An episode ends when
    ``agent`` is terminated or truncated, or leaves the game.

    :raises ValueError: if ``agent`` is not one of ``par_env.possible_agents``.
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        par_env: Any,
        agent: str,
        others: Mapping[str, Policy] | None = None,
        default: Callable[[str], Any] | None = None,
    ) -> None:
        if agent not in par_env.possible_agents:
            raise ValueError(f"agent must be one of {par_env.possible_agents}, got {agent!r}")
        self.par_env, self.agent = par_env, agent
        self.others = dict(others or {})
        self.default = default or self._zero_action
        self.observation_space = par_env.observation_space(agent)
        self.action_space = par_env.action_space(agent)
        self._observations: dict[str, np.ndarray] = {}

    def _zero_action(self, agent: str) -> np.ndarray:
        """The middle of ``agent``'s action space (the truthful report in bidders_v0)."""
        space = self.par_env.action_space(agent)
        return np.zeros(space.shape, space.dtype)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._observations, infos = self.par_env.reset(seed=seed, options=options)
        if self.agent not in self._observations:
            raise ValueError(f"{self.agent} is not in this episode's game (agents: {self.par_env.agents})")
        return self._observations[self.agent], infos[self.agent]

    def step(self, action: Any):
        actions = {}
        for name in self.par_env.agents:
            if name == self.agent:
                actions[name] = action
            elif name in self.others:
                actions[name] = self.others[name](self._observations[name])
            else:
                actions[name] = self.default(name)
        observations, rewards, terminations, truncations, infos = self.par_env.step(actions)
        self._observations = observations
        terminated = bool(terminations[self.agent])
        # Leaving the game without a termination ends the view's episode too: as a truncation.
        truncated = not terminated and (
            bool(truncations[self.agent]) or self.agent not in self.par_env.agents
        )
        return observations[self.agent], float(rewards[self.agent]), terminated, truncated, infos[self.agent]


def deterministic(model: Any) -> Policy:
    """The deterministic policy of an SB3 model (or anything with ``predict``)."""
    return lambda observation: model.predict(observation, deterministic=True)[0]


def train_in_turn(
    make_par_env: Callable[[], Any],
    learners: Sequence[str],
    algo: str = "ppo",
    rounds: int = 2,
    steps: int = 4096,
    seed: int = 0,
    hyperparams: Mapping[str, Any] | None = None,
    default: Callable[[str], Any] | None = None,
    on_round: Callable[[int, Mapping[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """One ``algo`` model per learner (``agents.registry.make_agent``, seeded ``seed * 1000 + i``), trained
    for ``steps`` env steps each, in turn, for ``rounds`` rounds; while one learns, the other learners play
    their current models deterministically and the non-learners ``default``. ``on_round(r, models)`` is
    called after each round r = 1..rounds. Returns the models by agent."""
    if rounds < 1 or steps < 1:
        raise ValueError(f"rounds and steps must be >= 1, got rounds={rounds}, steps={steps}")
    models: dict[str, Any] = {}
    views: dict[str, SingleAgentView] = {}
    for i, agent in enumerate(learners):
        views[agent] = SingleAgentView(make_par_env(), agent, default=default)
        views[agent].reset(seed=seed * 1000 + i)
        models[agent] = make_agent(algo, views[agent], seed=seed * 1000 + i, hyperparams=hyperparams)
    for round_ in range(1, rounds + 1):
        for agent in learners:
            views[agent].others = {
                other: deterministic(models[other]) for other in learners if other != agent
            }
            models[agent].learn(steps, reset_num_timesteps=False)
        if on_round is not None:
            on_round(round_, models)
    return models
