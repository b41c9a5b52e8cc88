"""Regenerate every figure and table of docs/results.md in one command (``figures.py``, console script
``ioa-figures``).

    python figures.py --out figures [--runs runs] [--budget tiny|small|full] [--seed 0] [--overwrite]

Figures (PNG) and tables (Markdown):

- ``fig3_linear_search.png``: Algorithm 1 for an MA with the FA's price fixed at p_j = 6.0, on one slot
  with an MA and an FA: against the MA's price, the total latency of each of the paper's three compositions
  (WA->MA, WA->FA, WA->FA->AA; transmission and computing) and the MA's utility, Linear-Search's choice
  marked (:mod:`agents.figures_tier1`);
- ``fig4_convergence.png``: Algorithm 2's sweeps, each composition's latency with the prices serving it;
- ``two_tier_coupling.png`` and ``two_tier_coupling.md``: welfare and prices with and without the
  aerial-price coupling (``ioa_gym.coupling.two_tier``) against the number of WAs, with the fixed point's
  convergence, cycles and iterations;
- ``ceiling.md``: for each mechanism variant, every agent's return as a fraction of the clairvoyant
  ceiling (``ioa_gym.auctions.oracle``) on the same auctions (:mod:`agents.figures_auctioneers`);
- ``sensitivity_{n_aa,eta,n_wa}.png`` and ``sensitivity.md``: efficiency, rounds and return of the learned
  and reference auctioneers and the ceiling against the number of AAs, the tick cost and the number of WAs;
- ``fig5_training_curves.png`` (IoA-DDA-v0; ``fig5_training_curves_<env id>.png`` for the other envs) and
  ``learning_speed.md``: test reward during training of every learner with runs under ``--runs``
  (``<runs>/<algo>/<env id>_<n>``: diffusion, ppo, sac, td3), mean and 95% band over seeds, references as
  lines, and each learner's steps to 95 % of its final test reward and area under the curve over the
  horizon every run reached (needs ``--runs``; a corrupt evaluations.npz is skipped with a warning);
- ``efficiency_vs_rounds_frontier.png``: mean welfare efficiency against mean rounds for fixed steps of
  several sizes, with the adaptive rule and (when runs exist) the learned auctioneers on the same axes;
- ``welfare_vs_market_size.png``: social welfare (efficient and achieved by fixed-step and adaptive
  auctioneers) against the number of WAs.

Every auction here is an episode of the evaluation harness (:func:`agents.evaluation.harness.run_episode`):
episode ``i`` of evaluation seed ``--seed`` meets the market of ``evaluate.py``'s episode ``i`` of that seed
(:mod:`ioa_gym.analysis.seeding`), and the agent is seeded the same way.

Bad input (``--out`` a file or unwritable, or holding figures without ``--overwrite``; ``--runs`` not a
folder; ``--seed`` outside ``[0, MAX_EVAL_SEED]``) exits with 2, the usage line and a message naming the
flag, before anything is written.
"""

from __future__ import annotations

import argparse
import glob
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from agents.common.cli import usage_error
from agents.common.files import atomic_write_text, new_figure, save_figure
from agents.common.stats import t_half_width
from agents.evaluation.arguments import EVAL_SEED_RANGE, check_flag, check_output_folder
from agents.evaluation.harness import run_episode
from agents.evaluation.specs import EvaluationConfigError
from agents.figures_auctioneers import (
    LEARNERS,
    ceiling_table,
    learned,
    learning_speed,
    learning_speed_table,
    run_folders,
    sensitivity,
)
from agents.figures_tier1 import fig3_linear_search, fig4_convergence, two_tier_coupling
from agents.registry import make_agent
from agents.sweep import RUNS_DIR, SWEEP_FILE, SweepConfigError, sweep_runs
from ioa_gym.analysis.seeding import MAX_EVAL_SEED

ENV_ID = "IoA-DDA-v0"
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
FIXED_STEPS = (0.1, 0.2, 0.5, 1.0, 2.0, 4.0)


def play_episodes(env: gym.Env, agent: Any, seed: int, count: int) -> list[dict[str, Any]]:
    """Rows of episodes 0 .. count - 1 of evaluation seed ``seed`` (the evaluation harness's)."""
    return [run_episode(env, agent, seed, episode) for episode in range(count)]


