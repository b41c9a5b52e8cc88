"""A full disk (ENOSPC) in every command: one line naming the file, exit code 74, no traceback, no partial
file under a final name; a training keeps its last checkpoint, says how to resume, and resumes once there is
space again (issue 23).

No disk is filled: :class:`FullDisk` makes ``os.replace`` fail with ``ENOSPC``, the call that puts every
file into place (:func:`agents.common.files.atomic_save` and the staged evaluation files), after cutting the
temporary file in half, as a disk that fills up in the middle of a write leaves it.
"""

from __future__ import annotations

import errno
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import agents.figures.cli
import agents.multiagent.results
import agents.sweeps.cli
from agents.common.cli import EXIT_IO_ERROR
from agents.common.files import WriteError, atomic_write_text, new_figure, save_figure
from agents.evaluation.cli import main as evaluate_main
from agents.evaluation.ic_audit import main as audit_main
from agents.quickstart import main as quickstart_main
from agents.runs.callbacks import ResumableCSVOutputFormat
from agents.runs.cli import main as train_main
from tests.agents.sweeps.helpers import needs_ray

pytestmark = pytest.mark.usefixtures("one_torch_thread")
NO_SPACE = "No space left on device (ENOSPC)"
PENDULUM = ["--env", "Pendulum-v1", "--env-kwargs", "max_episode_steps:20", "--eval-episodes", "1"]
TINY_PPO = ["--algo", "ppo", "--hyperparams", "n_steps:64", "batch_size:64", "n_epochs:1",
            "policy_kwargs:dict(net_arch=[8])"]  # fmt: skip
REAL_REPLACE = os.replace


