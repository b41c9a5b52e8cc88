"""SuperSuit as a client: ``pettingzoo_env_to_vec_env_v1`` and ``concat_vec_envs_v1`` turn each PettingZoo env
into an SB3 vector env (one sub-env per agent slot, parameters shared), and SB3's PPO trains a few hundred
steps on it, as SuperSuit's docs show.

``pettingzoo_env_to_vec_env_v1`` refuses envs whose agents change from episode to episode ("environment has
agent death"): ``bidders_v0`` must keep every slot of ``possible_agents`` in every episode (issue 23).

Known limit of SuperSuit 3.11 (docs/clients.md): its ``ConcatVecEnv`` has no ``seed`` method, so SB3's
``seed=`` argument fails on it; seed torch yourself.

Runs where SuperSuit is installed (``scripts/check_clients.sh``); skipped elsewhere.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("supersuit", reason="pip install supersuit")

import supersuit as ss  # noqa: E402
import torch  # noqa: E402
from stable_baselines3 import PPO  # noqa: E402

from ioa_gym.multiagent import bidders_v0, leaders_v0  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ENVS = {"leaders_v0": (leaders_v0, {"max_slots": 10}), "bidders_v0": (bidders_v0, {})}
COPIES = 2


def vector_env(name: str):
    module, kwargs = ENVS[name]
    env = ss.pettingzoo_env_to_vec_env_v1(module.parallel_env(**kwargs))
    return ss.concat_vec_envs_v1(env, COPIES, num_cpus=0, base_class="stable_baselines3")


@pytest.mark.parametrize("name", list(ENVS))
def test_supersuit_vector_env_keeps_every_agent_slot(name: str) -> None:
    module, kwargs = ENVS[name]
    slots = len(module.parallel_env(**kwargs).possible_agents)
    envs = vector_env(name)
    try:
        assert envs.num_envs == COPIES * slots
        observations = envs.reset()
        assert observations.shape == (envs.num_envs, *envs.observation_space.shape)
        ended = 0
        for _ in range(30):  # several episodes: every reset must bring back every slot
            actions = np.stack([envs.action_space.sample() for _ in range(envs.num_envs)])
            observations, rewards, dones, infos = envs.step(actions)
            assert observations.shape[0] == rewards.shape[0] == dones.shape[0] == envs.num_envs
            assert np.all(np.isfinite(rewards))
            ended += int(dones.sum())
        assert ended > 0
    finally:
        envs.close()


@pytest.mark.parametrize("name", list(ENVS))
def test_supersuit_sb3_ppo_trains(name: str) -> None:
    torch.manual_seed(0)
    envs = vector_env(name)
    try:
        model = PPO(
            "MlpPolicy", envs, n_steps=16, batch_size=64, n_epochs=1, policy_kwargs={"net_arch": [32]}
        )
        model.learn(300)
        assert model.num_timesteps >= 300
        assert all(torch.isfinite(parameter).all() for parameter in model.policy.parameters())
    finally:
        envs.close()
