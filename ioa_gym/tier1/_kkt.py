"""The WAs' best responses (Eq. 10) as one batched KKT solve in NumPy.

Used by ``ioa_gym.tier1.stackelberg`` (``follower_best_response``) and by the NumPy reference of the
Tier-1 solver (``ioa_gym.tier1._search``); the compiled kernel (``ioa_gym.tier1._solver_kernel``) solves
the same KKT system one WA at a time.
"""

from __future__ import annotations

from typing import Literal, overload

import numpy as np

_NEWTON_ITERS = 60
_NEWTON_TOL = 1e-11  # on sum_l o_l - 1 where the simplex binds


@overload
def _solve_simplex(
    m: np.ndarray, omega: np.ndarray, sensitivities: Literal[False] = ...
) -> tuple[np.ndarray, None, None]: ...
@overload
def _solve_simplex(
    m: np.ndarray, omega: np.ndarray, sensitivities: Literal[True]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
def _solve_simplex(
    m: np.ndarray, omega: np.ndarray, sensitivities: bool = False
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """KKT solution of max sum_l omega ln(1+o_l) - m_l o_l s.t. o >= 0, sum o <= 1 (Eq. 10), for every
    column r of the leader-first marginal costs m (L, R), weights omega (R,). Returns the ratios (L, R)
    and, with ``sensitivities``, the multiplier mu (R,) and q (R,) = 1 / sum_{l active} omega/(m_l + mu)^2
    where the simplex binds (0 elsewhere): d o_l / d m_l = -s_l (1 - q s_l), s_l = (1 + o_l)^2 / omega,
    for 0 < o_l < 1 (the implicit function theorem on sum_l o_l = 1).

    Without the simplex, o_l = clip(omega/m_l - 1, 0, 1) (o_l = 1 whenever m_l <= omega/2, which also
    covers m_l <= 0). Where those sum past 1, the multiplier mu > 0 solves
    S(mu) = sum_l max(0, omega/(m_l + mu) - 1) = 1, by Newton's method on 1/H_A(mu) = omega/(|A| + 1),
    H_A = sum_{l in A} 1/(m_l + mu) over the set A of columns active at the current mu. 1/H_A is concave
    and increasing (exactly linear with one active column), so from mu_0 = max(0, omega/2 - min m),
    where S >= 1, every step stays left of the root and the iteration increases monotonically to it,
    in about 3 steps (Newton on S itself takes about 5). With sum o = 1 and o >= 0 the upper clip
    cannot bind, so it is not needed there."""
    ratios = omega / np.maximum(m, 0.5 * omega)
    ratios -= 1.0
    np.maximum(ratios, 0.0, out=ratios)
    rows = (np.add.reduce(ratios, axis=0) > 1.0 + 1e-12).nonzero()[0]
    mu = inverse_curvature = None
    if sensitivities:
        mu, inverse_curvature = np.zeros(m.shape[1]), np.zeros(m.shape[1])
    if rows.size == 0:
        return ratios, mu, inverse_curvature
    m_b = m.take(rows, axis=1)  # (L, B), contiguous
    w_b = omega.take(rows)
    mu_b = 0.5 * w_b - m_b.min(axis=0)
    np.maximum(mu_b, 0.0, out=mu_b)
    for _ in range(_NEWTON_ITERS):
        x = m_b + mu_b
        active = x < w_b
        inv = active / x
        harmonic = np.add.reduce(inv, axis=0)
        n_active_plus_one = np.add.reduce(active, axis=0) + 1.0
        residual = w_b * harmonic - n_active_plus_one  # S(mu) - 1 >= 0 (left of the root)
        inv *= inv
        slope = np.add.reduce(inv, axis=0)
        if residual.max() < _NEWTON_TOL:
            break
        residual *= harmonic
        residual /= n_active_plus_one * slope
        mu_b += residual
    o_b = w_b / (m_b + mu_b)
    o_b -= 1.0
    np.maximum(o_b, 0.0, out=o_b)
    o_b /= np.maximum(np.add.reduce(o_b, axis=0), 1.0)  # rounding past the simplex
    ratios[:, rows] = o_b
    if sensitivities:
        assert mu is not None and inverse_curvature is not None  # allocated above when sensitivities
        mu[rows] = mu_b
        inverse_curvature[rows] = 1.0 / (w_b * slope)
    return ratios, mu, inverse_curvature


def _ratios_from_marginal(m: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """Eq. (10) for marginal costs m of shape (..., N, L) (see ``_solve_simplex``). Shape (..., N, L)."""
    n_leaders = m.shape[-1]
    leader_first = np.ascontiguousarray(np.moveaxis(m, -1, 0)).reshape(n_leaders, -1)
    weights = np.broadcast_to(omega, m.shape[:-1]).reshape(-1)
    ratios, _, _ = _solve_simplex(leader_first, weights)
    return np.moveaxis(ratios.reshape((n_leaders,) + m.shape[:-1]), 0, -1)
