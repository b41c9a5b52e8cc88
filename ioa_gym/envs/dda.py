"""IoA-DDA-v0: the auctioneer of the Tier-2 Double Dutch Auction as an MDP (docs/model.md, Sec. 5).

One episode is one auction on a freshly sampled market. The agent chooses the size of every clock
tick; it pays ``eta`` per tick (information exchange) and earns the welfare efficiency SW / SW_opt
when the auction ends. It observes public information only, never the values or costs.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ioa_gym.auction import (
    BUYER,
    DOUBLE_CLOCK,
    MAX_UNITS,
    VARIANTS,
    Auction,
    Market,
    efficient_welfare,
    make_auction,
    welfare_efficiency,
)
from ioa_gym.envs.actions import check_box_action, check_discrete_action, real_array
from ioa_gym.envs.rendering import bars, make_with_render_mode
from ioa_gym.errors import unknown_option_error
from ioa_gym.markets import (
    is_tradable,
    sample_synthetic_market,
    sample_tier1_market,
    synthetic_tradable_probability,
)
from ioa_gym.scenario import ScenarioConfig, _check_int, _check_int_range, _check_range, _check_scalar
from ioa_gym.stackelberg import check_solver_options
from ioa_gym.two_tier import COUPLINGS, TwoTierResult, sample_coupled_market

MARKET_SOURCES = ("tier1", "synthetic")
STEP_SCALES = ("log", "linear")
MAX_EPISODE_STEPS = 1000
"""The registered ``TimeLimit`` of IoA-DDA-v0 and IoA-DDA-Discrete-v0 (``max_episode_steps``), and so the
upper bound of ``max_rounds``: one step is one round, so a longer auction would be cut by the TimeLimit
(truncated, without its efficiency reward) instead of ending by its own round limit."""
RESET_OPTIONS = ("market",)
"""What ``reset(options=...)`` takes: ``"market"``, an ``ioa_gym.auction.Market`` to play instead of a sampled
one."""
MIN_TRADABLE_PROBABILITY = 0.02
"""Smallest accepted probability that one synthetic draw is tradable (with the fewest participants): below
it a reset could exhaust its 1000 draws (at 0.02 it fails with probability about 2e-9)."""
MAX_SYNTHETIC_PARTICIPANTS = 10_000
"""Upper bound of ``synthetic_buyers`` and ``synthetic_sellers``."""
STEP_INFO_KEYS = ("buyer_price", "seller_price", "round", "active_clock")
"""Info of every step: the clock prices (float), rounds played (int) and the clock that moves next (int: 1
the buyer clock, 0 the seller clock, as observation entry "buyer_clock_active")."""
FINAL_INFO_KEYS = (
    "clearing_price",
    "units_traded",
    "social_welfare",
    "efficient_welfare",
    "efficiency",
    "rounds",
    "crossed",
    "individually_rational",
    "budget_balanced",
    "result",
)
"""Info added when the auction ends: scalars (float, int or bool, each always the same type) and the
``AuctionResult`` under "result"."""

OBS_NAMES = (
    "buyer_price",
    "seller_price",
    "clock_gap",
    "buyer_clock_active",
    "round_fraction",
    "buyer_units_accepted",
    "seller_units_accepted",
    "buyer_accepted_last_tick",
    "seller_accepted_last_tick",
    "n_buyers",
    "n_sellers",
    "buyer_units",
    "seller_units",
    "last_step",
)
"""Observation layout (all public): clock prices normalised by the price bounds; clock gap
(P_B - P_S) / (upper - lower) in [-1, 1]; 1 if the buyer clock moves next; rounds / max_rounds;
accepted units as fractions of each side's units; units accepted in the last tick as fractions;
market size (participants / max participants, units / max units, clipped to 1); the last step
normalised to [0, 1] on the action scale. This is the classic DDA's layout; :func:`observation_names` gives
each variant's."""

DOUBLE_CLOCK_OBS_NAMES = (
    *OBS_NAMES[:5],
    "buyer_units_exited",
    "seller_units_exited",
    "buyer_exited_last_tick",
    "seller_exited_last_tick",
    *OBS_NAMES[9:],
)
"""The double-clock auction's layout: as ``OBS_NAMES``, with the clock gap (P_S - P_B) / (upper - lower) in
[0, 1] and exits (the public history of this mechanism) in place of acceptances."""
STRATEGY_PROOF_OBS_NAMES = (*OBS_NAMES[:5], *OBS_NAMES[9:])
"""The strategy-proof DDA's layout: ``OBS_NAMES`` without the four acceptance entries. Its acceptances reveal
reports, and a step that reacts to them would make the clearing price depend on the reports (T2.13), so the
observation hides them and every policy keeps the variant IC."""
_COUNT_ENTRIES = [5, 6, 7, 8]
"""Entries of the full (classic) layout that count acceptances (double-clock: exits)."""


