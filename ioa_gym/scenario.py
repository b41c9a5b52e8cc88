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
import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ioa_gym.errors import unknown_option_error

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


def _is_number(value: Any) -> bool:
    """A real number (Python or NumPy), not a bool and not a string that would parse as one."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _bounds_text(low: float, high: float, strict_low: bool) -> str:
    return f"({low}, {high}]" if strict_low else f"[{low}, {high}]"


def _check_range(
    name: str, value: Any, low: float = -math.inf, high: float = math.inf, strict_low: bool = False
) -> tuple[float, float]:
    """Validate a (min, max) pair of numbers lying inside [low, high] with min <= max; raise ValueError
    naming ``name`` and the allowed range."""
    bound = _bounds_text(low, high, strict_low)
    # A tuple, list or 1-D array: tuple() of a dict or a set would take its keys or an arbitrary order.
    pair = tuple(value) if isinstance(value, (tuple, list, np.ndarray)) else ()
    if len(pair) != 2 or not all(_is_number(v) for v in pair):
        raise ValueError(
            f"{name} must be a pair (min, max) of numbers in {bound} (a tuple or list), got {value!r}"
        )
    lo, hi = float(pair[0]), float(pair[1])
    for v in (lo, hi):
        if not math.isfinite(v) or v > high or v < low or (strict_low and v <= low):
            raise ValueError(f"{name} must lie in {bound}, got {value!r}")
    if lo > hi:
        raise ValueError(f"{name} must be an increasing range (min <= max) in {bound}, got {value!r}")
    return lo, hi


def _check_int_range(name: str, value: Any, low: int, high: int) -> tuple[int, int]:
    """Validate a (min, max) pair of integers inside [low, high] with min <= max (an inclusive range)."""
    lo, hi = _check_range(name, value, low, high)
    if any(isinstance(v, (float, np.floating)) and not float(v).is_integer() for v in value):
        raise ValueError(f"{name} must be a pair (min, max) of integers in [{low}, {high}], got {value!r}")
    return int(lo), int(hi)


def _check_scalar(
    name: str, value: Any, low: float = -math.inf, high: float = math.inf, strict_low: bool = False
) -> float:
    """Validate a finite number in [low, high] (``strict_low``: (low, high]); raise ValueError naming
    ``name`` and the allowed range."""
    bound = _bounds_text(low, high, strict_low)
    if not _is_number(value):
        raise ValueError(f"{name} must be a number in {bound}, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v > high or v < low or (strict_low and v <= low):
        raise ValueError(f"{name} must lie in {bound}, got {value!r}")
    return v


def _check_int(name: str, value: Any, low: int, high: int = 10**6) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return int(value)


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
        _check_int("n_wa", self.n_wa, 1, MAX_WAS)
        _check_int("n_ma", self.n_ma, 0, MAX_LEADERS)
        _check_int("n_fa", self.n_fa, 0, MAX_LEADERS)
        _check_int("n_aa", self.n_aa, 0, MAX_AAS)
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
            object.__setattr__(self, name, _check_range(name, getattr(self, name), 0.0, 1e9, strict_low=True))
        for name in ("aa_hover_cost_range", "fa_value_premium_range"):
            object.__setattr__(self, name, _check_range(name, getattr(self, name), 0.0, 1e9))
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
            _check_scalar(name, getattr(self, name), 0.0, 1e12, strict_low=True)
        for name in ("latency_weight", "energy_weight", "aerial_price", "path_loss_slope_db"):
            _check_scalar(name, getattr(self, name), 0.0, 1e12)
        _check_scalar("noise_psd_dbm_hz", self.noise_psd_dbm_hz, -300.0, 0.0)
        _check_scalar("path_loss_intercept_db", self.path_loss_intercept_db, 0.0, 400.0)
        _check_scalar("aa_reference_gain_db", self.aa_reference_gain_db, -300.0, 100.0)
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
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
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
        return _sample(self, rng)


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
    if isinstance(scenario, ScenarioConfig):
        base = scenario.to_dict()
    elif scenario is None or isinstance(scenario, dict):
        base = dict(scenario or {})
    else:
        raise ValueError(f"scenario must be a ScenarioConfig or a dict, got {type(scenario).__name__}")
    return ScenarioConfig.from_dict({**base, **options})


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


def _noise_power_w(psd_dbm_hz: float, bandwidth_mhz: float) -> float:
    return 10.0 ** ((psd_dbm_hz + 10.0 * math.log10(bandwidth_mhz * 1e6)) / 10.0) / 1000.0


# The uniform draws of a slot, in stream order: (name, the config field holding its range, or None for
# (0, area_size); how many per WA, leader, MA, FA, AA).
_UNIFORM_DRAWS = (
    ("wa_pos", None, "wa2"),
    ("leader_pos", None, "leader2"),
    ("aa_pos", None, "aa2"),
    ("data", "task_data_range", "wa"),
    ("intensity", "task_intensity_range", "wa"),
    ("local_cpu", "local_cpu_range", "wa"),
    ("tx_power", "tx_power_range", "wa"),
    ("omega", "satisfaction_weight_range", "wa"),
    ("ma_cpu", "ma_cpu_range", "ma"),
    ("fa_cpu", "fa_cpu_range", "fa"),
    ("aa_cpu", "aa_cpu_range", "aa"),
    ("capacity", "fa_capacity_range", "fa"),
    ("supply", "aa_supply_range", "aa"),
    ("hover", "aa_hover_cost_range", "aa"),
    ("premium", "fa_value_premium_range", "fa"),
)


@functools.lru_cache(maxsize=64)
def _uniform_layout(cfg: ScenarioConfig) -> tuple[np.ndarray, np.ndarray, tuple[tuple[str, int, int], ...]]:
    """Per draw of ``_UNIFORM_DRAWS``, one after the other: the low end and width of its range, and
    (name, start, stop) of each draw in the stream."""
    counts = {
        "wa": cfg.n_wa,
        "wa2": 2 * cfg.n_wa,
        "leader2": 2 * cfg.n_leaders,
        "aa2": 2 * cfg.n_aa,
        "ma": cfg.n_ma,
        "fa": cfg.n_fa,
        "aa": cfg.n_aa,
    }
    lows, widths, spans, start = [], [], [], 0
    for name, field_name, per in _UNIFORM_DRAWS:
        low, high = (0.0, cfg.area_size) if field_name is None else getattr(cfg, field_name)
        size = counts[per]
        lows.append(np.full(size, float(low)))
        widths.append(np.full(size, float(high) - float(low)))
        spans.append((name, start, start + size))
        start += size
    return np.concatenate(lows), np.concatenate(widths), tuple(spans)


def _draws(cfg: ScenarioConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One slot's random draws. The order is part of what a seed means: positions (WAs, leaders, AAs),
    task data, intensities, local CPUs, transmit powers, weights, MA then FA CPUs, AA CPUs, FA
    capacities, AA supplies, hover costs, value premiums, each uniform on its range, then the fading.
    ``Generator.uniform(a, b, k)`` is a + (b - a) u for the next k doubles u of ``Generator.random``, so
    all of them are taken in one call (the same numbers bit for bit; a test checks it)."""
    n, n_leaders = cfg.n_wa, cfg.n_leaders
    low, width, spans = _uniform_layout(cfg)
    values = low + width * rng.random(low.shape[0])
    d = {name: values[start:stop] for name, start, stop in spans}
    d["wa_pos"] = d["wa_pos"].reshape(n, 2)
    d["leader_pos"] = d["leader_pos"].reshape(n_leaders, 2)
    d["aa_pos"] = d["aa_pos"].reshape(cfg.n_aa, 2)
    d["work"] = d["data"] * d["intensity"]
    d["leader_cpu"] = values[spans[8][1] : spans[9][2]]  # MAs, then FAs
    d["fading"] = rng.exponential(1.0, (n, n_leaders)) if cfg.rayleigh_fading else np.ones((n, n_leaders))
    return d


