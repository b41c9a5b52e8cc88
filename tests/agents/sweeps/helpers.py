"""What the sweep tests share (not a test module): a learner that fails on purpose, for the failure test
(imported by Ray's workers as ``tests.agents.sweeps.helpers:CrashingPPO``: the project root is on their
path), the train.py flags of tiny trials, the Ray marker and a sweep file writer."""

import importlib.util

import pytest
import yaml
from stable_baselines3 import PPO as SB3_PPO

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
