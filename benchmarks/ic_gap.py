"""Measurements of the Tier-2 DDA quoted in docs/model.md: IC gap, efficiency vs step, tick time.

Run from the repository root (all sections, defaults as quoted in the docs)::

    .venv/bin/python -m benchmarks.ic_gap

or one section: ``--section ic``, ``--section efficiency`` or ``--section tick``. Markets are drawn by
:func:`ioa_gym.auctions.sample_market` with its defaults (2-5 buyers, 2-7 sellers, 1-4 units each,
values U[4, 12], costs U[1, 9]) from ``np.random.default_rng(--seed)``; price bounds (0, 30).
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Sequence

import numpy as np

from ioa_gym.auctions import (
    DoubleDutchAuction,
    Market,
    efficient_welfare,
    max_misreport_gain,
    run_fixed_step,
    sample_market,
    welfare_efficiency,
)


def measure_ic_gap(
    variant: str = "classic",
    step: float | tuple[float, float] = 0.1,
    n_markets: int = 200,
    n_deviations: int = 24,
    seed: int = 0,
    max_rounds: int = 1000,
) -> dict[str, float]:
    """Largest unilateral misreport gain per market (see ``max_misreport_gain``), summarised.

    Market k uses auction seed k and misreport rng seed k. Gains are in money units (true utility);
    ``gain / SW_opt`` normalises each market's largest gain by its efficient welfare. The
    ``participant`` figures average each participant's own best gain over all participants, and
    ``best_by_*`` says who gains most in the markets with a gain and in which direction they lie.
    """
    rng = np.random.default_rng(seed)
    gains, relative, per_participant = [], [], []
    directions = {"buyer_up": 0, "buyer_down": 0, "seller_up": 0, "seller_down": 0}
    auctions = 0
    for k in range(n_markets):
        market = sample_market(rng)
        report = max_misreport_gain(
            market, step, variant, max_rounds=max_rounds, seed=k, n_deviations=n_deviations, rng=k
        )
        auctions += report.auctions_run
        gains.append(report.max_gain)
        relative.append(report.max_gain / max(efficient_welfare(market), 1e-12))
        per_participant.extend(report.buyer_gains.tolist() + report.seller_gains.tolist())
        if report.side is not None:
            # "up": a buyer bids above its value, or a seller asks above its cost.
            directions[f"{report.side}_{'up' if report.report > report.true_value else 'down'}"] += 1
    gains_array = np.asarray(gains)
    n_gaining = int(np.count_nonzero(gains_array > 1e-9))
    stats: dict[str, float] = {
        "markets": n_markets,
        "auctions": auctions,
        "mean_gain": float(gains_array.mean()),
        "max_gain": float(gains_array.max()),
        "share_markets_with_gain": n_gaining / n_markets,
        "mean_gain_over_sw_opt": float(np.mean(relative)),
        "max_gain_over_sw_opt": float(np.max(relative)),
        "mean_participant_gain": float(np.mean(per_participant)),
        "share_participants_with_gain": float(np.mean(np.asarray(per_participant) > 1e-9)),
    }
    for direction, count in directions.items():
        stats[f"best_by_{direction}"] = count / max(n_gaining, 1)
    return stats


def measure_efficiency(
    steps: Sequence[float | tuple[float, float]],
    variant: str = "classic",
    n_markets: int = 200,
    seed: int = 0,
    max_rounds: int = 100_000,
    eta: float = 0.01,
) -> list[dict[str, object]]:
    """Mean welfare efficiency SW/SW_opt, rounds and return (efficiency - eta rounds) per fixed step."""
    rng = np.random.default_rng(seed)
    markets = [sample_market(rng) for _ in range(n_markets)]
    optima = [efficient_welfare(market) for market in markets]
    rows = []
    for step in steps:
        efficiency, rounds = [], []
        for k, (market, optimum) in enumerate(zip(markets, optima, strict=True)):
            result = run_fixed_step(market, step, variant, max_rounds=max_rounds, seed=k)
            efficiency.append(welfare_efficiency(result.social_welfare, optimum))
            rounds.append(result.rounds)
        efficiency_array, rounds_array = np.asarray(efficiency), np.asarray(rounds)
        rows.append(
            {
                "step": step,
                "mean_efficiency": float(efficiency_array.mean()),
                "min_efficiency": float(efficiency_array.min()),
                "mean_rounds": float(rounds_array.mean()),
                "mean_return": float(np.mean(efficiency_array - eta * rounds_array)),
            }
        )
    return rows


def measure_tick_time(step: float = 0.01, repeats: int = 200, seed: int = 0) -> dict[str, float]:
    """Microseconds per tick, per construction and per clearing on a 48-unit market.

    The market has 6 buyers x 4 units (values U[4, 12]) and 8 sellers x 3 units (costs U[1, 9]);
    each repeat plays a full classic auction with a fixed step (3000 ticks at step 0.01).
    """
    rng = np.random.default_rng(seed)
    market = Market(rng.uniform(4.0, 12.0, 6), np.full(6, 4), rng.uniform(1.0, 9.0, 8), np.full(8, 3))
    tick_seconds, ticks = 0.0, 0
    for k in range(repeats):
        auction = DoubleDutchAuction(market, max_rounds=10**7, seed=k)
        start = timeit.default_timer()
        while not auction.done:
            auction.tick(step)
        tick_seconds += timeit.default_timer() - start
        ticks += auction.rounds
    generator = np.random.default_rng(seed)
    number = 2000
    construct_seed = timeit.timeit(lambda: DoubleDutchAuction(market, seed=1), number=number) / number
    construct_generator = (
        timeit.timeit(lambda: DoubleDutchAuction(market, seed=generator), number=number) / number
    )
    clear = timeit.timeit(lambda: auction._clear(), number=number) / number
    return {
        "units": market.total_buyer_units + market.total_seller_units,
        "ticks_timed": ticks,
        "tick_us": 1e6 * tick_seconds / ticks,
        "construct_int_seed_us": 1e6 * construct_seed,
        "construct_generator_us": 1e6 * construct_generator,
        "clear_us": 1e6 * clear,
    }


def _format_step(step: float | tuple[float, float]) -> str:
    return f"({step[0]:.4g}, {step[1]:.4g})" if isinstance(step, tuple) else f"{step:g}"


def main(argv: Sequence[str] | None = None) -> None:
    """Print the measurements as markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", choices=["all", "ic", "efficiency", "tick"], default="all")
    parser.add_argument("--markets", type=int, default=200)
    parser.add_argument("--deviations", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    if args.section in ("all", "tick"):
        print("## Tick time\n")
        for name, value in measure_tick_time().items():
            print(f"- {name}: {value:.3g}")
        print()

    if args.section in ("all", "ic"):
        print("## IC gap (largest unilateral misreport gain per market)\n")
        summary, breakdown = [], []
        cases: list[tuple[str, float | tuple[float, float]]] = [
            ("classic", 1.0),
            ("classic", 0.1),
            ("strategy-proof", (0.23, 0.07)),
            ("double-clock", 1.0),
            ("double-clock", 0.1),
        ]
        for variant, step in cases:
            stats = measure_ic_gap(variant, step, args.markets, args.deviations, args.seed)
            head = f"| {variant} | {_format_step(step)} | "
            summary.append(
                head
                + f"{stats['markets']:.0f} | {stats['auctions']:.0f} | {stats['mean_gain']:.3f} | "
                + f"{stats['max_gain']:.3f} | {stats['mean_gain_over_sw_opt']:.3f} | "
                + f"{stats['max_gain_over_sw_opt']:.3f} | {stats['share_markets_with_gain']:.3f} |"
            )
            breakdown.append(
                head
                + f"{stats['mean_participant_gain']:.3f} | {stats['share_participants_with_gain']:.3f} | "
                + " | ".join(
                    f"{stats['best_by_' + name]:.2f}"
                    for name in ("buyer_up", "buyer_down", "seller_up", "seller_down")
                )
                + " |"
            )
        print(
            "| variant | step | markets | auctions replayed | mean gain | max gain | mean gain/SW_opt |"
            " max gain/SW_opt | share of markets with a gain |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        print("\n".join(summary))
        print(
            "\n| variant | step | mean gain per participant | share of participants with a gain |"
            " best deviation: buyer bids up | buyer bids down | seller asks up | seller asks down |"
        )
        print("|---|---|---|---|---|---|---|---|")
        print("\n".join(breakdown))
        print()

    if args.section in ("all", "efficiency"):
        print("## Efficiency vs fixed step (max_rounds = 100000, eta = 0.01)\n")
        print("| variant | step | mean SW/SW_opt | min SW/SW_opt | mean rounds | mean return |")
        print("|---|---|---|---|---|---|")
        classic_steps: list[float | tuple[float, float]] = [4.0, 2.0, 1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01]
        # Strategy-proof: equal steps always meet at 15 (no trade here); step pairs that meet at m.
        proof_steps: list[float | tuple[float, float]] = [0.1]
        for meeting_price in (6.0, 7.0, 8.0):
            proof_steps.append((0.1 * (30.0 - meeting_price) / meeting_price, 0.1))
        for variant, steps in (
            ("classic", classic_steps),
            ("strategy-proof", proof_steps),
            ("double-clock", classic_steps),
        ):
            for row in measure_efficiency(steps, variant, args.markets, args.seed):
                print(
                    f"| {variant} | {_format_step(row['step'])} | {row['mean_efficiency']:.4f} | "
                    f"{row['min_efficiency']:.4f} | {row['mean_rounds']:.1f} | {row['mean_return']:.4f} |"
                )


if __name__ == "__main__":
    main()
