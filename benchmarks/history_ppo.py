"""Does a window of past public observations help a learned auctioneer on the double clock? (issue 25, pt. 3)

On IoA-DDA-DoubleClock-v0 the exits are public and arrive during the auction, so the history of the public
observation carries information the current one may not (on the strategy-proof DDA it carries none: docs/
results.md, "Public-information reference"). This trains PPO (agents/hyperparams/ppo.yml, 100k steps, the
budget of docs/results.md) with ``history_length`` 1 (today's observation) and larger, on the same seeds,
evaluates every run on the same seeded auctions with ``evaluate.py`` (the results tables' 300 auctions by
default), audits each run's incentive compatibility with ``evaluate.py ic-audit``, and prints each length's
mean return (95 % Student-t CI over the training runs) and the paired difference to length 1 over the shared
auctions (each auction's mean over the runs).

Run from the repository root::

    .venv/bin/python -m benchmarks.history_ppo                 # about 8 minutes on 2 cores
    .venv/bin/python -m benchmarks.history_ppo --quick         # 10k steps, 30 auctions: a smoke run
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from agents.common.stats import t_half_width

ENV_ID = "IoA-DDA-DoubleClock-v0"


def run(command: list[str]) -> None:
    """Run a project command; stop with its output if it fails."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(
            f"failed ({done.returncode}): {' '.join(command)}\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )


def returns(episodes_csv: Path, agent: str) -> dict[int, dict[tuple[int, int], float]]:
    """run index -> (evaluation seed, episode) -> return, of one agent label."""
    table: dict[int, dict[tuple[int, int], float]] = {}
    with episodes_csv.open() as file:
        for row in csv.DictReader(file):
            if row["agent"] == agent:
                key = (int(row["eval_seed"]), int(row["episode"]))
                table.setdefault(int(row["run_index"]), {})[key] = float(row["return"])
    return table


def audit_gain(folder: Path) -> str:
    """The largest misreport gain of the audit in ``folder`` (its ic_audit.csv's max over rows)."""
    gains = []
    for path in folder.glob("*.csv"):
        with path.open() as file:
            for row in csv.DictReader(file):
                for key, value in row.items():
                    if key and "gain" in key and value not in ("", None):
                        try:
                            gains.append(float(value))
                        except ValueError:
                            pass
    return f"{max(gains):.3g}" if gains else "?"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", nargs="+", type=int, default=[1, 4], help="history lengths (1 first)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="training seeds")
    parser.add_argument("--steps", type=int, default=100_000, help="PPO steps per run")
    parser.add_argument("--episodes", type=int, default=100, help="auctions per evaluation seed")
    parser.add_argument("--eval-seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--audit-markets", type=int, default=200, help="markets of each run's IC audit")
    parser.add_argument("--out", default=None, help="output folder (default runs/history_ppo-<time>)")
    parser.add_argument("--quick", action="store_true", help="10k steps, 10 auctions per seed, 20 markets")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.episodes, args.audit_markets = 10_000, 10, 20
    if args.lengths[0] != 1:
        parser.error("--lengths must start with 1 (the reference of the paired differences)")
    out = Path(args.out or f"runs/history_ppo-{time.strftime('%Y%m%d-%H%M%S')}")
    py = sys.executable
    print(f"{ENV_ID}: PPO, {args.steps} steps, seeds {args.seeds}, history lengths {args.lengths}; out {out}")
    per_auction: dict[int, dict[tuple[int, int], float]] = {}
    for length in args.lengths:
        folder, kwargs = out / f"h{length}", ["--env-kwargs", f"history_length:{length}"]
        for seed in args.seeds:
            run(
                [py, "train.py", "--algo", "ppo", "--env", ENV_ID, "-n", str(args.steps), "--seed", str(seed)]
                + ["-f", str(folder), "--verbose", "0", "--num-threads", "1", *kwargs]
            )
        label, runs = f"ppo_h{length}", str(folder / "ppo" / f"{ENV_ID}_*")
        run(
            [
                py,
                "evaluate.py",
                "--env",
                ENV_ID,
                *kwargs,
                "--agents",
                f"{label}={runs}",
                "--episodes",
                str(args.episodes),
                "--seeds",
                *map(str, args.eval_seeds),
                "--no-plots",
                "--no-progress",
                "--output",
                str(out / f"eval_h{length}"),
            ]
        )
        run(
            [
                py,
                "evaluate.py",
                "ic-audit",
                "--env",
                ENV_ID,
                *kwargs,
                "--agents",
                f"{label}={runs}",
                "--markets",
                str(args.audit_markets),
                "--output",
                str(out / f"audit_h{length}"),
            ]
        )
        table = returns(out / f"eval_h{length}" / "episodes.csv", label)
        run_means = np.array([np.mean(list(episodes.values())) for episodes in table.values()])
        keys = sorted(next(iter(table.values())))
        per_auction[length] = {key: float(np.mean([table[r][key] for r in table])) for key in keys}
        half = t_half_width(run_means.std(ddof=1), run_means.size) if run_means.size > 1 else float("nan")
        gain = audit_gain(out / f"audit_h{length}")
        print(
            f"history {length}: mean return {run_means.mean():.3f} +- {half:.3f} (95 % CI over "
            f"{run_means.size} runs; runs {np.round(run_means, 3).tolist()}); IC audit max gain {gain}"
        )
    base = per_auction[1]
    for length in args.lengths[1:]:
        diff = np.array([per_auction[length][key] - base[key] for key in base])
        half = t_half_width(diff.std(ddof=1), diff.size)
        print(
            f"history {length} - history 1: {diff.mean():+.3f} +- {half:.3f} (paired, {diff.size} auctions)"
        )


if __name__ == "__main__":
    main()
