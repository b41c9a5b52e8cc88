"""A run folder holds one timeline: a resume after ``kill -9`` drops what the killed run wrote past its
checkpoint, a corrupt latest checkpoint falls back to the one before, SIGTERM saves a checkpoint like Ctrl-C;
evaluations and checkpoints happen once per crossed multiple (issue 11, the training side;
:mod:`agents.runs.timeline`, :mod:`agents.runs.callbacks`).

The runs are tiny (Pendulum-v1 cut to 20-step episodes, 8-unit networks); the kill -9 and SIGTERM scenarios
start a process (slow tier).
"""

from __future__ import annotations

import csv
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from agents.runs.cli import main
from agents.runs.folder import RunFolder

pytestmark = pytest.mark.usefixtures("one_torch_thread")
REPO = Path(__file__).resolve().parents[3]
TRAIN_PY = REPO / "train.py"
PENDULUM = ["--env", "Pendulum-v1", "--env-kwargs", "max_episode_steps:20", "--eval-episodes", "1"]
TINY_PPO = ["--algo", "ppo", "--hyperparams", "n_steps:64", "batch_size:64", "n_epochs:1",
            "policy_kwargs:dict(net_arch=[8])"]  # fmt: skip
TINY_DIFFUSION = ["--algo", "diffusion", "--hyperparams", "learning_starts:20", "batch_size:16",
                  "buffer_size:1000", "net_arch:[8]", "n_timesteps_denoise:2"]  # fmt: skip
# Columns that measure wall time, not the run.
CLOCK_COLUMNS = ("time/fps", "time/time_elapsed", "train/denoise_ms")


def progress_rows(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "progress.csv") as file:
        return list(csv.DictReader(file))


def timesteps_of(rows: list[dict[str, str]]) -> list[int]:
    return [int(float(row["time/total_timesteps"])) for row in rows]


def evaluation_timesteps(run_dir: Path) -> list[int]:
    with np.load(run_dir / "evaluations.npz") as evaluations:
        return evaluations["timesteps"].tolist()


def strictly_increasing(values: list[int]) -> bool:
    return all(a < b for a, b in zip(values, values[1:], strict=False))


# --- evaluations and checkpoints at crossings of multiples ----------------------------------------------


def test_evaluations_and_checkpoints_happen_once_per_multiple_up_to_n(tmp_path: Path) -> None:
    """PPO collects 64 steps per rollout, past -n 10: the evaluations are those of 2, 4, ..., 10 steps
    (SB3's EvalCallback with eval_freq // n_envs == 1 evaluates at each of the 64 steps)."""
    args = [*TINY_PPO, *PENDULUM, "-n", "10", "--seed", "0", "--eval-freq", "2", "--save-freq", "5"]
    assert main([*args, "-f", str(tmp_path), "--verbose", "0"]) == 0
    run_dir = tmp_path / "ppo" / "Pendulum-v1_1"
    assert evaluation_timesteps(run_dir) == [2, 4, 6, 8, 10]
    assert [path.name for path in reversed(RunFolder(run_dir).model_checkpoints())] == [
        "rl_model_5_steps.zip",
        "rl_model_10_steps.zip",
        "rl_model_64_steps.zip",  # the end of the run
    ]


# --- one timeline per run folder ------------------------------------------------------------------------


