"""train.py end to end: run folder, resume, Ctrl-C, bad input, seeding (agents.runs).

Runs use Pendulum-v1 cut to 20-step episodes and tiny networks so each takes seconds on a slow CPU.
"""

from __future__ import annotations

import csv
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
import yaml

from agents import ConfigError
from agents.baselines import GreedyAgent
from agents.common.cli import parse_value
from agents.common.files import atomic_save
from agents.registry import import_env_packages
from agents.runs import load_agent, resolve_config
from agents.runs.cli import build_parser, main
from agents.runs.folder import new_run_dir

import_env_packages()

pytestmark = pytest.mark.usefixtures("one_torch_thread")
REPO = Path(__file__).resolve().parents[3]
TRAIN_PY = REPO / "train.py"
SHORT_PENDULUM = ["--env", "Pendulum-v1", "--env-kwargs", "max_episode_steps:20", "--eval-episodes", "2"]
TINY_PPO = [
    "--algo",
    "ppo",
    "--hyperparams",
    "n_steps:64",
    "batch_size:64",
    "n_epochs:1",
    "policy_kwargs:dict(net_arch=[8])",
]


def run_train(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(TRAIN_PY), *args, "--num-threads", "1"]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def progress_timesteps(run_dir: Path) -> list[int]:
    with open(run_dir / "progress.csv") as file:
        return [
            int(float(row["time/total_timesteps"]))
            for row in csv.DictReader(file)
            if row["time/total_timesteps"]
        ]


def no_partial_files(run_dir: Path) -> bool:
    return not [path for path in run_dir.rglob("*") if ".tmp" in path.name or path.name == ".staging"]


