"""sweep.py's faults named (issue 23): an ``--address`` where no Ray cluster answers fails within its
timeout, naming the address, before anything is written; a corrupt ``sweep.yml`` on ``--resume`` exits 2
naming it; SIGTERM, to the driver alone or to its whole process group (``timeout``, a batch scheduler),
exits 143 with the resume line instead of dying of Ray's SIGABRT, and ``--resume`` continues the sweep."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from agents.sweeps.cli import main
from tests.agents.sweeps.helpers import PPO, TRAIN, needs_ray, start_sweep, trial_rows, write_sweep_file

pytestmark = needs_ray
FLAGS = [
    "--algo",
    "ppo",
    "--env",
    "IoA-DDA-v0",
    "-n",
    "256",
    "--hyperparams",
    "n_steps:128",
    "batch_size:128",
]


def test_a_corrupt_sweep_yml_on_resume_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "sweep.yml").write_text("name: [results\ntrials: {")
    before = sorted(out.iterdir())
    assert main(["--resume", str(out)]) == 2
    stderr = capsys.readouterr().err
    assert f"sweep.py: error: --resume {out}: {out / 'sweep.yml'}: not valid YAML (" in stderr, stderr
    assert "usage:" in stderr and "Traceback" not in stderr
    assert sorted(out.iterdir()) == before


def test_an_address_without_a_cluster_fails_at_once_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sweep"
    started = time.perf_counter()
    assert main([*FLAGS, "--out", str(out), "--address", "127.0.0.1:1"]) == 2
    assert time.perf_counter() - started < 30
    stderr = capsys.readouterr().err
    assert "sweep.py: error: --address 127.0.0.1:1: no Ray cluster there (Connection refused)" in stderr
    assert not out.exists()
    # A retry with the same --out is not refused for a sweep.yml the failed one wrote.
    assert main([*FLAGS, "--out", str(out), "--dry-run"]) == 0


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A local TCP port that accepts connections and never answers (not a Ray cluster)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def test_an_address_that_does_not_answer_fails_after_the_connect_timeout(
    silent_port: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, address = tmp_path / "sweep", f"127.0.0.1:{silent_port}"
    started = time.perf_counter()
    assert main([*FLAGS, "--out", str(out), "--address", address, "--connect-timeout", "2"]) == 2
    assert time.perf_counter() - started < 20  # 2 s, the checks of the trials and the probe's start
    stderr = capsys.readouterr().err
    assert f"--address {address}: no Ray cluster answered within 2 s (--connect-timeout)" in stderr, stderr
    assert not out.exists()


def test_a_connect_timeout_out_of_range_or_without_an_address_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*FLAGS, "--out", str(tmp_path / "s"), "--address", "127.0.0.1:1", "--connect-timeout", "0"]
    assert main(argv) == 2
    assert "--connect-timeout must be a number in [1, 3600], got 0.0" in capsys.readouterr().err
    assert main([*FLAGS, "--out", str(tmp_path / "s"), "--connect-timeout", "5"]) == 2
    assert "--connect-timeout applies with --address" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def _long_sweep(tmp_path: Path) -> tuple[Path, Path]:
    """A one-trial sweep long enough to be stopped after its first checkpoint; its file and out folder."""
    config = write_sweep_file(
        tmp_path,
        {
            "name": "long",
            "train": {**TRAIN, "save_freq": 256},
            "trials": [
                {"algo": "ppo", "env": "IoA-DDA-v0", "seed": 0, "n_timesteps": 3072, "hyperparams": PPO}
            ],
        },
    )
    return config, tmp_path / "out"


def _wait_for_a_checkpoint(process, run: Path) -> None:
    deadline = time.monotonic() + 300
    while not list((run / "checkpoints").glob("*.zip")):
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the trial never checkpointed"
        time.sleep(0.5)


@pytest.mark.slow
@pytest.mark.parametrize("group", [False, True], ids=["driver", "process-group"])
def test_sigterm_exits_143_with_the_resume_line_and_the_sweep_resumes(group: bool, tmp_path: Path) -> None:
    """To the driver alone (kill PID), Tune stops its trials as on Ctrl-C; to the whole group (timeout,
    Slurm), Ray's own processes die too and the driver exits after Termination's grace period."""
    config, out = _long_sweep(tmp_path)
    run = out / "runs" / "ppo" / "IoA-DDA-v0_1"
    process = start_sweep(["--config", str(config), "--out", str(out)], start_new_session=True)
    _wait_for_a_checkpoint(process, run)
    signalled = time.monotonic()
    if group:
        os.killpg(process.pid, signal.SIGTERM)
    else:
        process.send_signal(signal.SIGTERM)
    log, _ = process.communicate(timeout=120)
    assert process.returncode == 143, log  # not 134 (SIGABRT)
    assert time.monotonic() - signalled < 40, log
    assert f"Continue with: python sweep.py --resume {out}" in log
    assert not (run / "IoA-DDA-v0.zip").is_file()  # really stopped
    if not group:
        return
    process = start_sweep(["--resume", str(out)])
    log, _ = process.communicate(timeout=400)
    assert process.returncode == 0, log
    assert [row["status"] for row in trial_rows(out)] == ["done"]
    assert len(yaml.safe_load((run / "config.yml").read_text())["resumed"]) == 1
