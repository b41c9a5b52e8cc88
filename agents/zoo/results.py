"""The result tables of docs/results.md and the README's headline figure, regenerated from the zoo by
evaluation only (no training):

    python -m agents.zoo results --out results/zoo            # about 6 minutes on a 2-core CPU

For each mechanism (classic DDA, strategy-proof DDA, double clock), every zoo agent (diffusion and PPO,
every seed) and the reference auctioneers (the clairvoyant ceiling, greedy, random, the mechanism's best fixed
step, adaptive) play the same auctions: episodes 0 .. ``--episodes``-1 of evaluation seeds ``--seeds``
(``evaluate.py``, deterministic actions, paired comparisons), into ``<out>/eval_<mechanism>/``. Every zoo
agent of an incentive-compatible mechanism is IC-audited (``evaluate.py ic-audit``, ``--audit-markets``
markets) into ``<out>/ic_<mechanism>/``. The zoo's evaluations during training give the learning curves and
the learning-speed tables (``<out>/curves/``). ``<out>/results.md`` gathers the tables, ``<out>/headline.png``
is the README's figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.common.cli import io_error, usage_error
from agents.common.errors import ConfigError
from agents.common.files import atomic_write_text, new_figure, save_figure
from agents.evaluation.arguments import check_output_folder
from agents.zoo import read_manifest, resolve

ENV_IDS = ("IoA-DDA-v0", "IoA-DDA-StrategyProof-v0", "IoA-DDA-DoubleClock-v0")
"""The tables of docs/results.md: the classic DDA and the two incentive-compatible mechanisms."""


@dataclass(frozen=True)
class Mechanism:
    """One table: an env id, its mechanism's name, best fixed step (``fixed-step``'s ``step=``) and whether it
    is incentive compatible, all read from the env's mechanism (:mod:`ioa_gym.auctions.mechanism`)."""

    name: str
    env: str
    best_fixed: str
    incentive_compatible: bool

    @classmethod
    def of(cls, env_id: str) -> Mechanism:
        import gymnasium as gym

        from ioa_gym.envs.access import best_fixed_step, dda_env

        env = gym.make(env_id)
        try:
            mechanism = dda_env(env, "mechanism").mechanism
            step = best_fixed_step(env)
        finally:
            env.close()
        text = "1.0" if step is None else repr(list(step) if isinstance(step, tuple) else step)
        return cls(mechanism.name, env_id, text.replace(" ", ""), mechanism.incentive_compatible)


