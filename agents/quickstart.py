"""The main job in one command (``quickstart.py``, console script ``ioa-quickstart``): the project's result on
IoA-DDA-v0 in a few minutes, and a training run of your own.

1. trains a fresh diffusion auctioneer for ``--diffusion-steps`` steps (a learning curve in TensorBoard);
2. evaluates it, the zoo's pretrained diffusion and PPO auctioneers (100k steps, training seeds 0-2;
   ``python -m agents.zoo list``), greedy, random, the best fixed step, the hand-written adaptive rule and
   the clairvoyant ceiling on the same auctions (``--episodes`` per evaluation seed), with paired 95 %
   confidence intervals;
3. prints the table (every column is in ``results/summary.csv``) and draws the training curve.

    python quickstart.py                         # 2.5 minutes on our 2-core CPU (fresh clone)
    python quickstart.py --diffusion-steps 100000 --episodes 100   # the zoo's budget, 300 auctions

Everything lands in one new folder (default ``runs/quickstart-<timestamp>/``):

    diffusion/IoA-DDA-v0_1/   your training run (train.py's run folder: config.yml, the model,
                              evaluations.npz, TensorBoard events: tensorboard --logdir <folder>)
    results/                  the evaluation (evaluate.py's files: table.txt with every column,
                              summary.csv/json, episodes.csv, returns.png) and training_curve.png

Output: one progress bar per phase and 34 lines (fresh clone, defaults); ``-v`` adds SB3's training tables.
Every flag is checked before any work: a bad one exits with 2, the usage line and a message naming it. A
file that cannot be written (a full disk) stops it with one line naming the file and exit code 74.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

ENV_ID = "IoA-DDA-v0"
COMPARED_WITH = ("zoo diffusion", "zoo PPO", "adaptive", "best fixed step", "random", "greedy")


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
        help="steps of your diffusion training, in [1, 2**31] (default 30000; the zoo's agents had 100000)",
    )
    parser.add_argument("--seed", type=int, default=0, help="training seed, in [0, 2**31 - 1] (default 0)")
    parser.add_argument(
        "--episodes",
        type=int,
        default=30,
        help="evaluation auctions per evaluation seed, in [1, ioa_gym.analysis.seeding.SEED_STRIDE] "
        "(default 30)",
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
    parser.add_argument("-v", "--verbose", action="store_true", help="SB3's training tables too")
    return parser


def check_arguments(args: argparse.Namespace) -> Path:
    """Every flag, before any work; returns the output folder.

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


def agent_specs(run: Path) -> list[str]:
    """The evaluation's ``--agents`` entries: your run, the zoo's learners, the references (the best fixed
    step is the one IoA-DDA-v0's mechanism records)."""
    from agents.zoo.results import Mechanism

    return [
        f"your diffusion={run}",
        f"zoo diffusion=zoo:diffusion/{ENV_ID}",
        f"zoo PPO=zoo:ppo/{ENV_ID}",
        "adaptive",
        f"best fixed step=fixed-step:step={Mechanism.of(ENV_ID).best_fixed}",
        "random",
        "greedy",
        "clairvoyant",
    ]


