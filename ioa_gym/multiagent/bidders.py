"""The Tier-2 bidders as PettingZoo agents: the buyers (overloaded FAs) and sellers (AAs) of one market choose
what to report to the auction (docs/model.md, Sec. 4 and 7).

One episode is one auction: ``reset`` draws a market (a Tier-1 slot's, or a synthetic one), every participant
present reports its value (buyers) or cost (sellers) plus an offset it chooses, the auction runs to its end
under a fixed auctioneer and mechanism variant, and each participant is rewarded with its *true* utility:
units bought times (value - price) for a buyer, units sold times (price - cost) for a seller. Under the
incentive-compatible mechanisms ("strategy-proof" with an acceptance-blind auctioneer, "double-clock" with
any) reporting the truth is a best response; under the classic DDA a misreport can gain (the IC audit's
finding, ``ioa_gym.analysis.ic_audit``).

Agents are the slots ``buyer_0 .. buyer_{max_buyers - 1}`` and ``seller_0 .. seller_{max_sellers - 1}``
(``possible_agents``). With ``pad_agents=True`` (the default) every slot is an agent of every episode, the
slots that the market lacks as padding participants that cannot trade (no agent death: SuperSuit's
``pettingzoo_env_to_vec_env_v1`` takes the env as it is); with ``pad_agents=False`` an episode's ``agents``
are those its market has.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv

from ioa_gym.auctions import (
    DEFAULT_MECHANISM,
    Auction,
    AuctionResult,
    Market,
    check_auction_options,
    fixed_step,
    get_mechanism,
    make_auction,
    mechanism_names,
)
from ioa_gym.checks import check_int, check_scalar
from ioa_gym.coupling.markets import sample_synthetic_market, sample_tier1_market
from ioa_gym.coupling.two_tier import REFERENCE_STEP
from ioa_gym.envs.actions import check_box_action
from ioa_gym.multiagent._common import ResetResult, StepResult, check_actions
from ioa_gym.tier1.scenario import config_from_options

MARKET_SOURCES = ("tier1", "synthetic")


class BiddersEnv(ParallelEnv):
    """The participants of one Tier-2 auction report at once (a ``pettingzoo.ParallelEnv``).

    Keyword arguments: ``variant`` (a registered mechanism, ``ioa_gym.auctions.mechanism_names()``; default
    the classic DDA),
    ``step`` (the auctioneer: a fixed step, or a (buyer_step, seller_step) pair; default None, the
    mechanism's best fixed step ``Mechanism.best_fixed_step``: 1.42, (4.0, 1.0) and 0.713; a
    symmetric step on the strategy-proof DDA meets mid-range and trades almost nothing), ``max_offset``
    (the largest misreport, money per Gcycle; default 3.0),
    ``market_source`` ("tier1" or "synthetic"), ``max_buyers`` / ``max_sellers`` (agent slots; default 6 and
    8: a market with more participants is redrawn), ``price_bounds`` and ``max_rounds`` of the auction,
    ``scenario`` or any ScenarioConfig field (Tier-1 markets), ``pad_agents`` (default True: every slot of
    ``possible_agents`` is an agent of every episode; False: only the market's participants).

    A padding agent (``pad_agents=True``, a slot beyond the market's buyers or sellers) is a participant with
    no units: its observation says so (own value and units 0), its action is checked and ignored, its reward
    is 0 and its info has ``in_market`` False. The market's participants play exactly as with
    ``pad_agents=False``: the auction runs on the market alone, with the same draws.

    Per agent: action ``Box(-1, 1, (1,))``, the report's offset from the truth as a fraction of
    ``max_offset`` (0 is truthful). Observation ``Box(-1, 1, (5,), float32)``, clipped to [-1, 1]::

        | index | meaning                                              | min | max |
        |-------|------------------------------------------------------|-----|-----|
        | 0     | own true value (buyer) or cost (seller) / upper bound | -1  | 1   |
        |       | (0 for a padding agent)                              |     |     |
        | 1     | own units / 64 (0: cannot trade, e.g. padding)       | 0   | 1   |
        | 2     | 1 for a buyer, 0 for a seller                        | 0   | 1   |
        | 3     | buyers in the market / max_buyers                    | 0   | 1   |
        | 4     | sellers in the market / max_sellers                  | 0   | 1   |

    Reward: true utility
    (money per Gcycle times units). Info: ``report``, ``truth``, ``units_traded``, ``price`` (the clearing
    price, the closing price when nothing trades), ``truthful_utility`` (what the agent would have got
    reporting the truth, the others' reports unchanged) and ``in_market`` (False for a padding agent, whose
    report, truth, units and utilities are 0).
    """

    metadata: dict[str, Any] = {"name": "ioa_bidders_v0", "render_modes": ["ansi"], "is_parallelizable": True}

    def __init__(
        self,
        render_mode: str | None = None,
        variant: str = DEFAULT_MECHANISM,
        step: float | Sequence[float] | None = None,
        max_offset: float = 3.0,
        market_source: str = "tier1",
        max_buyers: int = 6,
        max_sellers: int = 8,
        price_bounds: tuple[float, float] = (0.0, 30.0),
        max_rounds: int = 300,
        pad_agents: bool = True,
        **kwargs: Any,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}"
            )
        self.render_mode = render_mode
        if not isinstance(variant, str) or variant not in mechanism_names():
            raise ValueError(f"variant must be one of {list(mechanism_names())}, got {variant!r}")
        if not isinstance(market_source, str) or market_source not in MARKET_SOURCES:
            raise ValueError(f"market_source must be one of {list(MARKET_SOURCES)}, got {market_source!r}")
        self.variant, self.market_source = variant, market_source
        best = get_mechanism(variant).best_fixed_step
        default = REFERENCE_STEP if best is None else best  # a plug-in that measured none: the classic's
        self.auctioneer_step = default if step is None else step
        self.step_policy: Callable[[Auction], float] = fixed_step(self.auctioneer_step)
        self.max_offset = check_scalar("max_offset", max_offset, 0.0, 1e6)
        self.max_buyers = check_int("max_buyers", max_buyers, 1, 1000)
        self.max_sellers = check_int("max_sellers", max_sellers, 1, 1000)
        self.max_rounds = check_int("max_rounds", max_rounds, 1, 10**6)
        self.price_bounds = check_auction_options(price_bounds, self.max_rounds)
        if not isinstance(pad_agents, (bool, np.bool_)):
            raise ValueError(f"pad_agents must be a bool, got {pad_agents!r}")
        self.pad_agents = bool(pad_agents)
        own = {"variant", "step", "max_offset", "market_source", "max_buyers", "max_sellers", "price_bounds"}
        self.config = config_from_options(kwargs, "bidders_v0", own | {"max_rounds", "pad_agents"})
        self.possible_agents = [f"buyer_{b}" for b in range(self.max_buyers)] + [
            f"seller_{s}" for s in range(self.max_sellers)
        ]
        self.agents: list[str] = []
        self._action_space = spaces.Box(-1.0, 1.0, (1,), np.float32)
        self._observation_space = spaces.Box(-1.0, 1.0, (5,), np.float32)
        self._np_random, _ = seeding.np_random(None)
        self.market: Market | None = None

    def observation_space(self, agent: str) -> spaces.Box:
        self._slot(agent)
        return self._observation_space

    def action_space(self, agent: str) -> spaces.Box:
        self._slot(agent)
        return self._action_space

    def _slot(self, agent: str) -> tuple[bool, int]:
        """(is a buyer, participant index) of an agent name."""
        if agent not in self.possible_agents:
            raise ValueError(f"unknown agent {agent!r}; the agent slots are {self.possible_agents}")
        side, index = agent.split("_")
        return side == "buyer", int(index)

    def offset_to_action(self, offset: float) -> np.ndarray:
        """The action that reports ``truth + offset`` (offsets beyond +-max_offset are clipped)."""
        if self.max_offset == 0.0:
            return np.zeros(1, np.float32)
        return np.array([np.clip(offset / self.max_offset, -1.0, 1.0)], dtype=np.float32)

    # -- dynamics --------------------------------------------------------------------------------------

    def _sample(self) -> Market:
        for _ in range(1000):
            if self.market_source == "tier1":
                market = sample_tier1_market(self.config, self._np_random)[0]
            else:
                market = sample_synthetic_market(
                    self._np_random, (2, 5), (2, 7), (1, 4), (4.0, 12.0), (1.0, 9.0)
                )
            if market.n_buyers <= self.max_buyers and market.n_sellers <= self.max_sellers:
                return market
        raise ValueError(
            f"no market with at most max_buyers={self.max_buyers} buyers and max_sellers={self.max_sellers} "
            "sellers in 1000 draws; raise them"
        )

    def reset(self, seed: int | None = None, options: dict | None = None) -> ResetResult:
        # No reset option is defined; a dict is accepted and ignored, as PettingZoo's API test requires.
        if options is not None and not isinstance(options, dict):
            raise ValueError(f"options must be None or a dict, got {options!r}")
        if seed is not None:
            self._np_random, _ = seeding.np_random(seed)
        self.market = market = self._sample()
        self._rationing_seed = int(self._np_random.integers(2**63))
        self._participants = [f"buyer_{b}" for b in range(market.n_buyers)] + [
            f"seller_{s}" for s in range(market.n_sellers)
        ]
        self.agents = list(self.possible_agents if self.pad_agents else self._participants)
        observations = {agent: self._observation(agent) for agent in self.agents}
        return observations, {agent: {} for agent in self.agents}

    def _truth(self, agent: str) -> tuple[float, int]:
        """(true value or cost, units) of an agent; (0.0, 0) for a padding agent."""
        buyer, index = self._slot(agent)
        market = self.market
        assert market is not None  # called after reset
        if buyer:
            if index >= market.n_buyers:
                return 0.0, 0
            return float(market.buyer_values[index]), int(market.buyer_units[index])
        if index >= market.n_sellers:
            return 0.0, 0
        return float(market.seller_costs[index]), int(market.seller_units[index])

    def _observation(self, agent: str) -> np.ndarray:
        truth, units = self._truth(agent)
        buyer, _ = self._slot(agent)
        assert self.market is not None  # called after reset
        obs = (
            truth / self.price_bounds[1],
            units / 64.0,
            float(buyer),
            self.market.n_buyers / self.max_buyers,
            self.market.n_sellers / self.max_sellers,
        )
        return np.clip(np.array(obs), -1.0, 1.0).astype(np.float32)

    def _play(self, values: np.ndarray, costs: np.ndarray) -> tuple[AuctionResult, float]:
        market = self.market
        assert market is not None  # called after reset
        reported = Market(values, market.buyer_units, costs, market.seller_units)
        auction = make_auction(
            reported, self.variant, self.price_bounds, self.max_rounds, self._rationing_seed
        )
        while not auction.done:
            auction.tick(self.step_policy(auction))
        return auction.result(), auction.closing_price

    def _utilities(self, result: AuctionResult) -> np.ndarray:
        market, price = self.market, result.clearing_price
        assert market is not None  # called after reset
        if result.units_traded == 0:
            return np.zeros(market.n_buyers + market.n_sellers)
        buyers = result.buyer_units_traded * (market.buyer_values - price)
        sellers = result.seller_units_traded * (price - market.seller_costs)
        return np.concatenate([buyers, sellers])

    def step(self, actions: dict[str, Any]) -> StepResult:
        check_actions(self.agents, actions)
        market = self.market
        assert market is not None  # live agents: the env was reset
        # Every live agent's action is checked; a padding agent's is then ignored (it cannot trade).
        checked = {
            agent: float(np.clip(check_box_action(actions[agent], self._action_space)[0], -1.0, 1.0))
            for agent in self.agents
        }
        participants = self._participants
        offsets = np.array([checked[a] for a in participants]) * self.max_offset
        n_buyers = market.n_buyers
        values = market.buyer_values + offsets[:n_buyers]
        costs = market.seller_costs + offsets[n_buyers:]
        result, closing = self._play(values, costs)
        utilities = self._utilities(result)
        traded = np.concatenate([result.buyer_units_traded, result.seller_units_traded])
        reports = np.concatenate([values, costs])
        price = float(closing if math.isnan(result.clearing_price) else result.clearing_price)
        infos, rewards = {}, {}
        for i, agent in enumerate(participants):
            truthful_values, truthful_costs = values.copy(), costs.copy()
            if i < n_buyers:
                truthful_values[i] = market.buyer_values[i]
            else:
                truthful_costs[i - n_buyers] = market.seller_costs[i - n_buyers]
            truthful = (
                utilities[i]
                if offsets[i] == 0.0
                else self._utilities(self._play(truthful_values, truthful_costs)[0])[i]
            )
            infos[agent] = {
                "report": float(reports[i]),
                "truth": self._truth(agent)[0],
                "units_traded": int(traded[i]),
                "price": price,
                "truthful_utility": float(truthful),
                "in_market": True,
            }
            rewards[agent] = float(utilities[i])
        for agent in self.agents:
            if agent not in infos:  # a padding agent: no units, no trade
                keys = ("report", "truth", "units_traded", "price", "truthful_utility", "in_market")
                infos[agent] = dict(zip(keys, (0.0, 0.0, 0, price, 0.0, False), strict=True))
                rewards[agent] = 0.0
        # In the agents' order (buyers, then sellers), as the observations.
        infos = {agent: infos[agent] for agent in self.agents}
        rewards = {agent: rewards[agent] for agent in self.agents}
        terminations = {agent: True for agent in self.agents}
        truncations = {agent: False for agent in self.agents}
        observations = {agent: self._observation(agent) for agent in self.agents}
        self.agents = []
        return observations, rewards, terminations, truncations, infos

    def render(self) -> str | None:
        if self.render_mode is None or self.market is None:
            return None
        return f"market: {self.market.n_buyers} buyers, {self.market.n_sellers} sellers ({self.variant})"

    def close(self) -> None:
        pass
