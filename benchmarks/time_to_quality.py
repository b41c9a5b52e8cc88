"""Wall-clock time to quality of training runs (issue 25, point 4), read from their run folders.

    .venv/bin/python -m benchmarks.time_to_quality \\
        --group diffusion='sweeps-out/results/runs/diffusion/IoA-DDA-v0_*' \\
        --group ppo='sweeps-out/results/runs/ppo/IoA-DDA-v0_*' --threshold 0.93

For each run folder (``train.py``'s: ``evaluations.npz`` and ``progress.csv``): the evaluations during
training (mean test reward of each evaluation, every ``--eval-freq`` steps), the wall time at each
evaluation (the ``time/time_elapsed`` of the last ``progress.csv`` row at or before its step, seconds since
training started, evaluations included), and then

- minutes (and steps) to the first evaluation at or above ``--threshold`` ("never" when no evaluation
  reaches it: the run is then left out of that mean, and the count says so);
- minutes (and steps) to the first evaluation at or above 95 % of the run's final reward (the mean of its
  last two evaluations, to damp the 30-episode evaluation noise);
- the final reward and the run's whole wall time.

Each group prints the mean and 95 % Student-t half-width over its runs. The logged times are what the runs
took on the machine they ran on, with whatever else it ran; with ``--rate LABEL=SECONDS`` (seconds per 1000
steps of that setting, measured by :mod:`benchmarks.train_rate` with both cores busy and nothing else) the
steps are also turned into minutes at that rate.
"""

from __future__ import annotations

import argparse
import csv
import glob
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agents.common.stats import t_half_width


@dataclass(frozen=True)
class RunSpeed:
    """Time to quality of one run."""

    run: str
    final: float
    minutes_to_threshold: float
    steps_to_threshold: float
    minutes_to_95: float
    steps_to_95: float
    total_minutes: float
    total_steps: int


def wall_times(progress: Path, steps: np.ndarray) -> np.ndarray:
    """Seconds since training started at each of ``steps``: the last progress row at or before the step."""
    rows = [
        row
        for row in csv.DictReader(progress.open())
        if row.get("time/time_elapsed") and row.get("time/total_timesteps")
    ]
    logged = np.array([float(row["time/total_timesteps"]) for row in rows])
    elapsed = np.array([float(row["time/time_elapsed"]) for row in rows])
    if not len(logged):
        raise ValueError(f"{progress} has no rows")
    index = np.searchsorted(logged, steps, side="right") - 1
    return elapsed[np.clip(index, 0, len(logged) - 1)]


def run_speed(folder: Path, threshold: float) -> RunSpeed:
    """:class:`RunSpeed` of a run folder."""
    with np.load(folder / "evaluations.npz") as data:
        steps = np.asarray(data["timesteps"], float)
        rewards = np.asarray(data["results"], float).mean(axis=1)
    progress = folder / "progress.csv"  # the zoo keeps no progress.csv: then no logged minutes
    seconds = wall_times(progress, steps) if progress.is_file() else np.full(len(steps), math.nan)
    final = float(rewards[-2:].mean())

    def first(level: float) -> tuple[float, float]:
        reached = np.flatnonzero(rewards >= level)
        if not len(reached):
            return math.nan, math.nan
        return float(seconds[reached[0]] / 60), float(steps[reached[0]])

    to_threshold, to_95 = first(threshold), first(0.95 * final if final > 0 else final / 0.95)
    return RunSpeed(
        run=str(folder),
        final=final,
        minutes_to_threshold=to_threshold[0],
        steps_to_threshold=to_threshold[1],
        minutes_to_95=to_95[0],
        steps_to_95=to_95[1],
        total_minutes=float(seconds[-1] / 60),
        total_steps=int(steps[-1]),
    )


def mean_ci(values: list[float], digits: int = 2) -> str:
    """``mean ± half-width`` over the finite values, with ``(k of n)`` when some are missing."""
    finite = [value for value in values if math.isfinite(value)]
    if not finite:
        return f"never (0 of {len(values)})"
    mean = float(np.mean(finite))
    half = float(t_half_width(np.std(finite, ddof=1), len(finite))) if len(finite) > 1 else math.nan
    text = f"{mean:.{digits}f}" + ("" if math.isnan(half) else f" ± {half:.{digits}f}")
    return text + (f" ({len(finite)} of {len(values)})" if len(finite) < len(values) else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--group", action="append", required=True, help="LABEL=GLOB of run folders (repeat for each group)"
    )
    parser.add_argument("--threshold", type=float, default=0.93, help="test reward to reach (default 0.93)")
    parser.add_argument(
        "--rate",
        action="append",
        default=[],
        help="LABEL=SECONDS per 1000 steps (benchmarks.train_rate): minutes = steps x rate, besides the "
        "minutes the runs logged",
    )
    args = parser.parse_args(argv)
    rates = {label: float(value) for label, _, value in (item.partition("=") for item in args.rate)}
    level = f"{args.threshold:g}"
    print(
        f"| runs | n | final reward | steps to {level} | min. to {level} at the rate (logged) "
        "| steps to 95 % of final | min. to 95 % at the rate (logged) "
        "| whole run, min. at the rate (logged) |"
    )
    print("|---|---:|---|---|---|---|---|---|")
    for group in args.group:
        label, _, pattern = group.partition("=")
        folders = sorted(Path(path) for path in glob.glob(pattern))
        if not folders:
            parser.error(f"--group {group}: no run folder matches")
        speeds = [run_speed(folder, args.threshold) for folder in folders]
        rate = rates.get(label, math.nan) / 60_000  # minutes per step

        def at_rate(steps: list[float], logged: list[float], rate: float = rate) -> str:
            return f"{mean_ci([x * rate for x in steps])} ({mean_ci(logged)})"

        cells = [
            mean_ci([s.final for s in speeds], 3),
            mean_ci([s.steps_to_threshold / 1000 for s in speeds], 1) + "k",
            at_rate([s.steps_to_threshold for s in speeds], [s.minutes_to_threshold for s in speeds]),
            mean_ci([s.steps_to_95 / 1000 for s in speeds], 1) + "k",
            at_rate([s.steps_to_95 for s in speeds], [s.minutes_to_95 for s in speeds]),
            at_rate([float(s.total_steps) for s in speeds], [s.total_minutes for s in speeds]),
        ]
        print(f"| {label} | {len(speeds)} | " + " | ".join(cells) + " |")
        for s in speeds:
            steps = "never" if math.isnan(s.steps_to_threshold) else f"{s.steps_to_threshold / 1000:.0f}k"
            print(
                f"|   {Path(s.run).name} | | {s.final:.3f} | {steps} | ({s.minutes_to_threshold:.2f}) "
                f"| {s.steps_to_95 / 1000:.0f}k | ({s.minutes_to_95:.2f}) | ({s.total_minutes:.2f}) |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
