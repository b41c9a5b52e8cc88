"""The records the compiled Tier-1 kernels take (``_solver_kernel``): the slot's WAs, the leaders' ranges and
search settings, the state a search responds to. Plain NamedTuples (numba passes them as structs), kept apart
from the kernels so that building one does not import numba."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Followers", "Leaders", "SearchState"]


class Followers(NamedTuple):
    """The WAs of one slot as every kernel takes them (``Scenario`` arrays; leaders MAs first)."""

    direct: np.ndarray
    """(N, L) a_{n,l} at phi = 0 (Eq. 8): ``Scenario.direct_cost_adjustment``."""
    aerial: np.ndarray
    """(N, J) d a_{n,j} / d phi_j: ``Scenario.aerial_cost_extra``."""
    n_ma: int
    """Number of MAs (the first leaders)."""
    work: np.ndarray
    """(N,) G_n (Gcycles)."""
    omega: np.ndarray
    """(N,) satisfaction weights omega_n."""


class Leaders(NamedTuple):
    """The leaders' price ranges and the search settings, as every search takes them."""

    low: np.ndarray
    """(L,) c_l, the lower end of each leader's price range."""
    high: float
    """p_max, the upper end of every range."""
    capacity: np.ndarray
    """(L,) Cap_l (inf for the MAs)."""
    aerial_price: float
    """pi, the FAs' price of aerial computing (Eq. 11b)."""
    resolution: np.ndarray
    """(L,) bracket width at which a leader's search stops (``_search._search_settings``)."""
    max_exits: int
    """Exit prices a search evaluates at most (an even subsample beyond)."""


class SearchState(NamedTuple):
    """What the searches respond to, recomputed when the base prices or phi change (``_set_base``,
    ``_exits``)."""

    base: np.ndarray
    """(N, L) marginal costs m_{n,l} at the base prices (Eq. 9)."""
    adjustment: np.ndarray
    """(N, L) a_{n,l}(phi) (Eq. 8)."""
    work: np.ndarray
    work_sq: np.ndarray
    omega: np.ndarray
    exits: np.ndarray
    """(4, L, N) per leader and WA: exit price, its dW/dp term, mu_{-l}, the other ratios' sum."""
