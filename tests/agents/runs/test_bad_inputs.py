"""train.py refuses bad input by name before anything is written, and a run folder holds one timeline:
a resume after ``kill -9`` drops what the killed run wrote past its checkpoint, a corrupt latest checkpoint
falls back to the one before, SIGTERM saves a checkpoint like Ctrl-C (issue 11, the training side).

The runs are tiny (Pendulum-v1 cut to 20-step episodes, 8-unit networks); only the kill -9 and SIGTERM
scenarios start a process, the rest calls ``main`` in this one.
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
import torch
import yaml

import agents.training.run
from agents.training import main
from agents.training.timeline import model_checkpoints

pytestmark = pytest.mark.usefixtures("one_torch_thread")
REPO = Path(__file__).resolve().parents[1]
TRAIN_PY = REPO / "train.py"
PENDULUM = ["--env", "Pendulum-v1", "--env-kwargs", "max_episode_steps:20", "--eval-episodes", "1"]
TINY_PPO = ["--algo", "ppo", "--hyperparams", "n_steps:64", "batch_size:64", "n_epochs:1",
            "policy_kwargs:dict(net_arch=[8])"]  # fmt: skip
TINY_DIFFUSION = ["--algo", "diffusion", "--hyperparams", "learning_starts:20", "batch_size:16",
                  "buffer_size:1000", "net_arch:[8]", "n_timesteps_denoise:2"]  # fmt: skip
# Columns that measure wall time, not the run.
CLOCK_COLUMNS = ("time/fps", "time/time_elapsed", "train/denoise_ms")


def files_under(folder: Path) -> dict[str, float]:
    return {str(path.relative_to(folder)): path.stat().st_mtime for path in folder.rglob("*")}


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


# --- bad input: exit 2, the flag or field named, nothing written ----------------------------------------


BAD_INPUTS = [
    pytest.param(
        [*TINY_DIFFUSION, "batch_size:0"], "batch_size must be an integer >= 1", id="diffusion-batch0"
    ),
    pytest.param([*TINY_PPO, "gamma:5"], "gamma must be a number in [0, 1]", id="gamma"),
    pytest.param([*TINY_PPO, "n_steps:0"], "n_steps must be an integer >= 1", id="n_steps"),
    pytest.param([*TINY_PPO, "n_epochs:0"], "n_epochs must be an integer >= 1", id="n_epochs"),
    pytest.param([*TINY_PPO, "learning_rate:0"], "learning_rate must be a number > 0", id="lr"),
    pytest.param([*TINY_PPO, "learning_rate:lin_-1"], "learning_rate='lin_-1'", id="lr-schedule"),
    pytest.param(["--algo", "sac", "--hyperparams", "buffer_size:0"], "buffer_size must be", id="buffer"),
    pytest.param(
        ["--algo", "sac", "--hyperparams", "learning_starts:-5"],
        "learning_starts must be an integer >= 0",
        id="learning_starts",
    ),  # fmt: skip
    pytest.param(
        ["--algo", "sac", "--hyperparams", "gradient_steps:0"],
        "gradient_steps must be an integer >= 1 (or -1",
        id="gradient_steps",
    ),  # fmt: skip
    pytest.param(
        [*TINY_PPO, "policy_kwargs:dict(net_arch=[-1])"], "policy_kwargs.net_arch must be", id="net-arch"
    ),
    pytest.param(
        [*TINY_PPO, "policy_kwargs:dict(net_arch=dict(pi=[8], vf=[0]))"],
        "policy_kwargs.net_arch must be",
        id="net-arch-dict",
    ),
    pytest.param(
        [*TINY_PPO, "policy_kwargs:[8]"], "hyperparameter policy_kwargs must be a dict", id="policy-kwargs"
    ),
    pytest.param(
        ["--algo", "ppo", "--hyperparams", "n_steps:16", "batch_size:64", "--n-envs", "1"],
        "batch_size 64 is larger than the rollout, n_steps * n_envs = 16 * 1",
        id="batch-over-rollout",
    ),
    pytest.param([*TINY_PPO, "--n-envs", "0"], "--n-envs must be an integer >= 1, got 0", id="n-envs"),
    pytest.param([*TINY_PPO, "--eval-episodes", "-1"], "--eval-episodes must be", id="eval-episodes"),
    pytest.param([*TINY_PPO, "--n-eval-envs", "0"], "--n-eval-envs must be", id="n-eval-envs"),
    pytest.param(
        [*TINY_PPO, "--n-eval-envs", "5", "--eval-episodes", "2"],
        "--n-eval-envs 5 is more than --eval-episodes 2",
        id="n-eval-envs-over-episodes",
    ),
    pytest.param([*TINY_PPO, "--eval-freq", "-5"], "--eval-freq must be", id="eval-freq"),
    pytest.param([*TINY_PPO, "--save-freq", "-5"], "--save-freq must be", id="save-freq"),
    pytest.param([*TINY_PPO, "-n", "0"], "-n/--n-timesteps must be", id="n"),
    pytest.param([*TINY_PPO, "--seed", "-1"], "--seed must be an integer in [0, 2147483647]", id="seed"),
    pytest.param([*TINY_PPO, "--seed", str(2**32)], "--seed must be", id="seed-big"),
    pytest.param([*TINY_PPO, "--num-threads", "0"], "--num-threads must be", id="num-threads"),
    pytest.param([*TINY_PPO, "--device", "gpu7"], "--device 'gpu7'", id="device-name"),
    pytest.param(
        [*TINY_PPO, "--device", "cuda"],
        "--device 'cuda': CUDA is not available",
        id="device-cuda",
        marks=pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here"),
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS)
def test_bad_input_is_named_before_anything_is_written(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*args, "--env", "Pendulum-v1", "--verbose", "0", "-f", str(tmp_path / "logs")]
    assert main(argv) == 2
    stderr = capsys.readouterr().err
    assert message in stderr and "usage: train.py" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "logs").exists()


def test_unwritable_folders_and_bad_conf_files_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    bad_yaml = tmp_path / "bad.yml"
    bad_yaml.write_text("Pendulum-v1: {n_steps: [64\n")
    base = [*TINY_PPO, "--env", "Pendulum-v1", "--verbose", "0"]
    for extra, message in (
        (["-f", str(blocker / "logs")], "-f/--log-folder"),
        (["-f", str(tmp_path / "logs"), "-tb", str(blocker / "tb")], "-tb/--tensorboard-log"),
        (["-f", str(tmp_path / "logs"), "-conf", str(bad_yaml)], f"--conf-file {bad_yaml}: not valid YAML"),
    ):
        assert main([*base, *extra]) == 2, extra
        stderr = capsys.readouterr().err
        assert message in stderr and "Traceback" not in stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a_file", "bad.yml"]


def test_an_error_while_building_the_model_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whatever SB3 or torch raise while the agent is built (torch's "negative dimension" a RuntimeError)
    is named as a usage error, before the run folder exists."""

    def fails(*args, **kwargs):
        raise RuntimeError("Trying to create tensor with negative dimension -1: [-1, 3]")

    monkeypatch.setattr(agents.training.run, "make_agent", fails)
    argv = [*TINY_PPO, *PENDULUM, "-n", "64", "--verbose", "0", "-f", str(tmp_path / "logs")]
    assert main(argv) == 2
    stderr = capsys.readouterr().err
    assert "cannot build ppo for Pendulum-v1: Trying to create tensor with negative dimension" in stderr
    assert "usage: train.py" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "logs").exists()


