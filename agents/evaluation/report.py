"""The files of an evaluation: episodes.csv, summary.csv, summary.json, table.txt and the plots.

Every file is written atomically (:mod:`agents.common.files`); a non-empty output folder is refused unless
``overwrite``. The plots are the mean return with its CI (every env) and the scatter plots the env asks for in
its ``metadata["report"]`` (IoA-DDA-v0: efficiency against rounds per episode).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from agents.common.files import (
    atomic_write_text,
    check_output_dir,
    csv_text,
    json_text,
    new_figure,
    save_figure,
)
from agents.common.stats import CONFIDENCE
from agents.evaluation.results import BASE_COLUMNS, EvaluationResult

OUTPUT_FILES = ("episodes.csv", "summary.csv", "summary.json", "table.txt", "returns.png")
"""Files every evaluation writes (with plots); the env's scatter plots come on top."""


def scatter_file_name(x_key: str, y_key: str) -> str:
    """``<y>_vs_<x>.png``."""
    return f"{y_key}_vs_{x_key}.png"


def plot_returns(result: EvaluationResult, path: Path) -> Path:
    """Bar chart of the mean return per agent with its confidence interval."""
    summaries = result.summaries()
    means = np.array([s.return_mean for s in summaries])
    lower = np.nan_to_num(means - np.array([s.ci_low for s in summaries]))
    upper = np.nan_to_num(np.array([s.ci_high for s in summaries]) - means)
    figure, axis = new_figure(max(4.0, 1.1 * len(summaries) + 1.5), 4.0)
    positions = np.arange(len(summaries))
    axis.bar(positions, means, yerr=np.vstack([lower, upper]), capsize=4, color="tab:blue", alpha=0.8)
    axis.set_xticks(positions, [s.label for s in summaries], rotation=30, ha="right")
    axis.axhline(0.0, color="black", linewidth=0.6)
    axis.set_ylabel("mean return")
    units = sorted({s.ci_over for s in summaries})
    axis.set_title(f"{result.env_id}: mean return, {CONFIDENCE:.0%} CI over {' / '.join(units)}")
    return save_figure(figure, path)


def plot_scatter(result: EvaluationResult, x_key: str, y_key: str, path: Path) -> Path:
    """Scatter of the episodes' ``y_key`` against ``x_key`` (final info values), one colour per agent."""
    figure, axis = new_figure(6.0, 4.0)
    for loaded in result.agents:
        rows = [row for row in result.rows if row["agent"] == loaded.label and y_key in row]
        axis.scatter(
            [row[x_key] for row in rows],
            [row[y_key] for row in rows],
            s=10,
            alpha=0.5,
            label=loaded.label,
        )
    axis.set_xlabel(x_key)
    axis.set_ylabel(y_key)
    axis.set_title(f"{result.env_id}: {y_key} vs {x_key} per episode")
    axis.legend(fontsize="small")
    return save_figure(figure, path)


def write_results(
    result: EvaluationResult, out_dir: str | os.PathLike[str], overwrite: bool = False, plots: bool = True
) -> list[Path]:
    """Write episodes.csv, summary.csv, summary.json, table.txt and the plots into ``out_dir``.

    Refuses an existing non-empty ``out_dir`` unless ``overwrite`` (then the files of an earlier evaluation
    that this one does not produce are removed). Returns the paths written.
    """
    folder = check_output_dir(out_dir, overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    episode_columns = [*BASE_COLUMNS, *result.info_keys]
    summaries = result.summaries()
    summary_rows = [summary.row() for summary in summaries]
    summary_columns = list(dict.fromkeys(key for row in summary_rows for key in row))
    written = [
        atomic_write_text(folder / "episodes.csv", csv_text(episode_columns, result.rows)),
        atomic_write_text(folder / "summary.csv", csv_text(summary_columns, summary_rows)),
        atomic_write_text(folder / "summary.json", json_text(result.to_json())),
        atomic_write_text(folder / "table.txt", result.table()),
    ]
    if plots:
        written.append(plot_returns(result, folder / "returns.png"))
        info_keys = set(result.info_keys)
        for x_key, y_key in result.report.get("scatter") or ():
            if {x_key, y_key} <= info_keys:
                written.append(plot_scatter(result, x_key, y_key, folder / scatter_file_name(x_key, y_key)))
    # An earlier evaluation's files that this one did not write (overwrite only: the folder was empty else).
    # Only names an evaluation writes: the base files, this env's scatter plots and the former fixed name.
    scatter = [scatter_file_name(x_key, y_key) for x_key, y_key in result.report.get("scatter") or ()]
    stale = {folder / name for name in (*OUTPUT_FILES, *scatter, "efficiency_vs_rounds.png")}
    for path in stale - set(written):
        path.unlink(missing_ok=True)
    return written


__all__ = ["OUTPUT_FILES", "plot_returns", "plot_scatter", "scatter_file_name", "write_results"]
