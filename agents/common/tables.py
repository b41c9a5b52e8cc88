"""Plain-text tables (laid out by rich, no colours) and the number formats of every report."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence


def fmt(value: float | None, signed: bool = False) -> str:
    """Four significant digits; ``-`` for None or nan."""
    if value is None or math.isnan(value):
        return "-"
    return f"{value:+.4g}" if signed else f"{value:.4g}"


def fmt_ci(low: float, high: float) -> str:
    """``[low, high]``; ``n/a`` when a bound is nan."""
    if math.isnan(low) or math.isnan(high):
        return "n/a"
    return f"[{low:.4g}, {high:.4g}]"


def render_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], left: int = 2) -> str:
    """A table as plain text laid out by rich (the first ``left`` columns left-aligned and wrapped when too
    long, the rest right-aligned)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Text, not markup: labels hold run paths such as "[/runs/ppo/...]", which rich would read as tags.
    table = Table(title=Text(title), box=box.SIMPLE_HEAD, title_justify="left")
    for index, column in enumerate(columns):
        table.add_column(Text(column), justify="left" if index < left else "right", no_wrap=index >= left)
    for row in rows:
        table.add_row(*(Text(str(cell)) for cell in row))
    console = Console(file=io.StringIO(), width=240, color_system=None, force_terminal=False, highlight=False)
    console.print(table)
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines())  # type: ignore[attr-defined]


__all__ = ["fmt", "fmt_ci", "render_table"]
