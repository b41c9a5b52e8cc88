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

import math
from typing import Any

import gymnasium as gym
import numpy as np

from ioa_gym.auctions.clock import ClockAuction
from ioa_gym.auctions.oracle import DEFAULT_MAX_NODES, OracleResult, clairvoyant
from ioa_gym.envs.access import dda_env


class _ReferencePolicy:
    """predict() over single or batched observations, SB3 style."""

    def __init__(self, env: gym.Env | Any) -> None:
        self.env = dda_env(env, "this policy")
        self.observation_space = self.env.observation_space
        self.action_space = self.env.action_space

    def _step_size(self, obs: np.ndarray) -> float | tuple[float, float]:
        """The step of this tick: one number, or a (buyer_step, seller_step) pair on a per-clock env."""
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

    It reads the observation by name (``env.obs_names``), so it runs on every variant. Under
    ``"double-clock"`` exits play the part of acceptances in rule 1 (the active side has had no exit yet) and
    rule 2 does not apply.

    The strategy-proof observation has neither, and there the clearing price, hence the efficiency, is only
    where the clocks meet: one step for both clocks always meets at the middle of the bounds and trades
    almost nothing. With a step per clock (``per_clock_steps``, IoA-DDA-StrategyProof-v0) the rule is
    instead a *meeting* rule: both clocks head for ``target_price`` (default: where the mechanism's best
    fixed pair ``(s_B, s_S)`` makes them meet, ``lower + (upper - lower) s_S / (s_B + s_S)``), each covering
    its distance in as few ticks as the largest step allows, the two spread over the same number of ticks so
    that they arrive together; once the standing clock has reached the target, the moving one crosses it
    with the largest step (the clearing price is the standing clock's). It reads only the clock prices and
    whose turn it is, so the step sequence ignores every report and the auction stays IC. Without a step
    per clock it is rule 3 alone (an acceptance-blind step).
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
        target_price: float | None = None,
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
        names = self.env.obs_names
        self._gap, self._buyer_active = names.index("clock_gap"), names.index("buyer_clock_active")
        self._buyer_units, self._seller_units = names.index("buyer_units"), names.index("seller_units")
        # Which entries count the side's progress: acceptances (classic), exits (double-clock), none.
        self._counts = next(
            (
                (names.index(f"buyer_units_{word}"), names.index(f"seller_units_{word}"))
                for word in ("accepted", "exited")
                if f"buyer_units_{word}" in names
            ),
            None,
        )
        self._close_early = self.close_early and "buyer_units_accepted" in names
        self._lower = cfg.price_bounds[0]
        self._step_min = cfg.step_min
        self._meet = self._counts is None and cfg.per_clock_steps
        if target_price is None:
            best = self.env.mechanism.best_fixed_step
            share = best[1] / (best[0] + best[1]) if isinstance(best, tuple) else 0.5
            target_price = self._lower + self._span * share
        if not cfg.price_bounds[0] < target_price < cfg.price_bounds[1]:
            raise ValueError(
                f"target_price must lie inside the price bounds {cfg.price_bounds}, got {target_price}"
            )
        self.target_price = float(target_price)
        self._price_entries = names.index("buyer_price"), names.index("seller_price")

    def _meeting_steps(self, obs: np.ndarray, target: float | None = None) -> tuple[float, float]:
        """(buyer_step, seller_step) of the meeting rule (per-clock steps, no acceptances observed) towards
        ``target`` (default ``target_price``)."""
        buyer = self._lower + float(obs[self._price_entries[0]]) * self._span
        seller = self._lower + float(obs[self._price_entries[1]]) * self._span
        target = self.target_price if target is None else target
        tolerance = 1e-3 * self._span
        if (buyer_active := obs[self._buyer_active] > 0.5) and seller >= target - tolerance:
            return self._step_max, self._step_max  # the seller clock stands at the target: cross it
        if not buyer_active and buyer <= target + tolerance:
            return self._step_max, self._step_max
        distances = max(buyer - target, 0.0), max(target - seller, 0.0)
        ticks = max(1, *(math.ceil(d / self._step_max - 1e-9) for d in distances))
        low, high = self._step_min, self._step_max
        return min(max(distances[0] / ticks, low), high), min(max(distances[1] / ticks, low), high)

    def _step_size(self, obs: np.ndarray) -> float | tuple[float, float]:
        if self._meet:
            return self._meeting_steps(obs)
        gap = max(float(obs[self._gap]), 0.0) * self._span
        if self._counts is None:
            return min(max(self.gap_fraction * gap, self.min_step), self.max_step)
        buyer_active = obs[self._buyer_active] > 0.5
        buyer_count, seller_count = (obs[i] for i in self._counts)
        side_accepted = buyer_count if buyer_active else seller_count
        if side_accepted <= 0.0:
            fraction = self.buyer_far_fraction if buyer_active else self.seller_far_fraction
            return min(self._step_max, max(fraction * gap, self.min_step))
        if self._close_early and max(obs[self._buyer_units], obs[self._seller_units]) < 1.0:  # not clipped
            buyer_units = obs[self._buyer_units] * self._max_units
            seller_units = obs[self._seller_units] * self._max_units
            if buyer_active:
                covered = seller_count >= 1.0 and buyer_count * buyer_units >= seller_units - 1e-6
            else:
                covered = buyer_count >= 1.0 and seller_count * seller_units >= buyer_units - 1e-6
            if covered:
                return self._step_max
        return min(max(self.gap_fraction * gap, self.min_step), self.max_step)


class ClairvoyantPolicy(_ReferencePolicy):
    """The clairvoyant ceiling (:func:`ioa_gym.auctions.oracle.clairvoyant`) as an agent: at the first tick of
    each auction it reads the env's auction, private values and rationing draw included, plans the best step
    sequence (over the discrete env's step sizes, or event-aligned steps in [step_min, step_max]) and then
    plays it. Not an auctioneer a real market could run: an upper bound for reading the others against.

    It needs the single env it plays (it reads that env's ``auction``; a vector env raises ValueError).
    ``plans`` holds the :class:`~ioa_gym.auctions.oracle.OracleResult` of every auction planned, in order.
    """

    def __init__(self, env: gym.Env, max_nodes: int | None = None) -> None:
        super().__init__(env)
        if getattr(env, "unwrapped", env) is not self.env:  # a vector env: dda_env built a private copy
            raise ValueError(
                "the clairvoyant policy needs the single IoA-DDA env it plays (it reads its auction), "
                f"got {type(env).__name__}"
            )
        self.max_nodes = max_nodes
        self.plans: list[OracleResult] = []
        self._auction: ClockAuction | None = None
        self._steps: tuple[float, ...] = ()
        self._start = 0

    def _plan(self) -> None:
        env, cfg = self.env, self.env.config
        auction = env.auction
        if auction is None or auction.done:
            raise ValueError("the clairvoyant policy plays a reset env whose auction is running")
        budget = DEFAULT_MAX_NODES if self.max_nodes is None else self.max_nodes
        if env.step_sizes is not None:
            plan = clairvoyant(auction, cfg.eta, steps=env.step_sizes, max_nodes=budget)
        else:
            plan = clairvoyant(auction, cfg.eta, step_range=(cfg.step_min, cfg.step_max), max_nodes=budget)
        self.plans.append(plan)
        self._auction, self._steps, self._start = auction, plan.steps, auction.rounds

    def _step_size(self, obs: np.ndarray) -> float:
        auction = self.env.auction
        if (
            auction is None
            or auction is not self._auction
            or auction.rounds - self._start >= len(self._steps)
        ):
            self._plan()  # a ValueError when the env has no running auction
            auction = self.env.auction
            assert auction is not None
        return self._steps[auction.rounds - self._start]


REFERENCE_POLICIES = {
    "adaptive": ("ioa_gym.analysis.policies:AdaptiveStepPolicy", "hand-written adaptive step rule"),
    "clairvoyant": (
        "ioa_gym.analysis.policies:ClairvoyantPolicy",
        "upper bound: plans each auction seeing the values and costs (ioa_gym.auctions.oracle)",
    ),
}
"""Registry name -> (``"module:Class"``, description) of the reference policies this package offers."""

__all__ = ["REFERENCE_POLICIES", "AdaptiveStepPolicy", "ClairvoyantPolicy"]
