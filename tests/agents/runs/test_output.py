"""What train.py prints (agents.runs): by default the run folder, one line per evaluation and the final model;
``-v`` SB3's output as before; ``--verbose 0`` nothing; the run's files the same whatever it prints.

Runs use Pendulum-v1 cut to 20-step episodes and a tiny PPO, as tests/agents/runs/test_train.py.
"""

from __future__ import annotations

import contextlib
import csv
import io
import sys
from pathlib import Path

import numpy as np
import pytest

from agents.runs import RunConfig
from agents.runs.callbacks import evaluation_line
from agents.runs.cli import build_parser, main
from agents.runs.experiment import shows_progress_bar

pytestmark = pytest.mark.usefixtures("one_torch_thread")
TINY_PPO = ["--algo", "ppo", "--hyperparams", "n_steps:64", "batch_size:64", "n_epochs:1",
            "policy_kwargs:dict(net_arch=[8])"]  # fmt: skip
RUN = [*TINY_PPO, "--env", "Pendulum-v1", "--env-kwargs", "max_episode_steps:20", "--eval-episodes", "2",
       "-n", "256", "--seed", "0", "--eval-freq", "64", "--save-freq", "0", "--device", "cpu"]  # fmt: skip
EVALUATIONS = 4  # 256 steps, one evaluation every 64
VARYING = ("time/fps", "time/time_elapsed")
"""progress.csv columns that differ between two identical runs."""


def printed(argv: list[str], root: Path) -> tuple[str, Path]:
    """What ``train.py argv`` prints on stdout (not a terminal), and its run folder."""
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main([*argv, "-f", str(root)]) == 0
    (run_dir,) = (path for path in root.glob("*/*") if path.is_dir())
    return stdout.getvalue(), run_dir


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, Path]]:
    """The same run by default, with ``-v`` and with ``--verbose 0``."""
    root = tmp_path_factory.mktemp("output")
    modes = {"default": [], "-v": ["-v"], "--verbose 0": ["--verbose", "0"]}
    return {
        mode: printed([*RUN, *flags], root / mode.strip("-").replace(" ", ""))
        for mode, flags in modes.items()
    }


def progress_rows(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "progress.csv", newline="") as file:
        return [{k: v for k, v in row.items() if k not in VARYING} for row in csv.DictReader(file)]


def test_default_output_is_one_line_per_evaluation(runs: dict[str, tuple[str, Path]]) -> None:
    out, run_dir = runs["default"]
    lines = out.splitlines()
    assert lines[0] == f"Run folder: {run_dir}"
    assert lines[-1].startswith("Saved the final model (256 timesteps)")
    evaluations = [line for line in lines if line.startswith("eval ")]
    assert len(evaluations) == EVALUATIONS and len(lines) == EVALUATIONS + 2, out
    assert [int(line.split()[1]) for line in evaluations] == [64, 128, 192, 256]
    assert all(len(line) < 100 for line in evaluations)
    # No SB3 table row, device line or EvalCallback text.
    assert not [line for line in lines if line.startswith("|") or "|    " in line], out
    assert "Using cpu device" not in out and "Eval num_timesteps" not in out
    # The printed means are those of evaluations.npz, and "best so far" marks each new best.
    with np.load(run_dir / "evaluations.npz") as history:
        means = history["results"].mean(axis=1)
    best = -np.inf
    for line, mean in zip(evaluations, means, strict=True):
        assert f"mean reward {mean:.3f} " in line
        assert line.endswith("  (best so far)") == (mean > best), (line, best)
        best = max(best, mean)


def test_verbose_brings_back_sb3_output(runs: dict[str, tuple[str, Path]]) -> None:
    out, _ = runs["-v"]
    assert "Using cpu device" in out and "Eval num_timesteps=64" in out and "New best mean reward!" in out
    assert len([line for line in out.splitlines() if line.startswith("|    ")]) > 20
    assert "Run folder:" in out and "Saved the final model" in out
    assert not [line for line in out.splitlines() if line.startswith("eval ")]  # SB3's text, not ours
    assert runs["--verbose 0"][0] == ""


def test_the_files_are_the_same_whatever_is_printed(runs: dict[str, tuple[str, Path]]) -> None:
    reference = runs["default"][1]
    for mode in ("-v", "--verbose 0"):
        run_dir = runs[mode][1]
        assert progress_rows(run_dir) == progress_rows(reference), mode
        assert len(progress_rows(run_dir)) >= EVALUATIONS
        with np.load(reference / "evaluations.npz") as expected, np.load(run_dir / "evaluations.npz") as got:
            for key in ("timesteps", "results", "ep_lengths"):
                np.testing.assert_array_equal(got[key], expected[key])
        assert [path.name for path in run_dir.glob("events.out.tfevents.*")]


def test_a_baseline_prints_its_one_evaluation(tmp_path: Path) -> None:
    argv = ["--algo", "greedy", "--env", "Pendulum-v1", "--env-kwargs", "max_episode_steps:20",
            "--eval-episodes", "2", "--seed", "0"]  # fmt: skip
    out, _ = printed(argv, tmp_path)
    lines = out.splitlines()
    assert (
        len(lines) == 2 and lines[0].startswith("Run folder:") and lines[1].startswith("eval        0 steps")
    )


def test_evaluation_line() -> None:
    assert evaluation_line(10_000, [0.9, 0.95]) == "eval    10000 steps  mean reward 0.925 +/- 0.025"
    assert evaluation_line(64, [-1.0], best=True).endswith("-1.000 +/- 0.000  (best so far)")


def test_verbosity_and_progress_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    parse = build_parser().parse_args
    assert parse([]).verbose is None and parse(["-v"]).verbose == 1 and parse(["-vv"]).verbose == 2
    assert parse(["--verbose", "0"]).verbose == 0 and parse(["--verbose", "1"]).verbose == 1
    assert (
        parse([]).progress is None and parse(["-P"]).progress and parse(["--no-progress"]).progress is False
    )
    with pytest.raises(SystemExit):
        parse(["-P", "--no-progress"])

    def bar(terminal: bool, **settings: object) -> bool:
        monkeypatch.setattr(sys.stdout, "isatty", lambda: terminal)
        return shows_progress_bar(RunConfig(algo="ppo", env="Pendulum-v1", **settings))  # type: ignore[arg-type]

    assert bar(True) and not bar(False)  # the default: a bar on a terminal only
    assert not bar(True, verbose=0) and not bar(True, verbose=1)  # fully quiet; SB3's tables
    assert bar(False, progress=True) and bar(False, verbose=0, progress=True)  # -P forces it
    assert not bar(True, progress=False)  # --no-progress
