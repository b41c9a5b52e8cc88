"""Scenario: the physical and economic parameters of one time slot (docs/model.md, Sec. 1-3).

``ScenarioConfig`` holds every parameter of the model with its unit; ``ScenarioConfig.sample(seed)``
draws the concrete arrays of one slot (positions, tasks, CPUs, channels, rates, weights,
capacities, aerial supplies and costs) and precomputes the per-Gcycle latency and energy of every
offloading path, so that the Tier-1 game never recomputes physics in its hot path.

Units: data in Mbit, work in Gcycles, CPU speed in GHz (Gcycles/s), time in s, energy in J,
bandwidth in MHz (so rates are in Mbit/s), money in abstract units.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ioa_gym.checks import check_int, check_range, check_scalar
from ioa_gym.errors import unknown_option_error
from ioa_gym.tier1._physics import PHYSICS_FIELDS, draws, physics

Range = tuple[float, float]

MAX_WAS = 10_000
"""Upper bound of ``n_wa``. A slot holds a dozen (N, L) float64 arrays and the equilibrium solver one (N, L)
array of ratios per sweep (up to ``max_iter`` + 1 = 101 by default), so memory grows as N L; see
``MAX_WA_LEADER_PAIRS``."""
MAX_LEADERS = 50
"""Upper bound of ``n_ma + n_fa``: each leader's best-response search is a batched solve over every WA, and
a Jacobi sweep searches all leaders at once (60 leaders already took minutes per equilibrium)."""
MAX_WA_LEADER_PAIRS = 100_000
"""Upper bound of ``n_wa * (n_ma + n_fa)``: 101 sweeps x 10**5 pairs x 8 bytes = 81 MB of ratio history
(the default scenario has 120 pairs); beyond it a run's memory, not the model, is the limit."""
MAX_AAS = 1_000
"""Upper bound of ``n_aa`` (each AA is a seller, and its units, in every Tier-2 market)."""