def start_training(cwd: Path, *extra: str) -> subprocess.Popen[str]:
    args = [*TINY_DIFFUSION, *PENDULUM, "-n", "100000", "--seed", "0", "--verbose", "0", "--num-threads", "1"]
    return subprocess.Popen(
        [sys.executable, str(TRAIN_PY), *args, *extra],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_for(condition, process: subprocess.Popen[str], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "training did not get there in time"
        time.sleep(0.05)


def clean_copy(run_dir: Path, destination: Path, timesteps: int) -> Path:
    """The run folder as it would be had the killed run stopped right after its checkpoint."""
    copy = shutil.copytree(run_dir, destination)
    rows = progress_rows(copy)
    kept = [row for row in rows if int(float(row["time/total_timesteps"])) <= timesteps]
    with open(copy / "progress.csv", "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
    with np.load(copy / "evaluations.npz") as evaluations:
        keep = evaluations["timesteps"] <= timesteps
        np.savez(copy / "evaluations.npz", **{key: evaluations[key][keep] for key in evaluations.files})
    (copy / "best_model.zip").unlink()
    shutil.rmtree(copy / ".staging", ignore_errors=True)
    for events in copy.glob("events.out.tfevents.*"):
        events.unlink()
    return copy


def comparable(rows: list[dict[str, str]], after: int) -> list[dict[str, str]]:
    return [
        {key: value for key, value in row.items() if key not in CLOCK_COLUMNS}
        for row in rows
        if int(float(row["time/total_timesteps"])) > after
    ]


@pytest.mark.slow
def test_resume_after_kill_9_keeps_one_timeline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    process = start_training(tmp_path, "--eval-freq", "50", "--save-freq", "200", "-f", "logs")
    run_dir = tmp_path / "logs" / "diffusion" / "Pendulum-v1_1"

    def evaluated_past_a_checkpoint() -> bool:
        checkpoints = RunFolder(run_dir).model_checkpoints() if run_dir.is_dir() else []
        if not checkpoints or not (run_dir / "evaluations.npz").is_file():
            return False
        return max(evaluation_timesteps(run_dir)) > int(checkpoints[0].stem.split("_")[-2])

    try:
        wait_for(evaluated_past_a_checkpoint, process)
    finally:
        process.kill()  # SIGKILL: no handler runs
        process.communicate()
    checkpoint = RunFolder(run_dir).model_checkpoints()[0]
    resumed_at = int(checkpoint.stem.split("_")[-2])
    assert max(evaluation_timesteps(run_dir)) > resumed_at  # the killed run wrote past its checkpoint
    assert max(timesteps_of(progress_rows(run_dir))) > resumed_at
    assert not list(run_dir.glob("checkpoints/*.pkl"))  # periodic checkpoints save no replay buffer
    reference = clean_copy(run_dir, tmp_path / "reference", resumed_at)

    target = str(resumed_at + 100)
    assert main(["--resume", str(run_dir), "-n", target, "--verbose", "0", "--num-threads", "1"]) == 0
    stderr = capsys.readouterr().err
    assert f"--resume from {resumed_at} timesteps: dropped" in stderr
    assert "the replay buffer starts empty" in stderr
    assert main(["--resume", str(reference), "-n", target, "--verbose", "0", "--num-threads", "1"]) == 0

    rows = progress_rows(run_dir)
    assert strictly_increasing(timesteps_of(rows)) and timesteps_of(rows)[-1] == int(target)
    assert strictly_increasing(evaluation_timesteps(run_dir))
    assert evaluation_timesteps(run_dir)[-1] == int(target)
    # What follows the checkpoint is what the resumed run wrote: a resume of the clean folder writes it too.
    assert comparable(rows, resumed_at) == comparable(progress_rows(reference), resumed_at)
    with np.load(run_dir / "evaluations.npz") as ours, np.load(reference / "evaluations.npz") as theirs:
        for key in ("timesteps", "results", "ep_lengths"):
            np.testing.assert_array_equal(ours[key], theirs[key])
    assert not (run_dir / ".staging").exists() and not list(run_dir.rglob("*.tmp*"))

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir))
    events.Reload()
    steps = [event.step for event in events.Scalars("eval/mean_reward")]
    assert strictly_increasing(steps) and steps == evaluation_timesteps(run_dir)


def test_a_corrupt_latest_checkpoint_falls_back_to_the_one_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [*TINY_DIFFUSION, *PENDULUM, "-n", "120", "--seed", "0", "--eval-freq", "40", "--save-freq", "60"]
    assert main([*args, "--save-replay-buffer", "-f", str(tmp_path), "--verbose", "0"]) == 0
    run_dir = tmp_path / "diffusion" / "Pendulum-v1_1"
    checkpoints = run_dir / "checkpoints"
    assert (checkpoints / "rl_model_replay_buffer_120_steps.pkl").is_file()
    (checkpoints / "rl_model_120_steps.zip").write_bytes(b"truncated by a full disk")
    capsys.readouterr()

    assert main(["--resume", str(run_dir), "-n", "180", "--verbose", "0"]) == 0
    stderr = capsys.readouterr().err
    assert "rl_model_120_steps.zip is corrupt" in stderr and "trying rl_model_60_steps.zip" in stderr
    assert "the replay buffer starts empty" in stderr  # the 120-step buffer belongs to the dropped timeline
    abandoned = {path.name for path in (checkpoints / "abandoned").iterdir()}
    assert abandoned - {"best_model_80_steps.zip", "best_model_120_steps.zip"} == {
        "Pendulum-v1_120_steps.zip",
        "rl_model_120_steps.zip",
        "rl_model_replay_buffer_120_steps.pkl",
    }
    assert evaluation_timesteps(run_dir) == [40, 80, 120, 160]
    assert strictly_increasing(timesteps_of(progress_rows(run_dir)))
    assert [path.name for path in RunFolder(run_dir).model_checkpoints()][0] == "rl_model_180_steps.zip"

    for checkpoint in checkpoints.glob("rl_model_*_steps.zip"):
        checkpoint.write_bytes(b"")
    assert main(["--resume", str(run_dir), "-n", "240", "--verbose", "0"]) == 2
    assert "can be loaded" in capsys.readouterr().err


@pytest.mark.slow
def test_sigterm_saves_a_resumable_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    process = start_training(tmp_path, "--eval-freq", "0", "--save-freq", "40", "-f", "logs")
    checkpoints = tmp_path / "logs" / "diffusion" / "Pendulum-v1_1" / "checkpoints"
    try:
        wait_for(lambda: bool(list(checkpoints.glob("rl_model_[0-9]*_steps.zip"))), process)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 143, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    latest = RunFolder(checkpoints.parent).model_checkpoints()[0]
    steps = int(latest.stem.split("_")[-2])
    assert (checkpoints / f"rl_model_replay_buffer_{steps}_steps.pkl").is_file()  # saved on interruption

    assert main(["--resume", str(checkpoints.parent), "-n", str(steps + 20), "--verbose", "0"]) == 0
    assert "replay buffer loaded" in capsys.readouterr().err
    assert RunFolder(checkpoints.parent).model_checkpoints()[0].name == f"rl_model_{steps + 20}_steps.zip"


def test_a_resumed_writer_purges_a_stale_events_file_of_the_same_second(tmp_path: Path) -> None:
    """TensorBoard reads event files in name order and a purge drops only what it read before: the killed
    run's file, named within the same second and sorting after the new one (here by host name; in CI by
    process id), must still be read first, so the resumed writer waits for the next second."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from torch.utils.tensorboard import SummaryWriter

    from agents.runs.experiment import PurgingTensorBoardOutputFormat

    stale = tmp_path / "stale"
    writer = SummaryWriter(log_dir=str(stale))
    for step in (100, 200, 300):
        writer.add_scalar("eval/mean_reward", float(step), step)
    writer.close()
    (written,) = stale.glob("events.out.tfevents.*")
    run = tmp_path / "run"
    run.mkdir()
    written.rename(run / f"events.out.tfevents.{int(time.time()):010d}.zzzzzzzz.99999.0")  # sorts last
    resumed = PurgingTensorBoardOutputFormat(str(run), purge_step=201)
    resumed.write({"eval/mean_reward": 250.0}, {"eval/mean_reward": ()}, step=250)
    resumed.close()
    events = EventAccumulator(str(run))
    events.Reload()
    assert [event.step for event in events.Scalars("eval/mean_reward")] == [100, 200, 250]