@pytest.fixture(scope="module")
def ppo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One finished PPO run: 256 steps, evaluation and checkpoint every 128 steps (in this process; the
    subprocess tests below run train.py itself)."""
    logs = tmp_path_factory.mktemp("ppo") / "logs"
    args = [
        *TINY_PPO,
        *SHORT_PENDULUM,
        "-n",
        "256",
        "--seed",
        "0",
        "--eval-freq",
        "128",
        "--save-freq",
        "128",
    ]
    assert main([*args, "-f", str(logs), "--verbose", "0", "--num-threads", "1"]) == 0
    return logs / "ppo" / "Pendulum-v1_1"


def test_run_folder_layout(ppo_run: Path) -> None:
    config = yaml.safe_load((ppo_run / "config.yml").read_text())
    assert (config["algo"], config["env"], config["seed"], config["n_timesteps"]) == (
        "ppo",
        "Pendulum-v1",
        0,
        256,
    )
    assert config["hyperparams"]["n_steps"] == 64
    assert config["env_kwargs"] == {"max_episode_steps": 20}
    assert config["device"] == "cpu" or torch.cuda.is_available()
    assert config["versions"]["stable-baselines3"] and config["versions"]["torch"]

    for name in ["Pendulum-v1.zip", "best_model.zip", "evaluations.npz", "progress.csv"]:
        assert (ppo_run / name).is_file(), name
    assert list(ppo_run.glob("events.out.tfevents.*"))
    assert sorted(p.name for p in (ppo_run / "checkpoints").iterdir()) == [
        "rl_model_128_steps.zip",
        "rl_model_256_steps.zip",
    ]
    assert no_partial_files(ppo_run)

    with np.load(ppo_run / "evaluations.npz") as evaluations:
        assert evaluations["timesteps"].tolist() == [128, 256]
        assert evaluations["results"].shape == (2, 2)
        assert evaluations["ep_lengths"].tolist() == [[20, 20], [20, 20]]
    assert progress_timesteps(ppo_run)[-1] == 256

    model = load_agent(ppo_run)
    assert type(model).__name__ == "PPO" and model.num_timesteps == 256
    assert model.predict(np.zeros(3, dtype=np.float32))[0].shape == (1,)
    assert type(load_agent(ppo_run, model="best")).__name__ == "PPO"
    assert load_agent(ppo_run / "checkpoints" / "rl_model_128_steps.zip").num_timesteps == 128


@pytest.mark.slow
def test_resume_continues_the_timestep_count(ppo_run: Path, tmp_path: Path) -> None:
    run_dir = shutil.copytree(ppo_run, tmp_path / "run")
    result = run_train("--resume", str(run_dir), "-n", "384", "--verbose", "0", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert load_agent(run_dir).num_timesteps == 384
    with np.load(run_dir / "evaluations.npz") as evaluations:
        assert evaluations["timesteps"].tolist() == [128, 256, 384]  # the history is kept
    timesteps = progress_timesteps(run_dir)
    assert timesteps == sorted(timesteps) and timesteps[0] == 64 and timesteps[-1] == 384
    config = yaml.safe_load((run_dir / "config.yml").read_text())
    assert config["n_timesteps"] == 384 and len(config["resumed"]) == 1
    assert config["resumed"][0]["from"].endswith("rl_model_256_steps.zip")
    assert no_partial_files(run_dir)


def test_resume_refuses_to_change_what_defines_the_run(ppo_run: Path) -> None:
    for flag in (["--seed", "1"], ["--algo", "sac"], ["--hyperparams", "n_steps:32"], ["--n-envs", "4"]):
        with pytest.raises(ConfigError, match="cannot change on --resume"):
            resolve_config(build_parser().parse_args(["--resume", str(ppo_run), *flag]))


@pytest.mark.slow
def test_sigint_leaves_a_loadable_checkpoint(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable, str(TRAIN_PY), "--algo", "sac", *SHORT_PENDULUM, "-n", "100000", "--seed", "0",
            "--hyperparams", "learning_starts:20", "batch_size:16", "buffer_size:1000",
            "policy_kwargs:dict(net_arch=[8])",
            "--save-freq", "40", "--eval-freq", "100000", "--verbose", "0", "--num-threads", "1",
        ],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    checkpoints = tmp_path / "logs" / "sac" / "Pendulum-v1_1" / "checkpoints"
    deadline = time.monotonic() + 90
    while not list(checkpoints.glob("rl_model_[0-9]*_steps.zip")) and process.poll() is None:
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "--resume" in stderr and "Traceback" not in stderr

    run_dir = checkpoints.parent
    assert no_partial_files(run_dir)
    model = load_agent(run_dir, model="checkpoint")
    assert type(model).__name__ == "SAC" and model.num_timesteps >= 40
    assert (checkpoints / f"rl_model_{model.num_timesteps}_steps.zip").is_file()
    assert (checkpoints / f"rl_model_replay_buffer_{model.num_timesteps}_steps.pkl").is_file()
    assert len(list(checkpoints.glob("*.pkl"))) == 1  # only the latest replay buffer is kept
    assert load_agent(run_dir).num_timesteps == model.num_timesteps  # no final model: the checkpoint


@pytest.mark.slow
def test_bad_algorithm_exits_2_with_the_choices_and_no_traceback(tmp_path: Path) -> None:
    result = run_train("--algo", "ppo2", "--env", "Pendulum-v1", cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown agent 'ppo2'" in result.stderr and "diffusion" in result.stderr and "sac" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "logs").exists()


@pytest.mark.parametrize(
    ("args", "message", "choices"),
    [
        (
            ["--algo", "ppo", "--env", "Pendulm-v1"],
            "unknown env id 'Pendulm-v1'",
            ["Pendulum-v1", "CartPole-v1"],
        ),
        (["--algo", "sac", "--env", "Pendulum-v1", "--hyperparams", "lr:0.1"], "'lr'", ["learning_rate"]),
        (["--algo", "ppo", "--env", "Pendulum-v1", "--env-kwargs", "gravity:9.8"], "gravity", ["g"]),
        (["--algo", "dqn", "--env", "Pendulum-v1"], "cannot build dqn", ["Discrete"]),
        (["--env", "Pendulum-v1"], "--algo and --env are required", []),
    ],
)
def test_bad_input_exits_2_naming_the_valid_choices(
    args: list[str], message: str, choices: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*args, "-f", str(tmp_path / "logs"), "--verbose", "0"]) == 2
    stderr = capsys.readouterr().err
    assert message in stderr
    for choice in choices:
        assert choice in stderr
    assert not list(tmp_path.glob("logs/*/*"))  # failed before creating a run folder


def test_same_seed_gives_the_same_run(tmp_path: Path) -> None:
    """Two runs with one seed on CPU: identical evaluations and parameters. Also: --eval-freq counts env
    steps whatever n_envs is, and -tb puts the events under <tb>/<algo>/<env>_<N>."""
    runs = []
    for name in ("a", "b"):
        args = [*TINY_PPO, *SHORT_PENDULUM, "-n", "256", "--seed", "3", "--n-envs", "2", "--eval-freq", "128"]
        assert (
            main([*args, "-f", str(tmp_path / name), "-tb", str(tmp_path / f"tb_{name}"), "--verbose", "0"])
            == 0
        )
        runs.append(tmp_path / name / "ppo" / "Pendulum-v1_1")
    assert list((tmp_path / "tb_a" / "ppo" / "Pendulum-v1_1").glob("events.out.tfevents.*"))
    first, second = (np.load(run / "evaluations.npz") for run in runs)
    assert first["timesteps"].tolist() == [128, 256]
    np.testing.assert_array_equal(first["results"], second["results"])
    parameters = [load_agent(run, device="cpu").policy.state_dict() for run in runs]
    for key, value in parameters[0].items():
        torch.testing.assert_close(value, parameters[1][key], rtol=0, atol=0)


@pytest.mark.parametrize(
    "env_id",
    [
        pytest.param(
            env_id, marks=pytest.mark.skipif(env_id not in gym.registry, reason=f"{env_id} not registered")
        )
        for env_id in [
            "IoA-DDA-v0",
            "IoA-DDA-Discrete-v0",
            "IoA-DDA-DoubleClock-v0",
            "IoA-DDA-StrategyProof-v0",
            "IoA-Stackelberg-v0",
        ]
    ],
)
def test_train_on_the_ioa_envs(env_id: str, tmp_path: Path) -> None:
    # A TimeLimit below the DDA's round limit is refused: lower the round limit with it.
    short = (
        ["max_rounds:40", "max_episode_steps:40"]
        if env_id.startswith("IoA-DDA")
        else ["max_episode_steps:40"]
    )
    args = [*TINY_PPO, "--env", env_id, "--env-kwargs", *short, "-n", "128"]
    args += "--n-envs 2 --seed 0 --eval-freq 128 --eval-episodes 1 --verbose 0".split() + [
        "-f",
        str(tmp_path),
    ]
    assert main(args) == 0
    run_dir = tmp_path / "ppo" / f"{env_id}_1"
    assert load_agent(run_dir).num_timesteps == 128
    with np.load(run_dir / "evaluations.npz") as evaluations:
        assert evaluations["timesteps"].tolist() == [128]


def test_baselines_run_through_train_py(tmp_path: Path) -> None:
    args = ["--algo", "greedy", *SHORT_PENDULUM, "-f", str(tmp_path), "--seed", "0", "--verbose", "0"]
    assert main(args) == 0
    run_dir = tmp_path / "greedy" / "Pendulum-v1_1"
    assert isinstance(load_agent(run_dir), GreedyAgent)
    with np.load(run_dir / "evaluations.npz") as evaluations:
        assert evaluations["timesteps"].tolist() == [0] and evaluations["results"].shape == (1, 2)


def test_new_runs_get_new_numbers(tmp_path: Path) -> None:
    args = ["--algo", "random", *SHORT_PENDULUM, "-f", str(tmp_path), "--seed", "0", "--verbose", "0"]
    assert main(args) == 0 and main(args) == 0
    assert sorted(p.name for p in (tmp_path / "random").iterdir()) == ["Pendulum-v1_1", "Pendulum-v1_2"]


def test_key_value_parsing_and_conf_file(tmp_path: Path) -> None:
    assert parse_value("1e-3") == 1e-3 and parse_value("[64, 64]") == [64, 64] and parse_value("True") is True
    assert parse_value("auto") == "auto" and parse_value("dict(net_arch=[8])") == "dict(net_arch=[8])"
    conf = tmp_path / "conf.yml"
    conf.write_text("Pendulum-v1:\n  n_steps: 128\n  gamma: 0.9\ndefault:\n  n_steps: 7\n")
    args = build_parser().parse_args(
        [
            "--algo",
            "ppo",
            "--env",
            "Pendulum-v1",
            "-conf",
            str(conf),
            "--hyperparams",
            "gamma:0.95",
            "ent_coef:0.01",
        ]
    )
    config = resolve_config(args)
    assert config.hyperparams == {"n_steps": 128, "gamma": 0.95, "ent_coef": 0.01}
    assert config.save_freq == config.n_timesteps // 10


def test_atomic_save_never_leaves_a_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "model.zip"
    atomic_save(target, lambda path: Path(path).write_text("old"))

    def crash(path: str) -> None:
        Path(path).write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_save(target, crash)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.zip"]


def test_run_folders_are_numbered_and_never_shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert new_run_dir(str(tmp_path), "diffusion", "IoA-DDA-v0").name == "IoA-DDA-v0_1"
    assert new_run_dir(str(tmp_path), "diffusion", "IoA-DDA-v0").name == "IoA-DDA-v0_2"
    (tmp_path / "diffusion" / "IoA-DDA-v0_x").mkdir()  # not a run folder: ignored
    assert new_run_dir(str(tmp_path), "diffusion", "IoA-DDA-v0").name == "IoA-DDA-v0_3"
    # a run started at the same moment saw no folder and picks N = 1, which exists: it takes the next free one
    monkeypatch.setattr(Path, "glob", lambda self, pattern: iter(()))
    assert new_run_dir(str(tmp_path), "diffusion", "IoA-DDA-v0").name == "IoA-DDA-v0_4"
