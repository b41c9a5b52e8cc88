"""The auctioneer figures and tables of ``figures.py``: every agent's return as a fraction of the
clairvoyant ceiling (``ioa_gym.auctions.oracle``) for each mechanism variant, sensitivity to the number of
AAs, the tick cost eta and the number of WAs, the efficiency-rounds frontier of fixed steps, the adaptive
rule and the learners, and the welfare against the market size.

Every auction is an episode of the evaluation harness (``agents.evaluation.harness.run_episode``, the seed
rule of ``ioa_gym.analysis.seeding``), so every agent, the ceiling included, meets the same auctions.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from agents.common.errors import ConfigError
from agents.common.files import atomic_write_text, new_figure, save_figure
from agents.common.stats import t_half_width
from agents.evaluation.harness import run_episode
from agents.registry import make_agent
from agents.runs.folder import run_folders
from agents.runs.loading import load_agent
from ioa_gym.envs.access import best_fixed_step

ENV_ID = "IoA-DDA-v0"
"""The env of the frontier, the welfare figure and the first training curves."""
FIXED_STEPS = (0.1, 0.2, 0.5, 1.0, 2.0, 4.0)
"""The fixed steps of the efficiency-rounds frontier."""

VARIANT_ENVS = ("IoA-DDA-v0", "IoA-DDA-StrategyProof-v0", "IoA-DDA-DoubleClock-v0")
"""One env id per mechanism: classic DDA, strategy-proof DDA, double clock."""
LEARNERS = ("diffusion", "ppo", "sac", "td3")
SWEEPS = {
    "n_aa": ("number of AAs", (2, 3, 5, 8, 12)),
    "eta": ("tick cost eta", (0.001, 0.002, 0.004, 0.008, 0.016)),
    "n_wa": ("number of WAs", (10, 20, 30, 40, 60)),
}
"""Sensitivity sweeps: env option -> (axis label, values); the defaults are n_aa 5, eta 0.004, n_wa 20."""


def learned(runs: Path | None, env_id: str, env: gym.Env) -> dict[str, list[Any]]:
    """The last model of every run of each learner on ``env_id``, by learner; a run without a final model
    (still training, or interrupted) is left out with a warning naming it."""
    found = {}
    for algo in LEARNERS:
        models = []
        for folder in run_folders(runs, algo, env_id):
            try:
                models.append(load_agent(folder, env=env))
            except ConfigError as error:
                print(f"figures: warning: {folder} left out: {error}", file=sys.stderr)
        if models:
            found[algo] = models
    return found


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


def _rows(env: gym.Env, agents: Sequence[Any], seed: int, episodes: int) -> list[dict[str, Any]]:
    """Episodes 0 .. episodes - 1 of evaluation seed ``seed`` for each agent, in agent-major order."""
    return [run_episode(env, agent, seed, episode) for agent in agents for episode in range(episodes)]


def _best_fixed(env: gym.Env) -> float | tuple[float, float]:
    """The best fixed step of the env's mechanism on its default Tier-1 markets (1.0 if it measured none)."""
    step = best_fixed_step(env)
    return 1.0 if step is None else step


def _fixed(env: gym.Env) -> Any:
    step = _best_fixed(env)
    return make_agent("fixed-step", env, step=list(step) if isinstance(step, tuple) else step)


