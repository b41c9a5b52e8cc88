"""The Tier-1 leaders as PettingZoo agents: every MA and FA posts its unit price each slot (docs/model.md,
Sec. 2 and 6).

Each step is one slot with fresh tasks and channels (or, with ``fixed_slot=True``, the same slot again, where
best-response dynamics can settle). Every leader posts a price; the WAs best-respond (Eq. 10) given the FAs'
previous overflow shares; overloaded FAs pay the aerial price for their overflow (Eq. 11b); the shares are
updated (Eq. 12). Each agent is rewarded with its utility and told, in its info, what its best response
(Algorithm 1) to the others' posted prices would have earned in the same slot, as IoA-Stackelberg-v0 does for
its one leader.

The economics is the same code as the rest of the package (``ioa_gym.tier1.stackelberg``: ``slot_outcome``,
``best_response_prices``, ``solve_equilibrium``); this module adds only the PettingZoo interface.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv

from ioa_gym.checks import check_int
from ioa_gym.envs.actions import check_box_action
from ioa_gym.multiagent._common import ResetResult, StepResult, check_actions
from ioa_gym.tier1.scenario import Scenario, ScenarioConfig, config_from_options
from ioa_gym.tier1.stackelberg import best_response_prices, slot_outcome, solve_equilibrium


def agent_names(config: ScenarioConfig) -> list[str]:
    """``ma_0 .. ma_{I-1}``, then ``fa_0 .. fa_{J-1}``: the leaders in index order (MAs first)."""
    return [f"ma_{i}" for i in range(config.n_ma)] + [f"fa_{j}" for j in range(config.n_fa)]


class LeadersEnv(ParallelEnv):
    """Every MA and FA prices at once (a ``pettingzoo.ParallelEnv``).

    ``reset(options={"prices": p})`` starts from the previous prices ``p`` (one per leader, in [c_l, p_max]
    of the first slot) instead of that slot's equilibrium.

    Keyword arguments: ``max_slots`` (steps per episode, default 50: then every agent is truncated),
    ``fixed_slot`` (replay the first slot every step; default False), ``scenario`` (a ScenarioConfig or a
    dict) or any ScenarioConfig field. Unknown options raise ``ioa_gym.errors.OptionError``.

    Per agent (leader l): action ``Box(-1, 1, (1,))`` mapped linearly to [c_l, p_max] of the slot (finite
    values outside are clipped; NaN, inf or a wrong shape raise ValueError naming the space). Observation
    ``Box(-1, 1, (L + 9,), float32)``, IoA-Stackelberg-v0's layout for leader l::

        | index      | meaning                                                            | min | max |
        |------------|--------------------------------------------------------------------|-----|-----|
        | 0          | own unit cost c_l / p_max                                          | 0   | 1   |
        | 1          | 1 if the leader is an FA                                           | 0   | 1   |
        | 2          | own capacity / largest FA capacity (0 for an MA)                   | 0   | 1   |
        | 3          | own previous price / p_max                                         | 0   | 1   |
        | 4 .. L + 2 | the other leaders' previous prices / p_max (index order)           | 0   | 1   |
        | L + 3      | mean WA work / largest work                                        | 0   | 1   |
        | L + 4      | mean satisfaction weight / largest weight                          | 0   | 1   |
        | L + 5      | own mean cost adjustment per Gcycle (Eq. 8) / p_max                | -1  | 1   |
        | L + 6      | own previous load / (N x largest work)                             | 0   | 1   |
        | L + 7      | own previous overflow share phi (0 for an MA)                      | 0   | 1   |
        | L + 8      | the aerial price / p_max                                           | 0   | 1   |

    Reward: the leader's utility (Eq. 11a-b, money). Info: ``price``, ``utility``, ``best_response_price``
    and ``best_response_utility`` (its best response to the others' posted prices in the same slot, never
    below the utility) and ``load``, all floats.
    """

    metadata: dict[str, Any] = {"name": "ioa_leaders_v0", "render_modes": ["ansi"], "is_parallelizable": True}

    def __init__(
        self, render_mode: str | None = None, max_slots: int = 50, fixed_slot: bool = False, **kwargs: Any
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}"
            )
        self.render_mode = render_mode
        self.config = cfg = config_from_options(kwargs, "leaders_v0", {"max_slots", "fixed_slot"})
        self.max_slots = check_int("max_slots", max_slots, 1, 10**6)
        if not isinstance(fixed_slot, (bool, np.bool_)):
            raise ValueError(f"fixed_slot must be a bool, got {fixed_slot!r}")
        self.fixed_slot = bool(fixed_slot)
        self.possible_agents = agent_names(cfg)
        self.agents: list[str] = []
        n_leaders = cfg.n_leaders
        self._action_space = spaces.Box(-1.0, 1.0, (1,), np.float32)
        self._observation_space = spaces.Box(-1.0, 1.0, (n_leaders + 9,), np.float32)
        self._max_work = cfg.task_data_range[1] * cfg.task_intensity_range[1]
        self._np_random, _ = seeding.np_random(None)
        self.scenario: Scenario | None = None
        self._slots = 0

    # -- spaces ----------------------------------------------------------------------------------------

    def observation_space(self, agent: str) -> spaces.Box:
        self._index(agent)
        return self._observation_space

    def action_space(self, agent: str) -> spaces.Box:
        self._index(agent)
        return self._action_space

    def _index(self, agent: str) -> int:
        try:
            return self.possible_agents.index(agent)
        except ValueError:
            raise ValueError(f"unknown agent {agent!r}; the agents are {self.possible_agents}") from None

    def action_to_price(self, agent: str, action: Any) -> float:
        """Price in [c_l, p_max] of the current slot for ``agent``'s action in [-1, 1]."""
        leader = self._index(agent)
        a = float(np.clip(check_box_action(action, self._action_space)[0], -1.0, 1.0))
        low = float(self._slot("action_to_price").leader_unit_cost[leader])
        return low + 0.5 * (a + 1.0) * (self.config.max_price - low)

    def price_to_action(self, agent: str, price: float) -> np.ndarray:
        """Inverse of :meth:`action_to_price` (prices outside [c_l, p_max] are clipped into it)."""
        leader = self._index(agent)
        low = float(self._slot("price_to_action").leader_unit_cost[leader])
        fraction = (np.clip(price, low, self.config.max_price) - low) / (self.config.max_price - low)
        return np.array([2.0 * fraction - 1.0], dtype=np.float32)

    # -- dynamics --------------------------------------------------------------------------------------

    def reset(self, seed: int | None = None, options: dict | None = None) -> ResetResult:
        # One option, "prices"; other keys are ignored (PettingZoo's API test passes one of its own).
        if options is not None and not isinstance(options, dict):
            raise ValueError(f"options must be None or a dict (key 'prices'), got {options!r}")
        if seed is not None:
            self._np_random, _ = seeding.np_random(seed)
        first = self.config.sample(self._np_random)
        equilibrium = solve_equilibrium(first)
        self._prices = equilibrium.prices.copy()
        self._share = equilibrium.overflow_share.copy()
        self._loads = equilibrium.loads.copy()
        if options and options.get("prices") is not None:
            self._prices = self._starting_prices(first, options["prices"])
        self._first = first
        self.scenario = first if self.fixed_slot else self.config.sample(self._np_random)
        self.agents = list(self.possible_agents)
        self._slots = 0
        infos = {agent: {"price": float(self._prices[i])} for i, agent in enumerate(self.agents)}
        return self._observations(), infos

    def _starting_prices(self, first: Scenario, prices: Any) -> np.ndarray:
        n_leaders, low, high = self.config.n_leaders, first.leader_unit_cost, self.config.max_price
        try:
            array = np.asarray(prices, dtype=float)
        except (TypeError, ValueError):
            array = None
        if array is None or array.shape != (n_leaders,) or not np.all(np.isfinite(array)):
            raise ValueError(
                f"options['prices'] must be {n_leaders} finite prices (one per leader), got {prices!r}"
            )
        if np.any(array < low - 1e-12) or np.any(array > high):
            raise ValueError(
                f"options['prices'] must lie in [c_l, p_max] of the first slot, c_l = "
                f"{low.round(4).tolist()}, p_max = {high}; got {array.tolist()}"
            )
        return array

    def best_responses(self) -> np.ndarray:
        """Every leader's best response (Algorithm 1) to the others' previous prices in the current slot, with
        the FAs' previous overflow shares: the prices best-response dynamics would post next."""
        prices, _ = best_response_prices(self._slot("best_responses"), self._prices, self._share)
        return prices

    def _slot(self, caller: str) -> Scenario:
        """The current slot; RuntimeError before the first ``reset``."""
        if self.scenario is None:
            raise RuntimeError(f"call reset() before {caller}(): it reads the current slot")
        return self.scenario

    def step(self, actions: dict[str, Any]) -> StepResult:
        check_actions(self.agents, actions)
        sc = self.scenario
        assert sc is not None  # live agents: the env was reset
        posted = np.array([self.action_to_price(agent, actions[agent]) for agent in self.possible_agents])
        ratios, loads, utilities, share = slot_outcome(sc, posted, self._share)
        # Each leader's best response to the others' posted prices (one batched search over all leaders); the
        # search is exact to its resolution, so a posted price may do a hair better.
        best_prices, best_utilities = best_response_prices(sc, posted, self._share)
        best_utilities = np.maximum(best_utilities, utilities)
        rewards = {agent: float(utilities[i]) for i, agent in enumerate(self.possible_agents)}
        infos = {
            agent: {
                "price": float(posted[i]),
                "utility": float(utilities[i]),
                "best_response_price": float(best_prices[i]),
                "best_response_utility": float(best_utilities[i]),
                "load": float(loads[i]),
            }
            for i, agent in enumerate(self.possible_agents)
        }
        self._prices, self._share, self._loads = posted, share, loads
        self._slots += 1
        if not self.fixed_slot:
            self.scenario = self.config.sample(self._np_random)
        truncated = self._slots >= self.max_slots
        observations = self._observations()
        terminations = {agent: False for agent in self.agents}
        truncations = {agent: truncated for agent in self.agents}
        if truncated:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def _observations(self) -> dict[str, np.ndarray]:
        sc, cfg = self.scenario, self.config
        assert sc is not None  # called after reset
        p_max, n_leaders = cfg.max_price, cfg.n_leaders
        mean_work = sc.task_work.mean() / self._max_work
        mean_weight = sc.satisfaction_weight.mean() / cfg.satisfaction_weight_range[1]
        adjustment = sc.cost_adjustment(self._share) / sc.task_work[:, None]  # (N, L) per Gcycle
        observations = {}
        for leader, agent in enumerate(self.possible_agents):
            is_fa = leader >= cfg.n_ma
            j = leader - cfg.n_ma
            obs = np.empty(n_leaders + 9)
            obs[:4] = (
                sc.leader_unit_cost[leader] / p_max,
                float(is_fa),
                sc.fa_capacity[j] / cfg.fa_capacity_range[1] if is_fa else 0.0,
                self._prices[leader] / p_max,
            )
            obs[4 : 4 + n_leaders - 1] = np.delete(self._prices, leader) / p_max
            obs[3 + n_leaders :] = (
                mean_work,
                mean_weight,
                adjustment[:, leader].mean() / p_max,
                self._loads[leader] / (sc.n_wa * self._max_work),
                self._share[j] if is_fa else 0.0,
                cfg.aerial_price / p_max,
            )
            observations[agent] = np.clip(obs, -1.0, 1.0).astype(np.float32)
        return observations

    def render(self) -> str | None:
        if self.render_mode is None or self.scenario is None:
            return None
        return "prices " + " ".join(
            f"{agent}={p:6.3f}" for agent, p in zip(self.possible_agents, self._prices, strict=True)
        )

    def close(self) -> None:
        pass

    def state(self) -> np.ndarray:
        """The public state: every leader's previous price / p_max and the FAs' overflow shares."""
        return np.concatenate([self._prices / self.config.max_price, self._share]).astype(np.float32)
