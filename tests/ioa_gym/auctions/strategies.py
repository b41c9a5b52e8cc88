"""Hypothesis strategies and settings shared by the auction tests (not a test module)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ioa_gym.auctions import Market


def examples(n: int) -> settings:
    """Hypothesis settings: n examples, no deadline (CI machines are slow)."""
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------------------------------
# Strategies
# ----------------------------------------------------------------------------------------------------


@st.composite
def markets(draw, max_buyers: int = 6, max_sellers: int = 8, max_units: int = 5) -> Market:
    """Random markets whose values (2-20) and costs (0.5-15) overlap inside the default bounds."""
    n_buyers = draw(st.integers(1, max_buyers))
    n_sellers = draw(st.integers(1, max_sellers))
    # Rounded prices make exact ties between participants (and with clock prices) likely.
    price = st.floats(0.0, 1.0).map(lambda x: round(x, 2))
    values = [2.0 + 18.0 * draw(price) for _ in range(n_buyers)]
    costs = [0.5 + 14.5 * draw(price) for _ in range(n_sellers)]
    buyer_units = [draw(st.integers(0, max_units)) for _ in range(n_buyers)]
    seller_units = [draw(st.integers(0, max_units)) for _ in range(n_sellers)]
    return Market(values, buyer_units, costs, seller_units)


# Steps from tiny (thousands of ticks, often the round limit) to larger than the bounds' width.
steps = st.floats(-2.3, 1.6).map(lambda exponent: float(10.0**exponent))
step_pairs = st.tuples(st.floats(0.05, 3.0), st.floats(0.05, 3.0))
variants = st.sampled_from(["classic", "strategy-proof"])


GOOD = {"buyer_values": [10.0, 8.0], "buyer_units": [1, 2], "seller_costs": [3.0], "seller_units": [2]}
"""A small valid market's fields, varied one at a time by the validation tests."""
