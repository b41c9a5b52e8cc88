"""The Tier-1 figures of ``figures.py``: the paper's Figs. 3 and 4 with latency per offloading composition,
and the two tiers with and without the aerial-price coupling (``ioa_gym.coupling.two_tier``).

Which reading of the captions (docs/results.md says why): both figures show, for each of the three
compositions, "total latency" as the sum over the WAs of the time their shares on that path take
(``ioa_gym.tier1.latency``: transmission plus computing), on one scenario with one MA and one FA.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from agents.common.files import atomic_write_text, new_figure, save_figure
from ioa_gym.coupling.two_tier import solve_two_tier
from ioa_gym.tier1.latency import latency
from ioa_gym.tier1.scenario import Scenario, ScenarioConfig
from ioa_gym.tier1.stackelberg import follower_best_response, linear_search, slot_outcome, solve_equilibrium

FA_PRICE = 6.0
"""The FA's price held fixed in Fig. 3 (the paper's p_j = 6.0)."""
FIG3_CONFIG = ScenarioConfig(n_wa=20, n_ma=1, n_fa=1, rayleigh_fading=False)
PANELS = (
    "(a) WA→MA: transmission + MA computing",
    "(b) WA→FA: transmission + FA computing",
    "(c) WA→FA→AA: transmissions + AA computing",
)


def _parts(scenario: Scenario, ratios: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Transmission and computing time of each composition, summed over WAs: shape (3, 2)."""
    slot = latency(scenario, ratios, share)
    i = scenario.n_ma
    fa_upload = slot.upload[:, i:]
    return np.array(
        [
            [slot.upload[:, :i].sum(), slot.server_compute[:, :i].sum()],
            [((1.0 - share) * fa_upload).sum(), slot.server_compute[:, i:].sum()],
            [(share * fa_upload).sum() + slot.forward.sum(), slot.aerial_compute.sum()],
        ]
    )


def fig3_scenario(max_seed: int = 200) -> tuple[Scenario, np.ndarray, object]:
    """The Fig. 3 slot: the first seed of ``FIG3_CONFIG`` where, at the MA's Linear-Search price against
    p_j = 6.0, the FA is overloaded but still serves part of its load itself (0.1 < phi < 0.9), so that
    all three compositions carry load. phi is the FA's overflow share at those prices, found by repeating
    (Linear-Search, the WAs' answer) until it settles. Returns (scenario, phi, Linear-Search result)."""
    for seed in range(max_seed):
        scenario = FIG3_CONFIG.sample(seed)
        share = np.zeros(1)
        for _ in range(20):
            prices = np.array([scenario.leader_unit_cost[0] * 1.2, FA_PRICE])
            search = linear_search(scenario, 0, prices, share, step=0.01)
            prices[0] = search.price
            new_share = slot_outcome(scenario, prices, share)[3]
            if abs(new_share[0] - share[0]) < 1e-6:
                break
            share = new_share
        if 0.1 < share[0] < 0.9:
            return scenario, share, linear_search(scenario, 0, prices, share, step=0.01)
    raise RuntimeError(f"no seed below {max_seed} gives an FA that both serves and forwards load")


def fig3_linear_search(out: Path) -> Path:
    """Fig. 3: one slot with an MA and an FA (p_j = 6.0); against the MA's price, each composition's total
    latency (transmission, computing, both) and the MA's utility, with Linear-Search's choice marked."""
    scenario, share, search = fig3_scenario()
    parts = np.array(
        [
            _parts(scenario, follower_best_response(scenario, np.array([p, FA_PRICE]), share), share)
            for p in search.prices
        ]
    )  # (prices, 3, 2)
    fig, axes = new_figure(18, 4.6, ncols=3)
    for k, ax in enumerate(axes):
        ax.plot(search.prices, parts[:, k, 0], label="transmission")
        ax.plot(search.prices, parts[:, k, 1], label="computing")
        ax.plot(search.prices, parts[:, k].sum(axis=1), "k", linewidth=2, label="total latency")
        ax.set_xlabel("MA price p_i (money / Gcycle)")
        ax.set_ylabel("latency summed over WAs (s)")
        ax.set_title(PANELS[k], fontsize=9)
        twin = ax.twinx()
        twin.plot(search.prices, search.utilities, color="tab:red", linestyle=":", label="MA utility")
        twin.axvline(search.price, color="tab:red", linewidth=0.8)
        twin.plot([search.price], [search.utility], "o", color="tab:red")
        twin.set_ylabel("MA utility U_i", color="tab:red")
        lines = ax.get_legend_handles_labels()
        extra = twin.get_legend_handles_labels()
        ax.legend(
            lines[0] + extra[0],
            lines[1] + [f"MA utility (Linear-Search p* = {search.price:.2f})"],
            fontsize=7,
        )
    fig.suptitle(
        f"Algorithm 1 (Linear-Search) for the MA, FA price fixed at p_j = {FA_PRICE} "
        f"(FA overflow share φ = {share[0]:.2f}; {scenario.n_wa} WAs)",
        fontsize=10,
    )
    return save_figure(fig, out / "fig3_linear_search.png")