def observation_names(variant: str) -> tuple[str, ...]:
    """The observation layout of IoA-DDA under ``variant``: every entry public information of that
    mechanism, so that under the ``"strategy-proof"`` and ``"double-clock"`` variants no policy can make
    the outcome depend on the reports beyond what keeps them IC (docs/model.md, Sec. 4 and 5)."""
    if variant == DOUBLE_CLOCK:
        return DOUBLE_CLOCK_OBS_NAMES
    if variant == "strategy-proof":
        return STRATEGY_PROOF_OBS_NAMES
    return OBS_NAMES


def observation_index(variant: str) -> list[int] | None:
    """Entries of the full 14-entry layout that ``variant``'s observation keeps (None: all)."""
    if variant == "strategy-proof":
        return [i for i in range(len(OBS_NAMES)) if i not in _COUNT_ENTRIES]
    return None


def public_counts(auction: Auction) -> tuple[int, int]:
    """The units counted by observation entries 5-8: accepted (DDA) or exited (double-clock), per side."""
    if auction.variant == DOUBLE_CLOCK:
        return auction.buyer_units_exited, auction.seller_units_exited
    return auction.buyer_units_accepted, auction.seller_units_accepted


@dataclass(frozen=True)
class DDAEnvConfig:
    """Options of IoA-DDA-v0 (besides the ``ScenarioConfig`` used for Tier-1 markets)."""

    market_source: str = "tier1"
    """"tier1": scenario -> Stackelberg equilibrium -> overloaded FAs buy from AAs; "synthetic":
    markets drawn from the ranges below. Either way a market is redrawn until it is tradable (both
    sides present and SW_opt > 0)."""
    variant: str = "classic"
    """Mechanism: "classic" or "strategy-proof" (Double Dutch Auctions), or "double-clock" (exits; IR, IC
    and SBB under every policy). The observation depends on it (:func:`observation_names`)."""
    price_bounds: tuple[float, float] = (0.0, 30.0)
    """Public clock start prices (lower, upper), wide compared with the values."""
    step_min: float = 0.02
    """Smallest tick (money per Gcycle)."""
    step_max: float = 4.0
    """Largest tick."""
    step_scale: str = "log"
    """How an action in [-1, 1] maps to [step_min, step_max]: "log" (geometric) or "linear"."""
    per_clock_steps: bool = False
    """If True the action has two entries, the step of the buyer clock and of the seller clock."""
    discrete_steps: int = 0
    """If > 0, a Discrete action space of this many geometrically spaced steps (IoA-DDA-Discrete-v0)."""
    eta: float = 0.004
    """Cost of one tick (one round of information exchange), in efficiency units."""
    max_rounds: int = 300
    """Round limit of the auction (the auction then clears at the clocks' midpoint)."""
    max_buyers: int = 6
    """Normaliser of the observed number of buyers (clipped to 1 above it)."""
    max_sellers: int = 8
    """Normaliser of the observed number of sellers."""
    max_units: int = 64
    """Normaliser of the observed numbers of units per side."""
    synthetic_buyers: tuple[int, int] = (2, 5)
    synthetic_sellers: tuple[int, int] = (2, 7)
    synthetic_units: tuple[int, int] = (1, 4)
    synthetic_values: tuple[float, float] = (4.0, 12.0)
    synthetic_costs: tuple[float, float] = (1.0, 9.0)
    solver: dict = field(default_factory=dict)
    """Keyword arguments of ``solve_equilibrium`` for Tier-1 markets."""
    coupling: str = "none"
    """How the FAs of a Tier-1 slot set their aerial price: "none", the scenario's ``aerial_price``;
    "clearing", iterated with the Tier-2 auction until it is that auction's clearing price under the
    reference auctioneer (``ioa_gym.two_tier``, from ``aerial_price``). ``aerial_price="clearing"`` is
    the same as ``coupling="clearing"``. The env's ``two_tier`` then holds the slot's iteration."""

    def __post_init__(self) -> None:
        for name, choices in (
            ("market_source", MARKET_SOURCES),
            ("variant", VARIANTS),
            ("step_scale", STEP_SCALES),
            ("coupling", COUPLINGS),
        ):
            if not isinstance(value := getattr(self, name), str) or value not in choices:
                raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
        lower, upper = _check_range("price_bounds", self.price_bounds, -1e9, 1e9)
        if not lower < upper:
            raise ValueError(f"price_bounds must have lower < upper, got {self.price_bounds!r}")
        object.__setattr__(self, "price_bounds", (lower, upper))
        _check_scalar("step_min", self.step_min, 0.0, upper - lower, strict_low=True)
        _check_scalar("step_max", self.step_max, self.step_min, upper - lower)
        _check_scalar("eta", self.eta, 0.0, 1.0)
        if _is_int(self.max_rounds) and self.max_rounds > MAX_EPISODE_STEPS:
            raise ValueError(
                f"max_rounds must be an integer in [1, {MAX_EPISODE_STEPS}]: the registered TimeLimit of "
                f"IoA-DDA-v0 (max_episode_steps={MAX_EPISODE_STEPS}) would cut a longer auction before its "
                f"round limit, truncated without its efficiency reward; got max_rounds={self.max_rounds}"
            )
        _check_int("max_rounds", self.max_rounds, 1, MAX_EPISODE_STEPS)
        if not isinstance(self.per_clock_steps, (bool, np.bool_)):
            raise ValueError(f"per_clock_steps must be a bool, got {self.per_clock_steps!r}")
        _check_int("discrete_steps", self.discrete_steps, 0, 1000)
        if self.discrete_steps == 1:
            raise ValueError("discrete_steps must be 0 (continuous) or an integer in [2, 1000], got 1")
        if self.discrete_steps and self.per_clock_steps:
            raise ValueError("per_clock_steps must be False when discrete_steps > 0")
        for name in ("max_buyers", "max_sellers", "max_units"):
            _check_int(name, getattr(self, name), 1)
        for name in ("synthetic_buyers", "synthetic_sellers"):
            object.__setattr__(
                self, name, _check_int_range(name, getattr(self, name), 1, MAX_SYNTHETIC_PARTICIPANTS)
            )
        units = _check_int_range("synthetic_units", self.synthetic_units, 1, MAX_UNITS)
        object.__setattr__(self, "synthetic_units", units)
        most = max(self.synthetic_buyers[1], self.synthetic_sellers[1])
        if units[1] * most > MAX_UNITS:
            raise ValueError(
                f"synthetic_units max x max(synthetic_buyers max, synthetic_sellers max) must be <= "
                f"{MAX_UNITS} (MAX_UNITS, the units of one side of a market), got {units[1]} x {most}"
            )
        # Values that never exceed costs give no tradable market (it would fail at reset, after 1000 draws).
        for name in ("synthetic_values", "synthetic_costs"):
            object.__setattr__(self, name, _check_range(name, getattr(self, name), -1e9, 1e9))
        if not self.synthetic_values[1] > self.synthetic_costs[0]:
            raise ValueError(
                f"synthetic_values max must exceed synthetic_costs min (else no trade has gains and no "
                f"market is tradable), got synthetic_values={self.synthetic_values}, "
                f"synthetic_costs={self.synthetic_costs}"
            )
        probability = synthetic_tradable_probability(
            self.synthetic_buyers[0], self.synthetic_sellers[0], self.synthetic_values, self.synthetic_costs
        )
        if probability < MIN_TRADABLE_PROBABILITY:
            raise ValueError(
                f"synthetic_values={self.synthetic_values} and synthetic_costs={self.synthetic_costs} "
                f"overlap too little: with synthetic_buyers min {self.synthetic_buyers[0]} and "
                f"synthetic_sellers min {self.synthetic_sellers[0]} a draw is tradable (some value "
                f"above some cost) with probability {probability:.3g}, below "
                f"{MIN_TRADABLE_PROBABILITY} (a reset draws at most 1000 markets); widen their overlap"
            )
        object.__setattr__(self, "solver", check_solver_options(self.solver))

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
            for f in dataclasses.fields(self)
        }


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


