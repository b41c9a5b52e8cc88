"""Algorithm 2's sweeps in batched NumPy (``_iterate``): the NumPy reference of
``ioa_gym.tier1.stackelberg.solve_equilibrium`` (``method="numpy"``), over the searches of
``ioa_gym.tier1._search``; ``ioa_gym.tier1._solver_kernel`` runs the same sweeps compiled.
"""

from __future__ import annotations

import numpy as np

from ioa_gym.tier1._search import _UNIT_WINDOW, _PriceSearch

# Later Jacobi sweeps search within +-(2 x the largest move of the sweep before), clipped to these
# bounds (price units).
_WINDOW_MIN = 1e-3
_WINDOW_MAX = 1.0
# The first Jacobi sweep scans these offsets around the initial prices (price units).
_FIRST_SCAN = np.array([-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5])
# Converged also needs a certificate: no leader gains more than this fraction of its utility by
# deviating to any price (half the 0.1 % of the definition the tests check).
_EQUILIBRIUM_GAP = 5e-4
# The damping raised on best-response cycles stops here, so that the iteration never freezes.
_DAMPING_MAX = 0.9
# After a failed certificate, sweeps with small moves whose estimated gain is too large before the
# next certificate is tried anyway (their estimates may be off).
_CERTIFICATE_WAIT = 3


def _iterate(
    searcher: _PriceSearch, prices: np.ndarray, tol: float, max_iter: int, damping: float, scheme: str
) -> tuple[np.ndarray, np.ndarray, bool]:
    """The sweeps of ``solve_equilibrium``; returns the price and phi histories and whether it converged.

    Jacobi modes, cheapest first: "window" (a ``scan`` around the initial prices in the first sweep,
    then ``window`` searches), "careful" (windows that also scan the exit prices inside, for one sweep after a
    sweep that moved no less than the one before: a best response torn between two close peaks then
    picks the higher one, where the cheap window's model may flip between them; a cycle right after a
    careful sweep raises the damping), "exact" (whole ranges, exact searches). After a failed
    certificate the next one waits until the sweeps estimate a small enough gain, at most
    _CERTIFICATE_WAIT sweeps with small moves; a second failure makes every later search exact."""
    low, high = searcher.low, searcher.high
    everyone = np.arange(low.size)
    top = np.full(low.size, high)
    capacity = searcher.capacity[searcher.fa]
    share = np.zeros(capacity.size)
    price_history, share_history = [prices], [share]
    mode = "window"  # Jacobi: "window", "careful" or "exact"
    failed_certificates = waited = 0
    moved = last_move = np.inf
    window = None  # Jacobi: half-width of the next windows (None: whole ranges)
    while True:
        previous, previous_share = prices, share
        searcher.set_base(previous, previous_share)
        best = None
        if moved < tol:
            certify = failed_certificates == 0 or scheme != "jacobi" or waited >= _CERTIFICATE_WAIT
            if not certify:
                best, estimate, utility = _jacobi_best_responses(searcher, previous, window, mode)
                certify = bool(np.all(estimate - utility <= _EQUILIBRIUM_GAP * np.abs(utility)))
                waited += not certify
            if certify:
                # Certificate: every leader's exact best response over its whole range, the result's
                # price and +-resolution among the points (smooth maxima then need no refining).
                near = previous[:, None] + searcher.resolution[:, None] * _UNIT_WINDOW
                checked, checked_value, utility = searcher.search(
                    everyone, low, top, include=near, certify=_EQUILIBRIUM_GAP
                )
                utility = utility[:, 1]
                if np.all(checked_value - utility <= _EQUILIBRIUM_GAP * np.abs(utility)):
                    return np.array(price_history), np.array(share_history), True
                if failed_certificates:
                    mode = "exact"
                failed_certificates, waited = failed_certificates + 1, 0
                best = checked
        if len(price_history) > max_iter:
            return np.array(price_history), np.array(share_history), False
        if scheme == "jacobi":
            if best is None:
                best = _jacobi_best_responses(searcher, previous, window, mode)[0]
            window = min(max(2.0 * np.abs(best - previous).max(), _WINDOW_MIN), _WINDOW_MAX)
            prices = (1.0 - damping) * best + damping * previous
        else:
            prices = previous.copy()
            for leader in everyone:
                one = everyone[leader : leader + 1]
                searcher.set_base(prices, previous_share)
                best_price = searcher.search(one, low[one], top[one], exact=mode == "exact")[0][0]
                prices[leader] = (1.0 - damping) * best_price + damping * prices[leader]
        loads = searcher.loads(prices)[searcher.fa]
        share = np.maximum(loads - capacity, 0.0) / np.maximum(loads, 1e-300)  # Eq. (12)
        price_history.append(prices)
        share_history.append(share)
        last_move = moved
        moved = max(np.abs(prices - previous).max(), np.abs(share - previous_share).max(initial=0.0))
        careful, mode = mode == "careful", "window" if mode == "careful" else mode
        if moved >= last_move:
            if mode == "window" and not careful and scheme == "jacobi":
                mode = "careful"
            else:
                # No progress: a best-response cycle (the FA capacity kink and the phi feedback make the
                # best responses jump). Damp harder so the iteration contracts onto the fixed point.
                damping = min(max(0.5, 0.5 * (1.0 + damping)), _DAMPING_MAX)


def _jacobi_best_responses(
    searcher: _PriceSearch, prices: np.ndarray, window: float | None, mode: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every leader's best response to the searcher's base ``prices`` (see ``_iterate`` for the modes):
    mode "exact", over its whole range; else from a scan of prices + _FIRST_SCAN (window None: the
    first sweep) or a window of prices +- window, and over the whole range where it lies beyond those.
    Returns the best responses, their (estimated, unless exact) utilities and the utilities at
    ``prices``."""
    low, high = searcher.low, searcher.high
    everyone = np.arange(low.size)
    top = np.full(low.size, high)
    if mode == "exact":
        found, value, utility = searcher.search(everyone, low, top, include=prices[:, None])
        return found, value, utility[:, 0]
    if window is None:
        own = prices[:, None] + _FIRST_SCAN
        found, value, utility, escaped = searcher.scan(own, centre=_FIRST_SCAN.size // 2)
    elif mode == "window":
        found, value, utility, escaped = searcher.window(prices, window)
    else:
        lower, upper = np.maximum(prices - window, low), np.minimum(prices + window, high)
        found, value, utility = searcher.search(everyone, lower, upper, exact=False, include=prices[:, None])
        utility = utility[:, 0]
        escaped = ((found <= lower) & (lower > low)) | ((found >= upper) & (upper < high))
    escaped = escaped.nonzero()[0]
    if escaped.size:
        found[escaped], value[escaped], _ = searcher.search(escaped, low[escaped], top[escaped], exact=False)
    return found, value, utility