def _summary(rows: list[dict[str, Any]], ceiling: list[dict[str, Any]]) -> dict[str, float]:
    """Mean return, efficiency and rounds of ``rows``, and against the ceiling's rows of the same auctions
    (rows of several runs repeat the auctions in order): the fraction of the ceiling's mean return, the
    paired difference's 95 % half-width and how many auctions the agent beat the ceiling on."""
    returns = np.array([r["return"] for r in rows])
    top = np.tile([r["return"] for r in ceiling], len(rows) // len(ceiling))
    gap = returns - top
    return {
        "return": float(returns.mean()),
        "fraction": float(returns.mean() / top.mean()),
        "gap": float(gap.mean()),
        "gap_half": float(t_half_width(gap.std(ddof=1), gap.size)) if gap.size > 1 else math.nan,
        "above": int(np.sum(gap > 1e-9)),
        "efficiency": float(np.mean([r["efficiency"] for r in rows])),
        "rounds": float(np.mean([r["rounds"] for r in rows])),
        "auctions": len(rows),
    }


def ceiling_table(out: Path, runs: Path | None, episodes: int, seed: int = 0) -> Path:
    """``ceiling.md``: for each mechanism variant, every agent's mean return and its fraction of the
    clairvoyant ceiling on the same auctions (episodes 0 .. episodes - 1 of evaluation seed ``seed``)."""
    lines = [
        f"Episodes 0-{episodes - 1} of evaluation seed {seed}; deterministic actions. 'fraction' = the "
        "agent's mean return / the ceiling's on the same auctions; 'gap' = the paired mean "
        "difference (95 % t half-width over auctions); 'above' = auctions where the agent beat the "
        "ceiling. Learned agents: every run's last model, its auctions pooled.",
        "",
    ]
    for env_id in VARIANT_ENVS:
        env = gym.make(env_id)
        oracle = make_agent("clairvoyant", env)
        ceiling = _rows(env, [oracle], seed, episodes)
        exact = sum(plan.exact for plan in oracle.plans)
        agents: dict[str, list[Any]] = {
            f"{algo} ({len(models)} runs)": models for algo, models in learned(runs, env_id, env).items()
        }
        agents.update(
            {
                "adaptive": [make_agent("adaptive", env)],
                f"best fixed step {_best_fixed(env)}": [_fixed(env)],
                "random": [make_agent("random", env, seed=0)],
                "greedy": [make_agent("greedy", env, seed=0)],
            }
        )
        lines += [
            f"### {env_id}",
            "",
            f"Clairvoyant ceiling: mean return {np.mean([r['return'] for r in ceiling]):.3f}, efficiency "
            f"{np.mean([r['efficiency'] for r in ceiling]):.3f}, "
            f"{np.mean([r['rounds'] for r in ceiling]):.1f} rounds; "
            f"search exact on {exact} of {len(oracle.plans)} auctions.",
            "",
            "| agent | mean return | fraction of ceiling | gap to ceiling | auctions above | efficiency "
            "| rounds |",
            "|---|---:|---:|---|---:|---:|---:|",
        ]
        for label, models in agents.items():
            s = _summary(_rows(env, models, seed, episodes), ceiling)
            lines.append(
                f"| {label} | {s['return']:.3f} | {s['fraction']:.3f} | "
                f"{s['gap']:+.3f} ± {s['gap_half']:.3f} | "
                f"{s['above']}/{s['auctions']} | {s['efficiency']:.3f} | {s['rounds']:.1f} |"
            )
        lines.append("")
    return atomic_write_text(out / "ceiling.md", "\n".join(lines))


# --- sensitivity ----------------------------------------------------------------------------------------


def sensitivity_env(runs: Path | None) -> str:
    """The env id with the most learned runs under ``runs`` (IoA-DDA-v0 on a tie or without runs)."""
    counts = {
        env_id: sum(len(run_folders(runs, algo, env_id)) for algo in LEARNERS) for env_id in VARIANT_ENVS
    }
    return max(VARIANT_ENVS, key=lambda env_id: (counts[env_id], env_id == "IoA-DDA-v0"))


def sensitivity(
    out: Path,
    runs: Path | None,
    episodes: int,
    points: int,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """``sensitivity_<option>.png`` for each of ``SWEEPS`` (its first ``points`` values) and
    ``sensitivity.md``: the welfare efficiency, rounds and return of every learner (all its runs), the
    adaptive rule, the best fixed step (tuned at the defaults) and the clairvoyant ceiling, on ``episodes``
    auctions per point, on :func:`sensitivity_env`."""
    env_id = sensitivity_env(runs)
    written, lines = (
        [],
        [f"Sensitivity on {env_id}: episodes 0-{episodes - 1} of evaluation seed {seed} per point.", ""],
    )
    for option, (axis, values) in SWEEPS.items():
        values = values[:points]
        series: dict[str, dict[str, list[float]]] = {}
        lines += [
            f"### {axis}",
            "",
            "| " + option + " | agent | efficiency | rounds | return | fraction of ceiling |",
            "|---:|---|---:|---:|---:|---:|",
        ]
        for value in values:
            env = gym.make(env_id, **{option: value})
            oracle = make_agent("clairvoyant", env)
            agents: dict[str, list[Any]] = {"clairvoyant ceiling": [oracle]}
            agents.update(learned(runs, env_id, env))
            agents["adaptive"] = [make_agent("adaptive", env)]
            agents[f"fixed {_best_fixed(env)}"] = [_fixed(env)]
            ceiling = _rows(env, [oracle], seed, episodes)
            for label, models in agents.items():
                rows = ceiling if label == "clairvoyant ceiling" else _rows(env, models, seed, episodes)
                s = _summary(rows, ceiling)
                for metric in ("efficiency", "rounds", "return"):
                    series.setdefault(label, {}).setdefault(metric, []).append(s[metric])
                lines.append(
                    f"| {value} | {label} | {s['efficiency']:.3f} | {s['rounds']:.1f} | {s['return']:.3f} | "
                    f"{s['fraction']:.3f} |"
                )
            if progress is not None:
                progress(f"sensitivity {option}={value} done")
        lines.append("")
        fig, axes = new_figure(16, 4.2, ncols=3)
        for label, metrics in series.items():
            style = {"linestyle": "--", "color": "k"} if label.startswith("clairvoyant") else {}
            for ax, metric in zip(axes, ("efficiency", "rounds", "return"), strict=True):
                ax.plot(values, metrics[metric], marker="o", label=label, **style)
        for ax, metric in zip(
            axes,
            ("welfare efficiency SW / SW_opt", "rounds", "return (efficiency - eta rounds)"),
            strict=True,
        ):
            ax.set_xlabel(axis)
            ax.set_ylabel(metric)
            if option == "eta":
                ax.set_xscale("log")
        axes[0].legend(fontsize=7)
        fig.suptitle(
            f"{env_id}: against the {axis} ({episodes} auctions per point; learners trained at the defaults)",
            fontsize=10,
        )
        written.append(save_figure(fig, out / f"sensitivity_{option}.png"))
    written.append(atomic_write_text(out / "sensitivity.md", "\n".join(lines)))
    return written


__all__ = [
    "ENV_ID",
    "FIXED_STEPS",
    "LEARNERS",
    "SWEEPS",
    "VARIANT_ENVS",
    "ceiling_table",
    "efficiency_vs_rounds_frontier",
    "learned",
    "play_episodes",
    "sensitivity",
    "sensitivity_env",
    "welfare_vs_market_size",
]