def check_market_option(market: Market) -> None:
    """``reset(options={"market": ...})`` plays only a tradable market, as sampled ones are (both sides
    present and SW_opt > 0): on any other the efficiency SW / SW_opt is undefined (else ValueError)."""
    if not is_tradable(market):
        raise ValueError(
            f"options['market'] must be a tradable Market (buyers and sellers with units, and some buyer's "
            f"value above some seller's cost, so SW_opt > 0), got {market!r}"
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def make_configs(kwargs: dict[str, Any]) -> tuple[ScenarioConfig, DDAEnvConfig]:
    """Split env kwargs into the scenario (``scenario=`` dict/ScenarioConfig, or ScenarioConfig field
    names given directly) and the env options; unknown names raise ValueError listing valid ones."""
    kwargs = dict(kwargs)
    scenario = kwargs.pop("scenario", None)
    env_names = {f.name for f in dataclasses.fields(DDAEnvConfig)}
    scen_names = {f.name for f in dataclasses.fields(ScenarioConfig) if f.init}
    unknown = sorted(set(kwargs) - env_names - scen_names)
    if unknown:
        raise unknown_option_error("IoA-DDA", unknown, env_names | scen_names | {"scenario", "render_mode"})
    if kwargs.get("aerial_price") == "clearing":  # the coupled tiers (ioa_gym.two_tier)
        if kwargs.get("coupling", "clearing") != "clearing":
            raise ValueError(f"aerial_price='clearing' contradicts coupling={kwargs['coupling']!r}")
        kwargs.pop("aerial_price")
        kwargs["coupling"] = "clearing"
    scen_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in scen_names}
    if isinstance(scenario, ScenarioConfig):
        base = scenario.to_dict()
    elif scenario is None:
        base = {}
    elif isinstance(scenario, dict):
        base = dict(scenario)
    else:
        raise ValueError(f"scenario must be a ScenarioConfig or a dict, got {type(scenario).__name__}")
    env_kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    scenario_config = ScenarioConfig.from_dict({**base, **scen_kwargs})
    env_config = DDAEnvConfig(**env_kwargs)
    if env_config.coupling != "none" and env_config.market_source != "tier1":
        raise ValueError(
            f"coupling={env_config.coupling!r} (aerial_price='clearing') needs market_source='tier1', got "
            f"{env_config.market_source!r}"
        )
    if env_config.market_source == "tier1":
        # Without FAs or AAs no Tier-1 slot has a market: fail here, not after 100 solved slots at reset.
        for name in ("n_fa", "n_aa"):
            if (count := getattr(scenario_config, name)) < 1:
                raise ValueError(
                    f"{name} must be >= 1 when market_source='tier1' (overloaded FAs buy "
                    f"from AAs), got {count}; or use market_source='synthetic'"
                )
        check_solver_options(
            env_config.solver, scenario_config.n_leaders, max_price=scenario_config.max_price
        )
        _check_tier1_units(scenario_config)
        _check_tier1_tradable(scenario_config)
    return scenario_config, env_config


