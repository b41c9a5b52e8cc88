"""Reference auctioneers for IoA-DDA-v0 that read only the public observation.

They have the Stable-Baselines3 `predict` interface so that the evaluation harness treats them like
any trained agent, and can be built for a single env or for any vector env of IoA-DDA (they need only
its configuration; see `_dda_env`):

- `FixedStepPolicy`: the classic DDA auctioneer, one step size for every tick.
- `AdaptiveStepPolicy`: a hand-written rule: large steps while the active clock's side has not
  accepted yet (far from the market), then a step proportional to the clock gap, and the largest
  step once no further acceptance can add a trade.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from ioa_gym.envs.dda import OBS_NAMES, DDAEnvConfig, DoubleDutchAuctionEnv

_GAP = OBS_NAMES.index("clock_gap")
_BUYER_ACTIVE = OBS_NAMES.index("buyer_clock_active")
_BUYER_ACC = OBS_NAMES.index("buyer_units_accepted")
_SELLER_ACC = OBS_NAMES.index("seller_units_accepted")
_BUYER_UNITS = OBS_NAMES.index("buyer_units")
_SELLER_UNITS = OBS_NAMES.index("seller_units")


def _dda_env(env: gym.Env | Any) -> DoubleDutchAuctionEnv:
    """The IoA-DDA env whose action scale and configuration a policy uses.

    A single env (wrapped or not) is used itself. For a vector env (SB3's DummyVecEnv or SubprocVecEnv,
    Gymnasium's SyncVectorEnv or AsyncVectorEnv, a batched implementation, or an adapter around one) the
    policy needs only the configuration its sub-envs share: it is read with `get_attr("config")` (or from
    the batched env's own `config`) and a private, never reset copy of the env is built from it, whose
    `step_to_action` is the sub-envs' own. Nothing else is read from the env: the policies act on the
    observation alone."""
    base = getattr(env, "unwrapped", env)
    if isinstance(base, DoubleDutchAuctionEnv):
        return base
    config = _vector_env_config(env)
    if config is None:
        raise ValueError(f"this policy needs an IoA-DDA environment, got {type(base).__name__}")
    return DoubleDutchAuctionEnv(**config.to_dict())


def _vector_env_config(env: Any) -> DDAEnvConfig | None:
    """The `DDAEnvConfig` of a vector env's sub-envs, or None if it is not a vector env of IoA-DDA."""
    for owner in (env, getattr(env, "unwrapped", None)):
        if isinstance(getattr(owner, "config", None), DDAEnvConfig):
            return owner.config  # a batched implementation holding the sub-envs' shared config
    get_attr = getattr(env, "get_attr", None)
    if not callable(get_attr):
        return None
    try:
        configs = get_attr("config")  # one per sub-env: SB3 VecEnv (a list) or Gymnasium (a tuple)
    except (AttributeError, NotImplementedError):
        return None
    return configs[0] if len(configs) and isinstance(configs[0], DDAEnvConfig) else None


class _ReferencePolicy:
    """predict() over single or batched observations, SB3 style."""

    def __init__(self, env: gym.Env | Any) -> None:
        self.env = _dda_env(env)
        self.observation_space = self.env.observation_space
        self.action_space = self.env.action_space

    def _step_size(self, obs: np.ndarray) -> float:
        raise NotImplementedError

    def predict(self, observation: np.ndarray, state: Any = None, episode_start: Any = None,
                deterministic: bool = True) -> tuple[np.ndarray, Any]:
        obs = np.asarray(observation, dtype=float)
        batched = obs.ndim == 2
        rows = obs if batched else obs[None]
        actions = np.array([self.env.step_to_action(self._step_size(row)) for row in rows])
        return (actions if batched else actions[0]), state

    def learn(self, *args: Any, **kwargs: Any) -> _ReferencePolicy:
        return self


class FixedStepPolicy(_ReferencePolicy):
    """The classic DDA auctioneer: every tick moves the active clock by `step` (default: the
    geometric mean of the env's step range)."""

    def __init__(self, env: gym.Env, step: float | None = None) -> None:
        super().__init__(env)
        cfg = self.env.config
        self.step = float(np.sqrt(cfg.step_min * cfg.step_max)) if step is None else float(step)
        if not cfg.step_min <= self.step <= cfg.step_max:
            raise ValueError(f"step must be in [step_min, step_max] = [{cfg.step_min}, {cfg.step_max}], "
                             f"got {step}")

    def _step_size(self, obs: np.ndarray) -> float:
        return self.step


class AdaptiveStepPolicy(_ReferencePolicy):
    """Hand-written adaptive auctioneer, reading only the public observation:

    1. while the active clock's side has accepted nothing yet (the clock is still far from the market),
       jump by a fraction of the clock gap: `buyer_far_fraction` for the buyer clock, the smaller
       `seller_far_fraction` for the seller clock (the sellers are usually the long side, rationed by
       acceptance order, so their clock must sort them by cost);
    2. once the accepted units of the active side cover every unit of the other side and the other side
       has fully accepted, no further acceptance can add a trade: take the largest step to close fast;
    3. otherwise tick by `gap_fraction` of the gap, clipped to [`min_step`, `max_step`], so the clocks
       slow down as they close in without wasting rounds on tiny ticks.
    """

    def __init__(self, env: gym.Env, gap_fraction: float = 0.25, buyer_far_fraction: float = 0.5,
                 seller_far_fraction: float = 0.2, min_step: float = 0.2, max_step: float = 1.0,
                 close_early: bool = True) -> None:
        super().__init__(env)
        for name, value in (("gap_fraction", gap_fraction), ("buyer_far_fraction", buyer_far_fraction),
                            ("seller_far_fraction", seller_far_fraction)):
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {value}")
        cfg = self.env.config
        if not cfg.step_min <= min_step <= max_step <= cfg.step_max:
            raise ValueError(f"min_step and max_step must satisfy step_min <= min_step <= max_step <= "
                             f"step_max ({cfg.step_min}, {cfg.step_max}), got {min_step}, {max_step}")
        self.gap_fraction = float(gap_fraction)
        self.buyer_far_fraction = float(buyer_far_fraction)
        self.seller_far_fraction = float(seller_far_fraction)
        self.min_step, self.max_step = float(min_step), float(max_step)
        self.close_early = bool(close_early)
        self._span = cfg.price_bounds[1] - cfg.price_bounds[0]
        self._step_max = cfg.step_max
        self._max_units = cfg.max_units

    def _step_size(self, obs: np.ndarray) -> float:
        gap = max(float(obs[_GAP]), 0.0) * self._span
        buyer_active = obs[_BUYER_ACTIVE] > 0.5
        side_accepted = obs[_BUYER_ACC] if buyer_active else obs[_SELLER_ACC]
        if side_accepted <= 0.0:
            fraction = self.buyer_far_fraction if buyer_active else self.seller_far_fraction
            return min(self._step_max, max(fraction * gap, self.min_step))
        if self.close_early and max(obs[_BUYER_UNITS], obs[_SELLER_UNITS]) < 1.0:  # counts not clipped
            buyer_units = obs[_BUYER_UNITS] * self._max_units
            seller_units = obs[_SELLER_UNITS] * self._max_units
            if buyer_active:
                covered = obs[_SELLER_ACC] >= 1.0 and obs[_BUYER_ACC] * buyer_units >= seller_units - 1e-6
            else:
                covered = obs[_BUYER_ACC] >= 1.0 and obs[_SELLER_ACC] * seller_units >= buyer_units - 1e-6
            if covered:
                return self._step_max
        return min(max(self.gap_fraction * gap, self.min_step), self.max_step)