def efficiency_vs_rounds_frontier(out: Path, episodes: int, runs: Path | None, seed: int = 0) -> Path:
    """Mean efficiency against mean rounds per auctioneer (fixed steps, adaptive, learned runs)."""
    env = gym.make(ENV_ID)
    points = []
    for step in FIXED_STEPS:
        points.append(
            (f"fixed {step}", play_episodes(env, make_agent("fixed-step", env, step=step), seed, episodes))
        )
    points.append(("adaptive", play_episodes(env, make_agent("adaptive", env), seed, episodes)))
    for label, models in learned(runs, ENV_ID, env).items():
        points.append((label, [row for model in models for row in play_episodes(env, model, seed, episodes)]))
    fig, ax = new_figure(6, 4)
    for label, rows in points:
        rounds = np.mean([r["rounds"] for r in rows])
        eff = np.mean([r["efficiency"] for r in rows])
        marker = "s" if label.startswith("fixed") else "*"
        ax.plot(rounds, eff, marker, markersize=9 if marker == "*" else 6, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("mean rounds per auction (log)")
    ax.set_ylabel("mean welfare efficiency SW / SW_opt")
    ax.set_title(f"{ENV_ID}, {episodes} Tier-1 markets")
    ax.legend(fontsize=7)
    return save_figure(fig, out / "efficiency_vs_rounds_frontier.png")


def welfare_vs_market_size(out: Path, sizes: Sequence[int], slots: int, seed: int = 0) -> Path:
    """Mean SW_opt and the welfare the adaptive rule and fixed step 1.0 realise, against the number of WAs."""
    series: dict[str, list[float]] = {"efficient (SW_opt)": [], "adaptive": [], "fixed step 1.0": []}
    for n_wa in sizes:
        env = gym.make(ENV_ID, n_wa=n_wa)
        adaptive = play_episodes(env, make_agent("adaptive", env), seed, slots)
        fixed = play_episodes(env, make_agent("fixed-step", env, step=1.0), seed, slots)
        series["efficient (SW_opt)"].append(np.mean([r["efficient_welfare"] for r in adaptive]))
        series["adaptive"].append(np.mean([r["social_welfare"] for r in adaptive]))
        series["fixed step 1.0"].append(np.mean([r["social_welfare"] for r in fixed]))
    fig, ax = new_figure(6, 4)
    for label, values in series.items():
        ax.plot(sizes, values, marker="o", label=label)
    ax.set_xlabel("number of WAs")
    ax.set_ylabel("mean social welfare per auction (per-Gcycle money x units)")
    ax.set_title(f"Tier-2 welfare vs market size ({slots} slots each)")
    ax.legend(fontsize=8)
    return save_figure(fig, out / "welfare_vs_market_size.png")


def read_training_curve(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """``(timesteps, mean test reward)`` of one run's ``evaluations.npz`` (SB3's EvalCallback file), sorted
    by timestep, with the last evaluation kept where a timestep repeats (a resumed run); None, with a
    warning on stderr naming the file, when it is corrupt (not an ``np.savez`` archive, no ``timesteps`` or
    ``results``, lengths that disagree, non-finite values)."""
    try:
        with np.load(path) as archive:
            timesteps = np.asarray(archive["timesteps"])
            results = np.asarray(archive["results"], dtype=float)
    except Exception as error:  # noqa: BLE001 -- zip, pickle, key or format errors alike
        print(
            f"fig5: warning: skipping {path}: unreadable ({type(error).__name__}: {error})", file=sys.stderr
        )
        return None
    if (
        timesteps.ndim != 1
        or len(timesteps) == 0
        or results.ndim not in (1, 2)
        or len(results) != len(timesteps)
        or results.size == 0
        or not np.issubdtype(timesteps.dtype, np.number)
        or not np.all(np.isfinite(timesteps))
        or not np.all(np.isfinite(results))
    ):
        print(
            f"fig5: warning: skipping {path}: expected 1-d timesteps and finite results of the same length, "
            f"got shapes {timesteps.shape} and {results.shape}",
            file=sys.stderr,
        )
        return None
    rewards = results.mean(axis=1) if results.ndim == 2 else results
    order = np.argsort(timesteps, kind="stable")
    timesteps, rewards = timesteps[order].astype(np.int64), rewards[order]
    last = np.append(timesteps[1:] != timesteps[:-1], True)  # the last evaluation of each timestep
    return timesteps[last], rewards[last]


def align_by_timestep(
    curves: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """The timesteps common to every run and each run's reward there: ``(steps, values[run, step])``.

    Runs are matched by timestep, never by position (a resumed run or another ``--eval-freq`` evaluates at
    other steps); a timestep some run lacks is left out, nothing is interpolated. ``steps`` is empty when the
    runs share none."""
    steps = curves[0][0]
    for timesteps, _ in curves[1:]:
        steps = np.intersect1d(steps, timesteps)
    values = np.array([rewards[np.searchsorted(timesteps, steps)] for timesteps, rewards in curves])
    return steps, values.reshape(len(curves), len(steps))


def training_curves(runs: Path, env_id: str) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """Every readable evaluations.npz of each learner's runs on ``env_id`` under ``runs``, by learner."""
    found = {}
    for algo in LEARNERS:
        data = []
        for folder in run_folders(runs, algo, env_id):
            path = Path(folder) / "evaluations.npz"
            if path.exists():
                curve = read_training_curve(path)
                if curve is not None:
                    data.append(curve)
        if data:
            found[algo] = data
    return found


def run_env_ids(runs: Path) -> list[str]:
    """The env ids with learner runs under ``runs`` (IoA-DDA-v0 first)."""
    ids = {
        Path(folder).name.rsplit("_", 1)[0]
        for algo in LEARNERS
        for folder in glob.glob(str(runs / algo / "*_*"))
        if Path(folder).is_dir()
    }
    return sorted(ids, key=lambda env_id: (env_id != ENV_ID, env_id))


def fig5_training_curves(
    out: Path,
    runs: Path,
    episodes: int,
    filename: str | None = None,
    seed: int = 0,
    env_id: str = ENV_ID,
) -> tuple[Path | None, str | None]:
    """Test reward during training on ``env_id`` (each run's evaluations.npz), mean and 95% band over each
    learner's runs, with the baselines' mean return on ``episodes`` episodes of evaluation seed ``seed`` as
    reference lines; and the learning-speed table (:func:`agents.figures_auctioneers.learning_speed`).

    The runs of a learner are aligned by timestep (:func:`align_by_timestep`): the curve has a point at each
    timestep that *every* run evaluated at, the mean over the runs' rewards there (no interpolation; a run
    resumed or evaluated at other steps contributes only at the steps it shares). A learner whose runs share
    no timestep is left out with a warning; a corrupt evaluations.npz is skipped with a warning naming it.
    Returns (figure, table text), (None, None) when no curve is left. ``filename`` defaults to
    ``fig5_training_curves.png`` for IoA-DDA-v0 and ``fig5_training_curves_<env id>.png`` otherwise.
    """
    if filename is None:
        filename = "fig5_training_curves.png" if env_id == ENV_ID else f"fig5_training_curves_{env_id}.png"
    curves, found = {}, training_curves(runs, env_id)
    for algo, data in found.items():
        steps, values = align_by_timestep(data)
        if len(steps) == 0:
            print(
                f"fig5: warning: the {len(data)} {algo} runs under {runs} share no evaluation timestep; "
                f"{algo} left out",
                file=sys.stderr,
            )
            continue
        curves[algo] = (steps, values)
    if not curves:
        print(
            f"fig5: no learner runs with evaluations.npz for {env_id} under {runs}; skipped", file=sys.stderr
        )
        return None, None
    try:
        horizon, speed = learning_speed({algo: found[algo] for algo in curves})
        table = learning_speed_table(env_id, horizon, speed)
    except ValueError as error:
        print(f"fig5: warning: no learning-speed table for {env_id}: {error}", file=sys.stderr)
        horizon, speed, table = None, {}, None
    env = gym.make(env_id)
    references = {}
    for name, kwargs in (("greedy", {}), ("random", {}), ("fixed-step", {"step": 1.0}), ("adaptive", {})):
        agent = make_agent(name, env, seed=0, **kwargs)
        label = "fixed step 1.0" if kwargs else name
        references[label] = np.mean([row["return"] for row in play_episodes(env, agent, seed, episodes)])
    fig, ax = new_figure(8, 5)
    for algo, (steps, values) in curves.items():
        mean = values.mean(axis=0)
        n = values.shape[0]
        if n > 1:
            half = t_half_width(values.std(axis=0, ddof=1), n)
            ax.fill_between(steps, mean - half, mean + half, alpha=0.2)
        label = f"{algo} (n={n} seeds)"
        if algo in speed:
            label += (
                f": 95% of final at {speed[algo]['steps_to_95'][0] / 1000:.1f}k steps, "
                f"AUC {speed[algo]['auc'][0]:.3f}"
            )
        ax.plot(steps, mean, label=label)
    if horizon is not None:
        ax.axvline(horizon, color="k", linewidth=0.6, linestyle=":")
    colors = {
        "greedy": "tab:red",
        "random": "tab:gray",
        "fixed step 1.0": "tab:green",
        "adaptive": "tab:purple",
    }
    for name, value in references.items():
        ax.axhline(value, linestyle="--", linewidth=1, label=f"{name} ({value:.3f})", color=colors[name])
    ax.set_xlabel("environment steps")
    ax.set_ylabel("test reward (mean return)")
    ax.set_title(f"{env_id}: test reward during training (mean, 95% CI over seeds)")
    ax.legend(fontsize=7)
    return save_figure(fig, out / filename), table


def build_parser() -> argparse.ArgumentParser:
    """The ``figures.py`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="figures.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default="figures", help="output folder (default: figures)")
    parser.add_argument(
        "--runs", default=None, help="folder with <algo>/<env id>_<n> run folders (diffusion, ppo, sac, td3)"
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
        except SweepConfigError:
            continue
        labels = [group.label for group in groups if "[" in group.label]
        if labels:
            print(
                f"figures: warning: the sweep has several settings of one algorithm on {env_id} "
                f"({', '.join(labels)}); the figures pool them (evaluate.py --sweep keeps them apart)",
                file=sys.stderr,
            )


def check_arguments(args: argparse.Namespace) -> tuple[Path, Path | None]:
    """``--out`` (a writable folder without figures unless ``--overwrite``), ``--runs`` (a folder) and
    ``--seed``; returns the two paths.

    :raises EvaluationConfigError: naming the flag, before anything is written.
    """
    check_flag("--seed", args.seed, EVAL_SEED_RANGE)
    out = check_output_folder("--out", args.out, refuse_non_empty=False)
    if out.is_dir() and any(out.glob("*.png")) and not args.overwrite:
        raise EvaluationConfigError(
            f"--out {out} already holds figures; pass --overwrite or choose another --out"
        )
    runs = Path(args.runs) if args.runs else None
    if runs is not None and not runs.is_dir():
        what = "is not a folder" if runs.exists() else "does not exist"
        raise EvaluationConfigError(
            f"--runs {runs} {what} (expected a folder with diffusion/ and ppo/ run folders)"
        )
    if runs is not None and (runs / SWEEP_FILE).is_file():  # a sweep.py folder: its runs/
        runs = runs / RUNS_DIR
    return out, runs


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``figures.py``: 0 done, 2 bad input (nothing written)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        out, runs = check_arguments(args)
    except EvaluationConfigError as error:
        return usage_error(parser, error)
    if runs is not None and runs.name == RUNS_DIR and (runs.parent / SWEEP_FILE).is_file():
        warn_pooled_settings(runs.parent, run_env_ids(runs))
    out.mkdir(parents=True, exist_ok=True)
    budget = BUDGETS[args.budget]
    written = [
        fig3_linear_search(out),
        fig4_convergence(out),
        *two_tier_coupling(out, budget["sizes"][:3], budget["slots"]),
        efficiency_vs_rounds_frontier(out, budget["episodes"], runs, args.seed),
        welfare_vs_market_size(out, budget["sizes"], budget["slots"], args.seed),
        ceiling_table(out, runs, budget["episodes"], args.seed),
        *sensitivity(out, runs, budget["point_episodes"], budget["points"], args.seed),
    ]
    if runs is not None:
        tables = []
        for env_id in run_env_ids(runs):
            figure, table = fig5_training_curves(out, runs, budget["episodes"], seed=args.seed, env_id=env_id)
            written.append(figure)
            if table is not None:
                tables.append(table)
        if tables:
            written.append(atomic_write_text(out / "learning_speed.md", "\n".join(tables)))
    for path in written:
        if path is not None:
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
