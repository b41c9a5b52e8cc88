"""Incentive-compatibility audit of an auctioneer policy on IoA-DDA-v0 (docs/model.md, T2.13).

For any policy with Stable-Baselines3's ``predict`` (a trained model, a baseline, a reference policy),
through the environment itself:

1. Market ``k`` of audit seed ``s`` is the market that ``env.reset(seed=market_seed(s, k))`` samples, with
   ``market_seed(s, k) = 2**32 + 1_000_000 * s + k``: the markets of ``evaluate.py``'s episodes of
   evaluation seed ``s``.
2. The truthful auction is replayed with ``env.reset(seed=market_seed(s, k), options={"market": market})``
   and the policy's deterministic actions.
3. For each participant with at least one unit, in the order buyers then sellers, the misreports are
   drawn as :func:`ioa_gym.auction.max_misreport_gain` draws them: ``n_deviations // 2`` values
   true x U[0.5, 1.5], the rest U[lower, upper] of the price bounds (from
   ``np.random.default_rng((market_seed(s, k), 1))``), and the truthful closing price
   p* +/- 1e-6 W, +/- 1e-2 W (W the bounds' width). Each misreport (``Market.with_buyer_value`` /
   ``with_seller_cost``) is replayed with the *same* reset seed, so the rationing order is the same.
4. The participant's gain is its true utility under the misreport minus under truth, from the final
   info: a buyer trading x units earns x (true value - clearing price), a seller x (clearing price -
   true cost).

Per market: the largest gain over participants and misreports, and that gain over SW_opt. Per policy:
mean and max of both over markets, and the share of markets where some misreport gains (more than
``GAIN_TOLERANCE``). For a fixed step this is exactly ``max_misreport_gain`` on the same markets and
misreports (tested). It is a lower bound on the true IC gap (sampled deviations).

All replays of a market run in lockstep, and the policy is asked once per distinct observation (a
cache keyed by the observation's bytes), with the misses predicted as one batch. So identical public
states always get bitwise-identical actions, whichever replay or batch they occur in: the audit compares
one deterministic auctioneer with itself, never two numerically different ones (batched and single
predictions of a network can differ in the last bits).

Command line (``evaluate.py`` dispatches ``ic-audit`` here; ``python -m ioa_gym.ic_audit`` works too)::

    python evaluate.py ic-audit --agents fixed-step:step=1.0 adaptive ppo=runs/ppo/IoA-DDA-v0_1 \\
        --markets 100 --seed 0 --deviations 24 [--env-kwargs variant:strategy-proof] [--output DIR]

It writes ``ic_audit.json`` (settings, per-policy summary, per-market records), ``ic_markets.csv`` and
``table.txt`` into ``--output`` (default a new ``results/ic-audit-<env>-<timestamp>/``; a non-empty
folder is refused without ``--overwrite``). The audit functions use only the environment; the command
line borrows agent loading and file writing from :mod:`agents.evaluation`.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from ioa_gym.auction import BUYER, SELLER, Market
from ioa_gym.envs.dda import DoubleDutchAuctionEnv

SEED_BASE = 2**32
SEED_STRIDE = 1_000_000
MISREPORT_STREAM = 1
"""Second entropy word of the misreport generator (the first is the market's reset seed)."""
GAIN_TOLERANCE = 1e-9
"""A market counts as having a gain when its largest gain exceeds this (money units)."""
NEAR_PRICE_OFFSETS = (1e-6, -1e-6, 1e-2, -1e-2)
"""Misreports at p* + offset x (bounds' width), as in max_misreport_gain."""


def market_seed(seed: int, index: int) -> int:
    """Reset seed of market ``index`` of audit seed ``seed`` (the same rule as evaluate.py's episodes)."""
    if not 0 <= int(index) < SEED_STRIDE:
        raise ValueError(f"market index must be in [0, {SEED_STRIDE}), got {index}")
    return SEED_BASE + SEED_STRIDE * int(seed) + int(index)


def misreport_rng(reset_seed: int) -> np.random.Generator:
    """Generator of the random misreports of the market with reset seed ``reset_seed``."""
    return np.random.default_rng((int(reset_seed), MISREPORT_STREAM))


@dataclass(frozen=True)
class MarketAudit:
    """Audit of one market: the truthful outcome and the most profitable misreport found.

    ``side`` is ``"buyer"`` or ``"seller"`` (None when no misreport gains), ``participant`` its index,
    ``report`` its misreported value or cost, ``gain_ratio`` = ``max_gain`` / ``efficient_welfare``.
    """

    index: int
    reset_seed: int
    n_buyers: int
    n_sellers: int
    buyer_units: int
    seller_units: int
    efficient_welfare: float
    truthful_efficiency: float
    truthful_rounds: int
    truthful_units_traded: int
    clearing_price: float
    closing_price: float
    max_gain: float
    gain_ratio: float
    side: str | None
    participant: int
    report: float
    true_value: float
    truthful_utility: float
    deviating_utility: float
    auctions_run: int
    policy_calls: int


@dataclass
class ICAuditResult:
    """Audit of one policy over a set of markets."""

    policy: str
    env_id: str
    env_kwargs: dict[str, Any]
    seed: int
    n_deviations: int
    markets: list[MarketAudit] = field(default_factory=list)

    def _values(self, name: str) -> np.ndarray:
        return np.array([getattr(market, name) for market in self.markets], dtype=float)

    def summary(self) -> dict[str, Any]:
        """Mean and max over markets of the largest gain and gain / SW_opt; share of markets with a gain."""
        gains, ratios = self._values("max_gain"), self._values("gain_ratio")
        empty = not self.markets
        return {
            "policy": self.policy,
            "markets": len(self.markets),
            "auctions_replayed": int(sum(market.auctions_run for market in self.markets)),
            "mean_gain": math.nan if empty else float(gains.mean()),
            "max_gain": math.nan if empty else float(gains.max()),
            "mean_gain_ratio": math.nan if empty else float(np.nanmean(ratios)),
            "max_gain_ratio": math.nan if empty else float(np.nanmax(ratios)),
            "share_with_gain": math.nan if empty else float(np.mean(gains > GAIN_TOLERANCE)),
            "mean_truthful_efficiency": math.nan
            if empty
            else float(self._values("truthful_efficiency").mean()),
            "mean_truthful_rounds": math.nan if empty else float(self._values("truthful_rounds").mean()),
        }

    def to_dict(self) -> dict[str, Any]:
        """Settings, summary and per-market records."""
        return {
            "policy": self.policy,
            "env_id": self.env_id,
            "env_kwargs": self.env_kwargs,
            "seed": self.seed,
            "n_deviations": self.n_deviations,
            "summary": self.summary(),
            "markets": [asdict(market) for market in self.markets],
        }


def dda_env(env: gym.Env) -> DoubleDutchAuctionEnv:
    """The IoA-DDA env under ``env``'s wrappers; ValueError for any other env."""
    base = env.unwrapped
    if not isinstance(base, DoubleDutchAuctionEnv):
        raise ValueError(f"the IC audit needs an IoA-DDA environment, got {type(base).__name__}")
    return base


def sample_markets(
    env_id: str, env_kwargs: Mapping[str, Any] | None, n_markets: int, seed: int = 0
) -> list[Market]:
    """The markets ``env.reset(seed=market_seed(seed, k))`` samples, k = 0 .. n_markets - 1."""
    env = gym.make(env_id, **dict(env_kwargs or {}))
    try:
        base = dda_env(env)
        markets = []
        for index in range(n_markets):
            env.reset(seed=market_seed(seed, index))
            assert base.market is not None
            markets.append(base.market)
        return markets
    finally:
        env.close()


class _Replayer:
    """Plays auctions on given markets in lockstep, with one cached deterministic policy per market."""

    def __init__(self, env_id: str, env_kwargs: Mapping[str, Any], policy: Any) -> None:
        self.env_id, self.env_kwargs, self.policy = env_id, dict(env_kwargs), policy
        self.envs: list[DoubleDutchAuctionEnv] = []
        self.cache: dict[bytes, Any] = {}
        self.policy_calls = 0

    def _env(self, index: int) -> DoubleDutchAuctionEnv:
        while len(self.envs) <= index:
            self.envs.append(dda_env(gym.make(self.env_id, **self.env_kwargs)))
        return self.envs[index]

    def _actions(self, observations: list[np.ndarray]) -> list[Any]:
        keys = [observation.tobytes() for observation in observations]
        first = {key: observations[i] for i, key in reversed(list(enumerate(keys))) if key not in self.cache}
        missing = list(first)
        if missing:
            batch = np.stack([first[key] for key in missing])
            actions, _ = self.policy.predict(batch, deterministic=True)
            actions = np.asarray(actions)
            if actions.shape[0] != len(missing):
                raise ValueError(
                    f"policy.predict returned {actions.shape[0]} actions for a batch of {len(missing)}"
                )
            self.policy_calls += 1
            for key, action in zip(missing, actions, strict=True):
                self.cache[key] = action.copy()
        return [self.cache[key] for key in keys]

    def play(self, markets: Sequence[Market], reset_seed: int) -> list[tuple[dict[str, Any], float]]:
        """(final info, closing price) of the auction on each market, all reset with ``reset_seed``."""
        observations = [
            self._env(i).reset(seed=reset_seed, options={"market": market})[0]
            for i, market in enumerate(markets)
        ]
        outcomes: list[tuple[dict[str, Any], float] | None] = [None] * len(markets)
        active = list(range(len(markets)))
        while active:
            actions = self._actions([observations[i] for i in active])
            still_active = []
            for i, action in zip(active, actions, strict=True):
                env = self.envs[i]
                observation, _, terminated, truncated, info = env.step(action)
                if terminated or truncated:
                    assert env.auction is not None
                    outcomes[i] = (info, env.auction.closing_price)
                else:
                    observations[i] = observation
                    still_active.append(i)
            active = still_active
        return [outcome for outcome in outcomes if outcome is not None]


def true_utility(info: Mapping[str, Any], side: str, index: int, true_value: float) -> float:
    """T2.13 from a final info: buyer x (true value - p*), seller x (p* - true cost), x units traded."""
    result = info["result"]
    units = int((result.buyer_units_traded if side == BUYER else result.seller_units_traded)[index])
    if units == 0:
        return 0.0
    price = float(info["clearing_price"])
    return units * (true_value - price if side == BUYER else price - true_value)


def sample_misreports(
    true_value: float,
    rng: np.random.Generator,
    n_deviations: int,
    price_bounds: tuple[float, float],
    closing_price: float,
) -> list[float]:
    """Misreports of one participant, drawn in max_misreport_gain's order (reports equal to the truth
    are dropped)."""
    lower, upper = price_bounds
    n_scaled = n_deviations // 2
    reports = np.concatenate(
        [
            true_value * rng.uniform(0.5, 1.5, n_scaled),
            rng.uniform(lower, upper, n_deviations - n_scaled),
            closing_price + (upper - lower) * np.array(NEAR_PRICE_OFFSETS),
        ]
    )
    return [report for report in reports.tolist() if report != true_value]


def audit_market(
    replayer: _Replayer, market: Market, index: int, reset_seed: int, n_deviations: int
) -> MarketAudit:
    """Largest misreport gain on one market (see the module docstring)."""
    replayer.cache = {}
    calls_before = replayer.policy_calls
    env = replayer._env(0)
    price_bounds = env.config.price_bounds
    ((truthful, closing_price),) = replayer.play([market], reset_seed)
    rng = misreport_rng(reset_seed)
    deviations: list[tuple[str, int, float, float, Market]] = []
    for side in (BUYER, SELLER):
        values = market.buyer_values if side == BUYER else market.seller_costs
        units = market.buyer_units if side == BUYER else market.seller_units
        for participant in range(values.shape[0]):
            if units[participant] == 0:
                continue
            true_value = float(values[participant])
            for report in sample_misreports(true_value, rng, n_deviations, price_bounds, closing_price):
                deviated = (
                    market.with_buyer_value(participant, report)
                    if side == BUYER
                    else market.with_seller_cost(participant, report)
                )
                deviations.append((side, participant, true_value, report, deviated))
    outcomes = replayer.play([deviation[4] for deviation in deviations], reset_seed) if deviations else []
    best: tuple[float, str | None, int, float, float, float, float] = (
        0.0,
        None,
        -1,
        math.nan,
        math.nan,
        0.0,
        0.0,
    )
    for (side, participant, true_value, report, _), (info, _) in zip(deviations, outcomes, strict=True):
        baseline = true_utility(truthful, side, participant, true_value)
        deviating = true_utility(info, side, participant, true_value)
        if deviating - baseline > best[0]:
            best = (deviating - baseline, side, participant, report, true_value, baseline, deviating)
    welfare = float(truthful["efficient_welfare"])
    return MarketAudit(
        index=index,
        reset_seed=reset_seed,
        n_buyers=market.n_buyers,
        n_sellers=market.n_sellers,
        buyer_units=market.total_buyer_units,
        seller_units=market.total_seller_units,
        efficient_welfare=welfare,
        truthful_efficiency=float(truthful["efficiency"]),
        truthful_rounds=int(truthful["rounds"]),
        truthful_units_traded=int(truthful["units_traded"]),
        clearing_price=float(truthful["result"].clearing_price),  # nan when no unit trades
        closing_price=float(closing_price),
        max_gain=best[0],
        gain_ratio=best[0] / welfare if welfare > 0 else math.nan,
        side=best[1],
        participant=best[2],
        report=best[3],
        true_value=best[4],
        truthful_utility=best[5],
        deviating_utility=best[6],
        auctions_run=len(deviations),
        policy_calls=replayer.policy_calls - calls_before,
    )


def audit_policy(
    policy: Any,
    env_id: str = "IoA-DDA-v0",
    env_kwargs: Mapping[str, Any] | None = None,
    n_markets: int = 100,
    seed: int = 0,
    n_deviations: int = 24,
    label: str = "policy",
    markets: Sequence[Market] | None = None,
    on_market: Callable[[], None] | None = None,
) -> ICAuditResult:
    """Audit ``policy`` (anything with SB3's ``predict``) on ``n_markets`` markets of ``env_id``.

    :param env_kwargs: env options, e.g. ``{"variant": "strategy-proof"}``.
    :param seed: audit seed (market k is reset with ``market_seed(seed, k)``).
    :param n_deviations: random misreports per participant, besides the 4 near the closing price.
    :param markets: the markets of :func:`sample_markets` (same arguments), to share them across policies.
    :param on_market: called after each market (progress bars).
    """
    if isinstance(n_deviations, bool) or int(n_deviations) != n_deviations or n_deviations < 0:
        raise ValueError(f"n_deviations must be an integer >= 0, got {n_deviations!r}")
    if isinstance(n_markets, bool) or int(n_markets) != n_markets or not 1 <= n_markets <= SEED_STRIDE:
        raise ValueError(f"n_markets must be an integer in [1, {SEED_STRIDE}], got {n_markets!r}")
    env_kwargs = dict(env_kwargs or {})
    if markets is None:
        markets = sample_markets(env_id, env_kwargs, n_markets, seed)
    replayer = _Replayer(env_id, env_kwargs, policy)
    result = ICAuditResult(
        policy=label, env_id=env_id, env_kwargs=env_kwargs, seed=int(seed), n_deviations=int(n_deviations)
    )
    try:
        for index, market in enumerate(markets[:n_markets]):
            result.markets.append(
                audit_market(replayer, market, index, market_seed(seed, index), int(n_deviations))
            )
            if on_market is not None:
                on_market()
    finally:
        for env in replayer.envs:
            env.close()
    return result


# --------------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------------

MARKET_COLUMNS = (
    "policy",
    "index",
    "reset_seed",
    "n_buyers",
    "n_sellers",
    "buyer_units",
    "seller_units",
    "efficient_welfare",
    "truthful_efficiency",
    "truthful_rounds",
    "truthful_units_traded",
    "clearing_price",
    "closing_price",
    "max_gain",
    "gain_ratio",
    "side",
    "participant",
    "report",
    "true_value",
    "truthful_utility",
    "deviating_utility",
    "auctions_run",
    "policy_calls",
)


def build_parser() -> argparse.ArgumentParser:
    """The ``evaluate.py ic-audit`` argument parser."""
    from agents.evaluation import add_common_arguments

    parser = argparse.ArgumentParser(
        prog="evaluate.py ic-audit",
        description="Largest gain from a unilateral misreport under each auctioneer policy, on sampled "
        "IoA-DDA markets (a lower bound on the IC gap).",
    )
    parser.add_argument("--env", default="IoA-DDA-v0", help="an IoA-DDA env id (default IoA-DDA-v0)")
    parser.add_argument("--markets", type=int, default=100, help="markets to audit (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="audit seed: which markets (default 0)")
    parser.add_argument(
        "--deviations",
        type=int,
        default=24,
        help="random misreports per participant, besides 4 near the clearing price (default 24)",
    )
    add_common_arguments(parser)
    return parser


def table_text(results: Sequence[ICAuditResult]) -> str:
    """The per-policy summary table as plain text."""
    from agents.evaluation import render_table

    def fmt(value: float) -> str:
        return "-" if math.isnan(value) else f"{value:.4g}"

    rows = []
    for result in results:
        s = result.summary()
        rows.append(
            [
                s["policy"],
                str(s["markets"]),
                str(s["auctions_replayed"]),
                fmt(s["mean_gain"]),
                fmt(s["max_gain"]),
                fmt(s["mean_gain_ratio"]),
                fmt(s["max_gain_ratio"]),
                fmt(s["share_with_gain"]),
                fmt(s["mean_truthful_efficiency"]),
                fmt(s["mean_truthful_rounds"]),
            ]
        )
    title = "IC audit"
    if results:
        first = results[0]
        options = f" {first.env_kwargs}" if first.env_kwargs else ""
        title += (
            f" on {first.env_id}{options}: seed {first.seed}, {first.n_deviations} + 4 misreports "
            "per participant"
        )
    columns = [
        "policy",
        "markets",
        "replays",
        "mean\ngain",
        "max\ngain",
        "mean gain\n/ SW_opt",
        "max gain\n/ SW_opt",
        "share of markets\nwith a gain",
        "truthful\nefficiency",
        "truthful\nrounds",
    ]
    return render_table(title, columns, rows) + (
        "\nGain: the largest increase in a participant's true utility from one misreport, per market "
        "(a lower bound on the IC gap: sampled misreports).\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``evaluate.py ic-audit``: 0 done, 2 bad input (nothing run), 130 interrupted."""
    from tqdm import tqdm

    from agents.evaluation import (
        EXIT_INTERRUPTED,
        EXIT_USAGE,
        AgentConfigError,
        EvaluationConfigError,
        atomic_write_text,
        check_env,
        check_output_dir,
        command_line,
        csv_text,
        default_output_dir,
        json_text,
        library_versions,
        load_agents,
        set_torch_threads,
    )

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        set_torch_threads(args.torch_threads)
        env_id = check_env(args.env, args.env_kwargs)
        probe = gym.make(env_id, **args.env_kwargs)
        try:
            dda_env(probe)
        except ValueError as error:
            raise EvaluationConfigError(str(error)) from None
        finally:
            probe.close()
        for name, value, low in (
            ("--markets", args.markets, 1),
            ("--deviations", args.deviations, 0),
            ("--seed", args.seed, 0),
        ):
            if value < low:
                raise EvaluationConfigError(f"{name} must be >= {low}, got {value}")
        out_dir = args.output or default_output_dir(env_id, prefix="ic-audit")
        check_output_dir(out_dir, args.overwrite)
        agents = load_agents(env_id, args.agents, args.env_kwargs, args.device, args.model)
        policies = [
            (loaded.label if len(loaded.runs) == 1 else f"{loaded.label}[{run.name}]", run.agent)
            for loaded in agents
            for run in loaded.runs
        ]
        markets = sample_markets(env_id, args.env_kwargs, args.markets, args.seed)
        results = []
        with tqdm(
            total=len(policies) * args.markets,
            disable=args.no_progress,
            unit="market",
            desc="IC audit",
            dynamic_ncols=True,
        ) as bar:
            for label, policy in policies:
                bar.set_postfix_str(label)
                results.append(
                    audit_policy(
                        policy,
                        env_id,
                        args.env_kwargs,
                        args.markets,
                        args.seed,
                        args.deviations,
                        label,
                        markets,
                        on_market=lambda: bar.update(1),
                    )
                )
        check_output_dir(out_dir, args.overwrite)
    except AgentConfigError as error:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\ninterrupted; nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED
    table = table_text(results)
    document = {
        "command": command_line(argv, "evaluate.py ic-audit"),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "versions": library_versions(),
        "env_id": env_id,
        "env_kwargs": args.env_kwargs,
        "seed": args.seed,
        "markets": args.markets,
        "n_deviations": args.deviations,
        "market_seed_rule": f"env.reset(seed={SEED_BASE} + {SEED_STRIDE} * seed + k)",
        "misreport_rule": "per participant: n_deviations // 2 x true*U[0.5,1.5], rest U[bounds], p* +/- "
        f"{NEAR_PRICE_OFFSETS[0]:g} W, {NEAR_PRICE_OFFSETS[2]:g} W; "
        f"rng = np.random.default_rng((reset_seed, {MISREPORT_STREAM}))",
        "gain_tolerance": GAIN_TOLERANCE,
        "policies": [result.to_dict() for result in results],
    }
    rows = [{"policy": result.policy, **asdict(market)} for result in results for market in result.markets]
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "ic_audit.json", json_text(document))
    atomic_write_text(folder / "ic_markets.csv", csv_text(MARKET_COLUMNS, rows))
    atomic_write_text(folder / "table.txt", table)
    print(table, end="")
    print(f"Wrote ic_audit.json, ic_markets.csv, table.txt to {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
