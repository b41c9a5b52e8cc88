"""The draws and physics of one Tier-1 slot (docs/model.md, Eqs. 1-6 and 8): the random draws in stream
order and the per-Gcycle latency, energy and cost of every offloading path, compiled
(``_scenario_kernel``) and in NumPy (the reference they are tested against). Used by
``ScenarioConfig.sample``; takes any object with the ``ScenarioConfig`` fields."""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ioa_gym.tier1.scenario import ScenarioConfig

Range = tuple[float, float]


def noise_power_w(psd_dbm_hz: float, bandwidth_mhz: float) -> float:
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


def draws(cfg: ScenarioConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
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


def draws_reference(cfg: ScenarioConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``draws`` as one ``Generator.uniform`` call per quantity: the definition it is tested against."""
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
"""The ``Scenario`` fields that ``physics`` computes, in order, with their shapes (N WAs, L leaders, J FAs,
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
            noise_power_w(cfg.noise_psd_dbm_hz, cfg.bandwidth),
            cfg.bandwidth,
            cfg.aa_bandwidth,
            cfg.fa_tx_power,
            10.0 ** (cfg.aa_reference_gain_db / 10.0),
            noise_power_w(cfg.noise_psd_dbm_hz, cfg.aa_bandwidth),
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


def physics(cfg: ScenarioConfig, d: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Eqs. (1)-(6) and (8) from the draws, compiled (``_scenario_kernel.scenario_physics``); the
    same numbers as ``physics_reference`` up to rounding, in the order of ``PHYSICS_FIELDS``."""
    from ioa_gym.tier1._scenario_kernel import scenario_physics

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


def physics_reference(cfg: ScenarioConfig, d: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Eqs. (1)-(6) and (8) in NumPy: the definition ``physics`` is tested against. Returns gain, rate,
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
    noise = noise_power_w(cfg.noise_psd_dbm_hz, cfg.bandwidth)
    rate = cfg.bandwidth * np.log2(1.0 + tx_power[:, None] * gain / noise)
    rate = np.maximum(rate, 1e-6)  # a deep fade must not divide by zero

    # Eq. (2): FA -> AA line-of-sight rate.
    fa_pos = leader_pos[i:]
    ground = np.linalg.norm(fa_pos[:, None, :] - aa_pos[None, :, :], axis=-1) if k else np.zeros((j, 0))
    beta0 = 10.0 ** (cfg.aa_reference_gain_db / 10.0)
    noise_a = noise_power_w(cfg.noise_psd_dbm_hz, cfg.aa_bandwidth)
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
