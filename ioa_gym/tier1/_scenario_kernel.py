"""Compiled scenario physics: Eqs. (1)-(6) and (8) of one slot in numba (``ioa_gym.tier1.scenario._physics``).

Apart from the Tier-1 solver kernel (``ioa_gym.tier1._solver_kernel``): it calls no other compiled function,
so numba's on-disk cache of it (``cache=True``, keyed on this file) stays valid on its own. Compiled on
first use; ``error_model="numpy"`` keeps IEEE division like the NumPy definition
(``ioa_gym.tier1.scenario._physics_reference``).
"""

from __future__ import annotations

import math
from typing import Literal, TypedDict

import numpy as np
from numba import njit, prange


class _JitOptions(TypedDict):
    """``njit``'s options for every kernel here: a TypedDict, so that ``njit(**_JIT)`` type-checks."""

    cache: bool
    error_model: Literal["python", "numpy"]
    nogil: bool


_JIT: _JitOptions = {"cache": True, "error_model": "numpy", "nogil": True}


@njit(**_JIT)
def scenario_physics(
    wa_pos,
    leader_pos,
    aa_pos,
    intensity,
    work,
    local_cpu,
    tx_power,
    leader_cpu,
    aa_cpu,
    hover,
    fading,
    n_ma,
    constants,
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
):
    """Eqs. (1)-(6) and (8) of one slot from its random draws (scenario._sample's physics), written into
    the given arrays (views of one buffer, cut by ``scenario._physics`` from ``scenario.PHYSICS_FIELDS``,
    the one place that defines the layout): channel gains and uplink rates (N, L), FA-AA rates (J, K),
    local time and energy per Gcycle (N,), direct time and offloading energy (N, L), aerial time (N, J),
    cost adjustments (N, L) and (N, J), server unit costs (L,) and (K,). Writing into one buffer costs
    less than returning twelve arrays (each boxed on return). ``constants``: min_distance, path-loss
    intercept and slope, uplink noise, bandwidth, AA bandwidth, FA transmit power, beta0, AA noise,
    altitude, kappa, energy price, lambda_T, lambda_E."""
    (
        min_distance,
        path_loss_intercept,
        path_loss_slope,
        noise,
        bandwidth,
        aa_bandwidth,
        fa_tx_power,
        beta0,
        aa_noise,
        altitude,
        kappa,
        energy_price,
        latency_weight,
        energy_weight,
    ) = (
        constants[0],
        constants[1],
        constants[2],
        constants[3],
        constants[4],
        constants[5],
        constants[6],
        constants[7],
        constants[8],
        constants[9],
        constants[10],
        constants[11],
        constants[12],
        constants[13],
    )
    n_wa = work.shape[0]
    n_leaders = leader_cpu.shape[0]
    n_fa = n_leaders - n_ma
    n_aa = aa_cpu.shape[0]
    for n in range(n_wa):
        for l in range(n_leaders):
            dx = wa_pos[n, 0] - leader_pos[l, 0]
            dy = wa_pos[n, 1] - leader_pos[l, 1]
            dist_km = max(math.sqrt(dx * dx + dy * dy), min_distance) / 1000.0
            path_loss_db = path_loss_intercept + path_loss_slope * math.log10(dist_km)
            gain[n, l] = 10.0 ** (-path_loss_db / 10.0) * fading[n, l]
            rate[n, l] = max(bandwidth * math.log2(1.0 + tx_power[n] * gain[n, l] / noise), 1e-6)
    for j in range(n_fa):
        for k in range(n_aa):
            dx = leader_pos[n_ma + j, 0] - aa_pos[k, 0]
            dy = leader_pos[n_ma + j, 1] - aa_pos[k, 1]
            ground = math.sqrt(dx * dx + dy * dy)
            fa_aa_rate[j, k] = aa_bandwidth * math.log2(
                1.0 + fa_tx_power * beta0 / ((altitude**2 + ground * ground) * aa_noise)
            )
    for n in range(n_wa):
        t_loc[n] = 1.0 / local_cpu[n]
        e_loc[n] = kappa * (local_cpu[n] * local_cpu[n])
    forward_per_mbit = np.zeros(n_fa)
    aa_time = 0.0
    if n_aa and n_fa:
        for j in range(n_fa):
            total = 0.0
            for k in range(n_aa):
                total += 1.0 / fa_aa_rate[j, k]
            forward_per_mbit[j] = total / n_aa
        for k in range(n_aa):
            aa_time += 1.0 / aa_cpu[k]
        aa_time /= n_aa
    for n in range(n_wa):
        mbit_per_gcycle = 1.0 / intensity[n]
        for l in range(n_leaders):
            tx_time = mbit_per_gcycle / rate[n, l]
            t_direct[n, l] = tx_time + 1.0 / leader_cpu[l]
            e_off[n, l] = tx_power[n] * tx_time
            direct_adj[n, l] = work[n] * (
                latency_weight * (t_direct[n, l] - t_loc[n]) + energy_weight * (e_off[n, l] - e_loc[n])
            )
            if l >= n_ma:
                j = l - n_ma
                if n_aa:
                    t_aerial[n, j] = tx_time + mbit_per_gcycle * forward_per_mbit[j] + aa_time
                else:
                    t_aerial[n, j] = t_direct[n, l]
                aerial_extra[n, j] = work[n] * latency_weight * (t_aerial[n, j] - t_direct[n, l])
    unit = energy_price * kappa
    for l in range(n_leaders):
        leader_cost[l] = unit * (leader_cpu[l] * leader_cpu[l])
    for k in range(n_aa):
        aa_cost[k] = unit * (aa_cpu[k] * aa_cpu[k]) + hover[k]