def test_an_env_whose_reset_fails_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], reset_fails_env: str
) -> None:
    argv = [*TINY_PPO, "--env", reset_fails_env, "--env-kwargs", "values:-1", "-n", "64",
            "--verbose", "0", "-f", str(tmp_path / "logs")]  # fmt: skip
    assert main(argv) == 2
    stderr = capsys.readouterr().err
    assert "invalid --env-kwargs {'values': -1} for IoATest/ResetFails-v0: values=-1" in stderr
    assert "every market is untradable" in stderr and "valid kwargs" not in stderr
    assert "Traceback" not in stderr and not (tmp_path / "logs").exists()


@pytest.fixture(scope="module")
def ppo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished PPO run of 128 steps, checkpoints and evaluations every 64."""
    root = tmp_path_factory.mktemp("ppo")
    args = [*TINY_PPO, *PENDULUM, "-n", "128", "--seed", "0", "--eval-freq", "64", "--save-freq", "64"]
    assert main([*args, "-f", str(root), "--verbose", "0"]) == 0
    return root / "ppo" / "Pendulum-v1_1"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda run: (run / "config.yml").write_text("algo: [ppo\n"), "config.yml is not readable YAML"),
        (lambda run: (run / "config.yml").write_text("- ppo\n"), "config.yml must hold a mapping"),
        (
            lambda run: (run / "evaluations.npz").write_bytes(b"PK\x03\x04 not a zip"),
            "evaluations.npz is corrupt",
        ),
        (lambda run: np.savez(run / "evaluations.npz", timesteps=[64]), "evaluations.npz is corrupt"),
        (lambda run: (run / "config.yml").write_text(""), "config.yml is empty"),
        (lambda run: drop_config_keys(run, "env"), "config.yml is incomplete: it lacks env"),
        (lambda run: drop_config_keys(run, "algo", "env"), "config.yml is incomplete: it lacks algo, env"),
        (
            lambda run: (run / "progress.csv").write_text("garbage,header\n1,2\n"),
            "progress.csv is corrupt (its header has no time/total_timesteps column)",
        ),
        (
            lambda run: (run / "progress.csv").write_bytes(b"\xff\xfe\x00garbage"),
            "progress.csv is corrupt (UnicodeDecodeError)",
        ),
    ],
)
def test_a_corrupt_run_folder_stops_resume_before_anything_changes(
    damage, message: str, ppo_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = shutil.copytree(ppo_run, tmp_path / "run")
    damage(run_dir)
    before = files_under(run_dir)
    assert main(["--resume", str(run_dir), "-n", "192", "--verbose", "0"]) == 2
    stderr = capsys.readouterr().err
    assert message in stderr and "Traceback" not in stderr
    assert files_under(run_dir) == before


def drop_config_keys(run_dir: Path, *keys: str) -> None:
    config = yaml.safe_load((run_dir / "config.yml").read_text())
    for key in keys:
        del config[key]
    (run_dir / "config.yml").write_text(yaml.safe_dump(config))


@pytest.mark.parametrize("n", ["64", "128"])
def test_resume_refuses_n_not_above_the_runs_timesteps(
    n: str, ppo_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """-n at or below the run's timesteps would only re-save the final model and add an events file."""
    run_dir = shutil.copytree(ppo_run, tmp_path / "run")
    before = files_under(run_dir)
    assert main(["--resume", str(run_dir), "-n", n, "--verbose", "0"]) == 2
    stderr = capsys.readouterr().err
    assert f"-n {n} is not above the run's 128 timesteps" in stderr and "usage: train.py" in stderr
    assert files_under(run_dir) == before


