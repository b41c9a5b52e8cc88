"""The typed settings of a run (agents/runs/config.py): one frozen record, checked when made, written to
``config.yml`` in the layout of every earlier version and read back from it, including files written by
the version before :class:`RunConfig` existed (0.1.0) and by older ones without ``vec_env``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from agents import ConfigError
from agents.runs import RunConfig, load_agent, resolve_config
from agents.runs.cli import build_parser, main

pytestmark = pytest.mark.usefixtures("one_torch_thread")

# config.yml as train.py 0.1.0 wrote it (its history keys after the settings), paths shortened.
RECORD_0_1 = """\
algo: ppo
env: Pendulum-v1
env_id: Pendulum-v1
env_name: Pendulum-v1
env_kwargs: {max_episode_steps: 20}
hyperparams:
  n_steps: 64
  batch_size: 64
  n_epochs: 1
  policy_kwargs: dict(net_arch=[8])
kind: sb3
n_timesteps: 128
n_envs: 1
vec_env: dummy
seed: 5
device: cpu
eval_freq: 64
eval_episodes: 2
n_eval_envs: 1
save_freq: 64
save_replay_buffer: false
log_folder: logs
tensorboard_log: null
verbose: 0
num_threads: 1
progress: false
conf_file: null
resume: null
args: {algo: ppo, env: Pendulum-v1, n_timesteps: 128, seed: 5, num_threads: 1, verbose: 0}
run_dir: logs/ppo/Pendulum-v1_1
tensorboard_dir: logs/ppo/Pendulum-v1_1
versions: {python: 3.11.7, ioa-gym: 0.1.0}
created: '2026-12-06T04:03:35'
command: [train.py, --algo, ppo]
resumed: []
"""
SETTINGS_0_1 = [key for key in yaml.safe_load(RECORD_0_1) if key not in RunConfig.HISTORY_KEYS]


def test_the_record_keeps_the_layout_of_earlier_versions() -> None:
    record = yaml.safe_load(RECORD_0_1)
    config = RunConfig.from_record(record)
    assert list(config.to_record()) == SETTINGS_0_1  # the same keys, in the same order
    assert config.to_record() == {key: record[key] for key in SETTINGS_0_1}
    assert RunConfig.from_record(config.to_record()) == config
    assert (config.algo, config.seed, config.n_timesteps, config.hyperparams["n_steps"]) == (
        "ppo",
        5,
        128,
        64,
    )


def test_a_record_missing_later_keys_takes_their_defaults() -> None:
    """A run written before --vec-env (or a hand-written config.yml) means by an absent key its default."""
    old = {"algo": "ppo", "env_id": "IoA-DDA-v0", "env_name": "IoA-DDA-v0", "n_timesteps": 1000}
    config = RunConfig.from_record(old)
    assert (config.env, config.vec_env, config.n_envs, config.kind, config.save_freq) == (
        "IoA-DDA-v0",
        "dummy",
        1,
        "sb3",
        100,
    )
    with pytest.raises(ConfigError, match="config.yml lacks algo"):
        RunConfig.from_record({"env": "IoA-DDA-v0"})
    with pytest.raises(ConfigError, match="run.yml: --n-envs must be an integer >= 1, got 0"):
        RunConfig.from_record({**old, "n_envs": 0}, "run.yml")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("n_timesteps", 0, "-n/--n-timesteps must be an integer in [1, 2147483648]"),
        ("n_timesteps", 10**20, "-n/--n-timesteps must be an integer in [1, 2147483648], got 1000000"),
        ("n_envs", 1.5, "--n-envs must be an integer >= 1"),
        ("vec_env", "threads", "--vec-env must be one of dummy, subproc, native"),
        ("seed", -1, "--seed must be an integer in [0, 2147483647]"),
        ("eval_freq", -5, "--eval-freq must be"),
        ("save_freq", -5, "--save-freq must be"),
        ("eval_episodes", 0, "--eval-episodes must be"),
        ("n_eval_envs", 9, "--n-eval-envs 9 is more than --eval-episodes 5"),
        ("verbose", 3, "--verbose must be an integer in [0, 2]"),
        ("num_threads", 0, "num_threads must be an integer >= 1"),
        ("kind", "robot", "kind must be one of sb3, baseline, policy"),
        ("hyperparams", [1], "hyperparams must be a mapping"),
        ("algo", "", "algo must be a non-empty string"),
    ],
)
def test_every_field_is_checked_once_when_the_record_is_made(field: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        RunConfig(**{"algo": "ppo", "env": "Pendulum-v1", field: value})


def test_the_record_is_frozen_and_derives_what_it_can() -> None:
    config = RunConfig(algo="ppo", env="ioa_gym:IoA-DDA-v0", n_timesteps=1e5)
    assert (config.env_id, config.env_name, config.n_timesteps, config.save_freq) == (
        "IoA-DDA-v0",
        "IoA-DDA-v0",
        100_000,
        10_000,
    )
    assert isinstance(config.n_timesteps, int)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.seed = 3  # type: ignore[misc]
    assert dataclasses.replace(config, eval_freq=5).eval_freq == 5


def test_a_run_of_the_previous_version_loads_and_resumes(tmp_path: Path) -> None:
    """A run folder whose config.yml is 0.1.0's (the models are SB3's own files): ``load_agent``, the
    settings resolved for ``--resume`` and the resumed run itself."""
    args = ["--algo", "ppo", "--env", "Pendulum-v1", "--env-kwargs", "max_episode_steps:20",
            "--eval-episodes", "2", "-n", "128", "--seed", "5", "--eval-freq", "64", "--save-freq", "64",
            "--hyperparams", "n_steps:64", "batch_size:64", "n_epochs:1",
            "policy_kwargs:dict(net_arch=[8])"]  # fmt: skip
    assert main([*args, "-f", str(tmp_path), "--verbose", "0"]) == 0
    run_dir = tmp_path / "ppo" / "Pendulum-v1_1"
    (run_dir / "config.yml").write_text(RECORD_0_1)
    assert load_agent(run_dir).num_timesteps == 128
    resumed = resolve_config(build_parser().parse_args(["--resume", str(run_dir), "-n", "192"]))
    assert (resumed.seed, resumed.hyperparams, resumed.save_freq) == (
        5,
        yaml.safe_load(RECORD_0_1)["hyperparams"],
        64,
    )
    assert main(["--resume", str(run_dir), "-n", "192", "--verbose", "0"]) == 0
    record = yaml.safe_load((run_dir / "config.yml").read_text())
    assert record["created"] == "2026-12-06T04:03:35" and len(record["resumed"]) == 1
    assert list(record)[: len(SETTINGS_0_1)] == SETTINGS_0_1 and load_agent(run_dir).num_timesteps == 192
