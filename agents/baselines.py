"""Reference auctioneers that do not learn: random, greedy and fixed-step.

They speak the Stable-Baselines3 interface (``predict``, ``learn``, ``save``, ``load``) so that
evaluation code can treat them exactly like a trained model. Like every agent here they know nothing
of the economics: they only see the action space (and, when given, the observation space).

Example::

    from agents.baselines import GreedyAgent
    agent = GreedyAgent(env)
    action, _ = agent.predict(observation)
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from stable_baselines3.common.utils import is_vectorized_observation
from stable_baselines3.common.vec_env import VecEnv

from agents.common.files import atomic_write_text
from ioa_gym.analysis.sampling import ActionSampler

EnvOrSpace = gym.Env | VecEnv | gym.vector.VectorEnv | spaces.Space
JSON_SUFFIX = ".json"


def space_to_json(space: spaces.Space) -> dict[str, Any] | None:
    """Describe a Box, Discrete, MultiDiscrete or MultiBinary space as JSON-ready data (None otherwise)."""
    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "low": space.low.tolist(),
            "high": space.high.tolist(),
            "shape": list(space.shape),
            "dtype": str(space.dtype),
        }
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.MultiDiscrete):
        return {"type": "MultiDiscrete", "nvec": space.nvec.tolist(), "start": space.start.tolist()}
    if isinstance(space, spaces.MultiBinary):
        return {"type": "MultiBinary", "n": space.n if isinstance(space.n, int) else list(space.n)}
    return None


def space_from_json(data: dict[str, Any] | None) -> spaces.Space | None:
    """Inverse of :func:`space_to_json`."""
    if data is None:
        return None
    kind = data["type"]
    if kind == "Box":
        return spaces.Box(
            low=np.asarray(data["low"], dtype=data["dtype"]),
            high=np.asarray(data["high"], dtype=data["dtype"]),
            shape=tuple(data["shape"]),
            dtype=data["dtype"],
        )
    if kind == "Discrete":
        return spaces.Discrete(data["n"], start=data["start"])
    if kind == "MultiDiscrete":
        return spaces.MultiDiscrete(data["nvec"], start=data["start"])
    if kind == "MultiBinary":
        return spaces.MultiBinary(data["n"])
    raise ValueError(f"unknown space type {kind!r} in saved agent")


def _spaces_of(env_or_space: EnvOrSpace) -> tuple[spaces.Space, spaces.Space | None]:
    """(action space, observation space or None) of one sub-env: of an env, an SB3 VecEnv, a Gymnasium vector
    env (its ``single_*`` spaces), or a bare action space."""
    if isinstance(env_or_space, spaces.Space):
        return env_or_space, None
    if isinstance(env_or_space, gym.vector.VectorEnv):
        return env_or_space.single_action_space, env_or_space.single_observation_space
    try:
        return env_or_space.action_space, env_or_space.observation_space
    except AttributeError as error:
        raise TypeError(
            "expected a Gymnasium env or vector env, an SB3 VecEnv or an action space, "
            f"got {type(env_or_space).__name__}"
        ) from error


class BaselineAgent:
    """Common machinery of the non-learning agents: SB3-style ``predict``, no-op ``learn``, JSON save/load.

    :param env_or_space: the environment (``gym.Env``, SB3 ``VecEnv`` or Gymnasium ``VectorEnv``) or its
        action space.
    :param observation_space: overrides the env's observation space; used only to tell a batch of
        observations from a single one. Without any, an observation with 2 or more dimensions is a batch.
    """

    _classes: ClassVar[dict[str, type[BaselineAgent]]] = {}

    def __init__(self, env_or_space: EnvOrSpace, observation_space: spaces.Space | None = None) -> None:
        self.action_space, env_observation_space = _spaces_of(env_or_space)
        self.observation_space = observation_space if observation_space is not None else env_observation_space
        self.num_timesteps = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        BaselineAgent._classes[cls.__name__] = cls

    # --- what a subclass defines -------------------------------------------------------------------
    def _actions(self, n_actions: int) -> np.ndarray:
        """``n_actions`` actions stacked along a new first axis."""
        raise NotImplementedError

    def _params(self) -> dict[str, Any]:
        """JSON-ready keyword arguments that rebuild this agent (besides the spaces)."""
        return {}

    def _restore(self, state: dict[str, Any]) -> None:
        """Restore mutable state saved by :meth:`_state` (e.g. a random generator)."""

    def _state(self) -> dict[str, Any]:
        """JSON-ready mutable state saved next to the parameters."""
        return {}

    # --- SB3 interface -----------------------------------------------------------------------------
    def _batch_size(self, observation: Any) -> int | None:
        """Number of observations in a batch, or None for a single observation (as SB3's ``predict``)."""
        if self.observation_space is not None:
            if not is_vectorized_observation(observation, self.observation_space):
                return None
            if isinstance(observation, dict):
                observation = next(iter(observation.values()))
            return int(np.shape(observation)[0])
        if isinstance(observation, dict):
            observation = next(iter(observation.values()))
        shape = np.shape(observation)
        return int(shape[0]) if len(shape) >= 2 else None

    def predict(
        self,
        observation: np.ndarray | dict[str, np.ndarray],
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
        """Return ``(action, state)`` as SB3 does: a batch of actions for a batch of observations.

        ``deterministic`` is accepted for interface compatibility; the random agent stays random.
        """
        batch_size = self._batch_size(observation)
        actions = self._actions(1 if batch_size is None else batch_size)
        return (actions[0] if batch_size is None else actions), state

    def learn(self, total_timesteps: int = 0, callback: Any = None, **kwargs: Any) -> BaselineAgent:
        """Nothing to learn; returns ``self`` so ``make_agent(...).learn(n)`` works for every agent."""
        return self

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the agent as JSON (``.json`` is appended unless present); returns the path written.

        The file is written to a temporary name in the same folder, then renamed, so it is never partial.
        """
        target = Path(path)
        if target.suffix != JSON_SUFFIX:
            target = target.with_name(target.name + JSON_SUFFIX)
        target.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "agent": type(self).__name__,
            "params": self._params(),
            "state": self._state(),
            "action_space": space_to_json(self.action_space),
            "observation_space": None
            if self.observation_space is None
            else space_to_json(self.observation_space),
        }
        return atomic_write_text(target, json.dumps(document, indent=2))

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], env: EnvOrSpace | None = None, **kwargs: Any
    ) -> BaselineAgent:
        """Rebuild a saved agent, whichever baseline class saved it; ``env`` overrides the saved spaces."""
        source = Path(path)
        if not source.exists() and source.suffix != JSON_SUFFIX:
            source = source.with_name(source.name + JSON_SUFFIX)
        document = json.loads(source.read_text())
        agent_class = BaselineAgent._classes.get(document.get("agent", ""))
        if agent_class is None:
            raise ValueError(f"{source} is not a saved baseline agent (agent={document.get('agent')!r})")
        if env is None:
            env = space_from_json(document["action_space"])
            kwargs.setdefault("observation_space", space_from_json(document["observation_space"]))
        agent = agent_class(env, **{**document["params"], **kwargs})
        agent._restore(document.get("state", {}))
        return agent


class RandomAgent(BaselineAgent):
    """Uniform actions from the action space, from its own seeded generator (the env's space is untouched).

    The actions are drawn in batches (``ioa_gym.analysis.sampling.ActionSampler``): the same sequence as one
    ``action_space.sample()`` per action, for a fraction of the cost; seeding the agent's ``action_space``
    starts the sequence of the new seed.

    :param env_or_space: the environment or its action space.
    :param seed: seed of the agent's generator; the same seed gives the same action sequence.
    """

    def __init__(
        self,
        env_or_space: EnvOrSpace,
        seed: int | None = None,
        observation_space: spaces.Space | None = None,
    ) -> None:
        super().__init__(env_or_space, observation_space)
        self.seed = seed
        self.action_space = copy.deepcopy(self.action_space)
        self.action_space.seed(seed)
        self._sampler = ActionSampler(self.action_space)

    def _actions(self, n_actions: int) -> np.ndarray:
        return self._sampler.sample_batch(n_actions)

    def _params(self) -> dict[str, Any]:
        return {"seed": self.seed}

    def _state(self) -> dict[str, Any]:
        # Where one sample() per action handed out would have left the generator (not the batch's end).
        return {"bit_generator": self._sampler.generator_state()}

    def _restore(self, state: dict[str, Any]) -> None:
        if "bit_generator" in state:
            self.action_space.np_random.bit_generator.state = state["bit_generator"]
            self._sampler.clear()


def largest_action(action_space: spaces.Space) -> np.ndarray:
    """The largest action: ``high`` of a Box, the last index of a Discrete (per dimension for Multi*)."""
    if isinstance(action_space, spaces.Box):
        if not np.all(np.isfinite(action_space.high)):
            raise ValueError(f"the largest action of an unbounded Box is undefined: {action_space}")
        return action_space.high.copy()
    if isinstance(action_space, spaces.Discrete):
        return np.asarray(action_space.start + action_space.n - 1, dtype=action_space.dtype)
    if isinstance(action_space, spaces.MultiDiscrete):
        return (action_space.start + action_space.nvec - 1).astype(action_space.dtype)
    if isinstance(action_space, spaces.MultiBinary):
        return np.ones(action_space.shape, dtype=action_space.dtype)
    raise TypeError(f"no largest action for a {type(action_space).__name__} action space")


def middle_action(action_space: spaces.Space) -> np.ndarray:
    """The middle of a bounded Box, the middle index of a Discrete."""
    if isinstance(action_space, spaces.Box):
        return ((action_space.low + action_space.high) / 2).astype(action_space.dtype)
    if isinstance(action_space, spaces.Discrete):
        return np.asarray(action_space.start + action_space.n // 2, dtype=action_space.dtype)
    raise TypeError(f"no default fixed action for a {type(action_space).__name__} action space; pass action=")


class _ConstantAgent(BaselineAgent):
    """Always the same action."""

    action: np.ndarray

    def _actions(self, n_actions: int) -> np.ndarray:
        return np.repeat(self.action[np.newaxis], n_actions, axis=0)


class GreedyAgent(_ConstantAgent):
    """Maximises the immediate reward of the auctioneer MDP.

    Every tick of the auction costs a constant ``-eta`` and nothing else is paid before the end, so the
    action with the best immediate reward is the one that ends the auction soonest: the largest step.
    That is ``action_space.high`` for a Box action and the last index ``n - 1`` for a Discrete action
    (whose step sizes are sorted ascending). It is therefore a constant policy, blind to observations.

    It is kept as this myopic lower reference on every id (its actions on IoA-DDA-v0 are those of every
    earlier version), and it is weak: measured on 300 Tier-1 markets (``python -m
    benchmarks.baselines_every_id``, docs/model.md Sec. 5) its mean return is below the random
    auctioneer's on IoA-DDA-v0 and IoA-DDA-Discrete-v0 (0.64 against 0.75 and 0.70; about level on other
    market sets) and far below it on IoA-DDA-DoubleClock-v0 (0.26 against 0.44); on
    IoA-DDA-StrategyProof-v0 its largest step on both clocks meets at the middle of the price bounds and
    trades nothing (a return of -8 eta, above random's only because random plays longer). For a sensible
    observation-reading baseline use ``adaptive`` (``ioa_gym.analysis.policies.AdaptiveStepPolicy``).

    :param env_or_space: the environment or its action space.
    :param seed: ignored (accepted so that every agent is built alike).
    """

    def __init__(
        self,
        env_or_space: EnvOrSpace,
        seed: int | None = None,
        observation_space: spaces.Space | None = None,
    ) -> None:
        super().__init__(env_or_space, observation_space)
        self.action = largest_action(self.action_space)


class FixedStepAgent(_ConstantAgent):
    """The classic Dutch auctioneer: one constant action, given either as an action or as a step size.

    :param env_or_space: the environment or its action space.
    :param action: the constant action in the (normalised) action space.
    :param step: a step size in the env's own units (with ``per_clock_steps``, also a (buyer_step,
        seller_step) pair), converted by the env's ``step_to_action(step)``: of
        ``env.unwrapped``, else of the sub-envs of a vector env (SB3 ``env_method``, Gymnasium ``call``, any
        process). Without ``action`` or ``step``: the middle action.
    :param seed: ignored (accepted so that every agent is built alike).
    """

    def __init__(
        self,
        env_or_space: EnvOrSpace,
        action: Any = None,
        step: float | tuple[float, float] | None = None,
        seed: int | None = None,
        observation_space: spaces.Space | None = None,
    ) -> None:
        super().__init__(env_or_space, observation_space)
        if action is not None and step is not None:
            raise ValueError("FixedStepAgent takes either action= or step=, not both")
        if step is not None:
            action = self._step_to_action(env_or_space, step)
        if action is None:
            action = middle_action(self.action_space)
        self.action = np.asarray(action, dtype=self.action_space.dtype).reshape(self.action_space.shape)
        if not self.action_space.contains(self.action):
            raise ValueError(f"action={self.action.tolist()} is outside the action space {self.action_space}")

    @staticmethod
    def _step_to_action(env_or_space: EnvOrSpace, step: float | tuple[float, float]) -> Any:
        # An env, or a batched vector env that converts steps itself.
        converter = getattr(getattr(env_or_space, "unwrapped", None), "step_to_action", None)
        if callable(converter):
            return converter(step)
        try:
            if isinstance(env_or_space, VecEnv):
                # Every sub-env (they share the scale): some VecEnvs can only call all of them.
                return env_or_space.env_method("step_to_action", step)[0]
            if isinstance(env_or_space, gym.vector.VectorEnv) and hasattr(env_or_space, "call"):
                return env_or_space.call("step_to_action", step)[0]
        except AttributeError:
            pass
        raise ValueError(
            "FixedStepAgent(step=...) needs an env whose unwrapped env provides step_to_action(step); "
            f"{type(env_or_space).__name__} does not. Pass action= (a point of the action space) instead."
        )

    def _params(self) -> dict[str, Any]:
        return {"action": self.action.tolist()}