# --- evaluations and checkpoints at crossings of multiples ----------------------------------------------


def test_evaluations_and_checkpoints_happen_once_per_multiple_up_to_n(tmp_path: Path) -> None:
    """PPO collects 64 steps per rollout, past -n 10: the evaluations are those of 2, 4, ..., 10 steps
    (SB3's EvalCallback with eval_freq // n_envs == 1 evaluates at each of the 64 steps)."""
    args = [*TINY_PPO, *PENDULUM, "-n", "10", "--seed", "0", "--eval-freq", "2", "--save-freq", "5"]
    assert main([*args, "-f", str(tmp_path), "--verbose", "0"]) == 0
    run_dir = tmp_path / "ppo" / "Pendulum-v1_1"
    assert evaluation_timesteps(run_dir) == [2, 4, 6, 8, 10]
    assert [path.name for path in reversed(model_checkpoints(run_dir))] == [
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


def test_resume_after_kill_9_keeps_one_timeline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    process = start_training(tmp_path, "--eval-freq", "50", "--save-freq", "200", "-f", "logs")
    run_dir = tmp_path / "logs" / "diffusion" / "Pendulum-v1_1"

    def evaluated_past_a_checkpoint() -> bool:
        checkpoints = model_checkpoints(run_dir) if run_dir.is_dir() else []
        if not checkpoints or not (run_dir / "evaluations.npz").is_file():
            return False
        return max(evaluation_timesteps(run_dir)) > int(checkpoints[0].stem.split("_")[-2])

    try:
        wait_for(evaluated_past_a_checkpoint, process)
    finally:
        process.kill()  # SIGKILL: no handler runs
        process.communicate()
    checkpoint = model_checkpoints(run_dir)[0]
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
    assert [path.name for path in model_checkpoints(run_dir)][0] == "rl_model_180_steps.zip"

    for checkpoint in checkpoints.glob("rl_model_*_steps.zip"):
        checkpoint.write_bytes(b"")
    assert main(["--resume", str(run_dir), "-n", "240", "--verbose", "0"]) == 2
    assert "can be loaded" in capsys.readouterr().err


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
    latest = model_checkpoints(checkpoints.parent)[0]
    steps = int(latest.stem.split("_")[-2])
    assert (checkpoints / f"rl_model_replay_buffer_{steps}_steps.pkl").is_file()  # saved on interruption

    assert main(["--resume", str(checkpoints.parent), "-n", str(steps + 20), "--verbose", "0"]) == 0
    assert "replay buffer loaded" in capsys.readouterr().err
    assert model_checkpoints(checkpoints.parent)[0].name == f"rl_model_{steps + 20}_steps.zip"
