"""``evaluate.py ic-audit``: the incentive-compatibility audit of trained agents and reference policies.

The audit itself is :mod:`ioa_gym.analysis.ic_audit` (NumPy and Gymnasium only: a policy is a plain callable);
this module loads the agents (:func:`agents.evaluation.loading.load_agents`), shows progress and writes the
files::

    python evaluate.py ic-audit --agents fixed-step:step=1.0 adaptive ppo=runs/ppo/IoA-DDA-v0_1 \\
        --markets 100 --seed 0 --deviations 24 [--env-kwargs variant:strategy-proof] [--output DIR]

It writes ``ic_audit.json`` (settings, per-policy summary, per-market records), ``ic_markets.csv`` and
``table.txt`` into ``--output`` (default a new ``results/ic-audit-<env>-<timestamp>/``; a non-empty folder
is refused without ``--overwrite``). As ``evaluate.py`` does, the table ends with a ``warning:`` line for each
run folder trained on another env (or with other env kwargs) than the audit's, also kept in ``ic_audit.json``.
Exit codes: 0 done, 2 bad input (nothing run or written), 74 a file could not be written (a full disk; one
line naming it), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import gymnasium as gym
from tqdm import tqdm

from agents.common.checks import Range, check_range
from agents.common.cli import EXIT_INTERRUPTED, command_line, io_error, usage_error
from agents.common.errors import ConfigError
from agents.common.files import (
    atomic_write_text,
    check_output_dir,
    csv_text,
    default_output_dir,
    json_text,
    writing,
)
from agents.common.tables import fmt, render_table
from agents.common.versions import library_versions
from agents.evaluation.arguments import (
    EPISODES_RANGE,
    EVAL_SEED_RANGE,
    add_common_arguments,
    apply_common_arguments,
    check_output_folder,
    shows_progress,
)
from agents.evaluation.loading import LoadedAgent, load_agents
from ioa_gym.analysis.ic_audit import (
    GAIN_TOLERANCE,
    MARKET_COLUMNS,
    MISREPORT_STREAM,
    NEAR_PRICE_OFFSETS,
    ICAuditResult,
    audit_policy,
    sample_markets,
)
from ioa_gym.analysis.rollout import predictor
from ioa_gym.analysis.seeding import MAX_EVAL_SEED, SEED_STRIDE, seed_rule
from ioa_gym.envs.access import dda_env

PROG = "evaluate.py ic-audit"
MAX_DEVIATIONS = 10_000
"""Upper bound of ``--deviations``: each misreport is one replayed auction per participant and market, so
the default 24 (+ 4) already costs 28 auctions per participant; 10 000 is hours per market, not a typo's
weeks."""
DEVIATIONS_RANGE = Range(0, MAX_DEVIATIONS, integer=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``evaluate.py ic-audit``."""
    parser.add_argument("--env", default="IoA-DDA-v0", help="an IoA-DDA env id (default IoA-DDA-v0)")
    parser.add_argument(
        "--markets", type=int, default=100, help=f"markets to audit, in [1, {SEED_STRIDE}] (default 100)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help=f"audit seed: which markets, in [0, {MAX_EVAL_SEED}] (default 0)"
    )
    parser.add_argument(
        "--deviations",
        type=int,
        default=24,
        help="random misreports per participant, besides 4 near the clearing price, in "
        f"[0, {MAX_DEVIATIONS}] (default 24)",
    )
    add_common_arguments(parser)


DESCRIPTION = (
    "Largest gain from a unilateral misreport under each auctioneer policy, on sampled IoA-DDA markets (a "
    "lower bound on the IC gap)."
)


def build_parser() -> argparse.ArgumentParser:
    """The ``evaluate.py ic-audit`` argument parser on its own (``evaluate.py`` has it as a subcommand)."""
    parser = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION)
    add_arguments(parser)
    return parser


def table_text(results: Sequence[ICAuditResult], warnings: Sequence[str] = ()) -> str:
    """The per-policy summary table as plain text, with ``warning:`` lines at the end (as ``evaluate.py``'s
    table: a run trained on another env or with other env kwargs than the audit's)."""
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
    return (
        render_table(title, columns, rows)
        + (
            "\nGain: the largest increase in a participant's true utility from one misreport, per market "
            "(a lower bound on the IC gap: sampled misreports).\n"
        )
        + "".join(f"warning: {warning}\n" for warning in warnings)
    )


