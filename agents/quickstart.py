"""The main job in one command (``quickstart.py``, console script ``ioa-quickstart``): train the
diffusion auctioneer and PPO on IoA-DDA-v0 on a small budget, compare them with greedy, random,
fixed-step and adaptive on the same seeded auctions, print the table, and write the plots and
TensorBoard logs.

    python quickstart.py                      # 2.3 minutes on our 2-core CPU (+40 s the first time)
    python quickstart.py --diffusion-steps 100000 --ppo-steps 100000 --episodes 100 --seeds 0 1 2

Every flag is checked before any training: a bad one (``--seeds -1``, ``--episodes 0``, ``--num-threads 0``,
``--ppo-steps`` above 2**31, an ``--out`` that is a file, unwritable or not empty) exits with 2, the usage
line and a message naming it. A file that cannot be written (a full disk) stops it with one line naming the
file and exit code 74 (a training says how to ``--resume`` it with ``train.py``).

Everything lands in one new folder (default ``runs/quickstart-<timestamp>/``):

    diffusion/IoA-DDA-v0_1/   train.py run folder: config.yml, models, evaluations.npz, TensorBoard
    ppo/IoA-DDA-v0_1/         events (tensorboard --logdir runs/quickstart-...), progress.csv
    results/                  evaluate.py output: table.txt, episodes.csv, summary.csv/json, plots
    results/training_curves.png   test reward during training with the baselines as reference lines

The small default budget shows the pipeline, not the agents' final quality: docs/results.md has the
comparison at 100k steps over 3 seeds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ENV_ID = "IoA-DDA-v0"


def build_parser() -> argparse.ArgumentParser:
    """The ``quickstart.py`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="quickstart.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", default=None, help="output folder, new or empty (default: runs/quickstart-<timestamp>)"
    )
    parser.add_argument(
        "--diffusion-steps",
        type=int,
        default=30_000,
        help="diffusion training steps, in [1, 2**31] (default 30000)",
    )
    parser.add_argument(
        "--ppo-steps", type=int, default=60_000, help="PPO training steps, in [1, 2**31] (default 60000)"
    )
    parser.add_argument("--seed", type=int, default=0, help="training seed, in [0, 2**31 - 1] (default 0)")
    parser.add_argument(
        "--episodes",
        type=int,
        default=30,
        help="evaluation episodes per seed, in [1, ioa_gym.analysis.seeding.SEED_STRIDE] (default 30)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0, 1, 2],
        help="evaluation seeds, distinct, in [0, ioa_gym.analysis.seeding.MAX_EVAL_SEED] (default 0 1 2)",
    )
    parser.add_argument(
        "--num-threads", type=int, default=1, help="torch CPU threads, >= 1 (1 is fastest on 2 cores)"
    )
    return parser


def check_arguments(args: argparse.Namespace) -> Path:
    """Every flag, before any training (a bad evaluation seed used to fail after the training's minutes);
    returns the output folder.

    :raises agents.ConfigError: naming the flag and its allowed values.
    """
    from agents.common.checks import check_range
    from agents.common.errors import ConfigError
    from agents.evaluation.arguments import (
        EPISODES_RANGE,
        THREADS_RANGE,
        check_eval_seeds,
        check_output_folder,
    )
    from agents.runs.config import N_TIMESTEPS_RANGE, SEED_RANGE

    for flag, value, allowed in (
        ("--diffusion-steps", args.diffusion_steps, N_TIMESTEPS_RANGE),
        ("--ppo-steps", args.ppo_steps, N_TIMESTEPS_RANGE),
        ("--seed", args.seed, SEED_RANGE),
        ("--episodes", args.episodes, EPISODES_RANGE),
        ("--num-threads", args.num_threads, THREADS_RANGE),
    ):
        check_range(flag, value, allowed)
    check_eval_seeds("--seeds", args.seeds)
    default = f"runs/quickstart-{time.strftime('%Y%m%d-%H%M%S')}"
    out = check_output_folder("--out", default if args.out is None else args.out, refuse_non_empty=False)
    if out.is_dir() and any(out.iterdir()):
        raise ConfigError(f"--out {out} exists and is not empty; choose another --out")
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``quickstart.py``: 0 done, 2 bad input (SystemExit; nothing trained or written), 74 a
    file could not be written (a full disk), else the exit code of the step that failed."""
    parser = build_parser()
    args = parser.parse_args(argv)

    # Imported here so that --help and argparse's own errors answer at once.
    from agents.common.cli import io_error
    from agents.common.errors import ConfigError
    from agents.evaluation.cli import main as evaluate_main
    from agents.figures.training import fig5_training_curves
    from agents.runs.cli import main as train_main

    try:
        out = check_arguments(args)
    except ConfigError as error:
        parser.error(str(error))

    started = time.perf_counter()
    eval_freq = lambda steps: max(steps // 6, 1)  # noqa: E731  (six evaluations per run)
    for algo, steps in (("diffusion", args.diffusion_steps), ("ppo", args.ppo_steps)):
        print(f"\n== training {algo} on {ENV_ID} for {steps} steps (seed {args.seed})", flush=True)
        code = train_main(
            [
                "--algo",
                algo,
                "--env",
                ENV_ID,
                "-n",
                str(steps),
                "--seed",
                str(args.seed),
                "-f",
                str(out),
                "--eval-freq",
                str(eval_freq(steps)),
                "--eval-episodes",
                "20",
                "--device",
                "cpu",
                "--num-threads",
                str(args.num_threads),
                "-P",
            ]
        )
        if code != 0:
            print(f"quickstart.py: training {algo} failed (exit {code})", file=sys.stderr)
            return code

    print(f"\n== evaluating on {args.episodes} auctions x seeds {args.seeds}", flush=True)
    results = out / "results"
    code = evaluate_main(
        [
            "--env",
            ENV_ID,
            "--episodes",
            str(args.episodes),
            "--seeds",
            *map(str, args.seeds),
            "--output",
            str(results),
            "--agents",
            f"diffusion={out / 'diffusion' / (ENV_ID + '_1')}",
            f"ppo={out / 'ppo' / (ENV_ID + '_1')}",
            "greedy",
            "random",
            "fixed-step:step=1.0",
            "adaptive",
        ]
    )
    if code != 0:
        return code

    try:
        fig5_training_curves(results, out, episodes=args.episodes, filename="training_curves.png")
    except OSError as error:
        return io_error(parser.prog, error)
    minutes = (time.perf_counter() - started) / 60
    print(
        f"\nDone in {minutes:.1f} min. Results: {results}/table.txt; plots: {results}/*.png; "
        f"TensorBoard: tensorboard --logdir {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
