"""Wall-clock training rate of a setting on this machine, both cores busy as in a sweep (issue 25, point 4).

    .venv/bin/python -m benchmarks.train_rate                        # about 4 minutes on 2 cores

Runs ``train.py`` for ``--steps`` steps (default 20000; evaluation every 5000 steps with 30 episodes, as the
zoo's runs; one torch thread) for each setting, two runs at a time (one per core of our 2-core machine,
nothing else running), and prints the seconds per 1000 steps of each from its ``progress.csv``
(``time/time_elapsed`` between the first row past ``learning_starts`` and the last one, so the one-time
start-up is left out; evaluations included). :mod:`benchmarks.time_to_quality` turns steps into minutes with
these rates (``--rate LABEL=SECONDS``), which keeps the times free of whatever else shared the machine while
the zoo's runs trained.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

SETTINGS = {
    "diffusion IoA-DDA-v0": ["--algo", "diffusion", "--env", "IoA-DDA-v0"],
    "diffusion IoA-DDA-v0 train_freq 4": [
        "--algo", "diffusion", "--env", "IoA-DDA-v0", "--hyperparams", "train_freq:4",
    ],
    "diffusion IoA-DDA-StrategyProof-v0": ["--algo", "diffusion", "--env", "IoA-DDA-StrategyProof-v0"],
    "ppo IoA-DDA-v0": ["--algo", "ppo", "--env", "IoA-DDA-v0"],
    "ppo IoA-DDA-StrategyProof-v0": ["--algo", "ppo", "--env", "IoA-DDA-StrategyProof-v0"],
}  # fmt: skip
"""The settings of docs/results.md's time-to-quality table (agents/hyperparams defaults unless named)."""


def seconds_per_1k(progress: Path, skip: int) -> float:
    """Seconds per 1000 steps between the first ``progress.csv`` row past ``skip`` steps and the last."""
    rows = [
        (float(row["time/total_timesteps"]), float(row["time/time_elapsed"]))
        for row in csv.DictReader(progress.open())
        if row.get("time/total_timesteps") and row.get("time/time_elapsed")
    ]
    rows = [row for row in rows if row[0] > skip]
    (first_steps, first_time), (last_steps, last_time) = rows[0], rows[-1]
    return 1000 * (last_time - first_time) / (last_steps - first_steps)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=20_000, help="steps per run (default 20000)")
    parser.add_argument("--parallel", type=int, default=2, help="runs at a time (default 2: one per core)")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="train_rate-"))
    labels = list(SETTINGS)
    folders: dict[str, Path] = {}
    for start in range(0, len(labels), args.parallel):
        running = []
        for index, label in enumerate(labels[start : start + args.parallel], start):
            log = root / f"setting{index}"
            command = [
                sys.executable, "train.py", *SETTINGS[label], "-n", str(args.steps), "--seed", "0",
                "-f", str(log), "--eval-freq", "5000", "--eval-episodes", "30", "--device", "cpu",
                "--num-threads", "1", "--verbose", "0", "--no-progress",
            ]  # fmt: skip
            running.append((label, log, subprocess.Popen(command)))
        for label, log, process in running:
            if process.wait() != 0:
                raise SystemExit(f"{label}: train.py exited {process.returncode}")
            folders[label] = next(log.glob("*/*/progress.csv"))
    print(f"| setting | seconds per 1000 steps ({args.steps} steps, {args.parallel} runs at a time) |")
    print("|---|---:|")
    for label in labels:
        print(f"| {label} | {seconds_per_1k(folders[label], 1000):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
