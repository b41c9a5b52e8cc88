"""skrl as a client: its Gymnasium wrapper (``wrap_env``) over a single env and over ``gym.make_vec``, and a
short PPO run of its ``SequentialTrainer``, with the models written as skrl's docs write them.

Runs where skrl is installed (``scripts/check_clients.sh``); skipped elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import pytest

pytest.importorskip("skrl", reason="pip install skrl")

import torch  # noqa: E402
from skrl.agents.torch.ppo import PPO, PPO_CFG  # noqa: E402
from skrl.envs.wrappers.torch import wrap_env  # noqa: E402
from skrl.memories.torch import RandomMemory  # noqa: E402
from skrl.models.torch import DeterministicMixin, GaussianMixin, Model  # noqa: E402
from skrl.trainers.torch import SequentialTrainer  # noqa: E402
from skrl.utils import set_seed  # noqa: E402
from torch import nn  # noqa: E402

import ioa_gym  # noqa: E402, F401  (registers the environments)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ROLLOUTS = 32
TIMESTEPS = 128


class Policy(GaussianMixin, Model):
    def __init__(self, observation_space, action_space, device):
        Model.__init__(self, observation_space=observation_space, action_space=action_space, device=device)
        GaussianMixin.__init__(self, clip_actions=True)
        self.net = nn.Sequential(
            nn.Linear(self.num_observations, 32), nn.Tanh(), nn.Linear(32, self.num_actions)
        )
        self.log_std_parameter = nn.Parameter(torch.zeros(self.num_actions))

    def compute(self, inputs, role=""):
        return self.net(inputs["observations"]), {"log_std": self.log_std_parameter}


class Value(DeterministicMixin, Model):
    def __init__(self, observation_space, action_space, device):
        Model.__init__(self, observation_space=observation_space, action_space=action_space, device=device)
        DeterministicMixin.__init__(self)
        self.net = nn.Sequential(nn.Linear(self.num_observations, 32), nn.Tanh(), nn.Linear(32, 1))

    def compute(self, inputs, role=""):
        return self.net(inputs["observations"]), {}


@pytest.mark.parametrize("vector", [False, True], ids=["gym.make", "gym.make_vec"])
def test_skrl_ppo_trains_through_its_gymnasium_wrapper(vector: bool, tmp_path: Path) -> None:
    set_seed(0)
    if vector:
        env = wrap_env(gym.make_vec("IoA-DDA-v0", num_envs=2, vectorization_mode="sync"), wrapper="gymnasium")
    else:
        env = wrap_env(gym.make("IoA-DDA-DoubleClock-v0"), wrapper="gymnasium")
    assert env.num_envs == (2 if vector else 1)
    device = env.device
    models = {
        "policy": Policy(env.observation_space, env.action_space, device),
        "value": Value(env.observation_space, env.action_space, device),
    }
    cfg = PPO_CFG(rollouts=ROLLOUTS, learning_epochs=2, mini_batches=2)
    cfg.experiment.directory = str(tmp_path)  # skrl writes TensorBoard events and checkpoints there
    agent = PPO(
        models=models,
        memory=RandomMemory(memory_size=ROLLOUTS, num_envs=env.num_envs, device=device),
        observation_space=env.observation_space,
        action_space=env.action_space,
        device=device,
        cfg=cfg,
    )
    before = [parameter.detach().clone() for parameter in models["policy"].parameters()]
    trainer_cfg = {"timesteps": TIMESTEPS, "headless": True, "disable_progressbar": True}
    trainer_cfg["close_environment_at_exit"] = False  # closed below, not by an atexit hook after pytest
    trainer = SequentialTrainer(env=env, agents=agent, cfg=trainer_cfg)
    trainer.train()
    after = list(models["policy"].parameters())
    assert any(not torch.equal(old, new) for old, new in zip(before, after, strict=True)), "no gradient step"
    assert all(torch.isfinite(parameter).all() for parameter in after)
    env.close()
