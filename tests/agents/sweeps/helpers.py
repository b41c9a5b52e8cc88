"""What the sweep tests share (not a test module): a learner that fails on purpose, for the failure test
(imported by Ray's workers as ``tests.agents.sweeps.helpers:CrashingPPO``: the project root is on their
path), the train.py flags of tiny trials, the Ray marker, a sweep file writer and ``sweep.py`` in a
subprocess."""

import csv
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from stable_baselines3 import PPO as SB3_PPO

ROOT = Path(__file__).resolve().parents[3]

needs_ray = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason="Ray Tune is the sweep extra (the test extra installs it)"
)
TRAIN = {"eval_freq": 256, "eval_episodes": 2, "n_envs": 2, "device": "cpu"}
PPO = {"n_steps": 128, "batch_size": 128}


def write_sweep_file(tmp_path, spec):
    """``spec`` as ``<tmp_path>/sweep.yml``; returns its path."""
    path = tmp_path / "sweep.yml"
    path.write_text(yaml.safe_dump(spec))
    return path


class CrashingPPO(SB3_PPO):
    """PPO whose training fails at once, as a trial that crashes at run time (not a bad configuration)."""

    def learn(self, *args, **kwargs):
        raise RuntimeError("planted failure (tests/agents/sweeps/helpers.py)")


def start_sweep(args, env_extra=None, num_cpus=2, **kwargs) -> subprocess.Popen:
    """``sweep.py ARGS`` in a subprocess (on a local Ray of ``num_cpus`` CPUs unless None), stdout and
    stderr together."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **(env_extra or {}),
    }
    cpus = [] if num_cpus is None else ["--num-cpus", str(num_cpus)]
    return subprocess.Popen(
        [sys.executable, str(ROOT / "sweep.py"), *cpus, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def trial_rows(out):
    """The rows of a sweep folder's trials.csv."""
    with open(out / "trials.csv") as file:
        return list(csv.DictReader(file))