def fig4_convergence(out: Path) -> Path:
    """Fig. 4: Algorithm 2 on the default scenario (seed 3) from prices at 90 % of p_max: per sweep, each
    composition's total latency (summed over WAs), with the prices of the leaders that serve it."""
    config = ScenarioConfig()
    scenario = config.sample(3)
    equilibrium = solve_equilibrium(
        scenario, tol=1e-4, initial_prices=np.full(config.n_leaders, config.max_price * 0.9)
    )
    sweeps = np.arange(equilibrium.price_history.shape[0])
    parts = np.array(
        [
            _parts(scenario, ratios, share)
            for ratios, share in zip(equilibrium.ratio_history, equilibrium.share_history, strict=True)
        ]
    )
    ma, fa = slice(0, config.n_ma), scenario.fa_slice
    fig, axes = new_figure(18, 4.6, ncols=3)
    for k, ax in enumerate(axes):
        ax.plot(sweeps, parts[:, k].sum(axis=1), "k", marker=".", linewidth=2, label="total latency")
        ax.plot(sweeps, parts[:, k, 0], marker=".", label="transmission")
        ax.plot(sweeps, parts[:, k, 1], marker=".", label="computing")
        ax.set_xlabel("sweep of Algorithm 2")
        ax.set_ylabel("latency summed over WAs (s)")
        ax.set_title(PANELS[k], fontsize=9)
        twin = ax.twinx()
        leaders = ma if k == 0 else fa
        twin.plot(
            sweeps,
            equilibrium.price_history[:, leaders].mean(axis=1),
            color="tab:red",
            linestyle=":",
            label="mean price",
        )
        if k == 2:
            twin.plot(
                sweeps,
                equilibrium.share_history.mean(axis=1) * config.max_price,
                color="tab:purple",
                linestyle="--",
                label="mean φ x p_max",
            )
        twin.set_ylabel("MA price" if k == 0 else "FA price", color="tab:red")
        lines, extra = ax.get_legend_handles_labels(), twin.get_legend_handles_labels()
        ax.legend(lines[0] + extra[0], lines[1] + extra[1], fontsize=7)
    state = "converged" if equilibrium.converged else "not converged"
    fig.suptitle(
        f"Algorithm 2 (Stackelberg), default scenario seed 3: {state} in {equilibrium.iterations} sweeps",
        fontsize=10,
    )
    return save_figure(fig, out / "fig4_convergence.png")


def _uncoupled(scenario: Scenario):
    """The slot with the scenario's constant aerial price: one Tier-1 solve and one reference auction (the
    coupled iteration's first step, with no update)."""
    return solve_two_tier(scenario, max_iter=0)


