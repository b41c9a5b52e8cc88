"""Learning in ``figures.py``: each learner's test reward during training (``fig5_training_curves*.png``,
from every run's ``evaluations.npz``, aligned by timestep) and its learning speed (``learning_speed.md``:
steps to 95 % of its final test reward, area under its training curve)."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path

import gymnasium as gym
import numpy as np

from agents.common.files import new_figure, save_figure
from agents.common.stats import t_half_width
from agents.figures.auctioneers import ENV_ID, LEARNERS, play_episodes
from agents.registry import make_agent
from agents.runs.folder import RunFolder, algo_folder, run_env_name, run_folders


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
            path = RunFolder(folder).evaluations
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
        run_env_name(folder)
        for algo in LEARNERS
        for folder in algo_folder(runs, algo).glob("*_*")
        if folder.is_dir() and not folder.name.startswith(".")
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
    reference lines; and the learning-speed table (:func:`learning_speed`).

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


def speed_metrics(steps: np.ndarray, rewards: np.ndarray, horizon: int) -> tuple[float, float, float]:
    """One run's (final reward, steps to 95 % of it, normalised area under the curve) over its
    evaluations up to ``horizon``: the final reward is the evaluation at ``horizon``; the steps are the
    first evaluation timestep whose reward reaches final - 0.05 |final| (95 % of a positive final); the area
    is the trapezoid integral of the reward from the first evaluation to ``horizon`` divided by that span
    (a mean reward over training, so 1.0 at the best return from the first evaluation on)."""
    keep = steps <= horizon
    steps, rewards = steps[keep], rewards[keep]
    if steps.size == 0 or steps[-1] != horizon:
        raise ValueError(f"the run has no evaluation at the horizon {horizon}")
    final = float(rewards[-1])
    reached = np.flatnonzero(rewards >= final - 0.05 * abs(final))
    first = float(steps[reached[0]])
    span = float(steps[-1] - steps[0])
    area = float(np.trapezoid(rewards, steps) / span) if span > 0 else final
    return final, first, area


def learning_speed(
    curves: dict[str, list[tuple[np.ndarray, np.ndarray]]],
) -> tuple[int, dict[str, dict[str, tuple[float, float, int]]]]:
    """Per learner, the mean and 95 % t half-width over its runs of the final reward, the steps to 95 % and
    the area under the curve, all over the same horizon: the largest timestep every run of every learner
    evaluated at. Returns (horizon, {learner: {metric: (mean, half-width, runs)}})."""
    shared = None
    for runs in curves.values():
        for steps, _ in runs:
            shared = set(steps.tolist()) if shared is None else shared & set(steps.tolist())
    if not shared:
        raise ValueError("the runs share no evaluation timestep")
    horizon = int(max(shared))
    table = {}
    for algo, runs in curves.items():
        values = np.array([speed_metrics(steps, rewards, horizon) for steps, rewards in runs])
        n = len(runs)
        table[algo] = {
            name: (
                float(values[:, k].mean()),
                float(t_half_width(values[:, k].std(ddof=1), n)) if n > 1 else math.nan,
                n,
            )
            for k, name in enumerate(("final", "steps_to_95", "auc"))
        }
    return horizon, table


def learning_speed_table(
    env_id: str, horizon: int, table: dict[str, dict[str, tuple[float, float, int]]]
) -> str:
    """The Markdown table of :func:`learning_speed`."""
    lines = [
        f"### {env_id}: learning speed over the first {horizon} environment steps",
        "",
        "| learner | runs | final test reward | steps to 95 % of it | area under the curve (mean reward) |",
        "|---|---:|---|---|---|",
    ]
    for algo, metrics in table.items():
        cells = []
        for name, fmt in (("final", "{:.3f}"), ("steps_to_95", "{:.0f}"), ("auc", "{:.3f}")):
            mean, half, _ = metrics[name]
            cells.append(fmt.format(mean) + ("" if math.isnan(half) else " ± " + fmt.format(half)))
        lines.append(f"| {algo} | {metrics['final'][2]} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("± is the 95 % Student-t half-width over runs (training seeds).")
    return "\n".join(lines) + "\n"


__all__ = [
    "align_by_timestep",
    "fig5_training_curves",
    "learning_speed",
    "learning_speed_table",
    "read_training_curve",
    "run_env_ids",
    "speed_metrics",
    "training_curves",
]
