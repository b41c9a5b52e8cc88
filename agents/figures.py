"""Regenerate every figure of docs/results.md in one command (``figures.py``, console script ``ioa-figures``).

    python figures.py --out figures [--runs runs] [--budget tiny|small|full] [--seed 0] [--overwrite]

Figures (PNG):

- ``fig3_linear_search.png``: Algorithm 1, an MA's utility against its own price with the FA price fixed
  at 6.0, for the three latency compositions of the paper's Fig. 3;
- ``fig4_convergence.png``: Algorithm 2, prices and offloading ratios per sweep;
- ``fig5_training_curves.png``: test reward of the learned auctioneers against environment steps (mean
  and 95% band over training seeds, from each run's evaluations.npz, at the timesteps all runs share),
  with greedy, random, fixed-step and adaptive as reference lines (needs ``--runs`` with diffusion/ and
  ppo/ run folders; a corrupt evaluations.npz is skipped with a warning);
- ``efficiency_vs_rounds_frontier.png``: mean welfare efficiency against mean rounds for fixed steps of
  several sizes, with the adaptive rule and (when runs exist) the learned auctioneers on the same axes;
- ``welfare_vs_market_size.png``: social welfare (efficient and achieved by fixed-step and adaptive
  auctioneers) against the number of WAs.

Every auction here is an episode of the evaluation harness (:func:`agents.evaluation.harness.run_episode`):
episode ``i`` of evaluation seed ``--seed`` meets the market of ``evaluate.py``'s episode ``i`` of that seed
(:mod:`ioa_gym.seeding`), and the agent is seeded the same way.

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
from agents.common.files import new_figure, save_figure
from agents.common.stats import t_half_width
from agents.evaluation.arguments import EVAL_SEED_RANGE, check_flag, check_output_folder
from agents.evaluation.harness import run_episode
from agents.evaluation.specs import EvaluationConfigError
from agents.registry import load_agent, make_agent
from ioa_gym.scenario import ScenarioConfig
from ioa_gym.seeding import MAX_EVAL_SEED
from ioa_gym.stackelberg import linear_search, solve_equilibrium

ENV_ID = "IoA-DDA-v0"
BUDGETS = {
    "tiny": {"episodes": 2, "sizes": (10, 20), "slots": 2},
    "small": {"episodes": 20, "sizes": (10, 20, 40), "slots": 8},
    "full": {"episodes": 100, "sizes": (10, 20, 30, 40, 60, 80), "slots": 30},
}
FIXED_STEPS = (0.1, 0.2, 0.5, 1.0, 2.0, 4.0)


def fig3_linear_search(out: Path) -> Path:
    """MA utility vs its price, FA price 6.0. (a) the WAs' only alternative to local computing is the
    MA (no FA); (b) an FA that serves everything itself (phi = 0); (c) an FA that forwards everything
    to the AAs (phi = 1, the slowest path). Same WAs and MA in all three."""
    cfg = ScenarioConfig(n_wa=20, n_ma=1, n_fa=1, rayleigh_fading=False)
    scenario = cfg.sample(7)
    prices = np.array([scenario.leader_unit_cost[0] * 1.2, 6.0])
    fig, ax = new_figure(6, 4)
    curves = []
    only_ma = ScenarioConfig(n_wa=20, n_ma=1, n_fa=0, rayleigh_fading=False).sample(7)
    res = linear_search(only_ma, 0, prices[:1], None, step=0.01)
    curves.append(("(a) WA→MA only", res))
    for label, share in (("(b) WA→FA, FA computes (φ=0)", 0.0), ("(c) WA→FA→AA (φ=1)", 1.0)):
        curves.append((label, linear_search(scenario, 0, prices, np.array([share]), step=0.01)))
    for label, res in curves:
        ax.plot(res.prices, res.utilities, label=f"{label}: p* = {res.price:.2f}")
        ax.plot([res.price], [res.utility], "o", color=ax.lines[-1].get_color())
    ax.set_xlabel("MA price p_i (money / Gcycle)")
    ax.set_ylabel("MA utility U_i")
    ax.set_title("Algorithm 1 (Linear-Search), FA price fixed at 6.0")
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    ax.legend(fontsize=8)
    return save_figure(fig, out / "fig3_linear_search.png")


def fig4_convergence(out: Path) -> Path:
    """Algorithm 2 from prices at 90 % of p_max on the default scenario (seed 3): prices and mean
    offloading ratios per sweep."""
    cfg = ScenarioConfig()
    scenario = cfg.sample(3)
    eq = solve_equilibrium(scenario, tol=1e-4, initial_prices=np.full(cfg.n_leaders, cfg.max_price * 0.9))
    fig, (ax1, ax2) = new_figure(10, 4, ncols=2)
    sweeps = np.arange(eq.price_history.shape[0])
    for leader in range(cfg.n_leaders):
        kind = "MA" if leader < cfg.n_ma else "FA"
        ax1.plot(sweeps, eq.price_history[:, leader], marker=".", label=f"{kind} {leader}")
    ax1.set_xlabel("sweep")
    ax1.set_ylabel("price")
    ax1.set_title("Stackelberg algorithm: prices")
    ax1.legend(fontsize=7)
    ratios = eq.ratio_history  # (sweeps, N, L)
    for leader in range(cfg.n_leaders):
        ax2.plot(sweeps, ratios[:, :, leader].mean(axis=1), marker=".", label=f"leader {leader}")
    ax2.plot(sweeps, 1 - ratios.sum(axis=2).mean(axis=1), "k--", label="local")
    ax2.set_xlabel("sweep")
    ax2.set_ylabel("mean offloading ratio")
    ax2.set_title(
        f"offloading ratios ({'converged' if eq.converged else 'not converged'}, {eq.iterations} sweeps)"
    )
    ax2.legend(fontsize=7)
    return save_figure(fig, out / "fig4_convergence.png")


def play_episodes(env: gym.Env, agent: Any, seed: int, count: int) -> list[dict[str, Any]]:
    """Rows of episodes 0 .. count - 1 of evaluation seed ``seed`` (the evaluation harness's)."""
    return [run_episode(env, agent, seed, episode) for episode in range(count)]


def learned_agents(runs: Path | None, env: gym.Env) -> dict[str, list[Any]]:
    """The last model of every diffusion/ppo run under ``runs``, by label."""
    if runs is None:
        return {}
    found = {}
    for algo in ("diffusion", "ppo"):
        folders = sorted(glob.glob(str(runs / algo / f"{ENV_ID}_*")))
        if folders:
            found[algo] = [load_agent(folder, env=env) for folder in folders]
    return found


def efficiency_vs_rounds_frontier(out: Path, episodes: int, runs: Path | None, seed: int = 0) -> Path:
    """Mean efficiency against mean rounds per auctioneer (fixed steps, adaptive, learned runs)."""
    env = gym.make(ENV_ID)
    points = []
    for step in FIXED_STEPS:
        points.append(
            (f"fixed {step}", play_episodes(env, make_agent("fixed-step", env, step=step), seed, episodes))
        )
    points.append(("adaptive", play_episodes(env, make_agent("adaptive", env), seed, episodes)))
    for label, models in learned_agents(runs, env).items():
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


def fig5_training_curves(
    out: Path, runs: Path, episodes: int, filename: str = "fig5_training_curves.png", seed: int = 0
) -> Path | None:
    """Test reward during training (each run's evaluations.npz), mean and 95% band over runs, with the
    baselines' mean return on ``episodes`` episodes of evaluation seed ``seed`` as reference lines.

    The runs of an algorithm are aligned by timestep (:func:`align_by_timestep`): the curve has a point at
    each timestep that *every* run evaluated at, the mean over the runs' rewards there (no interpolation; a
    run resumed or evaluated at other steps contributes only at the steps it shares). An algorithm whose
    runs share no timestep is left out with a warning; a corrupt evaluations.npz is skipped with a warning
    naming it. Returns None (nothing written) when no curve is left.
    """
    curves = {}
    for algo in ("diffusion", "ppo"):
        data = []
        for folder in sorted(glob.glob(str(runs / algo / f"{ENV_ID}_*"))):
            path = Path(folder) / "evaluations.npz"
            if path.exists():
                curve = read_training_curve(path)
                if curve is not None:
                    data.append(curve)
        if not data:
            continue
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
        print(f"fig5: no diffusion/ppo runs with evaluations.npz under {runs}; skipped", file=sys.stderr)
        return None
    env = gym.make(ENV_ID)
    references = {}
    for name, kwargs in (("greedy", {}), ("random", {}), ("fixed-step", {"step": 1.0}), ("adaptive", {})):
        agent = make_agent(name, env, seed=0, **kwargs)
        label = "fixed step 1.0" if kwargs else name
        references[label] = np.mean([row["return"] for row in play_episodes(env, agent, seed, episodes)])
    fig, ax = new_figure(7, 4.5)
    for algo, (steps, values) in curves.items():
        mean = values.mean(axis=0)
        n = values.shape[0]
        if n > 1:
            half = t_half_width(values.std(axis=0, ddof=1), n)
            ax.fill_between(steps, mean - half, mean + half, alpha=0.25)
        ax.plot(steps, mean, label=f"{algo} (n={n} seeds)")
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
    ax.set_title(f"{ENV_ID}: test reward during training (mean, 95% CI over seeds)")
    ax.legend(fontsize=7)
    return save_figure(fig, out / filename)


def build_parser() -> argparse.ArgumentParser:
    """The ``figures.py`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="figures.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default="figures", help="output folder (default: figures)")
    parser.add_argument("--runs", default=None, help="folder with diffusion/ and ppo/ run folders")
    parser.add_argument("--budget", choices=sorted(BUDGETS), default="full")
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help=f"evaluation seed of the auctions, in [0, {MAX_EVAL_SEED}] (ioa_gym.seeding; default 0)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace existing figures in --out")
    return parser


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
    return out, runs


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``figures.py``: 0 done, 2 bad input (nothing written)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        out, runs = check_arguments(args)
    except EvaluationConfigError as error:
        return usage_error(parser, error)
    out.mkdir(parents=True, exist_ok=True)
    budget = BUDGETS[args.budget]
    written = [
        fig3_linear_search(out),
        fig4_convergence(out),
        efficiency_vs_rounds_frontier(out, budget["episodes"], runs, args.seed),
        welfare_vs_market_size(out, budget["sizes"], budget["slots"], args.seed),
    ]
    if runs is not None:
        written.append(fig5_training_curves(out, runs, budget["episodes"], seed=args.seed))
    for path in written:
        if path is not None:
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
