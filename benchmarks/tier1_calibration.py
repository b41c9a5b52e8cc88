"""Calibration of the default scenario: equilibrium prices, convergence, overloaded FAs, markets.

    python -m benchmarks.tier1_calibration [--slots 200]

Prints the figures quoted in docs/model.md ("Calibration of the defaults")."""

from __future__ import annotations

import argparse

import numpy as np

from ioa_gym.auctions import efficient_welfare, is_tradable
from ioa_gym.coupling.markets import market_from_equilibrium
from ioa_gym.tier1.scenario import ScenarioConfig
from ioa_gym.tier1.stackelberg import solve_equilibrium


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slots", type=int, default=200)
    args = parser.parse_args()
    cfg = ScenarioConfig()
    rows = []
    for seed in range(args.slots):
        sc = cfg.sample(seed)
        eq = solve_equilibrium(sc)
        market = market_from_equilibrium(sc, eq)
        rows.append((sc, eq, market))
    prices = np.array([eq.prices for _, eq, _ in rows])
    costs = np.array([sc.leader_unit_cost for sc, _, _ in rows])
    margin = prices - costs
    ma, fa = slice(0, cfg.n_ma), slice(cfg.n_ma, cfg.n_leaders)
    ratios = np.array([eq.ratios for _, eq, _ in rows])
    print(f"slots: {args.slots} (ScenarioConfig() defaults, seeds 0..{args.slots - 1})")
    print(
        f"converged: {np.mean([eq.converged for _, eq, _ in rows]):.3f}; "
        f"sweeps mean {np.mean([eq.iterations for _, eq, _ in rows]):.2f}, "
        f"max {max(eq.iterations for _, eq, _ in rows)}"
    )
    for name, cols in (("MA", ma), ("FA", fa)):
        print(
            f"{name} price mean {prices[:, cols].mean():.3f} "
            f"(range {prices[:, cols].min():.3f}-{prices[:, cols].max():.3f})"
        )
    print(
        f"smallest margin above cost {margin.min():.3f}; smallest margin below p_max "
        f"{(cfg.max_price - prices).min():.3f} (interior if both > 0)"
    )
    print(
        f"offloading ratio mean {ratios.mean():.3f}; WAs at the simplex (sum o = 1): "
        f"{np.mean(np.isclose(ratios.sum(-1), 1.0)):.3f}; local share mean {1 - ratios.sum(-1).mean():.3f}"
    )
    overloaded = np.array([eq.overloaded.size for _, eq, _ in rows])
    print(
        f"slots with >= 1 overloaded FA: {np.mean(overloaded > 0):.3f}; overloaded FAs per slot "
        f"mean {overloaded.mean():.2f}; excess Q per slot mean "
        f"{np.mean([eq.overflow.sum() for _, eq, _ in rows]):.2f} Gcycles"
    )
    tradable = [m for _, _, m in rows if is_tradable(m)]
    print(
        f"tradable Tier-2 markets: {len(tradable) / len(rows):.3f}; buyer units mean "
        f"{np.mean([m.total_buyer_units for m in tradable]):.1f}, seller units mean "
        f"{np.mean([m.total_seller_units for m in tradable]):.1f}, SW_opt mean "
        f"{np.mean([efficient_welfare(m) for m in tradable]):.2f}"
    )


if __name__ == "__main__":
    main()