def _prepare(args: argparse.Namespace) -> tuple[str, Path, list[LoadedAgent]]:
    """Every flag checked and every agent loaded, before any audit: the env id, the output folder and the
    agents."""
    check_range("--markets", args.markets, EPISODES_RANGE)
    check_range("--seed", args.seed, EVAL_SEED_RANGE)
    check_range("--deviations", args.deviations, DEVIATIONS_RANGE)
    env_id = apply_common_arguments(args)
    probe = gym.make(env_id, **args.env_kwargs)
    try:
        dda_env(probe, "the IC audit")
    except ValueError as error:
        raise ConfigError(f"--env {args.env}: {error}") from None
    finally:
        probe.close()
    output = default_output_dir(env_id, prefix="ic-audit") if args.output is None else args.output
    out_dir = check_output_folder("--output", output, args.overwrite)
    agents = load_agents(env_id, args.agents, args.env_kwargs, args.device, args.model)
    return env_id, Path(out_dir), agents


def _audit(args: argparse.Namespace, env_id: str, agents: Sequence[LoadedAgent]) -> list[ICAuditResult]:
    """The audit of every run of every agent, on the same markets, with a progress bar."""
    policies = [
        (
            loaded.label if len(loaded.runs) == 1 else f"{loaded.label}[{run.name}]",
            predictor(run.agent, deterministic=True),
        )
        for loaded in agents
        for run in loaded.runs
    ]
    markets = sample_markets(env_id, args.env_kwargs, args.markets, args.seed)
    results = []
    with tqdm(
        total=len(policies) * args.markets,
        disable=not shows_progress(args),
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
    return results


def write_audit(
    args: argparse.Namespace,
    env_id: str,
    results: Sequence[ICAuditResult],
    warnings: Sequence[str],
    folder: Path,
    argv: Sequence[str] | None,
) -> str:
    """Write ``ic_audit.json``, ``ic_markets.csv`` and ``table.txt`` into ``folder``; returns the table.

    :raises agents.common.files.WriteError: a file could not be written (each is whole or absent).
    """
    table = table_text(results, warnings)
    document = {
        "command": command_line(argv, "evaluate.py"),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "versions": library_versions(),
        "env_id": env_id,
        "env_kwargs": args.env_kwargs,
        "seed": args.seed,
        "markets": args.markets,
        "n_deviations": args.deviations,
        "market_seed_rule": seed_rule("seed", "k"),
        "misreport_rule": "per participant: n_deviations // 2 x true*U[0.5,1.5], rest U[bounds], p* +/- "
        f"{NEAR_PRICE_OFFSETS[0]:g} W, {NEAR_PRICE_OFFSETS[2]:g} W; "
        f"rng = np.random.default_rng((reset_seed, {MISREPORT_STREAM}))",
        "gain_tolerance": GAIN_TOLERANCE,
        "warnings": list(warnings),
        "policies": [result.to_dict() for result in results],
    }
    rows = [{"policy": result.policy, **asdict(market)} for result in results for market in result.markets]
    with writing(folder):
        folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "ic_audit.json", json_text(document))
    atomic_write_text(folder / "ic_markets.csv", csv_text(MARKET_COLUMNS, rows))
    atomic_write_text(folder / "table.txt", table)
    return table


def run(args: argparse.Namespace, parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> int:
    """Run the audit of parsed arguments: 0 done, 2 bad input (nothing run), 74 a file could not be written
    (a full disk), 130 interrupted. Like ``evaluate.py``, it warns (at the end of the table) about a run
    trained on another env or with other env kwargs than the audit's."""
    try:
        env_id, out_dir, agents = _prepare(args)
        results = _audit(args, env_id, agents)
        check_output_dir(out_dir, args.overwrite)
    except ConfigError as error:
        return usage_error(parser, error)
    except KeyboardInterrupt:
        print("\ninterrupted; nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED
    warnings = [warning for loaded in agents for warning in loaded.warnings]
    try:
        table = write_audit(args, env_id, results, warnings, out_dir, argv)
    except OSError as error:
        return io_error(PROG, error)
    print(table, end="")
    print(f"Wrote ic_audit.json, ic_markets.csv, table.txt to {out_dir}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``evaluate.py ic-audit`` with ``argv`` the arguments after ``ic-audit``."""
    parser = build_parser()
    return run(parser.parse_args(argv), parser, ["ic-audit", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
