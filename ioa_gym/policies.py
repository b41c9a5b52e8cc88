"""The reference auctioneer of IoA-DDA-v0 that reads only the public observation.

``AdaptiveStepPolicy``: a hand-written rule: large steps while the active clock's side has not accepted yet
(far from the market), then a step proportional to the clock gap, and the largest step once no further
acceptance can add a trade. It has the Stable-Baselines3 ``predict`` interface so that any harness treats it
like a trained agent, and can be built for a single env or for any vector env of IoA-DDA (it needs only its
configuration: :func:`ioa_gym.envs.access.dda_env`).

The classic DDA auctioneer, one step size for every tick, is the generic constant-action baseline
``agents.baselines.FixedStepAgent(env, step=...)`` (registry name ``fixed-step``), which converts the step
with the env's ``step_to_action``.

:data:`REFERENCE_POLICIES` is what this package offers to agent registries (``agents`` registers it as
``adaptive``): the env side names its policies, the agent side never imports them by a hard-coded path.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from ioa_gym.envs.access import dda_env
from ioa_gym.envs.dda import OBS_NAMES

_GAP = OBS_NAMES.index("clock_gap")
_BUYER_ACTIVE = OBS_NAMES.index("buyer_clock_active")
_BUYER_ACC = OBS_NAMES.index("buyer_units_accepted")
_SELLER_ACC = OBS_NAMES.index("seller_units_accepted")
_BUYER_UNITS = OBS_NAMES.index("buyer_units")
_SELLER_UNITS = OBS_NAMES.index("seller_units")


class _ReferencePolicy:
    """predict() over single or batched observations, SB3 style."""

    def __init__(self, env: gym.Env | Any) -> None:
        self.env = dda_env(env, "this policy")
        self.observation_space = self.env.observation_space
        self.action_space = self.env.action_space

    def _step_size(self, obs: np.ndarray) -> float:
        raise NotImplementedError

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, Any]:
        obs = np.asarray(observation, dtype=float)
        batched = obs.ndim == 2
        rows = obs if batched else obs[None]
        actions = np.array([self.env.step_to_action(self._step_size(row)) for row in rows])
        return (actions if batched else actions[0]), state

    def learn(self, *args: Any, **kwargs: Any) -> _ReferencePolicy:
        return self


class AdaptiveStepPolicy(_ReferencePolicy):
    """Hand-written adaptive auctioneer, reading only the public observation:

    1. while the active clock's side has accepted nothing yet (the clock is still far from the market),
       jump by a fraction of the clock gap: ``buyer_far_fraction`` for the buyer clock, the smaller
       ``seller_far_fraction`` for the seller clock (the sellers are usually the long side, rationed by
       acceptance order, so their clock must sort them by cost);
    2. once the accepted units of the active side cover every unit of the other side and the other side
       has fully accepted, no further acceptance can add a trade: take the largest step to close fast;
    3. otherwise tick by ``gap_fraction`` of the gap, clipped to [``min_step``, ``max_step``], so the clocks
       slow down as they close in without wasting rounds on tiny ticks.
    """

    def __init__(
        self,
        env: gym.Env,
        gap_fraction: float = 0.25,
        buyer_far_fraction: float = 0.5,
        seller_far_fraction: float = 0.2,
        min_step: float = 0.2,
        max_step: float = 1.0,
        close_early: bool = True,
    ) -> None:
        super().__init__(env)
        for name, value in (
            ("gap_fraction", gap_fraction),
            ("buyer_far_fraction", buyer_far_fraction),
            ("seller_far_fraction", seller_far_fraction),
        ):
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {value}")
        cfg = self.env.config
        if not cfg.step_min <= min_step <= max_step <= cfg.step_max:
            raise ValueError(
                f"min_step and max_step must satisfy step_min <= min_step <= max_step <= "
                f"step_max ({cfg.step_min}, {cfg.step_max}), got {min_step}, {max_step}"
            )
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


REFERENCE_POLICIES = {
    "adaptive": ("ioa_gym.policies:AdaptiveStepPolicy", "hand-written adaptive step rule"),
}
"""Registry name -> (``"module:Class"``, description) of the reference policies this package offers."""

__all__ = ["REFERENCE_POLICIES", "AdaptiveStepPolicy"]
