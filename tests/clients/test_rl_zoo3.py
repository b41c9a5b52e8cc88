"""rl_zoo3 (rl-baselines3-zoo) as a client: its train script, run as its docs run it, trains PPO on
IoA-DDA-v0 for a few hundred steps, with ``--gym-packages ioa_gym``.

rl_zoo3 checks the id against Gymnasium's registry before it calls ``gym.make``, so neither a plain id nor the
``ioa_gym:`` prefix reaches the envs: ``--gym-packages ioa_gym`` imports the package (which registers them)
first. The second test keeps that statement of docs/clients.md true.

Runs where rl_zoo3 is installed (``scripts/check_clients.sh``); skipped elsewhere.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("rl_zoo3", reason="pip install rl_zoo3")

STEPS = 256


def zoo_train(folder: Path, *arguments: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "rl_zoo3.train", "--algo", "ppo", "-f", str(folder), "--seed", "0"]
    return subprocess.run(
        [*command, *arguments], capture_output=True, text=True, timeout=300, cwd=folder.parent
    )


@pytest.mark.slow
def test_rl_zoo3_trains_ppo_with_gym_packages(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    completed = zoo_train(
        folder,
        *("--env", "IoA-DDA-v0", "--gym-packages", "ioa_gym", "-n", str(STEPS)),
        *("--hyperparams", "n_steps:64", "batch_size:32", "n_epochs:1"),
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    run = folder / "ppo" / "IoA-DDA-v0_1"
    assert (run / "IoA-DDA-v0.zip").is_file()
    assert (run / "IoA-DDA-v0" / "config.yml").is_file()
    monitor = (run / "0.monitor.csv").read_text().splitlines()
    assert len(monitor) > 2, (
        "the monitor recorded no finished episode"
    )  # a comment line, the header, episodes


def test_rl_zoo3_without_gym_packages_does_not_find_the_id(tmp_path: Path) -> None:
    completed = zoo_train(tmp_path / "logs", "--env", "ioa_gym:IoA-DDA-v0", "-n", str(STEPS))
    assert completed.returncode != 0
    assert "not found in gym registry" in completed.stderr