def _check_tier1_tradable(config: ScenarioConfig) -> None:
    """Refuse scenarios whose Tier-1 markets can never be tradable (else every reset fails after 100
    solved slots): no AA offers a whole unit (floor(supply / unit_size) = 0), or no FA is ever overloaded
    (its smallest capacity holds all the WAs' largest work)."""
    u = config.unit_size
    if config.aa_supply_range[1] / u + 1e-9 < 1.0:
        raise ValueError(
            f"unit_size={u} exceeds the largest AA supply (aa_supply_range max = {config.aa_supply_range[1]} "
            f"Gcycles): no AA can offer a whole unit, so no Tier-2 market is tradable; lower unit_size or "
            f"raise aa_supply_range"
        )
    work = config.n_wa * config.task_data_range[1] * config.task_intensity_range[1]
    if config.fa_capacity_range[0] >= work:
        raise ValueError(
            f"fa_capacity_range min = {config.fa_capacity_range[0]} Gcycles holds the WAs' largest total "
            f"work (n_wa x task_data_range max x task_intensity_range max = {work:.6g} Gcycles): no FA is "
            f"ever overloaded, so no Tier-2 market has buyers; lower fa_capacity_range or raise n_wa or the "
            f"task ranges"
        )


def _check_tier1_units(config: ScenarioConfig) -> None:
    """A Tier-1 market's units on each side stay within ``MAX_UNITS``: the FAs demand at most the whole
    work of the WAs (plus one unit each for rounding up), the AAs offer at most n_aa x the largest supply,
    both in units of ``unit_size`` Gcycles."""
    u = config.unit_size
    work = config.n_wa * config.task_data_range[1] * config.task_intensity_range[1]
    sides = (
        ("the FAs' demand (n_wa x max task work / unit_size)", work / u + config.n_fa),
        (
            "the AAs' supply (n_aa x aa_supply_range max / unit_size)",
            config.n_aa * config.aa_supply_range[1] / u,
        ),
    )
    for what, units in sides:
        if units > MAX_UNITS:
            raise ValueError(
                f"unit_size={u} is too small for this scenario: {what} can reach {units:.6g} units, above "
                f"MAX_UNITS={MAX_UNITS} per side of a market; raise unit_size or lower the counts and ranges"
            )


