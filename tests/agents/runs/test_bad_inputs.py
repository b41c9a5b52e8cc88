"""train.py refuses bad input by name before anything is written, and a damaged run folder stops
``--resume`` before anything changes (issue 11, the training side). The timeline of a resumed run:
:mod:`tests.agents.runs.test_timeline`.

The runs are tiny (Pendulum-v1 cut to 20-step episodes, 8-unit networks), each in this process.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

import agents.runs.experiment
from agents.runs.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")
PENDULUM = ["--env", "Pendulum-v1", "--env-kwargs", "max_episode_steps:20", "--eval-episodes", "1"]
TINY_PPO = ["--algo", "ppo", "--hyperparams", "n_steps:64", "batch_size:64", "n_epochs:1",
            "policy_kwargs:dict(net_arch=[8])"]  # fmt: skip
TINY_DIFFUSION = ["--algo", "diffusion", "--hyperparams", "learning_starts:20", "batch_size:16",
                  "buffer_size:1000", "net_arch:[8]", "n_timesteps_denoise:2"]  # fmt: skip


def files_under(folder: Path) -> dict[str, float]:
    return {str(path.relative_to(folder)): path.stat().st_mtime for path in folder.rglob("*")}


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
    pytest.param(
        [*TINY_PPO, "-n", str(10**20)],
        "-n/--n-timesteps must be an integer in [1, 2147483648], got 100000000000000000000",
        id="n-huge",
    ),
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

    monkeypatch.setattr(agents.runs.experiment, "make_agent", fails)
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


def test_resume_refuses_a_checkpoint_of_another_algorithm(
    ppo_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A diffusion checkpoint, newest in a PPO run folder: named as such (which algorithm saved it, which
    one the run is), not as the constructor error PPO.load would raise; nothing changes."""
    import gymnasium as gym

    from agents import make_agent

    run_dir = shutil.copytree(ppo_run, tmp_path / "run")
    diffusion = make_agent("diffusion", gym.make("Pendulum-v1"), hyperparams={"net_arch": [8]})
    diffusion.save(run_dir / "checkpoints" / "rl_model_192_steps.zip")
    before = files_under(run_dir)
    assert main(["--resume", str(run_dir), "-n", "256", "--verbose", "0"]) == 2
    stderr = capsys.readouterr().err
    assert (
        f"--resume {run_dir}: checkpoint rl_model_192_steps.zip is a checkpoint of another algorithm: "
        "diffusion saved it (policy agents.diffusion.policies.DiffusionPolicy), but the run's algorithm is "
        "ppo (config.yml)"
    ) in stderr, stderr
    assert "usage: train.py" in stderr and "Traceback" not in stderr
    assert files_under(run_dir) == before
