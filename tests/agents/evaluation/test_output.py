"""What evaluate.py prints (agents.evaluation.cli): by default the table's columns that fit in 100 characters
and a line naming table.txt, which keeps every column; ``-v`` the whole table; a progress bar on a
terminal."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agents.evaluation import evaluate_agents, main
from agents.evaluation.arguments import shows_progress
from agents.evaluation.cli import build_parser
from agents.evaluation.results import PRINT_WIDTH

ARGS = ["--env", "IoA-DDA-v0", "--episodes", "3", "--seeds", "0", "1", "--no-plots",
        "--agents", "greedy", "random", "adaptive"]  # fmt: skip


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out


def test_printed_table_fits_and_table_txt_keeps_every_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run([*ARGS, "--output", str(tmp_path / "short")], capsys)
    lines = out.splitlines()
    wrote, every = lines[-1], lines[-2]
    assert wrote.startswith("Wrote ") and every.startswith(
        "Every column (type, runs, std, CI over, ms / episode"
    )
    assert str(tmp_path / "short" / "table.txt") in every
    assert all(len(line) <= PRINT_WIDTH for line in lines[:-2]), max(lines[:-2], key=len)
    header = next(line for line in lines if line.lstrip().startswith("agent"))
    assert header.split() == ["agent", "episodes", "mean", "95%", "CI", "efficiency", "rounds", "price",
                              "viol.", "viol."]  # fmt: skip
    assert "95% CI of the mean return: Student t over 2 evaluation seeds." in lines
    # table.txt is the whole table, wider than the printed one; -v prints it as it is.
    full = (tmp_path / "short" / "table.txt").read_text()
    assert max(len(line) for line in full.splitlines()) > PRINT_WIDTH and "CI over" in full and "ms /" in full
    verbose = run([*ARGS, "-v", "--output", str(tmp_path / "verbose")], capsys)
    whole = (tmp_path / "verbose" / "table.txt").read_text()  # the times per episode differ from run to run
    assert verbose.startswith(whole) and "Every column" not in verbose
    assert whole.splitlines()[:4] == full.splitlines()[:4]  # the title and the headings


def test_short_table_leaves_out_only_what_does_not_fit() -> None:
    result = evaluate_agents("IoA-DDA-v0", ["greedy", "adaptive"], episodes=2)
    whole = result.table()
    text, dropped = result.short_table(width=1000)
    assert dropped == [] and text.split("\n\n95% CI")[0] == whole.split("\n\n95% CI")[0]
    text, dropped = result.short_table(width=40)  # narrower than the columns that always stay
    assert dropped == ["type", "runs", "std", "CI over", "efficiency", "rounds", "clearing price", "IR viol.",
                       "SBB viol.", "ms / episode"]  # fmt: skip
    header = next(line for line in text.splitlines() if line.lstrip().startswith("agent"))
    assert header.split() == ["agent", "episodes", "mean", "95%", "CI"]
    assert all(len(line) <= 40 for line in text.splitlines() if not line.startswith((" ", "IoA-DDA-v0")))


def test_progress_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    parse = build_parser().parse_args

    def bar(terminal: bool, *flags: str) -> bool:
        monkeypatch.setattr(sys.stderr, "isatty", lambda: terminal)
        return shows_progress(parse([*flags, "--env", "IoA-DDA-v0", "--agents", "greedy"]))

    assert bar(True) and not bar(False)
    assert bar(False, "-P") and bar(False, "--progress") and not bar(True, "--no-progress")
    with pytest.raises(SystemExit):
        parse(["-P", "--no-progress", "--agents", "greedy"])
    assert parse(["ic-audit", "--agents", "greedy", "-P"]).progress  # ic-audit shares the flags
