"""Compiled slot latency (``ioa_gym.tier1.latency.slot_summary``): what IoA-Stackelberg-v0 puts in each step's
info.

The same numbers as :func:`ioa_gym.tier1.latency.latency` (the NumPy definition, tested against it), in one
loop over WAs and leaders: the NumPy version is some forty calls on (N, L) arrays of a hundred numbers, about
a quarter of the env's step time. It calls no other compiled function, so numba's on-disk cache of it
(``cache=True``, keyed on this file) stays valid on its own.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, error_model="numpy", nogil=True)
def slot_summary(
    work,
    data,
    local_cpu,
    tx_power,
    uplink_rate,
    leader_cpu,
    fa_aa_rate,
    aa_cpu,
    kappa,
    n_ma,
    ratios,
    share,
    total,
    by_composition,
    energy,
):
    """Each WA's share-weighted latency (``total``, N) and energy (``energy``, N), and the latency of the
    three compositions summed over WAs (``by_composition``: WA->MA, WA->FA, WA->FA->AA), written into the
    given arrays."""
    n_wa, n_leaders = ratios.shape
    n_aa = aa_cpu.shape[0]
    aa_time = 0.0
    for k in range(n_aa):
        aa_time += 1.0 / aa_cpu[k]
    if n_aa:
        aa_time /= n_aa
    forward = np.zeros(n_leaders - n_ma)  # per FA: mean over the AAs of 1 / r_{j,k}
    for j in range(n_leaders - n_ma):
        for k in range(n_aa):
            forward[j] += 1.0 / fa_aa_rate[j, k]
        if n_aa:
            forward[j] /= n_aa
    by_composition[0] = by_composition[1] = by_composition[2] = 0.0
    for n in range(n_wa):
        offloaded = 0.0
        wa_total = 0.0
        uploading = 0.0
        for l in range(n_leaders):
            o = ratios[n, l]
            offloaded += o
            upload = data[n] * o / uplink_rate[n, l]
            uploading += upload
            if l < n_ma:
                part = upload + work[n] * o / leader_cpu[l]
                by_composition[0] += part
                wa_total += part
                continue
            j = l - n_ma
            phi = share[j]
            served = (1.0 - phi) * upload + work[n] * (1.0 - phi) * o / leader_cpu[l]
            if n_aa:
                forwarded = phi * upload + data[n] * phi * o * forward[j] + work[n] * phi * o * aa_time
            else:
                forwarded = phi * upload + work[n] * phi * o / leader_cpu[l]
            by_composition[1] += served
            by_composition[2] += forwarded
            wa_total += served + forwarded
        local = 1.0 - offloaded
        if local < 0.0:
            local = 0.0
        elif local > 1.0:
            local = 1.0
        total[n] = wa_total + work[n] * local / local_cpu[n]
        energy[n] = work[n] * local * kappa * local_cpu[n] * local_cpu[n] + tx_power[n] * uploading


@njit(cache=True, error_model="numpy", nogil=True, parallel=True)
def slot_summary_batch(
    work,
    data,
    local_cpu,
    tx_power,
    uplink_rate,
    leader_cpu,
    fa_aa_rate,
    aa_cpu,
    kappa,
    n_ma,
    ratios,
    share,
    total,
    by_composition,
    energy,
):
    """``slot_summary`` of B slots over all cores (numba's ``prange``): every array carries a first axis of
    slots, and row b is exactly the single call on row b's arrays."""
    for b in prange(work.shape[0]):
        slot_summary(
            work[b],
            data[b],
            local_cpu[b],
            tx_power[b],
            uplink_rate[b],
            leader_cpu[b],
            fa_aa_rate[b],
            aa_cpu[b],
            kappa,
            n_ma,
            ratios[b],
            share[b],
            total[b],
            by_composition[b],
            energy[b],
        )