@dataclass(frozen=True)
class ScenarioConfig:
    """Every parameter of the two-tier model (docs/model.md, Sec. 1-3, which name each one's field).
    Ranges are (min, max) of uniform draws made per slot by ``sample``."""

    # Population
    n_wa: int = 20
    """Number of wireless agents (followers), >= 1."""
    n_ma: int = 3
    """Number of mobile agents (leaders; never use aerial computing), >= 0."""
    n_fa: int = 3
    """Number of fixed agents (leaders; overloaded ones buy from AAs), >= 0; n_ma + n_fa >= 1."""
    n_aa: int = 5
    """Number of aerial agents (UAV sellers in the Tier-2 auction), >= 0."""

    # Geometry
    area_size: float = 500.0
    """Side of the square area (m) in which WAs, MAs, FAs and AAs (ground projection) lie."""
    aa_altitude: float = 100.0
    """Hover altitude H of the AAs (m)."""
    min_distance: float = 10.0
    """Distances are clamped below at this value (m) to keep path loss finite."""

    # Tasks and local computing
    task_data_range: Range = (5.0, 15.0)
    """Task data D_n (Mbit)."""
    task_intensity_range: Range = (0.5, 1.5)
    """Computing intensity C_n (Gcycles per Mbit); work G_n = D_n * C_n (Gcycles)."""
    local_cpu_range: Range = (0.5, 1.5)
    """WA onboard CPU speed f_loc (GHz)."""
    satisfaction_weight_range: Range = (40.0, 80.0)
    """WA satisfaction weight omega_n (money), scaling ln(1 + o) in Eq. (7)."""
    latency_weight: float = 1.0
    """lambda_T: money per second of latency per Gcycle-share (Eq. 8)."""
    energy_weight: float = 1.0
    """lambda_E: money per joule of WA energy (Eq. 8)."""

    # Servers
    ma_cpu_range: Range = (9.0, 11.0)
    """MA CPU speed f_i (GHz)."""
    fa_cpu_range: Range = (9.5, 11.5)
    """FA CPU speed f_j (GHz)."""
    aa_cpu_range: Range = (4.0, 8.0)
    """AA CPU speed f_k (GHz)."""
    switched_capacitance: float = 0.1
    """kappa: dynamic energy per Gcycle per GHz^2 (J / (Gcycle GHz^2)); e = kappa f^2 (Eqs. 3 and 6)."""
    energy_price: float = 0.45
    """epsilon: money per joule spent by a server (Eq. 6)."""
    fa_capacity_range: Range = (2.0, 8.0)
    """FA computing capacity Cap_j per slot (Gcycles); load beyond it goes to the AAs."""
    max_price: float = 15.0
    """p_max: upper bound of every leader's unit price (money per Gcycle)."""
    aerial_price: float = 6.0
    """pi_j: an FA's expected unit price (money per Gcycle) for aerial computing (Eq. 11)."""

    # Radio
    bandwidth: float = 10.0
    """Uplink bandwidth B per WA-server link (MHz)."""
    aa_bandwidth: float = 10.0
    """FA-to-AA bandwidth B_A (MHz)."""
    noise_psd_dbm_hz: float = -174.0
    """Noise power spectral density (dBm/Hz)."""
    tx_power_range: Range = (0.1, 0.3)
    """WA transmit power P_n (W)."""
    fa_tx_power: float = 1.0
    """FA transmit power P_j towards AAs (W)."""
    path_loss_intercept_db: float = 128.1
    """Path loss at 1 km (dB): PL(d) = intercept + slope * log10(d_km) (Eq. 1)."""
    path_loss_slope_db: float = 37.6
    """Path-loss slope (dB per decade of distance)."""
    rayleigh_fading: bool = True
    """Multiply each WA-server channel gain by an Exp(1) Rayleigh power fade per slot."""
    aa_reference_gain_db: float = -60.0
    """beta_0: air-to-ground channel gain at 1 m (dB) (Eq. 2)."""

    # Aerial market (Tier 2)
    aa_supply_range: Range = (2.0, 6.0)
    """Aerial computing an AA offers per slot (Gcycles)."""
    aa_hover_cost_range: Range = (1.0, 7.0)
    """AA hover-power share of its unit cost (money per Gcycle), added to epsilon kappa f_k^2."""
    fa_value_premium_range: Range = (0.5, 5.0)
    """zeta_j: what an unserved Gcycle costs an overloaded FA beyond its price (money per Gcycle);
    its private DDA value is p_j + zeta_j (Eq. 14)."""
    unit_size: float = 0.5
    """u: Gcycles per auction unit."""

    _ranges: tuple[str, ...] = field(
        default=(
            "task_data_range",
            "task_intensity_range",
            "local_cpu_range",
            "satisfaction_weight_range",
            "ma_cpu_range",
            "fa_cpu_range",
            "aa_cpu_range",
            "fa_capacity_range",
            "tx_power_range",
            "aa_supply_range",
        ),
        init=False,
        repr=False,
        compare=False,
    )

    def __post_init__(self) -> None:
        check_int("n_wa", self.n_wa, 1, MAX_WAS)
        check_int("n_ma", self.n_ma, 0, MAX_LEADERS)
        check_int("n_fa", self.n_fa, 0, MAX_LEADERS)
        check_int("n_aa", self.n_aa, 0, MAX_AAS)
        n_leaders = self.n_ma + self.n_fa
        if not 1 <= n_leaders <= MAX_LEADERS:
            raise ValueError(
                f"n_ma + n_fa must be in [1, {MAX_LEADERS}] (at least one leader), got {n_leaders}"
            )
        if self.n_wa * n_leaders > MAX_WA_LEADER_PAIRS:
            raise ValueError(
                f"n_wa * (n_ma + n_fa) must be <= {MAX_WA_LEADER_PAIRS} (the memory of the equilibrium "
                f"solver grows with it), got n_wa={self.n_wa} x {n_leaders} leaders = {self.n_wa * n_leaders}"
            )
        for name in self._ranges:  # all strictly positive physical quantities
            object.__setattr__(self, name, check_range(name, getattr(self, name), 0.0, 1e9, strict_low=True))
        for name in ("aa_hover_cost_range", "fa_value_premium_range"):
            object.__setattr__(self, name, check_range(name, getattr(self, name), 0.0, 1e9))
        for name in (
            "area_size",
            "aa_altitude",
            "min_distance",
            "switched_capacitance",
            "energy_price",
            "max_price",
            "bandwidth",
            "aa_bandwidth",
            "fa_tx_power",
            "unit_size",
        ):
            check_scalar(name, getattr(self, name), 0.0, 1e12, strict_low=True)
        for name in ("latency_weight", "energy_weight", "aerial_price", "path_loss_slope_db"):
            check_scalar(name, getattr(self, name), 0.0, 1e12)
        check_scalar("noise_psd_dbm_hz", self.noise_psd_dbm_hz, -300.0, 0.0)
        check_scalar("path_loss_intercept_db", self.path_loss_intercept_db, 0.0, 400.0)
        check_scalar("aa_reference_gain_db", self.aa_reference_gain_db, -300.0, 100.0)
        if not isinstance(self.rayleigh_fading, (bool, np.bool_)):
            raise ValueError(f"rayleigh_fading must be a bool, got {self.rayleigh_fading!r}")
        # Prices live in [c_l, p_max]: the dearest possible server must still have a non-empty range.
        max_cost = (
            self.energy_price
            * self.switched_capacitance
            * max(self.ma_cpu_range[1] if self.n_ma else 0.0, self.fa_cpu_range[1] if self.n_fa else 0.0) ** 2
        )
        if self.max_price <= max_cost:
            raise ValueError(
                f"max_price must exceed the largest server unit cost "
                f"energy_price * switched_capacitance * f_max^2 = {max_cost:.4g}, "
                f"got {self.max_price}"
            )

    @property
    def n_leaders(self) -> int:
        return self.n_ma + self.n_fa

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every parameter (ranges as lists), for run configs."""
        out = {}
        for f in dataclasses.fields(self):
            if not f.init:
                continue
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScenarioConfig:
        """Inverse of ``to_dict``; unknown keys raise ValueError listing the valid ones."""
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        unknown = sorted(set(data) - names)
        if unknown:
            raise unknown_option_error("ScenarioConfig", unknown, names, what="ScenarioConfig field")
        kwargs: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**kwargs)

    def replace(self, **changes: Any) -> ScenarioConfig:
        return self.from_dict({**self.to_dict(), **changes})

    def sample(self, seed: int | np.random.Generator | None = None) -> Scenario:
        """Draw one slot's concrete scenario (Eqs. 1-6 and 8) from ``seed``: an integer >= 0, None (fresh
        entropy) or a NumPy Generator (else ValueError)."""
        if isinstance(seed, np.random.Generator):
            rng = seed
        elif seed is None or (
            isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)) and seed >= 0
        ):
            rng = np.random.default_rng(seed)
        else:
            raise ValueError(f"seed must be an integer >= 0, None or a numpy.random.Generator, got {seed!r}")
        return sample_slot(self, rng)


def config_from_options(
    options: dict[str, Any], owner: str, other_options: set[str] | frozenset[str] = frozenset()
) -> ScenarioConfig:
    """The ``ScenarioConfig`` of an env's keyword arguments: ``scenario`` (a ScenarioConfig or a dict), then
    any ScenarioConfig field given directly. A name that is neither, nor one of ``other_options`` (the env's
    own, already taken out of ``options``), raises ``OptionError`` naming ``owner`` and every valid name."""
    options = dict(options)
    scenario = options.pop("scenario", None)
    names = {f.name for f in dataclasses.fields(ScenarioConfig) if f.init}
    unknown = sorted(set(options) - names)
    if unknown:
        raise unknown_option_error(owner, unknown, names | {"scenario", "render_mode"} | set(other_options))
    return merge_scenario(scenario, options)


def merge_scenario(scenario: Any, fields: dict[str, Any]) -> ScenarioConfig:
    """The ``ScenarioConfig`` of an env's ``scenario=`` (a ScenarioConfig, a dict or None) and the
    ScenarioConfig ``fields`` given directly. A field given both ways must have the same value in both (a
    ScenarioConfig gives every field): else ValueError naming both, instead of one silently winning."""
    if isinstance(scenario, ScenarioConfig):
        base = scenario.to_dict()
    elif scenario is None or isinstance(scenario, dict):
        base = dict(scenario or {})
    else:
        raise ValueError(f"scenario must be a ScenarioConfig or a dict, got {type(scenario).__name__}")
    for name, value in fields.items():
        if name in base and not _same_option(base[name], value):
            raise ValueError(
                f"{name}={value!r} contradicts scenario[{name!r}]={base[name]!r} (scenario= "
                f"{'ScenarioConfig' if isinstance(scenario, ScenarioConfig) else 'dict'}): give {name} once, "
                f"in scenario= or directly, or the same value in both"
            )
    return ScenarioConfig.from_dict({**base, **fields})


def _same_option(first: Any, second: Any) -> bool:
    """Whether two values of one option agree (a list and a tuple of equal entries do)."""
    first, second = (tuple(v) if isinstance(v, list) else v for v in (first, second))
    try:
        return bool(first == second)
    except (TypeError, ValueError):  # e.g. arrays of several entries
        return False


@dataclass(frozen=True, eq=False)
class Scenario:
    """One slot's concrete arrays. Leaders are indexed l = 0..L-1 with the MAs first, then the FAs.

    Per-Gcycle quantities (``*_per_gcycle``) are the t and e of docs/model.md Eq. (3)-(5)."""

    config: ScenarioConfig
    wa_positions: np.ndarray  # (N, 2) m
    leader_positions: np.ndarray  # (L, 2) m
    aa_positions: np.ndarray  # (K, 2) m (ground projection)
    task_data: np.ndarray  # (N,) Mbit
    task_intensity: np.ndarray  # (N,) Gcycles / Mbit
    task_work: np.ndarray  # (N,) Gcycles, G_n
    local_cpu: np.ndarray  # (N,) GHz
    tx_power: np.ndarray  # (N,) W
    satisfaction_weight: np.ndarray  # (N,) money, omega_n
    leader_cpu: np.ndarray  # (L,) GHz
    aa_cpu: np.ndarray  # (K,) GHz
    channel_gain: np.ndarray  # (N, L) linear
    uplink_rate: np.ndarray  # (N, L) Mbit/s
    fa_aa_rate: np.ndarray  # (J, K) Mbit/s
    fa_capacity: np.ndarray  # (J,) Gcycles
    aa_supply: np.ndarray  # (K,) Gcycles
    aa_unit_cost: np.ndarray  # (K,) money / Gcycle (private)
    fa_value_premium: np.ndarray  # (J,) money / Gcycle (private)
    leader_unit_cost: np.ndarray  # (L,) money / Gcycle, c_l (Eq. 6)
    local_time_per_gcycle: np.ndarray  # (N,) s, t^loc
    local_energy_per_gcycle: np.ndarray  # (N,) J, e^loc
    direct_time_per_gcycle: np.ndarray  # (N, L) s: path (a) for MAs, (b) for FAs
    aerial_time_per_gcycle: np.ndarray  # (N, J) s: path (c)
    offload_energy_per_gcycle: np.ndarray  # (N, L) J
    direct_cost_adjustment: np.ndarray  # (N, L) money: a_{n,l} at phi = 0 (Eq. 8)
    aerial_cost_extra: np.ndarray  # (N, J) money: d a_{n,j} / d phi_j (Eq. 8)

    @property
    def n_wa(self) -> int:
        return self.task_work.shape[0]

    @property
    def n_ma(self) -> int:
        return self.config.n_ma

    @property
    def n_fa(self) -> int:
        return self.config.n_fa

    @property
    def n_leaders(self) -> int:
        return self.leader_cpu.shape[0]

    @property
    def fa_slice(self) -> slice:
        return slice(self.config.n_ma, self.config.n_ma + self.config.n_fa)

    @property
    def max_price(self) -> float:
        return self.config.max_price

    def cost_adjustment(self, overflow_share: np.ndarray | None) -> np.ndarray:
        """a_{n,l}(phi) of Eq. (8), shape (N, L): latency and energy cost of offloading one
        task-share relative to local computing, with FA j forwarding a share phi_j to AAs."""
        if overflow_share is None or self.n_fa == 0:
            return self.direct_cost_adjustment
        phi = np.asarray(overflow_share, dtype=float)
        adj = self.direct_cost_adjustment.copy()
        adj[:, self.fa_slice] += phi[None, :] * self.aerial_cost_extra
        return adj


def sample_slot(cfg: ScenarioConfig, rng: np.random.Generator) -> Scenario:
    d = draws(cfg, rng)
    fields = dict(zip((name for name, _ in PHYSICS_FIELDS), physics(cfg, d), strict=True))
    return Scenario(
        config=cfg,
        wa_positions=d["wa_pos"],
        leader_positions=d["leader_pos"],
        aa_positions=d["aa_pos"],
        task_data=d["data"],
        task_intensity=d["intensity"],
        task_work=d["work"],
        local_cpu=d["local_cpu"],
        tx_power=d["tx_power"],
        satisfaction_weight=d["omega"],
        leader_cpu=d["leader_cpu"],
        aa_cpu=d["aa_cpu"],
        fa_capacity=d["capacity"],
        aa_supply=d["supply"],
        fa_value_premium=d["premium"],
        **fields,
    )