def train_argv(args: argparse.Namespace, out: Path) -> list[str]:
    """``train.py``'s arguments for your diffusion run (six evaluations of 20 auctions)."""
    steps = args.diffusion_steps
    return [
        "--algo", "diffusion", "--env", ENV_ID, "-n", str(steps), "--seed", str(args.seed), "-f", str(out),
        "--eval-freq", str(max(steps // 6, 1)), "--eval-episodes", "20", "--device", "cpu",
        "--num-threads", str(args.num_threads), *(["-v"] if args.verbose else []),
    ]  # fmt: skip


def table(result: Any) -> str:
    """The printed table, within 100 columns: mean return with its CI, the fraction of the ceiling's return,
    efficiency and rounds, and the paired difference to the best fixed step."""
    summaries = result.summaries()
    ceiling = next(s.return_mean for s in summaries if s.label == "clairvoyant")
    header = (
        f"{'agent':<16} {'runs':>4} {'return':>7} {'95% CI':>16} {'/ceiling':>8} {'effic.':>6} "
        f"{'rounds':>6}  {'- best fixed step (paired CI)':<28}"
    )
    lines = [header, "-" * len(header)]
    for s in summaries:
        diff = "" if s.label == "best fixed step" else _paired(result, s.label, "best fixed step")
        lines.append(
            f"{s.label:<16} {len(s.runs):>4} {s.return_mean:>7.3f} "
            f"{f'[{s.ci_low:.3f}, {s.ci_high:.3f}]':>16} {s.return_mean / ceiling:>8.3f} "
            f"{s.means.get('efficiency', math.nan):>6.3f} {s.means.get('rounds', math.nan):>6.1f}  {diff}"
        )
    return "\n".join(lines)


def _paired(result: Any, a: str, b: str) -> str:
    pair = result.paired_difference(a, b)
    return f"{pair['diff']:+.3f} [{pair['ci_low']:+.3f}, {pair['ci_high']:+.3f}]"


def evaluate(args: argparse.Namespace, out: Path) -> tuple[Any, Path]:
    """Phase 2: every agent on the same auctions; writes ``<out>/results``."""
    from agents.evaluation.harness import evaluate_agents
    from agents.evaluation.report import write_results
    from agents.evaluation.specs import parse_agent_spec

    requests = [parse_agent_spec(spec) for spec in agent_specs(out / "diffusion" / f"{ENV_ID}_1")]
    result = evaluate_agents(
        ENV_ID,
        requests,
        args.episodes,
        args.seeds,
        progress=sys.stderr.isatty(),
        command=" ".join(["quickstart.py", *sys.argv[1:]]),
    )
    result.comparisons = [("your diffusion", "best fixed step"), ("zoo diffusion", "zoo PPO")]
    results = out / "results"
    write_results(result, results)
    return result, results


def summary_lines(result: Any, auctions: int) -> list[str]:
    """The paired differences of the zoo's diffusion agent, and how to read the CIs."""
    return [
        f"Paired over the {auctions} auctions: zoo diffusion - zoo PPO "
        f"{_paired(result, 'zoo diffusion', 'zoo PPO')},",
        f"zoo diffusion - adaptive {_paired(result, 'zoo diffusion', 'adaptive')}.",
        "A zoo row's CI is over its 3 training runs, the others' over the evaluation seeds; docs/results.md",
        "has every comparison on 300 auctions (python -m agents.zoo results regenerates it from the zoo).",
    ]


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``quickstart.py``: 0 done, 2 bad input (SystemExit; nothing trained or written), 74 a
    file could not be written (a full disk), else the exit code of the step that failed."""
    parser = build_parser()
    args = parser.parse_args(argv)

    # Imported here so that --help and argparse's own errors answer at once.
    from agents.common.cli import io_error
    from agents.common.errors import ConfigError
    from agents.figures.training import fig5_training_curves
    from agents.runs.cli import main as train_main
    from agents.zoo import resolve

    try:
        out = check_arguments(args)
        resolve(f"zoo:diffusion/{ENV_ID}")  # the zoo is there and whole, before the training
        resolve(f"zoo:ppo/{ENV_ID}")
    except ConfigError as error:
        parser.error(str(error))

    started = time.perf_counter()
    print(f"[1/2] training a diffusion auctioneer on {ENV_ID} for {args.diffusion_steps} steps", flush=True)
    code = train_main(train_argv(args, out))
    if code != 0:
        print(f"quickstart.py: training diffusion failed (exit {code})", file=sys.stderr)
        return code
    auctions = args.episodes * len(args.seeds)
    print(f"\n[2/2] evaluating it, the zoo's agents and the references on {auctions} auctions", flush=True)
    try:
        result, results = evaluate(args, out)
        curve, _ = fig5_training_curves(results, out, episodes=args.episodes, filename="training_curve.png")
    except ConfigError as error:
        print(f"quickstart.py: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        return io_error(parser.prog, error)
    print()
    print(table(result))
    print()
    print("\n".join(summary_lines(result, auctions)))
    minutes = (time.perf_counter() - started) / 60
    print(f"\nDone in {minutes:.1f} min. Every column: {results / 'summary.csv'}")
    print(f"Training curve: {curve}")
    print(f"TensorBoard: tensorboard --logdir {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