@njit(cache=True, error_model="numpy", nogil=True, parallel=True)
def scenario_physics_batch(
    wa_pos,
    leader_pos,
    aa_pos,
    intensity,
    work,
    local_cpu,
    tx_power,
    leader_cpu,
    aa_cpu,
    hover,
    fading,
    n_ma,
    constants,
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
):
    """``scenario_physics`` of B slots over all cores (numba's ``prange``): every argument but ``n_ma`` and
    ``constants`` carries a first axis of slots, and row b is exactly the single call on row b's arrays."""
    for b in prange(work.shape[0]):
        scenario_physics(
            wa_pos[b],
            leader_pos[b],
            aa_pos[b],
            intensity[b],
            work[b],
            local_cpu[b],
            tx_power[b],
            leader_cpu[b],
            aa_cpu[b],
            hover[b],
            fading[b],
            n_ma,
            constants,
            gain[b],
            rate[b],
            fa_aa_rate[b],
            t_loc[b],
            e_loc[b],
            t_direct[b],
            e_off[b],
            t_aerial[b],
            direct_adj[b],
            aerial_extra[b],
            leader_cost[b],
            aa_cost[b],
        )


@njit(cache=True, nogil=True)
def draw_slots(rngs, streams, uniforms, fading, rayleigh):  # pragma: no cover - compiled
    """The random draws of B slots, row k from generator ``rngs[streams[k]]`` (a numba typed list): its
    uniform doubles (``uniforms[k]``, one ``Generator.random`` call) and then, if ``rayleigh``, its Exp(1)
    fades (``fading[k]``, (N, L)), as ``_physics.draws`` takes them. Numba's ``Generator`` methods draw bit
    for bit what NumPy's draw and advance the same generator (tested), so each stream ends as after
    ``config.sample(rng)``."""
    count = uniforms.shape[1]
    n_wa, n_leaders = fading.shape[1], fading.shape[2]
    for k in range(streams.shape[0]):
        rng = rngs[streams[k]]
        uniforms[k] = rng.random(count)
        if rayleigh:
            fading[k] = rng.exponential(1.0, (n_wa, n_leaders))
