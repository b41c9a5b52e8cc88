"""The coupling of the tiers (docs/model.md, Sec. 3): the Tier-2 market of a Tier-1 slot (its overloaded FAs
buy from its AAs), the synthetic markets beside them, and the two tiers solved together, the FAs' aerial
price being the Tier-2 clearing price (``two_tier``)."""

from ioa_gym.coupling.markets import (
    OVERFLOW_EPS,
    market_from_equilibrium,
    sample_synthetic_market,
    sample_tier1_market,
    synthetic_tradable_probability,
)
from ioa_gym.coupling.two_tier import (
    COUPLINGS,
    REFERENCE_STEP,
    TwoTierResult,
    realised_fa_utilities,
    sample_coupled_market,
    solve_two_tier,
)

__all__ = [
    "COUPLINGS",
    "OVERFLOW_EPS",
    "REFERENCE_STEP",
    "TwoTierResult",
    "market_from_equilibrium",
    "realised_fa_utilities",
    "sample_coupled_market",
    "sample_synthetic_market",
    "sample_tier1_market",
    "solve_two_tier",
    "synthetic_tradable_probability",
]
