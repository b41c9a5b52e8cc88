"""The per-step arithmetic of the native IoA-DDA vector env compiled by numba (docs/model.md, Sec. 5): Box
actions to step sizes, and the observations of every sub-env, each in one call over the sub-envs instead of a
few dozen NumPy calls.

Bit for bit what ``DoubleDutchAuctionEnv`` computes one env at a time: ``math.exp`` and ``math.log`` compile
to the C library's functions, which CPython's ``math`` calls too (NumPy's vectorised ``exp`` may round
differently in the last bit), and every observation entry is computed in float64 and rounded to float32
once. Nothing here
calls compiled code of another module (numba's cache watches a function's own file alone).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def box_steps(entries, buyer_turn, log_scale, step_min, step_range, log_ratio):  # pragma: no cover - compiled
    """Step size of each sub-env's Box action (rows of ``entries``: one entry, or the buyer clock's and the
    seller clock's) and its position on the action scale in [0, 1] (the observed last step), as
    ``DoubleDutchAuctionEnv._entry_to_step`` and ``_step_fraction`` compute them. Returns them and the first
    row with an entry that is not finite (-1 when none is; the steps are then not computed)."""
    n, width = entries.shape
    steps, positions = np.empty(n), np.empty(n)
    for i in range(n):
        for j in range(width):
            if not np.isfinite(entries[i, j]):
                return steps, positions, i
    for i in range(n):
        entry = np.float64(entries[i, 0] if width == 1 or buyer_turn[i] else entries[i, 1])
        fraction = 0.5 * (min(max(entry, -1.0), 1.0) + 1.0)
        if log_scale:
            step = step_min * math.exp(fraction * log_ratio)
            position = math.log(step / step_min) / log_ratio if step_range != 0.0 else 0.0
        else:
            step = step_min + fraction * step_range
            position = (step - step_min) / step_range if step_range != 0.0 else 0.0
        steps[i], positions[i] = step, position
    return steps, positions, -1


@njit(cache=True, nogil=True)
def observe(obs, clocks, counts, max_rounds, lower, span):  # pragma: no cover - compiled
    """Write the clock entries (0-8) and the last step (13) of every row of ``obs`` (float32, the full
    14-entry layout), as ``DoubleDutchAuctionEnv._update_obs``: clocks normalised by the bounds and clipped,
    the gap / span in [-1, 1], whose turn, rounds / max_rounds, the counted units per side in all and in the
    last tick as fractions of the side's units (at least 1), the last step's position.

    :param clocks: (buyer price, seller price, clock gap, buyer's turn, rounds, last step's position), each
        an array over the rows.
    :param counts: (buyer units counted, seller units counted, the same before the tick, buyer units,
        seller units), each an integer array over the rows.
    """
    buyer_price, seller_price, gap, buyer_turn, rounds, last_step = clocks
    buyers, sellers, buyers_before, sellers_before, buyer_units, seller_units = counts
    for i in range(obs.shape[0]):
        obs[i, 0] = min(max((buyer_price[i] - lower) / span, 0.0), 1.0)
        obs[i, 1] = min(max((seller_price[i] - lower) / span, 0.0), 1.0)
        obs[i, 2] = min(max(gap[i] / span, -1.0), 1.0)
        obs[i, 3] = 1.0 if buyer_turn[i] else 0.0
        obs[i, 4] = rounds[i] / max_rounds
        buyer_total, seller_total = max(buyer_units[i], 1), max(seller_units[i], 1)
        obs[i, 5] = buyers[i] / buyer_total
        obs[i, 6] = sellers[i] / seller_total
        obs[i, 7] = (buyers[i] - buyers_before[i]) / buyer_total
        obs[i, 8] = (sellers[i] - sellers_before[i]) / seller_total
        obs[i, 13] = last_step[i]


@njit(cache=True, nogil=True)
def started(rows, sizes, scale, obs, episode_steps, counts, before, last_step):  # pragma: no cover - compiled
    """The sub-envs of ``rows`` started an auction: the market entries of their observation (entries 9-12:
    buyers, sellers, buyer units, seller units of the k-th row's market, ``sizes[k]``, over ``scale`` and
    clipped to 1, as ``DoubleDutchAuctionEnv.reset``), no steps, nothing counted in a last tick (``before``
    takes the units the mechanism counts at the start, ``counts``: buyers', sellers'), the last step 0."""
    buyers, sellers = counts
    for k in range(rows.shape[0]):
        row = rows[k]
        for j in range(4):
            obs[row, 9 + j] = min(sizes[k, j] / scale[j], 1.0)
        episode_steps[row] = 0
        before[0, row] = buyers[row]
        before[1, row] = sellers[row]
        last_step[row] = 0.0


@njit(cache=True, nogil=True)
def fill_info(floats, ints, bools, clocks, rows, before_end, outcome, rewards):  # pragma: no cover - compiled
    """Every info value of every sub-env, by dtype: ``floats`` (buyer price, seller price, clearing price,
    SW, SW_opt, efficiency), ``ints`` (round, active clock, units traded, rounds) and ``bools`` (auction
    ended, crossed, IR, SBB, then every key's mask), each (keys, n).

    The clock keys come from ``clocks`` (buyer price, seller price, rounds, buyer's turn), the outcome keys
    hold ``before_end`` (their floats, ints and bools before the end) except on the rows that ended:
    ``outcome`` = (ended rows, their units traded, SW, IR, SBB, rounds, crossed, then every row's p* and
    SW_opt), where they hold the auction's outcome and the efficiency SW / SW_opt (1 when SW_opt <= 0,
    ``welfare_efficiency``), which is also added to their ``rewards``. Rows outside ``rows`` hold zeros and
    False masks (a partial reset)."""
    buyer_price, seller_price, rounds, buyer_turn = clocks
    before_floats, before_ints, before_bools = before_end
    ended, traded, welfare, rational, balanced, played, crossed, closing_price, optimum = outcome
    n = floats.shape[1]
    for i in range(n):
        if rows[i]:
            floats[0, i], floats[1, i] = buyer_price[i], seller_price[i]
            ints[0, i], ints[1, i] = rounds[i], 1 if buyer_turn[i] else 0
            for j in range(4):
                floats[2 + j, i] = before_floats[j]
                bools[j, i] = before_bools[j]
            ints[2, i], ints[3, i] = before_ints[0], before_ints[1]
        else:
            floats[:, i] = 0.0
            ints[:, i] = 0
            bools[:4, i] = False
        for j in range(4, bools.shape[0]):
            bools[j, i] = rows[i]
    for k in range(ended.shape[0]):
        i = ended[k]
        efficiency = welfare[k] / optimum[i] if optimum[i] > 0.0 else 1.0
        rewards[i] += efficiency
        floats[2, i], floats[3, i], floats[4, i], floats[5, i] = (
            closing_price[i],
            welfare[k],
            optimum[i],
            efficiency,
        )
        ints[2, i], ints[3, i] = traded[k], played[k]
        bools[0, i], bools[1, i], bools[2, i], bools[3, i] = True, crossed[k], rational[k], balanced[k]


@njit(cache=True, nogil=True)
def advance(ticking, positions, done, max_steps, eta, state, out):  # pragma: no cover - compiled
    """After a tick: each ticking sub-env's last step is ``positions[i]``, its episode one step longer; it
    terminates when its auction is ``done``, is truncated at ``max_steps`` steps (0: never), earns ``-eta``
    (the others 0). ``state`` = (last step positions, episode steps), updated; ``out`` = (terminated,
    truncated, ended, rewards), written. Returns how many sub-envs terminated and how many ended."""
    last_step, episode_steps = state
    terminated, truncated, ended, rewards = out
    n_terminated = n_ended = 0
    for i in range(ticking.shape[0]):
        if ticking[i]:
            last_step[i] = positions[i]
            episode_steps[i] += 1
            terminated[i] = done[i]
            truncated[i] = max_steps > 0 and episode_steps[i] >= max_steps
            rewards[i] = -eta
        else:
            terminated[i] = truncated[i] = False
            rewards[i] = 0.0
        ended[i] = terminated[i] or truncated[i]
        n_terminated += terminated[i]
        n_ended += ended[i]
    return n_terminated, n_ended