class DoubleDutchAuctionEnv(gym.Env):
    """The DDA auctioneer MDP. See ``DDAEnvConfig`` and ``ScenarioConfig`` for every option; pass them
    as keyword arguments of ``gym.make("IoA-DDA-v0", ...)`` (``scenario=`` takes a whole ScenarioConfig
    or dict). ``OBS_NAMES`` documents the observation. Bad options fail at construction naming the field
    and its range (ValueError; unknown ones ``ioa_gym.errors.OptionError``); an action outside the action
    space raises ValueError naming it (``ioa_gym.envs.actions``: finite Box values outside [-1, 1] are
    clipped); ``step`` after the auction ended raises RuntimeError until ``reset``.

    Every ``info`` value keeps one type and shape from step to step, so that vector envs can stack
    them: every step ``STEP_INFO_KEYS``; at the end also ``FINAL_INFO_KEYS``, scalars that are never nan
    (``clearing_price`` is p* of (T2.6), also when no unit trades), and under "result" the whole
    ``AuctionResult`` (per-participant units, payments and revenues, whose lengths vary by market)."""

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
            self.step_sizes = np.geomspace(cfg.step_min, cfg.step_max, cfg.discrete_steps)
            self._step_list: list[float] = self.step_sizes.tolist()
            self.action_space = spaces.Discrete(cfg.discrete_steps)
        else:
            self.step_sizes = None
            self.action_space = spaces.Box(-1.0, 1.0, (2 if cfg.per_clock_steps else 1,), np.float32)
        self.obs_names = observation_names(cfg.variant)
        """Name of each observation entry."""
        self._obs_index = observation_index(cfg.variant)
        low = np.zeros(len(self.obs_names), np.float32)
        low[self.obs_names.index("clock_gap")] = -1.0
        self.observation_space = spaces.Box(low, np.ones(len(self.obs_names), np.float32), dtype=np.float32)
        self.auction: Auction | None = None
        self.market: Market | None = None
        self.two_tier: TwoTierResult | None = None
        """With ``coupling="clearing"``: the aerial-price iteration of the episode's slot."""
        self._obs = np.zeros(len(OBS_NAMES), np.float32)

    # -- action scale ----------------------------------------------------------------------------

    def action_to_step(self, action: Any) -> np.ndarray:
        """Step size(s) of an action: Discrete index -> ``step_sizes[i]`` (an integer in [0, n), else
        ValueError); Box entries in [-1, 1] -> [step_min, step_max] on the configured scale, one step per
        entry of any array (finite values outside [-1, 1] are clipped; NaN or inf raise ValueError).
        ``step`` itself also checks the action's shape (``ioa_gym.envs.actions``)."""
        if self.step_sizes is not None:
            return np.array([self._step_list[check_discrete_action(action, self.action_space)]])
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
        return np.full(self.action_space.shape, 2.0 * self._step_fraction(step) - 1.0, dtype=np.float32)

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

    def _sample_market(self) -> Market:
        cfg = self.config
        self.two_tier = None
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

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        check_reset_options(options, RESET_OPTIONS)
        super().reset(seed=seed)
        if options and "market" in options:  # evaluate on a given market (e.g. an IC audit)
            market = options["market"]
            if not isinstance(market, Market):
                raise ValueError(f"options['market'] must be an ioa_gym.auction.Market, got {type(market)}")
            check_market_option(market)
            self.scenario = self.equilibrium = self.two_tier = None
        else:
            market = self._sample_market()
        self.market = market
        cfg = self.config
        self.auction = make_auction(
            market, cfg.variant, cfg.price_bounds, cfg.max_rounds, seed=self.np_random
        )
        self._double_clock = cfg.variant == DOUBLE_CLOCK
        obs = self._obs
        obs[9] = min(market.n_buyers / cfg.max_buyers, 1.0)
        obs[10] = min(market.n_sellers / cfg.max_sellers, 1.0)
        obs[11] = min(market.total_buyer_units / cfg.max_units, 1.0)
        obs[12] = min(market.total_seller_units / cfg.max_units, 1.0)
        self._efficient_welfare = efficient_welfare(market)
        self._last_step_obs = 0.0
        self._update_obs(0, 0)
        return self._observation(), self._clock_info()

    def _observation(self) -> np.ndarray:
        """A copy of the observation in the variant's layout."""
        return self._obs.copy() if self._obs_index is None else self._obs[self._obs_index]

    def _update_obs(self, new_buyers: int, new_sellers: int) -> None:
        auction, market, lower, span = self.auction, self.market, self._lower, self._span
        pb, ps = auction.buyer_price, auction.seller_price
        nb, ns = max(market.total_buyer_units, 1), max(market.total_seller_units, 1)
        buyers, sellers = public_counts(auction)
        gap = ps - pb if self._double_clock else pb - ps
        # One slice assignment: per-element writes into the float32 array cost more than the maths.
        self._obs[:9] = (
            min(max((pb - lower) / span, 0.0), 1.0),
            min(max((ps - lower) / span, 0.0), 1.0),
            min(max(gap / span, -1.0), 1.0),
            1.0 if auction.active_clock == BUYER else 0.0,
            auction.rounds / auction.max_rounds,
            buyers / nb,
            sellers / ns,
            new_buyers / nb,
            new_sellers / ns,
        )
        self._obs[13] = self._last_step_obs

    def _clock_info(self) -> dict[str, Any]:
        a = self.auction
        return {
            "buyer_price": a.buyer_price,
            "seller_price": a.seller_price,
            "round": a.rounds,
            "active_clock": 1 if a.active_clock == BUYER else 0,
        }

    def step(self, action: Any):
        auction = self.auction
        if auction is None:
            raise RuntimeError("call reset() before step()")
        if auction.done:
            raise RuntimeError(
                "the episode has ended (the auction cleared: terminated); call reset() before step()"
            )
        if self.step_sizes is not None:
            step = self._step_list[check_discrete_action(action, self.action_space)]
        else:
            entries = check_box_action(action, self.action_space)
            # One entry: the step of both clocks; two (per_clock_steps): buyer clock, seller clock.
            use_seller_entry = len(entries) > 1 and auction.active_clock != BUYER
            step = self._entry_to_step(entries[1 if use_seller_entry else 0])
        buyers_before, sellers_before = public_counts(auction)
        auction.tick(step)
        cfg = self.config
        self._last_step_obs = self._step_fraction(step)
        buyers_after, sellers_after = public_counts(auction)
        self._update_obs(buyers_after - buyers_before, sellers_after - sellers_before)
        reward = -cfg.eta
        info = self._clock_info()
        terminated = auction.done
        if terminated:
            result = auction.result()
            efficiency = welfare_efficiency(result.social_welfare, self._efficient_welfare)
            reward += efficiency
            info.update(
                clearing_price=auction.closing_price,
                units_traded=result.units_traded,
                social_welfare=result.social_welfare,
                efficient_welfare=self._efficient_welfare,
                efficiency=efficiency,
                rounds=result.rounds,
                crossed=result.crossed,
                individually_rational=result.individually_rational,
                budget_balanced=result.budget_balanced,
                result=result,
            )
        return self._observation(), float(reward), terminated, False, info

    def render(self) -> str | np.ndarray | None:
        """ "ansi": one line of text; "rgb_array": bars for P_B, P_S, accepted (double-clock: exited) buyer
        and seller units and rounds used (all as fractions)."""
        if self.render_mode is None or self.auction is None:
            return None
        a = self.auction
        if self.render_mode == "rgb_array":
            return bars(self._obs[[0, 1, 5, 6, 4]])
        buyers, sellers = public_counts(a)
        return (
            f"round {a.rounds:4d}  P_B {a.buyer_price:8.3f}  P_S {a.seller_price:8.3f}  "
            f"{'exited' if self._double_clock else 'accepted'} {buyers}/{self.market.total_buyer_units} "
            f"buyer units, {sellers}/{self.market.total_seller_units} seller units"
        )


def make_env(render_mode: str | None = None, **kwargs: Any) -> gym.Env:
    """Entry point of IoA-DDA-v0 and IoA-DDA-Discrete-v0: ``DoubleDutchAuctionEnv(render_mode, **kwargs)``,
    with "human" and "<mode>_list" render modes checked here
    (``ioa_gym.envs.rendering.make_with_render_mode``)."""
    return make_with_render_mode(DoubleDutchAuctionEnv, render_mode, kwargs)
