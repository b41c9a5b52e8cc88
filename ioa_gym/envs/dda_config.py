"""The options of IoA-DDA-v0 (``DDAEnvConfig``, besides the ``ScenarioConfig`` of Tier-1 markets) and how env
keyword arguments split between the two, with every check that can fail before the first reset.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ioa_gym.auctions import DEFAULT_MECHANISM, MAX_UNITS, get_mechanism, mechanism_names
from ioa_gym.checks import check_int, check_int_range, check_range, check_scalar, is_int
from ioa_gym.coupling import store
from ioa_gym.coupling.markets import synthetic_tradable_probability
from ioa_gym.coupling.two_tier import COUPLINGS
from ioa_gym.envs.history import MAX_HISTORY_LENGTH
from ioa_gym.errors import unknown_option_error
from ioa_gym.tier1.scenario import ScenarioConfig, merge_scenario
from ioa_gym.tier1.stackelberg import check_solver_options

__all__ = ["MAX_EPISODE_STEPS", "DDAEnvConfig", "load_slot_store", "make_configs"]

MARKET_SOURCES = ("tier1", "synthetic")
STEP_SCALES = ("log", "linear")
MAX_EPISODE_STEPS = 1000
"""The registered ``TimeLimit`` of IoA-DDA-v0 and IoA-DDA-Discrete-v0 (``max_episode_steps``), and so the
upper bound of ``max_rounds``: one step is one round, so a longer auction would be cut by the TimeLimit
(truncated, without its efficiency reward) instead of ending by its own round limit."""
MIN_TRADABLE_PROBABILITY = 0.02
"""Smallest accepted probability that one synthetic draw is tradable (with the fewest participants): below
it a reset could exhaust its 1000 draws (at 0.02 it fails with probability about 2e-9)."""
MAX_SYNTHETIC_PARTICIPANTS = 10_000
"""Upper bound of ``synthetic_buyers`` and ``synthetic_sellers``."""


@dataclass(frozen=True)
class DDAEnvConfig:
    """Options of IoA-DDA-v0 (besides the ``ScenarioConfig`` used for Tier-1 markets)."""

    market_source: str = "tier1"
    """"tier1": scenario -> Stackelberg equilibrium -> overloaded FAs buy from AAs; "synthetic":
    markets drawn from the ranges below. Either way a market is redrawn until it is tradable (both
    sides present and SW_opt > 0)."""
    variant: str = DEFAULT_MECHANISM
    """Mechanism, any registered one (``ioa_gym.auctions.mechanism_names()``): "classic" or "strategy-proof"
    (Double Dutch Auctions), "double-clock" (exits; IR, IC and SBB under every policy), or a plug-in. The
    observation is the mechanism's (``Mechanism.observation_names``)."""
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
    slot_store: bool | str = False
    """Tier-1 markets from a store of pre-solved slots (``ioa_gym.coupling.store``): True for the default
    cache folder (``$IOA_GYM_CACHE_DIR``, else ``~/.cache/ioa-gym/slot-store``), or a folder; False (the
    default) solves a fresh slot at every reset. The store holds ``SLOT_STORE_SIZE`` = 20,000 tradable
    markets (about 3 MB on disk and in memory, shared by the envs of a process), built once per scenario and
    solver options from the fixed stream ``SLOT_STORE_SEED`` (about 6 s on two cores, and a one-time compile
    of the batch solver of about a minute in a fresh numba cache) and then read in milliseconds. A reset then
    draws one index from the env's generator (``rng.integers(20_000)``) instead of sampling and solving slots:
    the markets come from that finite pool, each uniformly, instead of from the whole distribution, so a long
    training run meets each market many times (20,000 markets are about 850,000 steps); ``scenario`` and
    ``equilibrium`` are None; the auction, the observation and the reward are unchanged. The same seeds
    give the same markets in the single and the vector env. Only with ``market_source="tier1"`` and
    ``coupling="none"`` (ValueError otherwise)."""
    coupling: str = "none"
    """How the FAs of a Tier-1 slot set their aerial price: "none", the scenario's ``aerial_price``;
    "clearing", iterated with the Tier-2 auction until it is that auction's clearing price under the
    reference auctioneer (``ioa_gym.coupling.two_tier``, from ``aerial_price``). ``aerial_price="clearing"``
    is the same as ``coupling="clearing"``. The env's ``two_tier`` then holds the slot's iteration."""
    history_length: int = 1
    """How many public observations the observation stacks, oldest first, into one flat Box of
    ``history_length`` x the frame's entries (bounds repeated); the window is padded at reset with copies of
    the reset observation (as Gymnasium's ``FrameStackObservation`` with ``padding_type="reset"``). 1 (the
    default): the current observation only. An integer in [1, 64]."""
    promised_variant: str | None = None
    """What an incentive-compatible id promises, set by its registration (IoA-DDA-StrategyProof-v0,
    IoA-DDA-DoubleClock-v0): an incentive-compatible mechanism (``Mechanism.incentive``) that ``variant`` must
    then be (else ValueError at construction: another variant would void the id's guarantee). None: any."""
    promised_discrete: bool = False
    """Set by IoA-DDA-Discrete-v0's registration: the action space is Discrete, so ``discrete_steps`` must be
    an integer in [2, 1000] (else ValueError at construction: 0 would give a Box)."""

    def __post_init__(self) -> None:
        for name, choices in (
            ("market_source", MARKET_SOURCES),
            ("variant", mechanism_names()),
            ("step_scale", STEP_SCALES),
            ("coupling", COUPLINGS),
        ):
            if not isinstance(value := getattr(self, name), str) or value not in choices:
                raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
        lower, upper = check_range("price_bounds", self.price_bounds, -1e9, 1e9)
        if not lower < upper:
            raise ValueError(f"price_bounds must have lower < upper, got {self.price_bounds!r}")
        object.__setattr__(self, "price_bounds", (lower, upper))
        check_scalar("step_min", self.step_min, 0.0, upper - lower, strict_low=True)
        check_scalar("step_max", self.step_max, self.step_min, upper - lower)
        check_scalar("eta", self.eta, 0.0, 1.0)
        if is_int(self.max_rounds) and self.max_rounds > MAX_EPISODE_STEPS:
            raise ValueError(
                f"max_rounds must be an integer in [1, {MAX_EPISODE_STEPS}]: the registered TimeLimit of "
                f"IoA-DDA-v0 (max_episode_steps={MAX_EPISODE_STEPS}) would cut a longer auction before its "
                f"round limit, truncated without its efficiency reward; got max_rounds={self.max_rounds}"
            )
        check_int("max_rounds", self.max_rounds, 1, MAX_EPISODE_STEPS)
        if not isinstance(self.per_clock_steps, (bool, np.bool_)):
            raise ValueError(f"per_clock_steps must be a bool, got {self.per_clock_steps!r}")
        self._check_promises()
        check_int("discrete_steps", self.discrete_steps, 0, 1000)
        if self.discrete_steps == 1:
            raise ValueError("discrete_steps must be 0 (continuous) or an integer in [2, 1000], got 1")
        if self.discrete_steps and self.per_clock_steps:
            raise ValueError("per_clock_steps must be False when discrete_steps > 0")
        for name in ("max_buyers", "max_sellers", "max_units"):
            check_int(name, getattr(self, name), 1)
        check_int("history_length", self.history_length, 1, MAX_HISTORY_LENGTH)
        for name in ("synthetic_buyers", "synthetic_sellers"):
            object.__setattr__(
                self, name, check_int_range(name, getattr(self, name), 1, MAX_SYNTHETIC_PARTICIPANTS)
            )
        units = check_int_range("synthetic_units", self.synthetic_units, 1, MAX_UNITS)
        object.__setattr__(self, "synthetic_units", units)
        most = max(self.synthetic_buyers[1], self.synthetic_sellers[1])
        if units[1] * most > MAX_UNITS:
            raise ValueError(
                f"synthetic_units max x max(synthetic_buyers max, synthetic_sellers max) must be <= "
                f"{MAX_UNITS} (MAX_UNITS, the units of one side of a market), got {units[1]} x {most}"
            )
        # Values that never exceed costs give no tradable market (it would fail at reset, after 1000 draws).
        for name in ("synthetic_values", "synthetic_costs"):
            object.__setattr__(self, name, check_range(name, getattr(self, name), -1e9, 1e9))
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
        object.__setattr__(self, "slot_store", _check_slot_store(self.slot_store))

    def _check_promises(self) -> None:
        """``variant`` and ``discrete_steps`` keep what the id promises (``promised_variant``,
        ``promised_discrete``)."""
        promised = self.promised_variant
        if promised is not None:
            mechanism = get_mechanism(promised, "promised_variant")
            if not mechanism.incentive_compatible:
                ic = [name for name in mechanism_names() if get_mechanism(name).incentive_compatible]
                raise ValueError(
                    f"promised_variant must be an incentive-compatible mechanism (one of {ic}) or None, got "
                    f"{promised!r}"
                )
            if self.variant != promised:
                raise ValueError(
                    f"variant must be {promised!r} (or left out) on this env id: it promises that "
                    f"mechanism's incentive guarantee (IR, IC and SBB under every policy; promised_variant="
                    f"{promised!r}, set by its registration), which variant={self.variant!r} would void; "
                    f"make IoA-DDA-v0 with variant={self.variant!r} instead"
                )
        if not isinstance(self.promised_discrete, (bool, np.bool_)):
            raise ValueError(f"promised_discrete must be a bool, got {self.promised_discrete!r}")
        if self.promised_discrete and not (is_int(self.discrete_steps) and 2 <= self.discrete_steps <= 1000):
            raise ValueError(
                f"discrete_steps must be an integer in [2, 1000] on this env id: it promises a Discrete "
                f"action space (promised_discrete=True, set by IoA-DDA-Discrete-v0's registration), which "
                f"discrete_steps={self.discrete_steps!r} would not give; make IoA-DDA-v0 for a Box action "
                f"space instead"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
            for f in dataclasses.fields(self)
        }


