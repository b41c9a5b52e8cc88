"""Evaluation results and their statistics: per-agent means with Student t intervals, paired differences.

The 95% confidence interval of the mean return is Student t over independent units: the training runs of a
label when it has several (each run's mean over all its episodes), else the evaluation seeds (each seed's
mean over its episodes), else, with a single seed, the episodes. The paired comparison gives each agent's
mean return minus the best agent's over the shared episodes (same reset seeds; a label with several runs
contributes the mean over its runs), with a Student t interval over those episodes.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agents.common.errors import ConfigError
from agents.common.files import json_ready
from agents.common.stats import CONFIDENCE, mean_confidence_interval, nanmean
from agents.common.tables import fmt, fmt_ci, render_table
from agents.evaluation.loading import UNTRAINED_SEED, LoadedAgent
from ioa_gym.analysis.seeding import SEED_STRIDE, seed_rule

BASE_COLUMNS = (
    "agent",
    "run",
    "run_index",
    "eval_seed",
    "episode",
    "reset_seed",
    "return",
    "length",
    "wall_time_s",
)
TIME_COLUMNS = ("wall_time_s",)
"""Columns that differ between identical runs (everything else is reproducible)."""
PRINT_WIDTH = 100
"""The width ``evaluate.py`` fits its printed table in (:meth:`EvaluationResult.short_table`)."""
DROPPED_FIRST = ("type", "ms /\nepisode", "std", "CI over", "runs")
"""The columns the printed table leaves out first when it is too wide, in this order; then the env's
columns, the last first. ``table.txt`` and ``evaluate.py -v`` keep every column."""


def _wrap(line: str, width: int) -> str:
    """``line`` wrapped at ``width``, continued lines indented two more spaces than its own indentation."""
    if len(line) <= width:
        return line
    indent = line[: len(line) - len(line.lstrip())]
    return textwrap.fill(
        line, width, subsequent_indent=indent + "  ", break_long_words=False, break_on_hyphens=False
    )


@dataclass
class AgentSummary:
    """Per-agent statistics of an :class:`EvaluationResult` (see the module docstring for the CIs)."""

    label: str
    kind: str
    description: str
    runs: list[str]
    n_episodes: int
    return_mean: float
    return_std: float
    ci_low: float
    ci_high: float
    ci_over: str
    n_units: int
    time_per_episode_s: float
    means: dict[str, float]
    violations: dict[str, int]
    diff_to_best: float = math.nan
    diff_ci_low: float = math.nan
    diff_ci_high: float = math.nan
    n_pairs: int = 0

    def row(self) -> dict[str, Any]:
        """Flat summary.csv row."""
        row = {
            "agent": self.label,
            "kind": self.kind,
            "description": self.description,
            "n_runs": len(self.runs),
            "runs": " ".join(self.runs),
            "n_episodes": self.n_episodes,
            "return_mean": self.return_mean,
            "return_std": self.return_std,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "ci_over": self.ci_over,
            "n_units": self.n_units,
            "diff_to_best": self.diff_to_best,
            "diff_ci_low": self.diff_ci_low,
            "diff_ci_high": self.diff_ci_high,
            "n_pairs": self.n_pairs,
            "time_per_episode_s": self.time_per_episode_s,
        }
        row.update({f"mean_{key}": value for key, value in self.means.items()})
        row.update({f"violations_{key}": value for key, value in self.violations.items()})
        return row


@dataclass
class EvaluationResult:
    """Every episode of an evaluation, its settings, and the statistics derived from them."""

    env_id: str
    env_kwargs: dict[str, Any]
    seeds: list[int]
    episodes: int
    deterministic: bool
    device: str
    model: str
    agents: list[LoadedAgent]
    rows: list[dict[str, Any]]
    command: str | None = None
    created: str = ""
    versions: dict[str, Any] = field(default_factory=dict)
    comparisons: list[tuple[str, str]] = field(default_factory=list)
    n_envs: int = 1
    vectorization_mode: str | None = None
    report: dict[str, Any] = field(default_factory=dict)
    """What the env asks its report to show (:func:`agents.common.envs.report_spec`): table columns of numeric
    info keys, boolean keys counted as violations, scatter plots."""

    @property
    def info_keys(self) -> list[str]:
        """Info columns of episodes.csv, sorted."""
        return sorted({key for row in self.rows for key in row} - set(BASE_COLUMNS))

    def _agent_rows(self, label: str) -> list[dict[str, Any]]:
        return [row for row in self.rows if row["agent"] == label]

    def _episode_returns(self, label: str) -> dict[tuple[int, int], float]:
        """Mean return over the label's runs per shared episode (eval seed, episode)."""
        grouped: dict[tuple[int, int], list[float]] = {}
        for row in self._agent_rows(label):
            grouped.setdefault((row["eval_seed"], row["episode"]), []).append(row["return"])
        return {key: math.fsum(values) / len(values) for key, values in grouped.items()}

    def summaries(self) -> list[AgentSummary]:
        """Per-agent statistics in the order given, with the paired difference to the best agent."""
        summaries = []
        keys = self.info_keys
        for loaded in self.agents:
            rows = self._agent_rows(loaded.label)
            returns = np.array([row["return"] for row in rows], dtype=float)
            n_runs = len(loaded.runs)
            if n_runs > 1:
                ci_over, groups = (
                    "training runs",
                    [[r["return"] for r in rows if r["run_index"] == i] for i in range(n_runs)],
                )
            elif len(self.seeds) > 1:
                ci_over, groups = (
                    "evaluation seeds",
                    [[r["return"] for r in rows if r["eval_seed"] == s] for s in self.seeds],
                )
            else:
                ci_over, groups = "episodes", [[value] for value in returns.tolist()]
            mean, low, high = mean_confidence_interval([float(np.mean(group)) for group in groups])
            means: dict[str, float] = {}
            violations: dict[str, int] = {}
            for key in keys:
                values = [row[key] for row in rows if key in row]
                if values and all(isinstance(value, bool) for value in values):
                    violations[key] = sum(1 for value in values if not value)
                    means[key] = sum(values) / len(values)
                elif values:
                    means[key] = nanmean([float(value) for value in values])
            summaries.append(
                AgentSummary(
                    label=loaded.label,
                    kind=loaded.kind,
                    description=loaded.description,
                    runs=[run.name for run in loaded.runs],
                    n_episodes=len(rows),
                    return_mean=mean,
                    return_std=float(returns.std(ddof=1)) if returns.size > 1 else math.nan,
                    ci_low=low,
                    ci_high=high,
                    ci_over=ci_over,
                    n_units=len(groups),
                    time_per_episode_s=float(np.mean([row["wall_time_s"] for row in rows])),
                    means=means,
                    violations=violations,
                )
            )
        if summaries:
            best = self.best_agent(summaries)
            best_returns = self._episode_returns(best)
            for summary in summaries:
                own = self._episode_returns(summary.label)
                shared = sorted(set(own) & set(best_returns))
                diffs = [own[key] - best_returns[key] for key in shared]
                summary.diff_to_best, summary.diff_ci_low, summary.diff_ci_high = mean_confidence_interval(
                    diffs
                )
                summary.n_pairs = len(diffs)
        return summaries

    def paired_difference(self, label_a: str, label_b: str) -> dict[str, Any]:
        """Mean return of ``label_a`` minus ``label_b`` over their shared episodes, with its Student t CI.

        Each agent's return on an episode is the mean over its runs, so a label with several training
        runs is compared as "the mean of its runs". The CI is over episodes (same reset seeds).
        """
        check_comparisons([loaded.label for loaded in self.agents], [(label_a, label_b)])
        own, other = self._episode_returns(label_a), self._episode_returns(label_b)
        shared = sorted(set(own) & set(other))
        mean, low, high = mean_confidence_interval([own[key] - other[key] for key in shared])
        return dict(a=label_a, b=label_b, diff=mean, ci_low=low, ci_high=high, n_pairs=len(shared))

    @staticmethod
    def best_agent(summaries: Sequence[AgentSummary]) -> str:
        """Label with the highest mean return (the first one on a tie)."""
        return max(summaries, key=lambda s: (s.return_mean, -summaries.index(s))).label

    @property
    def warnings(self) -> list[str]:
        """Warnings collected while loading the agents."""
        return [warning for loaded in self.agents for warning in loaded.warnings]

    def _table_cells(self, summaries: Sequence[AgentSummary]) -> tuple[list[str], list[list[str]]]:
        """The table's column headings and one row of cells per agent (every column)."""
        keys = set(self.info_keys)
        display = dict(self.report.get("columns") or {})
        violation_keys = dict(self.report.get("violations") or {})
        shown = [key for key in display if key in keys]
        flagged = [key for key in violation_keys if key in keys]
        columns = [
            "agent",
            "type",
            "runs",
            "episodes",
            "return\nmean",
            "std",
            f"{CONFIDENCE:.0%} CI",
            "CI over",
            *(display[key] for key in shown),
            *(violation_keys[key] for key in flagged),
            "ms /\nepisode",
        ]
        rows = [
            [
                s.label,
                s.description,
                str(len(s.runs)),
                str(s.n_episodes),
                fmt(s.return_mean),
                fmt(s.return_std),
                fmt_ci(s.ci_low, s.ci_high),
                f"{s.n_units} {s.ci_over}",
                *(fmt(s.means.get(key, math.nan)) for key in shown),
                *(str(s.violations.get(key, 0)) for key in flagged),
                f"{1e3 * s.time_per_episode_s:.1f}",
            ]
            for s in summaries
        ]
        return columns, rows

    def _title(self) -> str:
        return (
            f"{self.env_id}: {len(self.seeds)} evaluation seed(s) x {self.episodes} episodes, "
            f"{'deterministic' if self.deterministic else 'stochastic'} actions"
        )

    def _notes(self, summaries: Sequence[AgentSummary], short: bool = False) -> list[str]:
        """The lines under the table: how the CI is computed (``short``: over which units only), the paired
        differences, untrained agents, warnings."""
        if short:
            units: dict[str, list[str]] = {}
            for s in summaries:
                units.setdefault(f"{s.n_units} {s.ci_over}", []).append(s.label)
            over = "; ".join(
                unit if len(units) == 1 else f"{unit} ({', '.join(labels)})" for unit, labels in units.items()
            )
            lines = [f"{CONFIDENCE:.0%} CI of the mean return: Student t over {over}."]
        else:
            lines = [
                f"{CONFIDENCE:.0%} CI of the mean return: Student t over independent units: training runs "
                "(each run's mean over its episodes) when a label has several, else evaluation seeds "
                "(each seed's mean), else episodes."
            ]
        if len(summaries) > 1:
            best = self.best_agent(summaries)
            lines.append(
                f"Paired difference in mean return to the best ({best}) on the same episodes, "
                f"{CONFIDENCE:.0%} Student t CI:"
                if short
                else f"Paired difference in mean return to the best agent ({best}), over the shared "
                f"episodes (same reset seeds), {CONFIDENCE:.0%} Student t CI:"
            )
            for s in summaries:
                if s.label == best:
                    continue
                lines.append(
                    f"  {s.label}: {fmt(s.diff_to_best, signed=True)} "
                    f"{fmt_ci(s.diff_ci_low, s.diff_ci_high)} over {s.n_pairs} episodes"
                )
        if self.comparisons:
            lines.append(f"Requested paired differences in mean return, {CONFIDENCE:.0%} Student t CI:")
            for label_a, label_b in self.comparisons:
                d = self.paired_difference(label_a, label_b)
                lines.append(
                    f"  {label_a} - {label_b}: {fmt(d['diff'], signed=True)} "
                    f"{fmt_ci(d['ci_low'], d['ci_high'])} over {d['n_pairs']} episodes"
                )
        untrained = [s.label for s in summaries if s.kind == "untrained"]
        if untrained:
            lines.append(
                f"UNTRAINED: {', '.join(untrained)} (SB3 algorithm by name: fresh weights, seed "
                f"{UNTRAINED_SEED})."
            )
        lines.extend(f"warning: {warning}" for warning in self.warnings)
        return lines

    def table(self) -> str:
        """The result table as plain text (rich layout, no colours), with the CI and paired notes: every
        column (``table.txt``, ``evaluate.py -v``)."""
        summaries = self.summaries()
        columns, rows = self._table_cells(summaries)
        lines = [render_table(self._title(), columns, rows), *self._notes(summaries)]
        return "\n".join(lines) + "\n"

    def short_table(self, width: int = PRINT_WIDTH) -> tuple[str, list[str]]:
        """The table as ``evaluate.py`` prints it by default: the columns that fit in ``width`` characters
        (the least important left out first, :data:`DROPPED_FIRST`; the agent, episodes, mean return and
        its CI always stay, so long labels may still widen it), the CI note cut to the units it is over
        and every note wrapped at ``width``.

        :returns: the text and the headings of the columns left out (one line each).
        """
        summaries = self.summaries()
        columns, rows = self._table_cells(summaries)
        droppable = [*DROPPED_FIRST, *reversed(columns[8:-1])]  # then the env's columns, the last first
        kept = list(range(len(columns)))
        text = render_table(self._title(), columns, rows)
        for heading in droppable:
            if max(map(len, text.splitlines()), default=0) <= width:
                break
            kept.remove(columns.index(heading))
            text = render_table(
                self._title(),
                [columns[i] for i in kept],
                [[row[i] for i in kept] for row in rows],
                left=sum(1 for i in kept if i < 2),  # agent, type: the others are numbers
            )
        notes = [_wrap(line, width) for line in self._notes(summaries, short=True)]
        dropped = [" ".join(columns[i].split()) for i in range(len(columns)) if i not in kept]
        return "\n".join([text, *notes]) + "\n", dropped

    def to_json(self) -> dict[str, Any]:
        """summary.json content (NaN becomes null)."""
        summaries = self.summaries()
        return json_ready(
            {
                "command": self.command,
                "created": self.created,
                "versions": self.versions,
                "env_id": self.env_id,
                "env_kwargs": self.env_kwargs,
                "seeds": self.seeds,
                "episodes_per_seed": self.episodes,
                "deterministic": self.deterministic,
                "device": self.device,
                "model": self.model,
                "reset_seed_rule": seed_rule(),
                "agent_seed_rule": f"agent seeded with {SEED_STRIDE} * eval_seed + episode before it"
                + ("" if self.n_envs == 1 else f" (the first of each batch of {self.n_envs} episodes)"),
                "n_envs": self.n_envs,
                "vectorization_mode": self.vectorization_mode,
                "confidence": CONFIDENCE,
                "ci_method": "Student t over training runs (if several), else eval seeds, else episodes",
                "paired_method": "return minus the best agent's on shared episodes, Student t over episodes",
                "best_agent": self.best_agent(summaries) if summaries else None,
                "info_keys": self.info_keys,
                "agents": [{**summary.row(), "runs": summary.runs} for summary in summaries],
                "comparisons": [self.paired_difference(a, b) for a, b in self.comparisons],
                "warnings": self.warnings,
            }
        )


def check_comparisons(labels: Sequence[str], pairs: Sequence[Sequence[str]]) -> None:
    """Raise ``ConfigError`` if a pair to compare (``--compare A B``) names an unknown label, or one
    label twice (its difference to itself is zero by construction)."""
    for first, second in pairs:
        if first == second:
            raise ConfigError(f"--compare needs two different agent labels, got {first!r} twice")
    for label in (label for pair in pairs for label in pair):
        if label not in labels:
            raise ConfigError(f"--compare: unknown agent label {label!r}; labels: {list(labels)}")


__all__ = [
    "BASE_COLUMNS",
    "DROPPED_FIRST",
    "PRINT_WIDTH",
    "TIME_COLUMNS",
    "AgentSummary",
    "EvaluationResult",
    "check_comparisons",
]