def two_tier_coupling(out: Path, sizes: Sequence[int], slots: int) -> tuple[Path, Path]:
    """Welfare and prices with and without the aerial-price coupling, against the number of WAs: for each
    size, ``slots`` default slots (seeds 0 .. slots - 1), each solved with pi = 6.0 and at the coupled fixed
    point (``ioa_gym.coupling.two_tier``, reference auctioneer fixed step 1.42). Writes the figure and a
    Markdown table of the numbers (with the fixed point's convergence, cycles and iterations)."""
    rows = []
    for n_wa in sizes:
        config = ScenarioConfig(n_wa=n_wa)
        for seed in range(slots):
            scenario = config.sample(seed)
            for label, result in (("pi = 6.0", _uncoupled(scenario)), ("coupled", solve_two_tier(scenario))):
                traded = result.traded
                fa = scenario.fa_slice
                rows.append(
                    {
                        "n_wa": n_wa,
                        "mode": label,
                        "traded": traded,
                        "aerial_price": result.aerial_price,
                        "clearing_price": result.clearing_price if traded else np.nan,
                        "welfare": result.result.social_welfare * scenario.config.unit_size
                        if traded
                        else 0.0,
                        "fa_price": float(result.equilibrium.prices[fa].mean()),
                        "fa_utility": float(result.fa_utilities.sum()),
                        "overflow": float(result.equilibrium.overflow.sum()),
                        "unserved": float(result.unserved.sum()),
                        "converged": result.converged,
                        "cycle": result.cycle_period,
                        "iterations": result.iterations,
                    }
                )
    modes = ("pi = 6.0", "coupled")

    def mean(n_wa: int, mode: str, key: str, traded_only: bool = False) -> float:
        values = [
            r[key]
            for r in rows
            if r["n_wa"] == n_wa and r["mode"] == mode and (r["traded"] or not traded_only)
        ]
        return float(np.mean(values)) if values else float("nan")

    fig, axes = new_figure(18, 4.6, ncols=3)
    series = (
        (0, "clearing_price", True, "o", "Tier-2 clearing price"),
        (0, "fa_price", False, "s", "mean FA price"),
        (1, "welfare", False, "o", "Tier-2 welfare"),
        (2, "fa_utility", False, "o", "FAs' realised utility"),
    )
    for mode, style in zip(modes, ("--", "-"), strict=True):
        for panel, key, traded_only, marker, label in series:
            values = [mean(n, mode, key, traded_only) for n in sizes]
            axes[panel].plot(sizes, values, style, marker=marker, label=f"{label} ({mode})")
    axes[0].plot(
        sizes,
        [mean(n, "coupled", "aerial_price", True) for n in sizes],
        "-",
        marker="^",
        label="aerial price pi at the fixed point",
    )
    axes[0].set_ylabel("price (money / Gcycle)")
    axes[1].set_ylabel("social welfare of the auction (money)")
    axes[2].set_ylabel("sum over FAs (money)")
    for ax in axes:
        ax.set_xlabel("number of WAs")
        ax.legend(fontsize=7)
    fig.suptitle(
        f"Two tiers with and without the aerial-price coupling ({slots} slots per size, "
        "reference auctioneer: fixed step 1.42)",
        fontsize=10,
    )
    figure = save_figure(fig, out / "two_tier_coupling.png")
    lines = [
        "| WAs | mode | markets | mean pi | mean clearing price | mean FA price | Tier-2 welfare "
        "| FAs' utility "
        "| unserved Gcycles | converged | cycles | mean iterations |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n_wa in sizes:
        for mode in modes:
            group = [r for r in rows if r["n_wa"] == n_wa and r["mode"] == mode]
            traded = [r for r in group if r["traded"]]
            coupled = mode == "coupled"
            lines.append(
                f"| {n_wa} | {mode} | {len(traded)}/{len(group)} | "
                f"{mean(n_wa, mode, 'aerial_price', True):.3f} | "
                f"{mean(n_wa, mode, 'clearing_price', True):.3f} | {mean(n_wa, mode, 'fa_price'):.3f} | "
                f"{mean(n_wa, mode, 'welfare'):.3f} | {mean(n_wa, mode, 'fa_utility'):.2f} | "
                f"{mean(n_wa, mode, 'unserved'):.3f} | "
                + (
                    f"{sum(r['converged'] and r['traded'] for r in group)}/{len(traded)} | "
                    f"{sum(r['cycle'] > 0 for r in group)} | {mean(n_wa, mode, 'iterations'):.2f} |"
                    if coupled
                    else "- | - | - |"
                )
            )
    table = atomic_write_text(out / "two_tier_coupling.md", "\n".join(lines) + "\n")
    return figure, table


__all__ = [
    "fig3_linear_search",
    "fig4_convergence",
    "fig3_scenario",
    "two_tier_coupling",
]