def _check_slot_store(value: Any) -> bool | str:
    """``slot_store``: False, True or a folder (str or path; not an existing file), as given or as a str."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (str, os.PathLike)):
        folder = Path(value).expanduser()
        if str(value) and not (folder.exists() and not folder.is_dir()):
            return str(value)
    raise ValueError(
        f"slot_store must be False, True (the default cache folder) or a folder path for the store's files "
        f"(not a file), got {value!r}"
    )


def load_slot_store(config: DDAEnvConfig, scenario_config: ScenarioConfig) -> store.SlotStore:
    """The slot store of ``config.slot_store`` (True or a folder) for the scenario and solver options, of
    ``store.SLOT_STORE_SIZE`` markets: read from its file, or built there first."""
    where: bool | str = True if config.slot_store is True else str(config.slot_store)
    return store.slot_store(scenario_config, config.solver, where, size=store.SLOT_STORE_SIZE)


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
    if kwargs.get("aerial_price") == "clearing":  # the coupled tiers (ioa_gym.coupling.two_tier)
        if kwargs.get("coupling", "clearing") != "clearing":
            raise ValueError(f"aerial_price='clearing' contradicts coupling={kwargs['coupling']!r}")
        kwargs.pop("aerial_price")
        kwargs["coupling"] = "clearing"
    scen_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in scen_names}
    env_kwargs: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    scenario_config = merge_scenario(scenario, scen_kwargs)
    env_config = DDAEnvConfig(**env_kwargs)
    if env_config.slot_store is not False and (
        env_config.market_source != "tier1" or env_config.coupling != "none"
    ):
        raise ValueError(
            f"slot_store={env_config.slot_store!r} needs market_source='tier1' and coupling='none' (the "
            f"store holds Tier-1 slots solved at the scenario's aerial price), got market_source="
            f"{env_config.market_source!r}, coupling={env_config.coupling!r}; leave slot_store False"
        )
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