LEARNERS = ("diffusion", "ppo")
REFERENCES = ("clairvoyant", "greedy", "random", "fixed-best", "adaptive")
COMPARISONS = (
    ("diffusion", "fixed-best"),
    ("diffusion", "ppo"),
    ("diffusion", "adaptive"),
    ("diffusion", "random"),
    ("ppo", "fixed-best"),
    ("adaptive", "fixed-best"),
)


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m agents.zoo results`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m agents.zoo results",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", required=True, help="output folder, new or empty")
    parser.add_argument(
        "--episodes", type=int, default=100, help="episodes per evaluation seed (default 100)"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="evaluation seeds (0 1 2)")
    parser.add_argument(
        "--audit-markets", type=int, default=100, help="markets of each IC audit, >= 1 (default 100)"
    )
    parser.add_argument(
        "--envs", nargs="+", choices=ENV_IDS, default=list(ENV_IDS), help="which tables (default: all three)"
    )
    return parser


def _evaluate(mechanism: Mechanism, args: argparse.Namespace, out: Path) -> Path:
    from agents.evaluation.cli import main as evaluate_main

    folder = out / f"eval_{mechanism.name}"
    learners = [f"{algo}=zoo:{algo}/{mechanism.env}" for algo in LEARNERS]
    seeds = [f"diffusion-seed{entry.seed}={entry.path}" for entry in _entries("diffusion", mechanism)]
    argv = [
        "--env", mechanism.env, "--episodes", str(args.episodes), "--seeds", *map(str, args.seeds),
        "--output", str(folder), "--no-progress", "--no-plots",
        "--agents", *learners, *seeds, "clairvoyant", "greedy", "random",
        f"fixed-best=fixed-step:step={mechanism.best_fixed}", "adaptive",
    ]  # fmt: skip
    for a, b in COMPARISONS:
        argv += ["--compare", a, b]
    code = evaluate_main(argv)
    if code != 0:
        raise SystemExit(code)
    return folder


def _entries(algo: str, mechanism: Mechanism) -> list[Any]:
    return resolve(f"zoo:{algo}/{mechanism.env}")


def _audit(mechanism: Mechanism, args: argparse.Namespace, out: Path) -> Path:
    from agents.evaluation.cli import main as evaluate_main

    folder = out / f"ic_{mechanism.name}"
    agents = [f"{algo}=zoo:{algo}/{mechanism.env}" for algo in LEARNERS]
    argv = [
        "ic-audit", "--env", mechanism.env, "--markets", str(args.audit_markets), "--deviations", "4",
        "--output", str(folder), "--no-progress",
        "--agents", *agents, f"fixed-best=fixed-step:step={mechanism.best_fixed}",
    ]  # fmt: skip
    code = evaluate_main(argv)
    if code != 0:
        raise SystemExit(code)
    return folder


def _table(mechanism: Mechanism, folder: Path, audit: Path | None) -> str:
    summary = json.loads((folder / "summary.json").read_text())
    agents = {row["agent"]: row for row in summary["agents"]}
    ceiling = agents["clairvoyant"]["return_mean"]
    gains: dict[str, float] = {}
    if audit is not None:
        for policy in json.loads((audit / "ic_audit.json").read_text())["policies"]:
            label = policy["policy"].split("[")[0]
            gains[label] = max(gains.get(label, 0.0), policy["summary"]["max_gain"])
    lines = [
        f"### {mechanism.name} ({mechanism.env}): {summary['episodes_per_seed']} auctions x seeds "
        f"{summary['seeds']}",
        "",
        "| agent | runs | mean return | 95 % CI | / ceiling | efficiency | rounds |"
        + (" IC audit: max gain (every run) |" if audit else ""),
        "|---|---:|---:|---|---:|---:|---:|" + ("---:|" if audit else ""),
    ]
    for label, row in agents.items():
        cells = [
            label,
            str(row["n_runs"]),
            f"{row['return_mean']:.3f}",
            f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}] ({row['ci_over']})",
            f"{row['return_mean'] / ceiling:.3f}",
            f"{row.get('mean_efficiency', float('nan')):.3f}",
            f"{row.get('mean_rounds', float('nan')):.1f}",
        ]
        if audit:
            cells.append(f"{gains[label]:.3g}" if label in gains else "-")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Paired differences in mean return over the shared auctions (95 % Student-t CI):", ""]
    for pair in summary["comparisons"]:
        lines.append(
            f"- {pair['a']} - {pair['b']}: {pair['diff']:+.3f} "
            f"[{pair['ci_low']:+.3f}, {pair['ci_high']:+.3f}]"
        )
    return "\n".join(lines) + "\n"


def headline_figure(folders: dict[str, Path], path: Path) -> Path:
    """Mean return with its 95 % CI of each learner and reference auctioneer, one group per mechanism."""
    shown = ("diffusion", "ppo", "adaptive", "fixed-best", "random", "clairvoyant")
    names = {"fixed-best": "best fixed step", "ppo": "PPO", "clairvoyant": "clairvoyant ceiling"}
    documents = {name: json.loads((folder / "summary.json").read_text()) for name, folder in folders.items()}
    summaries = {name: {row["agent"]: row for row in doc["agents"]} for name, doc in documents.items()}
    fig, ax = new_figure(8, 4.6)
    width = 0.8 / len(shown)
    for index, label in enumerate(shown):
        rows = [summary[label] for summary in summaries.values()]
        means = [row["return_mean"] for row in rows]
        yerr = [
            [row["return_mean"] - row["ci_low"] for row in rows],
            [row["ci_high"] - row["return_mean"] for row in rows],
        ]
        positions = [group + (index - (len(shown) - 1) / 2) * width for group in range(len(rows))]
        ax.bar(positions, means, width, yerr=yerr, capsize=2, label=names.get(label, label))
    runs = summaries[next(iter(summaries))]["diffusion"]["n_runs"]
    auctions = summaries[next(iter(summaries))]["diffusion"]["n_episodes"] // max(runs, 1)
    ax.set_xticks(range(len(folders)), [f"{name}\n({doc['env_id']})" for name, doc in documents.items()])
    ax.set_ylabel("mean return per auction")
    lowest = min(summary[label]["ci_low"] for summary in summaries.values() for label in shown)
    ax.set_ylim(min(0.0, lowest - 0.05), 1.0)
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_title(f"Auctioneers on the same {auctions} auctions (learners: {runs} training seeds, 95 % CI)")
    ax.legend(fontsize=8, ncol=6, loc="upper center", bbox_to_anchor=(0.5, -0.17), frameon=False)
    fig.tight_layout()
    return save_figure(fig, path)


def _curves(mechanisms: Sequence[Mechanism], out: Path) -> list[str]:
    from agents.figures.training import fig5_training_curves
    from agents.zoo import zoo_root

    tables = []
    for mechanism in mechanisms:
        _, table = fig5_training_curves(out / "curves", zoo_root(), episodes=30, env_id=mechanism.env)
        if table:
            tables.append(table)
    return tables


def run(args: argparse.Namespace, out: Path) -> Path:
    """Every step; returns ``<out>/results.md``."""
    mechanisms = [Mechanism.of(env_id) for env_id in args.envs]
    manifest = read_manifest()
    started = time.perf_counter()
    sections, folders = [], {}
    for mechanism in mechanisms:
        print(f"== {mechanism.name}: evaluating on {mechanism.env}", flush=True)
        folders[mechanism.name] = _evaluate(mechanism, args, out)
        audit = None
        if mechanism.incentive_compatible:
            print(f"== {mechanism.name}: IC audit of every zoo agent", flush=True)
            audit = _audit(mechanism, args, out)
        sections.append(_table(mechanism, folders[mechanism.name], audit))
    print("== learning curves from the zoo's evaluations", flush=True)
    sections += _curves(mechanisms, out)
    headline_figure(folders, out / "headline.png")
    minutes = (time.perf_counter() - started) / 60
    header = (
        f"# Results regenerated from the zoo\n\nZoo built {manifest.built.get('created')} at commit "
        f"{manifest.built.get('git_commit')}; regenerated {time.strftime('%Y-%m-%d %H:%M')} "
        f"in {minutes:.1f} min "
        f"with `{' '.join(['python -m agents.zoo results', *sys.argv[2:]])}`.\n"
    )
    return atomic_write_text(out / "results.md", "\n".join([header, *sections]))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 done, 2 bad input, 74 a file could not be written."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.audit_markets < 1:
            raise ConfigError(f"--audit-markets {args.audit_markets}: expected >= 1")
        out = check_output_folder("--out", args.out, refuse_non_empty=True)
        read_manifest()
        written = run(args, out)
    except ConfigError as error:
        return usage_error(parser, error)
    except OSError as error:
        return io_error(parser.prog, error)
    print(f"wrote {written} and {out / 'headline.png'}")
    return 0


__all__ = ["ENV_IDS", "Mechanism", "build_parser", "headline_figure", "main"]
