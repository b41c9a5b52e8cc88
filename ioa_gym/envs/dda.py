"""IoA-DDA-v0: the auctioneer of the Tier-2 auction as an MDP (docs/model.md, Sec. 5).

One episode is one auction on a freshly sampled market, under the env's mechanism (``variant``: the classic or
strategy-proof Double Dutch Auction, the double-clock auction, or any registered plug-in). The agent chooses
the size of every clock tick; it pays ``eta`` per tick (information exchange) and earns the welfare efficiency
SW / SW_opt when the auction ends. It observes public information only, never the values or costs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ioa_gym.auctions import (
    BUYER,
    AuctionResult,
    ClockAuction,
    Market,
    efficient_welfare,
    get_mechanism,
    is_tradable,
    observation_layout,
    welfare_efficiency,
)
from ioa_gym.coupling.markets import sample_synthetic_market, sample_tier1_market
from ioa_gym.coupling.store import SlotStore
from ioa_gym.coupling.two_tier import TwoTierResult, sample_coupled_market
from ioa_gym.envs.actions import check_box_action, check_discrete_action, real_array
from ioa_gym.envs.dda_config import MAX_EPISODE_STEPS, DDAEnvConfig, load_slot_store, make_configs
from ioa_gym.envs.history import ObservationHistory, history_names, history_space
from ioa_gym.envs.rendering import bars, make_with_render_mode
from ioa_gym.errors import unknown_option_error
from ioa_gym.tier1.scenario import Scenario, ScenarioConfig
from ioa_gym.tier1.stackelberg import Equilibrium

__all__ = [
    "FINAL_INFO_BEFORE_END",
    "FINAL_INFO_KEYS",
    "INFO_DTYPES",
    "INFO_KEYS",
    "MAX_EPISODE_STEPS",
    "OBS_NAMES",
    "RESET_OPTIONS",
    "STEP_INFO_KEYS",
    "DDAEnvConfig",
    "DoubleDutchAuctionEnv",
    "make_env",
    "observation_names",
]

RESET_OPTIONS = ("market",)
"""What ``reset(options=...)`` takes: ``"market"``, an ``ioa_gym.auctions.Market`` to play instead of a
sampled one."""

STEP_INFO_KEYS = ("buyer_price", "seller_price", "round", "active_clock")
"""Info of the clocks, every step: the clock prices (float64), rounds played (int64) and the clock that moves
next (int64: 1 the buyer clock, 0 the seller clock, as observation entry "buyer_clock_active")."""
FINAL_INFO_KEYS = (
    "auction_ended",
    "clearing_price",
    "units_traded",
    "social_welfare",
    "efficient_welfare",
    "efficiency",
    "rounds",
    "crossed",
    "individually_rational",
    "budget_balanced",
)
"""Info of the auction's outcome, also in every step's info (and reset's): "auction_ended" is True on the step
the auction ends, when the others hold its outcome; before, they hold ``FINAL_INFO_BEFORE_END``."""
INFO_KEYS = STEP_INFO_KEYS + FINAL_INFO_KEYS
"""The keys of every info of IoA-DDA, reset's and each step's alike."""
INFO_DTYPES: dict[str, type[np.generic]] = {
    "buyer_price": np.float64,
    "seller_price": np.float64,
    "round": np.int64,
    "active_clock": np.int64,
    "auction_ended": np.bool_,
    "clearing_price": np.float64,
    "units_traded": np.int64,
    "social_welfare": np.float64,
    "efficient_welfare": np.float64,
    "efficiency": np.float64,
    "rounds": np.int64,
    "crossed": np.bool_,
    "individually_rational": np.bool_,
    "budget_balanced": np.bool_,
}
"""The dtype of each info value: float64 and int64 values are NumPy scalars (``np.float64``, ``np.int64``),
bool values 0-d arrays of dtype bool (``np.array(True)``): Gymnasium's vector envs stack a 0-d array into an
array of its dtype, but an ``np.bool_`` scalar (not an ``np.number``) into an object array."""
FINAL_INFO_BEFORE_END: dict[str, bool | int | float] = {
    "auction_ended": False,
    "clearing_price": 0.0,
    "units_traded": 0,
    "social_welfare": 0.0,
    "efficient_welfare": 0.0,
    "efficiency": 0.0,
    "rounds": 0,
    "crossed": False,
    "individually_rational": True,
    "budget_balanced": True,
}
"""What ``FINAL_INFO_KEYS`` hold until the auction ends: nothing traded yet, so no welfare, no price and no
violation (IR and SBB True, as for an auction that ends without a trade)."""

_ZERO_FLOAT = np.float64(0.0)
_INTS = tuple(np.int64(count) for count in range(MAX_EPISODE_STEPS + 1))
"""np.int64 of 0 .. MAX_EPISODE_STEPS (rounds, the active clock): a lookup costs a tenth of ``np.int64()``."""
_FALSE, _TRUE = np.array(False), np.array(True)
"""Templates of the bool info values, copied into each info (the cheapest fresh 0-d array): Gymnasium's
checker refuses infos that share an object, as a client may write into an info value."""
_INFO_TEMPLATE: dict[str, Any] = {
    **dict.fromkeys(STEP_INFO_KEYS, _INTS[0]),
    **{key: _ZERO_FLOAT if INFO_DTYPES[key] is np.float64 else _INTS[0] for key in FINAL_INFO_KEYS},
}
"""Every info key in ``INFO_KEYS`` order with its value before the end (the numbers of
``FINAL_INFO_BEFORE_END``; the clocks and the bool arrays are written into each copy)."""

OBS_NAMES = observation_layout("accepted")
"""The full observation layout, as the classic DDA shows it (every entry public): the clock prices normalised
by the price bounds; the clock gap (``ClockAuction.clock_gap``, P_B - P_S for the DDA) / (upper - lower) in
[-1, 1]; 1 if the buyer clock moves next; rounds / max_rounds; the units each side has accepted as fractions
of its units, in all and in the last tick; the market's size (participants / max participants, units / max
units, clipped to 1); the last step normalised to [0, 1] on the action scale. A mechanism counts what its
public history holds in entries 5-8 (``Mechanism.counted``: the double clock's exits) and may show a subset
(``Mechanism.observation_names``: the strategy-proof DDA hides its acceptances)."""
_MARKET_ENTRIES = slice(9, 13)
_LAST_STEP = 13


def observation_names(variant: str) -> tuple[str, ...]:
    """The observation layout of IoA-DDA under mechanism ``variant`` (``Mechanism.observation_names``): every
    entry public information of that mechanism, so that under an incentive-compatible mechanism no policy can
    make the outcome depend on the reports beyond what keeps it IC (docs/model.md, Sec. 4 and 5)."""
    names = get_mechanism(variant).observation_names
    assert names is not None
    return names


def observation_index(variant: str) -> list[int] | None:
    """Entries of the full 14-entry layout that ``variant``'s observation keeps (None: all)."""
    mechanism = get_mechanism(variant)
    layout = observation_layout(mechanism.counted)
    names = observation_names(variant)
    return None if names == layout else [layout.index(name) for name in names]


def sample_market_coupled(
    config: DDAEnvConfig, scenario_config: ScenarioConfig, rng: np.random.Generator
) -> tuple[Market, TwoTierResult]:
    """A Tier-1 market with the tiers coupled (``coupling="clearing"``): the reference auctioneer plays the
    env's mechanism, bounds and round limit."""
    return sample_coupled_market(
        scenario_config,
        rng,
        variant=config.variant,
        price_bounds=config.price_bounds,
        max_rounds=config.max_rounds,
        **config.solver,
    )


def check_reset_options(options: Any, valid: tuple[str, ...], owner: str = "reset()") -> None:
    """``reset``'s options: None or a dict of the ``valid`` names (else ValueError / ``OptionError``)."""
    if options is None:
        return
    if not isinstance(options, dict):
        raise ValueError(f"options of reset() must be a dict or None, got {options!r}")
    if unknown := set(options) - set(valid):
        raise unknown_option_error(f"{owner} options", map(str, unknown), valid)


def check_market_option(market: Any) -> None:
    """``reset(options={"market": ...})`` plays only a tradable ``Market``, as sampled ones are (both sides
    present and SW_opt > 0): on any other the efficiency SW / SW_opt is undefined (else ValueError)."""
    if not isinstance(market, Market):
        raise ValueError(f"options['market'] must be an ioa_gym.auctions.Market, got {type(market)}")
    if not is_tradable(market):
        raise ValueError(
            f"options['market'] must be a tradable Market (buyers and sellers with units, and some buyer's "
            f"value above some seller's cost, so SW_opt > 0), got {market!r}"
        )


class DoubleDutchAuctionEnv(gym.Env):
    """The Tier-2 auctioneer MDP. See ``DDAEnvConfig`` and ``ScenarioConfig`` for every option; pass them as
    keyword arguments of ``gym.make("IoA-DDA-v0", ...)`` (``scenario=`` takes a whole ScenarioConfig or
    dict). Bad options fail at construction naming the field and its range (ValueError; unknown ones
    ``ioa_gym.errors.OptionError``); an action outside the action space raises ValueError naming it
    (``ioa_gym.envs.actions``: finite Box values outside [-1, 1] are clipped); ``step`` after the auction
    ended raises RuntimeError until ``reset``. A registered id keeps what it promises
    (``DDAEnvConfig.promised_variant``, ``promised_discrete``): the incentive-compatible ids refuse another
    ``variant``, IoA-DDA-Discrete-v0 a ``discrete_steps`` below 2 (ValueError at construction).

    ## Action space

    ``Box(-1, 1, (1,))``: the step of the next tick, mapped to [step_min, step_max] on the ``step_scale``
    (log by default); ``(2,)`` with ``per_clock_steps`` (the buyer clock's step, the seller clock's);
    ``Discrete(discrete_steps)`` of geometrically spaced steps (IoA-DDA-Discrete-v0).

    ## Observation space

    ``Box(float32)``, public information only, the mechanism's entries of this full layout (``obs_names``
    lists them; the strategy-proof DDA hides entries 5-8, the double clock counts exits in them)::

        | index | name                      | meaning                                           | min | max |
        |-------|---------------------------|---------------------------------------------------|-----|-----|
        | 0     | buyer_price               | P_B, (P_B - lower) / (upper - lower)              | 0   | 1   |
        | 1     | seller_price              | P_S, likewise                                     | 0   | 1   |
        | 2     | clock_gap                 | clock_gap / (upper - lower) (DDA P_B - P_S)       | -1  | 1   |
        | 3     | buyer_clock_active        | 1 if the buyer clock moves next                   | 0   | 1   |
        | 4     | round_fraction            | rounds / max_rounds                               | 0   | 1   |
        | 5     | buyer_units_<counted>     | buyer units accepted (exited) / buyer units       | 0   | 1   |
        | 6     | seller_units_<counted>    | seller units accepted (exited) / seller units     | 0   | 1   |
        | 7     | buyer_<counted>_last_tick | of them, in the last tick                         | 0   | 1   |
        | 8     | seller_<counted>_last_tick| of them, in the last tick                         | 0   | 1   |
        | 9     | n_buyers                  | buyers / max_buyers, clipped                      | 0   | 1   |
        | 10    | n_sellers                 | sellers / max_sellers, clipped                    | 0   | 1   |
        | 11    | buyer_units               | buyer units / max_units, clipped                  | 0   | 1   |
        | 12    | seller_units              | seller units / max_units, clipped                 | 0   | 1   |
        | 13    | last_step                 | the last step on the action scale (0 at reset)    | 0   | 1   |

    ## Rewards

    ``-eta`` per tick, plus SW / SW_opt when the auction ends: the return is efficiency - eta x rounds.

    ## Info

    Every info, reset's and each step's, has the keys ``INFO_KEYS``, each value a NumPy number of one dtype
    (``INFO_DTYPES``), never nan and never an object, so that vector envs stack them and replay buffers
    (Tianshou's, TorchRL's info readers) store them::

        | key                   | dtype   | before the end | on the step the auction ends               |
        |-----------------------|---------|----------------|--------------------------------------------|
        | buyer_price           | float64 | P_B            | P_B                                        |
        | seller_price          | float64 | P_S            | P_S                                        |
        | round                 | int64   | rounds played  | rounds played                              |
        | active_clock          | int64   | 1 if the buyer clock moves next, else 0 ("buyer_clock_active")  |
        | auction_ended         | bool    | False          | True                                       |
        | clearing_price        | float64 | 0.0            | p* of (T2.6), also when no unit trades     |
        | units_traded          | int64   | 0              | q (T2.8)                                   |
        | social_welfare        | float64 | 0.0            | SW (T2.10)                                 |
        | efficient_welfare     | float64 | 0.0            | SW_opt (T2.11)                             |
        | efficiency            | float64 | 0.0            | SW / SW_opt (T2.12), the reward's part     |
        | rounds                | int64   | 0              | rounds the auction took                    |
        | crossed               | bool    | False          | whether the clocks crossed                 |
        | individually_rational | bool    | True           | IR of the result, checked on the reports   |
        | budget_balanced       | bool    | True           | SBB of the result                          |

    float64 and int64 values are NumPy scalars, bool values 0-d bool arrays (``INFO_DTYPES``). The
    per-participant result (units, payments and revenues of each buyer and seller, whose lengths vary by
    market) is no info value: ``last_result`` holds the ``AuctionResult`` of the last auction that ended,
    until the next one ends (after ``reset`` too, so a vector env that resets on the final step keeps it:
    ``get_attr("last_result")``)."""

    metadata = {
        "render_modes": ["ansi", "rgb_array"],
        "render_fps": 4,
        # What an evaluation report shows of the final info (read by agents.evaluation, not by the env):
        # numeric keys as table columns, boolean keys counted as violations when False, scatter plots.
        "report": {
            "columns": {"efficiency": "efficiency", "rounds": "rounds", "clearing_price": "clearing\nprice"},
            "violations": {"individually_rational": "IR\nviol.", "budget_balanced": "SBB\nviol."},
            "scatter": [("rounds", "efficiency")],
        },
    }

    scenario: Scenario | None
    """The Tier-1 slot behind the episode's market (set by ``reset``; None for a synthetic or given one)."""
    equilibrium: Equilibrium | None
    """Its Stackelberg equilibrium (likewise)."""
    last_result: AuctionResult | None
    """The ``AuctionResult`` of the last auction that ended in this env (per-participant units, payments and
    revenues), kept until the next one ends; None before the first."""
    _discrete_space: spaces.Discrete | None = None
    """The action space when it is Discrete (``discrete_steps``), else None."""
    _box_space: spaces.Box

    def __init__(self, render_mode: str | None = None, **kwargs: Any) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}"
            )
        self.render_mode = render_mode
        self.scenario_config, self.config = make_configs(kwargs)
        cfg = self.config
        self._lower, self._upper = cfg.price_bounds
        self._span = self._upper - self._lower
        self._log_ratio = math.log(cfg.step_max / cfg.step_min)
        self._log_scale = cfg.step_scale == "log"
        self._step_min, self._step_range = cfg.step_min, cfg.step_max - cfg.step_min
        if cfg.discrete_steps:
            self.step_sizes: np.ndarray | None = np.geomspace(cfg.step_min, cfg.step_max, cfg.discrete_steps)
            self._step_list: list[float] = self.step_sizes.tolist()
            self.action_space = self._discrete_space = spaces.Discrete(cfg.discrete_steps)
        else:
            self.step_sizes = None
            self.action_space = self._box_space = spaces.Box(
                -1.0, 1.0, (2 if cfg.per_clock_steps else 1,), np.float32
            )
        self.mechanism = get_mechanism(cfg.variant)
        """The auction mechanism (``ioa_gym.auctions.Mechanism``) the env plays."""
        names = observation_names(cfg.variant)
        self.obs_names = history_names(names, cfg.history_length)
        """Name of each observation entry: with ``history_length`` k > 1, the k frames oldest first, the
        newest under the plain names and the one j steps back as ``name@-j``."""
        self._obs_index = observation_index(cfg.variant)
        low = np.zeros(len(names), np.float32)
        low[names.index("clock_gap")] = -1.0
        frame = spaces.Box(low, np.ones(len(names), np.float32), dtype=np.float32)
        self.observation_space = history_space(frame, cfg.history_length)
        self._history = (
            ObservationHistory(1, cfg.history_length, len(names)) if cfg.history_length > 1 else None
        )
        self.auction: ClockAuction | None = None
        self.market: Market | None = None
        self.two_tier: TwoTierResult | None = None
        """With ``coupling="clearing"``: the aerial-price iteration of the episode's slot."""
        self.last_result = None
        self._obs = np.zeros(len(OBS_NAMES), np.float32)

    # -- action scale ----------------------------------------------------------------------------

    def action_to_step(self, action: Any) -> np.ndarray:
        """Step size(s) of an action: Discrete index -> ``step_sizes[i]`` (an integer in [0, n), else
        ValueError); Box entries in [-1, 1] -> [step_min, step_max] on the configured scale, one step per
        entry of any array (finite values outside [-1, 1] are clipped; NaN or inf raise ValueError).
        ``step`` itself also checks the action's shape (``ioa_gym.envs.actions``)."""
        if self.step_sizes is not None:
            discrete = cast(spaces.Discrete, self.action_space)  # Discrete whenever step_sizes is set
            return np.array([self._step_list[check_discrete_action(action, discrete)]])
        flat = real_array(action, self.action_space).astype(float).reshape(-1)
        if not np.isfinite(flat).all():
            raise ValueError(
                f"action must be finite (the action space is {self.action_space}), got {action!r}"
            )
        return np.array([self._entry_to_step(a) for a in flat.tolist()])

    def _entry_to_step(self, a: float) -> float:
        """Step of one Box action entry. Scalar math: ``step`` calls this once per tick, and NumPy's
        per-call overhead on 1-element arrays was most of the env's step time."""
        frac = 0.5 * (min(max(a, -1.0), 1.0) + 1.0)  # finite (checked): clipped to the action space
        if self._log_scale:
            return self._step_min * math.exp(frac * self._log_ratio)
        return self._step_min + frac * self._step_range

    def step_to_action(self, step: float | Sequence[float]) -> np.ndarray | int:
        """Inverse of ``action_to_step``: the action that ticks by ``step`` (for Discrete spaces, the
        nearest step on the log scale). With ``per_clock_steps``, ``step`` may also be a (buyer_step,
        seller_step) pair. A step outside [step_min, step_max] raises ValueError."""
        if isinstance(step, (list, tuple, np.ndarray)):
            if not (self.config.per_clock_steps and len(step) == 2):
                raise ValueError(
                    f"step must be one number, or a (buyer_step, seller_step) pair with per_clock_steps=True "
                    f"(per_clock_steps={self.config.per_clock_steps}), got {step!r}"
                )
            pair = [float(self._checked_step(entry)) for entry in step]
            return np.array([2.0 * self._step_fraction(entry) - 1.0 for entry in pair], dtype=np.float32)
        step = self._checked_step(step)
        if self.step_sizes is not None:
            return int(np.argmin(np.abs(np.log(self.step_sizes) - math.log(step))))
        box = cast(spaces.Box, self.action_space)  # Box whenever step_sizes is None
        return np.full(box.shape, 2.0 * self._step_fraction(step) - 1.0, dtype=np.float32)

    def _checked_step(self, step: Any) -> float:
        """``step`` as a float clipped into [step_min, step_max] (within 1e-9 relative, else ValueError)."""
        cfg = self.config
        if isinstance(step, (bool, np.bool_)) or not isinstance(step, (int, float, np.integer, np.floating)):
            raise ValueError(f"step must be a number in [step_min, step_max], got {step!r}")
        step = float(step)
        if not cfg.step_min * (1 - 1e-9) <= step <= cfg.step_max * (1 + 1e-9):
            raise ValueError(
                f"step must be in [step_min, step_max] = [{cfg.step_min}, {cfg.step_max}], got {step}"
            )
        return min(max(step, cfg.step_min), cfg.step_max)

    def _step_fraction(self, step: float) -> float:
        """Position of ``step`` in [step_min, step_max] on the action scale, in [0, 1]; 0 when
        step_min == step_max (every action is that one step)."""
        if self._step_range == 0.0:
            return 0.0
        if self._log_scale or self.step_sizes is not None:
            return math.log(step / self._step_min) / self._log_ratio
        return (step - self._step_min) / self._step_range

    # -- episode ---------------------------------------------------------------------------------

    _store: SlotStore | None = None
    """The slot store (``slot_store``), read at the first reset that draws from it."""

    def _sample_market(self) -> Market:
        cfg = self.config
        self.two_tier = None
        if cfg.slot_store is not False:  # Tier-1 markets pre-solved (ioa_gym.coupling.store)
            if self._store is None:
                self._store = load_slot_store(cfg, self.scenario_config)
            self.scenario = self.equilibrium = None
            return self._store.sample(self.np_random)
        if cfg.market_source == "tier1":
            if cfg.coupling == "clearing":
                market, self.two_tier = sample_market_coupled(cfg, self.scenario_config, self.np_random)
                self.scenario, self.equilibrium = self.two_tier.scenario, self.two_tier.equilibrium
                return market
            market, self.scenario, self.equilibrium = sample_tier1_market(
                self.scenario_config, self.np_random, **cfg.solver
            )
            return market
        self.scenario = self.equilibrium = None
        return sample_synthetic_market(
            self.np_random,
            cfg.synthetic_buyers,
            cfg.synthetic_sellers,
            cfg.synthetic_units,
            cfg.synthetic_values,
            cfg.synthetic_costs,
        )

    def reset(
        self, *, seed: int | None = None, options: dict | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        check_reset_options(options, RESET_OPTIONS)
        super().reset(seed=seed)
        if options and "market" in options:  # evaluate on a given market (e.g. an IC audit)
            market = options["market"]
            check_market_option(market)
            self.scenario = self.equilibrium = self.two_tier = None
        else:
            market = self._sample_market()
        self.market = market
        cfg = self.config
        self.auction = self.mechanism.make_auction(
            market, cfg.price_bounds, cfg.max_rounds, seed=self.np_random
        )
        self._obs[_MARKET_ENTRIES] = (
            min(market.n_buyers / cfg.max_buyers, 1.0),
            min(market.n_sellers / cfg.max_sellers, 1.0),
            min(market.total_buyer_units / cfg.max_units, 1.0),
            min(market.total_seller_units / cfg.max_units, 1.0),
        )
        self._efficient_welfare = efficient_welfare(market)
        self._last_step_obs = 0.0
        self._update_obs(0, 0)
        if self._history is not None:
            return self._history.reset_one(self._observation()), self._info()
        return self._observation(), self._info()

    def _observation(self) -> np.ndarray:
        """A copy of the observation in the variant's layout."""
        return self._obs.copy() if self._obs_index is None else self._obs[self._obs_index]

    def _update_obs(self, new_buyers: int, new_sellers: int, counts: tuple[int, int] | None = None) -> None:
        """The observation of the auction now; ``counts``: its ``public_counts()`` if the caller has them."""
        auction, market, lower, span = self.auction, self.market, self._lower, self._span
        assert auction is not None and market is not None  # called after reset
        nb, ns = market.total_buyer_units or 1, market.total_seller_units or 1  # max(units, 1): units >= 0
        buyers, sellers = auction.public_counts() if counts is None else counts
        # Clipped as min(max(x, low), high) clips (the same -0.0 and ties), without the builtins' calls.
        buyer = (auction.buyer_price - lower) / span
        buyer = 0.0 if 0.0 > buyer else buyer
        seller = (auction.seller_price - lower) / span
        seller = 0.0 if 0.0 > seller else seller
        gap = auction.clock_gap / span
        gap = -1.0 if -1.0 > gap else gap
        # One slice assignment: per-element writes into the float32 array cost more than the maths.
        self._obs[:9] = (
            1.0 if 1.0 < buyer else buyer,
            1.0 if 1.0 < seller else seller,
            1.0 if 1.0 < gap else gap,
            1.0 if auction.active_clock == BUYER else 0.0,
            auction.rounds / auction.max_rounds,
            buyers / nb,
            sellers / ns,
            new_buyers / nb,
            new_sellers / ns,
        )
        self._obs[_LAST_STEP] = self._last_step_obs

    def _info(self) -> dict[str, Any]:
        """Every info key: the clocks now, the outcome's keys before the end (``FINAL_INFO_BEFORE_END``): a
        copy of a template of the constant values (in ``INFO_KEYS`` order) with the clocks and fresh bool
        arrays written in (a dict display of all fourteen cost a tenth of a step more)."""
        a = self.auction
        assert a is not None  # called after reset
        info = _INFO_TEMPLATE.copy()
        info["buyer_price"] = np.float64(a.buyer_price)
        info["seller_price"] = np.float64(a.seller_price)
        info["round"] = _INTS[a.rounds]  # rounds <= max_rounds <= MAX_EPISODE_STEPS
        info["active_clock"] = _INTS[1 if a.active_clock == BUYER else 0]
        info["auction_ended"] = _FALSE.copy()
        info["crossed"] = _FALSE.copy()
        info["individually_rational"] = _TRUE.copy()
        info["budget_balanced"] = _TRUE.copy()
        return info

    def _outcome_info(self, auction: ClockAuction) -> tuple[dict[str, Any], float]:
        """The info of ``FINAL_INFO_KEYS`` once ``auction`` has ended, and its efficiency; keeps its result as
        ``last_result``."""
        result = self.last_result = auction.result()
        efficiency = welfare_efficiency(result.social_welfare, self._efficient_welfare)
        info = {
            "auction_ended": _TRUE.copy(),
            "clearing_price": np.float64(auction.closing_price),
            "units_traded": np.int64(result.units_traded),
            "social_welfare": np.float64(result.social_welfare),
            "efficient_welfare": np.float64(self._efficient_welfare),
            "efficiency": np.float64(efficiency),
            "rounds": np.int64(result.rounds),
            "crossed": (_TRUE if result.crossed else _FALSE).copy(),
            "individually_rational": (_TRUE if result.individually_rational else _FALSE).copy(),
            "budget_balanced": (_TRUE if result.budget_balanced else _FALSE).copy(),
        }
        return info, efficiency

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        auction = self.auction
        if auction is None:
            raise RuntimeError("call reset() before step()")
        if auction.done:
            raise RuntimeError(
                "the episode has ended (the auction cleared: terminated); call reset() before step()"
            )
        # The step, and its position on the action scale for the observation: _entry_to_step and
        # _step_fraction inlined (the same operations), as this runs every tick.
        if self._discrete_space is not None:
            step = self._step_list[check_discrete_action(action, self._discrete_space)]
            log_scale = True  # the step sizes are geometric
        else:
            entries = check_box_action(action, self._box_space)
            # One entry: the step of both clocks; two (per_clock_steps): buyer clock, seller clock.
            entry = entries[1] if len(entries) > 1 and auction.active_clock != BUYER else entries[0]
            entry = -1.0 if -1.0 > entry else entry
            frac = 0.5 * ((1.0 if 1.0 < entry else entry) + 1.0)  # finite (checked): clipped to [-1, 1]
            log_scale = self._log_scale
            if log_scale:
                step = self._step_min * math.exp(frac * self._log_ratio)
            else:
                step = self._step_min + frac * self._step_range
        if self._step_range == 0.0:
            fraction = 0.0
        elif log_scale:
            fraction = math.log(step / self._step_min) / self._log_ratio
        else:
            fraction = (step - self._step_min) / self._step_range
        buyers_before, sellers_before = auction.public_counts()
        auction.tick(step)
        self._last_step_obs = fraction
        counts = auction.public_counts()
        self._update_obs(counts[0] - buyers_before, counts[1] - sellers_before, counts)
        reward = -self.config.eta
        info = self._info()
        terminated = auction.done
        if terminated:
            outcome, efficiency = self._outcome_info(auction)
            info.update(outcome)
            reward += efficiency
        obs = self._observation() if self._history is None else self._history.push_one(self._observation())
        return obs, float(reward), terminated, False, info

    def render(self) -> str | np.ndarray | None:
        """ "ansi": one line of text; "rgb_array": bars for P_B, P_S, the buyer and seller units the mechanism
        counts (accepted, exited...) and rounds used (all as fractions)."""
        if self.render_mode is None or self.auction is None:
            return None
        a = self.auction
        if self.render_mode == "rgb_array":
            return bars(self._obs[[0, 1, 5, 6, 4]])
        buyers, sellers = a.public_counts()
        assert self.market is not None  # set with the auction
        return (
            f"round {a.rounds:4d}  P_B {a.buyer_price:8.3f}  P_S {a.seller_price:8.3f}  "
            f"{self.mechanism.counted or 'counted'} {buyers}/{self.market.total_buyer_units} "
            f"buyer units, {sellers}/{self.market.total_seller_units} seller units"
        )


def make_env(render_mode: str | None = None, **kwargs: Any) -> gym.Env:
    """Entry point of IoA-DDA-v0 and IoA-DDA-Discrete-v0: ``DoubleDutchAuctionEnv(render_mode, **kwargs)``,
    with "human" and "<mode>_list" render modes checked here
    (``ioa_gym.envs.rendering.make_with_render_mode``)."""
    return make_with_render_mode(DoubleDutchAuctionEnv, render_mode, kwargs)
