"""Wall time of a sweep on a local Ray against the same trials run one after another (docs/benchmarks.md,
"Sweeps on Ray").

    .venv/bin/python -m benchmarks.bench_sweep                 # 6 PPO trials of 8192 steps; a few minutes
    .venv/bin/python -m benchmarks.bench_sweep --steps 2048    # quicker

The trials: PPO on IoA-DDA-v0, seeds 0..N-1, ``--steps`` env steps each, an evaluation of 10 episodes every
quarter, one torch thread, CPU. "Sequential" runs ``train.py`` for each seed in turn (one process after the
other); "sweep" runs ``sweep.py`` with the same trials on a local Ray with every core of this machine, Ray's
start and shutdown included. Both write real run folders (in a temporary folder, removed after). The ratio
is sequential / sweep wall time: what a user waits for, on this machine, with its other load.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--steps", type=int, default=8192)
    args = parser.parse_args(argv)
    if args.trials < 1 or args.steps < 256:
        parser.error("--trials must be >= 1 and --steps >= 256")
    train = {
        "eval_freq": args.steps // 4,
        "eval_episodes": 10,
        "device": "cpu",
        "num_threads": 1,
        "verbose": 0,
    }
    with tempfile.TemporaryDirectory() as folder:
        sequential = time.perf_counter()
        for seed in range(args.trials):
            command = [
                sys.executable,
                str(ROOT / "train.py"),
                "--algo",
                "ppo",
                "--env",
                "IoA-DDA-v0",
                "-n",
                str(args.steps),
                "--seed",
                str(seed),
                "-f",
                f"{folder}/sequential",
            ]
            command += [
                arg for key, value in train.items() for arg in (f"--{key.replace('_', '-')}", str(value))
            ]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        sequential = time.perf_counter() - sequential
        config = Path(folder) / "bench.yml"
        config.write_text(
            yaml.safe_dump(
                {
                    "name": "bench",
                    "train": train,
                    "trials": [
                        {
                            "algo": "ppo",
                            "env": "IoA-DDA-v0",
                            "seed": list(range(args.trials)),
                            "n_timesteps": args.steps,
                        }
                    ],
                }
            )
        )
        sweep = time.perf_counter()
        subprocess.run(
            [sys.executable, str(ROOT / "sweep.py"), "--config", str(config), "--out", f"{folder}/sweep"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        sweep = time.perf_counter() - sweep
        runs = sorted(p.name for p in (Path(folder) / "sweep/runs/ppo").iterdir())
        assert len(runs) == args.trials, runs
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}"
    )
    print(f"{args.trials} PPO trials of {args.steps} steps on IoA-DDA-v0")
    print(f"  one after another (train.py): {sequential:7.1f} s")
    print(f"  sweep.py on a local Ray:      {sweep:7.1f} s")
    print(f"  ratio sequential / sweep:     {sequential / sweep:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
