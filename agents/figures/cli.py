"""Regenerate every figure and table of docs/results.md in one command (``figures.py``, console script
``ioa-figures``).

    python figures.py --out figures [--runs runs] [--budget tiny|small|full] [--seed 0] [--overwrite]

Figures (PNG) and tables (Markdown):

- ``fig3_linear_search.png``: Algorithm 1 for an MA with the FA's price fixed at p_j = 6.0, on one slot
  with an MA and an FA: against the MA's price, the total latency of each of the paper's three compositions
  (WA->MA, WA->FA, WA->FA->AA; transmission and computing) and the MA's utility, Linear-Search's choice
  marked (:mod:`agents.figures.tier1`);
- ``fig4_convergence.png``: Algorithm 2's sweeps, each composition's latency with the prices serving it;
- ``two_tier_coupling.png`` and ``two_tier_coupling.md``: welfare and prices with and without the
  aerial-price coupling (``ioa_gym.coupling.two_tier``) against the number of WAs, with the fixed point's
  convergence, cycles and iterations;
- ``ceiling.md``: for each mechanism variant, every agent's return as a fraction of the clairvoyant
  ceiling (``ioa_gym.auctions.oracle``) on the same auctions (:mod:`agents.figures.auctioneers`);
- ``sensitivity_{n_aa,eta,n_wa}.png`` and ``sensitivity.md``: efficiency, rounds and return of the learned
  and reference auctioneers and the ceiling against the number of AAs, the tick cost and the number of WAs;
- ``fig5_training_curves.png`` (IoA-DDA-v0; ``fig5_training_curves_<env id>.png`` for the other envs) and
  ``learning_speed.md``: test reward during training of every learner with runs under ``--runs``
  (``<runs>/<algo>/<env id>_<n>``: diffusion, ppo, sac, td3), mean and 95% band over seeds, references as
  lines, and each learner's steps to 95 % of its final test reward and area under the curve over the
  horizon every run reached (needs ``--runs``; a corrupt evaluations.npz is skipped with a warning;
  :mod:`agents.figures.training`);
- ``efficiency_vs_rounds_frontier.png``: mean welfare efficiency against mean rounds for fixed steps of
  several sizes, with the adaptive rule and (when runs exist) the learned auctioneers on the same axes;
- ``welfare_vs_market_size.png``: social welfare (efficient and achieved by fixed-step and adaptive
  auctioneers) against the number of WAs.

Every auction here is an episode of the evaluation harness (:func:`agents.evaluation.harness.run_episode`):
episode ``i`` of evaluation seed ``--seed`` meets the market of ``evaluate.py``'s episode ``i`` of that seed
(:mod:`ioa_gym.analysis.seeding`), and the agent is seeded the same way.

``--runs`` takes a folder of ``<algo>/<env id>_<n>`` run folders (what ``train.py -f`` writes), a
``sweep.py`` folder, or ``zoo:`` (the pretrained agents shipped in ``zoo/``, checked against its manifest);
the learners read are diffusion, ppo, sac and td3.

Bad input (``--out`` a file or unwritable, or holding figures without ``--overwrite``; ``--runs`` not a
folder, one run folder, or a folder without a run folder of those learners; ``--seed`` outside
``[0, MAX_EVAL_SEED]``) exits with 2, the usage line and a message naming the flag, before anything is
written. A figure that cannot be written (a full disk) stops with one line naming it and exit code 74; the
figures written before it are whole.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agents.common.checks import check_range
from agents.common.cli import io_error, usage_error
from agents.common.errors import ConfigError
from agents.common.files import atomic_write_text, writing
from agents.evaluation.arguments import EVAL_SEED_RANGE, check_output_folder
from agents.figures.auctioneers import (
    LEARNERS,
    ceiling_table,
    efficiency_vs_rounds_frontier,
    sensitivity,
    welfare_vs_market_size,
)
from agents.figures.tier1 import fig3_linear_search, fig4_convergence, two_tier_coupling
from agents.figures.training import fig5_training_curves, run_env_ids
from agents.runs.folder import CONFIG_FILE, RunFolder
from agents.runs.groups import RUNS_DIR, is_sweep_folder, runs_root, sweep_runs
from agents.zoo import PREFIX as ZOO_PREFIX
from agents.zoo import is_zoo_spec, read_manifest
from ioa_gym.analysis.seeding import MAX_EVAL_SEED

BUDGETS = {
    "tiny": {"episodes": 2, "sizes": (10, 20), "slots": 2, "points": 2, "point_episodes": 2},
    "small": {"episodes": 20, "sizes": (10, 20, 40), "slots": 8, "points": 3, "point_episodes": 10},
    "full": {
        "episodes": 100,
        "sizes": (10, 20, 30, 40, 60, 80),
        "slots": 30,
        "points": 5,
        "point_episodes": 30,
    },
}


def build_parser() -> argparse.ArgumentParser:
    """The ``figures.py`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="figures.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default="figures", help="output folder (default: figures)")
    parser.add_argument(
        "--runs",
        default=None,
        help="a folder of <algo>/<env id>_<n> run folders (train.py -f; diffusion, ppo, sac, td3), a "
        "sweep.py folder, or zoo: for the pretrained agents of the zoo (python -m agents.zoo list)",
    )
    parser.add_argument("--budget", choices=sorted(BUDGETS), default="full")
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help=f"evaluation seed of the auctions, in [0, {MAX_EVAL_SEED}] (ioa_gym.analysis.seeding; "
        "default 0)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace existing figures in --out")
    return parser


def warn_pooled_settings(sweep_dir: Path, env_ids: Sequence[str]) -> None:
    """The figures pool every run of an algorithm: say so when a sweep holds several settings of one."""
    for env_id in env_ids:
        try:
            groups = sweep_runs(sweep_dir, env_id)
        except ConfigError:
            continue
        labels = [group.label for group in groups if "[" in group.label]
        if labels:
            print(
                f"figures: warning: the sweep has several settings of one algorithm on {env_id} "
                f"({', '.join(labels)}); the figures pool them (evaluate.py --sweep keeps them apart)",
                file=sys.stderr,
            )


def check_arguments(args: argparse.Namespace) -> tuple[Path, Path | None]:
    """``--out`` (a writable folder without figures unless ``--overwrite``), ``--runs`` (:func:`check_runs`)
    and ``--seed``; returns the output folder and the root of the run folders.

    :raises ConfigError: naming the flag, before anything is written.
    """
    check_range("--seed", args.seed, EVAL_SEED_RANGE)
    out = check_output_folder("--out", args.out, refuse_non_empty=False)
    if out.is_dir() and any(out.glob("*.png")) and not args.overwrite:
        raise ConfigError(f"--out {out} already holds figures; pass --overwrite or choose another --out")
    if args.runs is not None and is_zoo_spec(args.runs):
        return out, zoo_runs(args.runs)
    return out, None if args.runs is None else check_runs(Path(args.runs))


def zoo_runs(spec: str) -> Path:
    """``--runs zoo:``: the zoo's folder (its run folders are laid out as ``train.py -f`` writes them), after
    every file of every entry is checked against the zoo's manifest (:mod:`agents.zoo`)."""
    if spec.strip() != ZOO_PREFIX:
        raise ConfigError(f"--runs {spec!r}: the whole zoo is 'zoo:' (figures read every learner's runs)")
    manifest = read_manifest()
    for entry in manifest.entries.values():
        entry.verify()
    return manifest.root


RUNS_EXPECTED = (
    f"a folder of <algo>/<env id>_<n> run folders ({', '.join(LEARNERS)}; what train.py -f writes) or a "
    "sweep.py folder"
)


def check_runs(runs: Path) -> Path:
    """The root of ``--runs``' run folders (a sweep folder's ``runs/``); ConfigError when ``runs`` is no
    folder, is one run folder (or one algorithm's folder of them), or holds no run of a learner."""
    if not runs.is_dir():
        what = "is not a folder" if runs.exists() else "does not exist"
        raise ConfigError(f"--runs {runs} {what}; expected {RUNS_EXPECTED}")
    if RunFolder(runs).config_file.is_file():
        raise ConfigError(
            f"--runs {runs} is one run folder (it holds {CONFIG_FILE}); expected {RUNS_EXPECTED}, here "
            f"perhaps {runs.resolve().parent.parent}"
        )
    root = runs_root(runs)  # a sweep.py folder: its runs/
    if not run_env_ids(root):
        inside = any(RunFolder(folder).config_file.is_file() for folder in runs.glob("*_*"))
        hint = f", here perhaps {runs.resolve().parent}" if inside else ""
        raise ConfigError(
            f"--runs {runs} holds no run folder of {', '.join(LEARNERS)}; expected {RUNS_EXPECTED}{hint}"
        )
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``figures.py``: 0 done, 2 bad input (nothing written), 74 a file could not be written
    (a full disk)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        out, runs = check_arguments(args)
    except ConfigError as error:
        return usage_error(parser, error)
    if runs is not None and runs.name == RUNS_DIR and is_sweep_folder(runs.parent):
        warn_pooled_settings(runs.parent, run_env_ids(runs))
    try:
        written = write_figures(out, runs, BUDGETS[args.budget], args.seed)
    except OSError as error:
        return io_error(parser.prog, error)
    for path in written:
        if path is not None:
            print(f"wrote {path}")
    return 0


def write_figures(out: Path, runs: Path | None, budget: dict[str, Any], seed: int) -> list[Path | None]:
    """Every figure and table into ``out`` (see the module docstring); returns the paths (None: a figure
    left out)."""
    with writing(out):
        out.mkdir(parents=True, exist_ok=True)
    written = [
        fig3_linear_search(out),
        fig4_convergence(out),
        *two_tier_coupling(out, budget["sizes"][:3], budget["slots"]),
        efficiency_vs_rounds_frontier(out, budget["episodes"], runs, seed),
        welfare_vs_market_size(out, budget["sizes"], budget["slots"], seed),
        ceiling_table(out, runs, budget["episodes"], seed),
        *sensitivity(out, runs, budget["point_episodes"], budget["points"], seed),
    ]
    if runs is not None:
        tables = []
        for env_id in run_env_ids(runs):
            figure, table = fig5_training_curves(out, runs, budget["episodes"], seed=seed, env_id=env_id)
            written.append(figure)
            if table is not None:
                tables.append(table)
        if tables:
            written.append(atomic_write_text(out / "learning_speed.md", "\n".join(tables)))
    return written


__all__ = [
    "BUDGETS",
    "build_parser",
    "check_arguments",
    "check_runs",
    "main",
    "warn_pooled_settings",
    "write_figures",
]


if __name__ == "__main__":
    raise SystemExit(main())
