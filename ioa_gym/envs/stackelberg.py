"""IoA-Stackelberg-v0: the pricing side of Tier 1 as an MDP (docs/model.md, Sec. 6).

The agent sets the unit price of one leader (by default the first FA). Each step is a new time slot
with fresh tasks and channels: the other leaders answer with their best response (Algorithm 1) to
the agent's price and their own previous prices, the WAs with theirs (Eq. 10), and the FAs' overflow
shares are updated. The reward is the agent's utility divided by what its own best-response price
would have earned in the same slot, so 1.0 is optimal and the oracle is known.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ioa_gym.checks import check_int
from ioa_gym.envs.actions import check_box_action
from ioa_gym.envs.dda import check_reset_options
from ioa_gym.envs.rendering import bars, make_with_render_mode
from ioa_gym.tier1.latency import slot_summary
from ioa_gym.tier1.pricing import pricing_step
from ioa_gym.tier1.scenario import Scenario, config_from_options
from ioa_gym.tier1.stackelberg import solve_equilibrium

REWARD_FLOOR = -1.0
"""Rewards are clipped below at this value (a price far above the market can earn a large loss)."""


def _clip(x: float) -> float:
    """np.clip(x, -1, 1) of one number: NaN stays NaN, a finite x meets the bounds as NumPy's maximum and
    minimum do (the same value whichever side a tie takes)."""
    if x != x:
        return x
    x = x if x > -1.0 else -1.0
    return x if x < 1.0 else 1.0


class StackelbergPricingEnv(gym.Env):
    """Price one leader against best-responding leaders and followers.

    Keyword arguments: ``leader`` (index in 0..L-1, MAs first; default the first FA, or the first MA
    when there is no FA), ``scenario`` (a ScenarioConfig or dict), or any ScenarioConfig field.

    ## Action space

    ``Box(-1, 1, (1,))`` mapped linearly to [c_l, p_max] of the current slot (finite values outside [-1, 1]
    are clipped; NaN, inf or a wrong shape raise ValueError naming the action space). Unknown options raise
    ``ioa_gym.errors.OptionError``.

    ## Observation space

    ``Box(-1, 1, (L + 9,), float32)`` for L leaders, every entry normalised and clipped to [-1, 1]::

        | index          | meaning                                                              | min | max |
        |----------------|----------------------------------------------------------------------|-----|-----|
        | 0              | own unit cost c_l / p_max                                            | 0   | 1   |
        | 1              | 1 if the agent is an FA                                              | 0   | 1   |
        | 2              | own capacity / largest FA capacity (0 for an MA)                     | 0   | 1   |
        | 3              | own previous price / p_max                                           | 0   | 1   |
        | 4 .. L + 2     | the other leaders' previous prices / p_max (leader order, MAs first) | 0   | 1   |
        | L + 3          | mean WA work / largest work                                          | 0   | 1   |
        | L + 4          | mean satisfaction weight / largest weight                            | 0   | 1   |
        | L + 5          | mean cost adjustment per Gcycle towards the agent (Eq. 8) / p_max    | -1  | 1   |
        | L + 6          | own previous load / (N x largest work)                               | 0   | 1   |
        | L + 7          | own previous overflow share phi (0 for an MA)                        | 0   | 1   |
        | L + 8          | the aerial price / p_max                                             | 0   | 1   |

    ## Rewards

    The agent's utility divided by what its own best-response price would have earned in the same slot
    (1.0 is optimal), clipped below at ``REWARD_FLOOR``.

    ## Info

    Every info, reset's and each step's, has the same keys, each value a float64 array of a fixed shape or a
    float64 NumPy scalar (``np.float64``), never nan, so that vector envs and replay buffers store them: the
    posted ``prices`` (L,), the WAs' offloading ``ratios`` (N, L), the ``loads`` (L,), every leader's
    ``utilities`` (L,), the ``agent_utility`` and its best response's ``best_response_price`` and
    ``best_response_utility`` (scalars), the FAs' ``overflow_share`` (J,), and the slot's latency
    (``ioa_gym.tier1.latency`` at the realised shares): ``latency`` per WA (s, (N,)),
    ``latency_by_composition`` (the WA->MA, WA->FA and WA->FA->AA parts summed over WAs, (3,)) and the WAs'
    ``energy`` (J, (N,)). A step's info is its slot's outcome; reset's is the outcome of the slot the episode
    starts from, the first slot's equilibrium (``solve_equilibrium``, whose prices are the previous prices of
    the first step), where the agent's own equilibrium price and utility stand for its best response's.
    """

    metadata = {
        "render_modes": ["ansi", "rgb_array"],
        "render_fps": 4,
        # What an evaluation report shows of the final info (see IoA-DDA-v0's metadata).
        "report": {
            "columns": {"agent_utility": "agent\nutility", "best_response_utility": "best-response\nutility"}
        },
    }

    action_space: spaces.Box

    def __init__(self, render_mode: str | None = None, leader: int | None = None, **kwargs: Any) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}"
            )
        self.render_mode = render_mode
        self.scenario_config = cfg = config_from_options(kwargs, "IoA-Stackelberg", {"leader"})
        n_leaders = cfg.n_leaders
        default_leader = cfg.n_ma if cfg.n_fa else 0
        self.leader = check_int("leader", default_leader if leader is None else leader, 0, n_leaders - 1)
        self.is_fa = self.leader >= cfg.n_ma
        self._others = np.array([k for k in range(n_leaders) if k != self.leader], dtype=int)
        self._others_list: list[int] = self._others.tolist()
        self._max_work = cfg.task_data_range[1] * cfg.task_intensity_range[1]
        self.action_space = spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.observation_space = spaces.Box(-1.0, 1.0, (n_leaders + 9,), np.float32)
        self.scenario: Scenario | None = None

    def action_to_price(self, action: Any) -> float:
        """Price in [c_l, p_max] of the current slot for an action in [-1, 1] (finite values outside are
        clipped; an action outside the action space, wrong shape, NaN or inf, raises ValueError)."""
        a = check_box_action(action, self.action_space)[0]
        a = a if a > -1.0 else -1.0  # np.clip(a, -1, 1) of a finite number, without NumPy's call
        a = a if a < 1.0 else 1.0
        scenario = self._slot("action_to_price")
        low = float(scenario.leader_unit_cost[self.leader])
        return low + 0.5 * (a + 1.0) * (scenario.max_price - low)

    def price_to_action(self, price: float) -> np.ndarray:
        """Inverse of :meth:`action_to_price` (prices outside [c_l, p_max] are clipped into it)."""
        scenario = self._slot("price_to_action")
        low = float(scenario.leader_unit_cost[self.leader])
        frac = (np.clip(price, low, scenario.max_price) - low) / (scenario.max_price - low)
        return np.array([2.0 * frac - 1.0], dtype=np.float32)

    def _slot(self, caller: str) -> Scenario:
        """The current slot; RuntimeError before the first ``reset`` (there is no slot, no price range)."""
        if self.scenario is None:
            raise RuntimeError(f"call reset() before {caller}(): the price range is the current slot's")
        return self.scenario

    def _observation(self) -> np.ndarray:
        sc, cfg, me = self.scenario, self.scenario_config, self.leader
        assert sc is not None  # called after reset
        p_max = cfg.max_price
        # The agent's column of a_{n,l}(phi) (Eq. 8) per Gcycle, without building the whole (N, L) array.
        adjustment = sc.direct_cost_adjustment[:, me]
        if self.is_fa:
            fa = me - cfg.n_ma
            share = self._share[fa]
            capacity = sc.fa_capacity[fa] / cfg.fa_capacity_range[1]
            adjustment = adjustment + share * sc.aerial_cost_extra[:, fa]
        else:
            share = capacity = 0.0
        prices = self._prices.tolist()
        n_wa = sc.n_wa
        # Means as ndarray.mean() computes them (NumPy's pairwise sum, divided by the count), without its
        # Python wrapper; the scalars in Python floats (the same IEEE operations); clipped to [-1, 1] as
        # np.clip clips finite numbers, and rounded to float32 once.
        obs = [
            sc.leader_unit_cost[me] / p_max,
            float(self.is_fa),
            capacity,
            prices[me] / p_max,
            *(prices[k] / p_max for k in self._others_list),
            np.add.reduce(sc.task_work) / n_wa / self._max_work,
            np.add.reduce(sc.satisfaction_weight) / n_wa / cfg.satisfaction_weight_range[1],
            np.add.reduce(adjustment / sc.task_work) / n_wa / p_max,
            self._loads[me] / (n_wa * self._max_work),
            share,
            cfg.aerial_price / p_max,
        ]
        return np.array([_clip(float(x)) for x in obs], dtype=np.float32)

    def reset(
        self, *, seed: int | None = None, options: dict | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        check_reset_options(options, ())
        super().reset(seed=seed)
        # Start from the equilibrium of a first slot, so the other leaders' prices are meaningful.
        first = self.scenario_config.sample(self.np_random)
        equilibrium = solve_equilibrium(first)
        self._prices = equilibrium.prices.copy()
        self._share = equilibrium.overflow_share.copy()
        self._loads = equilibrium.loads.copy()
        self.scenario = self.scenario_config.sample(self.np_random)
        utilities, me = equilibrium.leader_utilities, self.leader
        outcome = (self._prices, equilibrium.ratios, self._loads, utilities, self._share)
        info = self._info(first, *outcome, utilities[me], self._prices[me], utilities[me])
        return self._observation(), info

    @staticmethod
    def _info(
        slot: Scenario,
        prices: np.ndarray,
        ratios: np.ndarray,
        loads: np.ndarray,
        utilities: np.ndarray,
        share: np.ndarray,
        agent_utility: float,
        best_response_price: float,
        best_response_utility: float,
    ) -> dict[str, Any]:
        """A slot's outcome as info values, with its latency (``ioa_gym.tier1.latency`` at the shares)."""
        return {
            "prices": prices.copy(),
            "ratios": ratios,
            "loads": loads,
            "utilities": utilities,
            "agent_utility": np.float64(agent_utility),
            "best_response_price": np.float64(best_response_price),
            "best_response_utility": np.float64(best_response_utility),
            "overflow_share": share,
            # The slot's latency at the realised overflow shares: per WA, and summed per composition (WA->MA,
            # WA->FA, WA->FA->AA); the WAs' energy.
            **dict(
                zip(
                    ("latency", "latency_by_composition", "energy"),
                    slot_summary(slot, ratios, share),
                    strict=True,
                )
            ),
        }

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self.scenario is None:
            raise RuntimeError("call reset() before step()")
        sc, me = self.scenario, self.leader
        price = self.action_to_price(action)
        # The other leaders best-respond to the agent's price and their own previous prices; the oracle, the
        # agent's own best response to those prices in this slot; the slot's outcome: one compiled call
        # (ioa_gym.tier1.pricing, the same numbers as best_response_prices twice and slot_outcome).
        posted, best_price, best_utility, ratios, loads, utilities, share = pricing_step(
            sc, self._prices, self._share, me, price
        )
        utility = float(utilities[me])
        best_utility = max(float(best_utility), utility)  # the grid search is exact only to its resolution
        if best_utility > 1e-9:
            reward = max(utility / best_utility, REWARD_FLOOR)
        else:  # nothing to earn in this slot: pricing is optimal unless it loses money
            reward = 1.0 if utility >= -1e-9 else REWARD_FLOOR
        info = self._info(sc, posted, ratios, loads, utilities, share, utility, best_price, best_utility)
        self._prices, self._share, self._loads = posted, share, loads
        self.scenario = self.scenario_config.sample(self.np_random)  # the next slot
        return self._observation(), float(reward), False, False, info

    def render(self) -> str | np.ndarray | None:
        """ "ansi": the posted prices; "rgb_array": one bar per leader's price / p_max."""
        if self.render_mode is None or self.scenario is None:
            return None
        if self.render_mode == "rgb_array":
            return bars(self._prices / self.scenario_config.max_price)
        return "prices " + " ".join(f"{p:6.3f}" for p in self._prices)


def make_env(render_mode: str | None = None, **kwargs: Any) -> gym.Env:
    """Entry point of IoA-Stackelberg-v0: ``StackelbergPricingEnv(render_mode, **kwargs)``, with "human" and
    "<mode>_list" render modes checked here (``ioa_gym.envs.rendering.make_with_render_mode``)."""
    return make_with_render_mode(StackelbergPricingEnv, render_mode, kwargs, unlisted=True)