class FullDisk:
    """``os.replace`` failing with ENOSPC once the disk is full (:meth:`fill`, or :meth:`fill_after` a
    given file is in place), until :meth:`free`."""

    def __init__(self) -> None:
        self.full = False
        self.after: Callable[[Path], bool] | None = None

    def fill(self) -> None:
        self.full = True

    def fill_after(self, written: Callable[[Path], bool]) -> None:
        self.after = written

    def free(self) -> None:
        self.full, self.after = False, None

    def replace(self, source: Any, target: Any) -> None:
        if not self.full:
            REAL_REPLACE(source, target)
            self.full = self.after is not None and self.after(Path(target))
            return
        if Path(source).is_file():  # the write ran out of space half-way
            with open(source, "r+b") as file:
                file.truncate(Path(source).stat().st_size // 2)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(source))


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[FullDisk]:
    disk = FullDisk()
    monkeypatch.setattr(os, "replace", disk.replace)
    yield disk


def assert_whole(folder: Path) -> None:
    """No temporary file is left, and every file under a final name reads whole."""
    files = [path for path in folder.rglob("*") if path.is_file()]
    assert not [path for path in files if ".tmp" in path.name], files
    for path in files:
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                assert archive.testzip() is None, path
        elif path.suffix == ".npz":
            with np.load(path) as arrays:
                assert arrays.files, path
        elif path.suffix in (".yml", ".json"):
            assert (yaml.safe_load if path.suffix == ".yml" else json.loads)(path.read_text()) is not None


def error_lines(stderr: str, prog: str) -> list[str]:
    """The lines of ``stderr`` from the error on, checked to be one ``prog: error: cannot write`` line
    (no usage line, no traceback)."""
    assert "Traceback" not in stderr and "usage:" not in stderr, stderr
    lines = stderr[stderr.index(f"{prog}: error: ") :].strip().splitlines()
    assert lines[0].startswith(f"{prog}: error: cannot write ") and lines[0].endswith(NO_SPACE), stderr
    return lines


def test_an_atomic_save_names_the_final_file_and_keeps_the_earlier_one(full_disk: FullDisk, tmp_path: Path):
    path = tmp_path / "table.txt"
    path.write_text("earlier")
    full_disk.fill()
    with pytest.raises(WriteError) as raised:
        atomic_write_text(path, "later " * 1000)
    assert str(raised.value) == f"cannot write {path}: {NO_SPACE}"
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(path)
    assert path.read_text() == "earlier" and [p.name for p in tmp_path.iterdir()] == ["table.txt"]


def test_progress_csv_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    class FullFile:
        def __init__(self, file: Any) -> None:
            self.file, self.name = file, file.name

        def __getattr__(self, name: str) -> Any:
            return getattr(self.file, name)

        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    path = tmp_path / "progress.csv"
    writer = ResumableCSVOutputFormat(str(path))
    writer.file = FullFile(writer.file)  # type: ignore[assignment]
    with pytest.raises(WriteError, match=f"cannot write {path}: No space left on device"):
        writer.write({"time/total_timesteps": 64}, {"time/total_timesteps": None}, 64)
    writer.file.file.close()


def test_training_on_a_disk_that_fills_keeps_its_last_checkpoint_and_resumes(
    full_disk: FullDisk, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The disk fills once the checkpoint at 64 steps is in place: the evaluation at 128 cannot be written;
    the message names it, the hint is Ctrl-C's, and --resume later continues from 64 with no gap."""
    run = tmp_path / "logs" / "ppo" / "Pendulum-v1_1"
    argv = [*TINY_PPO, *PENDULUM, "-n", "256", "--seed", "0", "--eval-freq", "64", "--save-freq", "64",
            "--verbose", "0", "-f", str(tmp_path / "logs")]  # fmt: skip
    full_disk.fill_after(lambda target: target.name == "rl_model_64_steps.zip")
    assert train_main(argv) == EXIT_IO_ERROR
    lines = error_lines(capsys.readouterr().err, "train.py")
    assert lines[0] == f"train.py: error: cannot write {run / 'evaluations.npz'}: {NO_SPACE}"
    assert f"{run / 'checkpoints' / 'rl_model_64_steps.zip'} (64 timesteps)" in lines[1]
    assert lines[-1] == f"Continue with: python train.py --resume {run}"
    assert_whole(run)
    with np.load(run / "evaluations.npz") as evaluations:
        assert list(evaluations["timesteps"]) == [64]

    full_disk.free()
    assert train_main(["--resume", str(run), "--verbose", "0"]) == 0
    assert (run / "Pendulum-v1.zip").is_file()
    with np.load(run / "evaluations.npz") as evaluations:
        assert list(evaluations["timesteps"]) == [64, 128, 192, 256]
    assert_whole(run)


def test_a_new_run_on_a_full_disk_names_config_yml(
    full_disk: FullDisk, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full_disk.fill()
    argv = [*TINY_PPO, *PENDULUM, "-n", "64", "--seed", "0", "--verbose", "0", "-f", str(tmp_path / "logs")]
    assert train_main(argv) == EXIT_IO_ERROR
    run = tmp_path / "logs" / "ppo" / "Pendulum-v1_1"
    lines = error_lines(capsys.readouterr().err, "train.py")
    assert lines == [
        f"train.py: error: cannot write {run / 'config.yml'}: {NO_SPACE}",
        f"{run} holds no checkpoint yet: once the files can be written, start the run again",
    ]
    assert_whole(run)


def test_resume_on_a_full_disk_changes_nothing_and_runs_once_there_is_space(
    full_disk: FullDisk, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*TINY_PPO, *PENDULUM, "-n", "64", "--seed", "0", "--verbose", "0", "-f", str(tmp_path / "logs")]
    assert train_main(argv) == 0
    run = tmp_path / "logs" / "ppo" / "Pendulum-v1_1"
    config = (run / "config.yml").read_bytes()
    full_disk.fill()
    assert train_main(["--resume", str(run), "-n", "128", "--verbose", "0"]) == EXIT_IO_ERROR
    lines = error_lines(capsys.readouterr().err, "train.py")
    assert lines[0] == f"train.py: error: cannot write {run / 'config.yml'}: {NO_SPACE}"
    assert lines[-1] == f"Continue with: python train.py --resume {run}"
    assert (run / "config.yml").read_bytes() == config
    assert_whole(run)
    full_disk.free()
    assert train_main(["--resume", str(run), "-n", "128", "--verbose", "0"]) == 0
    assert len(yaml.safe_load((run / "config.yml").read_text())["resumed"]) == 1


@pytest.mark.parametrize(
    ("main", "argv", "prog", "first_file"),
    [
        (evaluate_main, ["--env", "IoA-DDA-v0", "--agents", "greedy", "--episodes", "1", "--no-plots"],
         "evaluate.py", "episodes.csv"),
        (audit_main, ["--agents", "greedy", "--markets", "1", "--deviations", "0"],
         "evaluate.py ic-audit", "ic_audit.json"),
        (evaluate_main, ["ic-audit", "--agents", "greedy", "--markets", "1", "--deviations", "0"],
         "evaluate.py ic-audit", "ic_audit.json"),
    ],
    ids=["evaluate", "ic-audit", "evaluate-ic-audit"],
)  # fmt: skip
def test_evaluations_on_a_full_disk_name_the_file(
    main: Callable[[list[str]], int],
    argv: list[str],
    prog: str,
    first_file: str,
    full_disk: FullDisk,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    full_disk.fill()
    assert main([*argv, "--no-progress", "--output", str(out)]) == EXIT_IO_ERROR
    lines = error_lines(capsys.readouterr().err, prog)
    assert lines == [f"{prog}: error: cannot write {out / first_file}: {NO_SPACE}"]
    assert list(out.iterdir()) == []


def test_figures_on_a_full_disk_name_the_figure(
    full_disk: FullDisk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        agents.figures.cli,
        "fig3_linear_search",
        lambda out: save_figure(new_figure(1, 1)[0], out / "fig3.png"),
    )
    out = tmp_path / "figures"
    full_disk.fill()
    assert agents.figures.cli.main(["--out", str(out), "--budget", "tiny"]) == EXIT_IO_ERROR
    lines = error_lines(capsys.readouterr().err, "figures.py")
    assert lines == [f"figures.py: error: cannot write {out / 'fig3.png'}: {NO_SPACE}"]
    assert list(out.iterdir()) == []


def test_quickstart_on_a_full_disk_stops_at_the_first_file(
    full_disk: FullDisk, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "quick"
    full_disk.fill()
    argv = [
        "--out",
        str(out),
        "--diffusion-steps",
        "64",
        "--episodes",
        "1",
        "--seeds",
        "0",
    ]
    assert quickstart_main(argv) == EXIT_IO_ERROR
    stderr = capsys.readouterr().err
    run = out / "diffusion" / "IoA-DDA-v0_1"
    assert (
        error_lines(stderr, "train.py")[0]
        == f"train.py: error: cannot write {run / 'config.yml'}: {NO_SPACE}"
    )
    assert f"quickstart.py: training diffusion failed (exit {EXIT_IO_ERROR})" in stderr
    assert_whole(out)


def test_multiagent_results_on_a_full_disk_name_the_job_file(
    full_disk: FullDisk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run_job(job: Any, budget: Any, out: str) -> dict[str, Any]:  # the real one trains first
        atomic_write_text(Path(out) / "jobs" / f"{job.name}.json", "{}")
        return {}

    monkeypatch.setattr(agents.multiagent.results, "run_job", run_job)
    out = tmp_path / "marl"
    full_disk.fill()
    argv = ["--out", str(out), "--parts", "leaders", "--seeds", "0"]
    assert agents.multiagent.results.main(argv) == EXIT_IO_ERROR
    prog = "python -m agents.multiagent.results"
    lines = error_lines(capsys.readouterr().err, prog)
    assert lines[0] == f"{prog}: error: cannot write {out / 'jobs' / 'leaders_seed0.json'}: {NO_SPACE}"
    assert "--resume" in lines[1]
    assert_whole(out)


@needs_ray
def test_a_sweep_on_a_full_disk_names_sweep_yml(
    full_disk: FullDisk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(agents.sweeps.cli, "start_ray", lambda address, num_cpus: None)  # no Ray needed
    out = tmp_path / "sweep"
    full_disk.fill()
    argv = ["--algo", "ppo", "--env", "IoA-DDA-v0", "-n", "256", "--out", str(out)]
    assert agents.sweeps.cli.main(argv) == EXIT_IO_ERROR
    lines = error_lines(capsys.readouterr().err, "sweep.py")
    assert lines == [f"sweep.py: error: cannot write {out / 'sweep.yml'}: {NO_SPACE}"]
    assert list(out.iterdir()) == []