def _draws_reference(cfg: ScenarioConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``_draws`` as one ``Generator.uniform`` call per quantity: the definition it is tested against."""
    n, i, j, k = cfg.n_wa, cfg.n_ma, cfg.n_fa, cfg.n_aa

    def uniform(rng_range: Range, size: int) -> np.ndarray:
        return rng.uniform(rng_range[0], rng_range[1], size)

    d = dict(
        wa_pos=rng.uniform(0.0, cfg.area_size, (n, 2)),
        leader_pos=rng.uniform(0.0, cfg.area_size, (i + j, 2)),
        aa_pos=rng.uniform(0.0, cfg.area_size, (k, 2)),
        data=uniform(cfg.task_data_range, n),
        intensity=uniform(cfg.task_intensity_range, n),
        local_cpu=uniform(cfg.local_cpu_range, n),
        tx_power=uniform(cfg.tx_power_range, n),
        omega=uniform(cfg.satisfaction_weight_range, n),
    )
    d["leader_cpu"] = np.concatenate([uniform(cfg.ma_cpu_range, i), uniform(cfg.fa_cpu_range, j)])
    d.update(
        aa_cpu=uniform(cfg.aa_cpu_range, k),
        capacity=uniform(cfg.fa_capacity_range, j),
        supply=uniform(cfg.aa_supply_range, k),
        hover=uniform(cfg.aa_hover_cost_range, k),
        premium=uniform(cfg.fa_value_premium_range, j),
    )
    d["work"] = d["data"] * d["intensity"]
    d["fading"] = rng.exponential(1.0, (n, i + j)) if cfg.rayleigh_fading else np.ones((n, i + j))
    return d


PHYSICS_FIELDS = (
    ("channel_gain", "NL"),
    ("uplink_rate", "NL"),
    ("fa_aa_rate", "JK"),
    ("local_time_per_gcycle", "N"),
    ("local_energy_per_gcycle", "N"),
    ("direct_time_per_gcycle", "NL"),
    ("offload_energy_per_gcycle", "NL"),
    ("aerial_time_per_gcycle", "NJ"),
    ("direct_cost_adjustment", "NL"),
    ("aerial_cost_extra", "NJ"),
    ("leader_unit_cost", "L"),
    ("aa_unit_cost", "K"),
)
"""The ``Scenario`` fields that ``_physics`` computes, in order, with their shapes (N WAs, L leaders, J FAs,
K AAs)."""


@functools.lru_cache(maxsize=64)
def _physics_layout(cfg: ScenarioConfig) -> tuple[np.ndarray, int, tuple]:
    """The physical constants the compiled physics takes, the size of its output buffer and where each
    field of ``PHYSICS_FIELDS`` lies in it (start, stop, shape)."""
    constants = np.array(
        [
            cfg.min_distance,
            cfg.path_loss_intercept_db,
            cfg.path_loss_slope_db,
            _noise_power_w(cfg.noise_psd_dbm_hz, cfg.bandwidth),
            cfg.bandwidth,
            cfg.aa_bandwidth,
            cfg.fa_tx_power,
            10.0 ** (cfg.aa_reference_gain_db / 10.0),
            _noise_power_w(cfg.noise_psd_dbm_hz, cfg.aa_bandwidth),
            cfg.aa_altitude,
            cfg.switched_capacitance,
            cfg.energy_price,
            cfg.latency_weight,
            cfg.energy_weight,
        ],
        dtype=float,
    )
    sizes = {"N": cfg.n_wa, "L": cfg.n_leaders, "J": cfg.n_fa, "K": cfg.n_aa}
    spans, start = [], 0
    for _, dims in PHYSICS_FIELDS:
        shape = tuple(sizes[d] for d in dims)
        stop = start + math.prod(shape)
        spans.append((start, stop, shape))
        start = stop
    return constants, start, tuple(spans)


def _physics(cfg: ScenarioConfig, d: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Eqs. (1)-(6) and (8) from the draws, compiled (``ioa_gym._scenario_kernel.scenario_physics``); the
    same numbers as ``_physics_reference`` up to rounding, in the order of ``PHYSICS_FIELDS``."""
    from ioa_gym._scenario_kernel import scenario_physics

    constants, size, spans = _physics_layout(cfg)
    out = np.empty(size)
    fields = tuple(out[start:stop].reshape(shape) for start, stop, shape in spans)
    scenario_physics(
        d["wa_pos"],
        d["leader_pos"],
        d["aa_pos"],
        d["intensity"],
        d["work"],
        d["local_cpu"],
        d["tx_power"],
        d["leader_cpu"],
        d["aa_cpu"],
        d["hover"],
        d["fading"],
        cfg.n_ma,
        constants,
        *fields,
    )
    return fields


def _physics_reference(cfg: ScenarioConfig, d: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Eqs. (1)-(6) and (8) in NumPy: the definition ``_physics`` is tested against. Returns gain, rate,
    fa_aa_rate, t_loc, e_loc, t_direct, e_off, t_aerial, direct_adj, aerial_extra, leader_cost, aa_cost."""
    i, j, k = cfg.n_ma, cfg.n_fa, cfg.n_aa
    wa_pos, leader_pos, aa_pos = d["wa_pos"], d["leader_pos"], d["aa_pos"]
    intensity, work, local_cpu, tx_power = d["intensity"], d["work"], d["local_cpu"], d["tx_power"]
    leader_cpu, aa_cpu = d["leader_cpu"], d["aa_cpu"]

    # Eq. (1): uplink rate with distance path loss and optional Rayleigh fading.
    dist_km = (
        np.maximum(np.linalg.norm(wa_pos[:, None, :] - leader_pos[None, :, :], axis=-1), cfg.min_distance)
        / 1000.0
    )
    path_loss_db = cfg.path_loss_intercept_db + cfg.path_loss_slope_db * np.log10(dist_km)
    gain = 10.0 ** (-path_loss_db / 10.0) * d["fading"]
    noise = _noise_power_w(cfg.noise_psd_dbm_hz, cfg.bandwidth)
    rate = cfg.bandwidth * np.log2(1.0 + tx_power[:, None] * gain / noise)
    rate = np.maximum(rate, 1e-6)  # a deep fade must not divide by zero

    # Eq. (2): FA -> AA line-of-sight rate.
    fa_pos = leader_pos[i:]
    ground = np.linalg.norm(fa_pos[:, None, :] - aa_pos[None, :, :], axis=-1) if k else np.zeros((j, 0))
    beta0 = 10.0 ** (cfg.aa_reference_gain_db / 10.0)
    noise_a = _noise_power_w(cfg.noise_psd_dbm_hz, cfg.aa_bandwidth)
    fa_aa_rate = cfg.aa_bandwidth * np.log2(
        1.0 + cfg.fa_tx_power * beta0 / ((cfg.aa_altitude**2 + ground**2) * noise_a)
    )

    # Eq. (3)-(5): per-Gcycle latency and energy of each path.
    mbit_per_gcycle = 1.0 / intensity
    t_loc = 1.0 / local_cpu
    e_loc = cfg.switched_capacitance * local_cpu**2
    tx_time = mbit_per_gcycle[:, None] / rate
    t_direct = tx_time + 1.0 / leader_cpu[None, :]
    e_off = tx_power[:, None] * tx_time
    if k and j:
        # The FA does not know which AA will win the auction: the mean forwarding + AA time.
        forward = mbit_per_gcycle[:, None] * np.mean(1.0 / fa_aa_rate, axis=1)[None, :]
        t_aerial = tx_time[:, i:] + forward + float(np.mean(1.0 / aa_cpu))
    else:
        t_aerial = t_direct[:, i:].copy()

    # Eq. (8): money-valued cost of offloading relative to local computing.
    direct_adj = work[:, None] * (
        cfg.latency_weight * (t_direct - t_loc[:, None]) + cfg.energy_weight * (e_off - e_loc[:, None])
    )
    aerial_extra = work[:, None] * cfg.latency_weight * (t_aerial - t_direct[:, i:])

    # Eq. (6): server unit costs; AAs add a hover-power share.
    leader_cost = cfg.energy_price * cfg.switched_capacitance * leader_cpu**2
    aa_cost = cfg.energy_price * cfg.switched_capacitance * aa_cpu**2 + d["hover"]
    return (
        gain,
        rate,
        fa_aa_rate,
        t_loc,
        e_loc,
        t_direct,
        e_off,
        t_aerial,
        direct_adj,
        aerial_extra,
        leader_cost,
        aa_cost,
    )


def _sample(cfg: ScenarioConfig, rng: np.random.Generator) -> Scenario:
    d = _draws(cfg, rng)
    physics = dict(zip((name for name, _ in PHYSICS_FIELDS), _physics(cfg, d), strict=True))
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
        **physics,
    )
