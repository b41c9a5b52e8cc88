"""Stable-Baselines3 as a client: its env checker, and each of its algorithms training a few hundred steps on
an id by name (the README's snippet, no adapter code), on SB3's own vectorisation, then its evaluation helper.

SB3 is a dependency of the project, so this file runs everywhere.
"""

from __future__ import annotations

import math

import gymnasium as gym
import pytest

pytest.importorskip("stable_baselines3", reason="pip install stable-baselines3")

from stable_baselines3 import A2C, DDPG, DQN, PPO, SAC, TD3  # noqa: E402
from stable_baselines3.common.env_checker import check_env  # noqa: E402
from stable_baselines3.common.env_util import make_vec_env  # noqa: E402
from stable_baselines3.common.evaluation import evaluate_policy  # noqa: E402
from stable_baselines3.common.vec_env import SubprocVecEnv  # noqa: E402

from tests.clients._envs import ALL_IDS  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_sb3_env_checker_passes(env_id: str) -> None:
    env = gym.make(env_id)
    try:
        check_env(env, warn=True)
    finally:
        env.close()


# Off-policy algorithms on the ``"ioa_gym:Id"`` string (each learns from its 100th step on), on-policy ones
# on make_vec_env; every id and both kinds of action space once.
ALGORITHMS = [
    (SAC, "ioa_gym:IoA-DDA-v0", {"learning_starts": 100, "batch_size": 32}),
    (TD3, "ioa_gym:IoA-DDA-StrategyProof-v0", {"learning_starts": 100, "batch_size": 32}),
    (DDPG, "ioa_gym:IoA-Stackelberg-v0", {"learning_starts": 100, "batch_size": 32}),
    (DQN, "ioa_gym:IoA-DDA-Discrete-v0", {"learning_starts": 100, "batch_size": 32}),
    (PPO, "IoA-DDA-DoubleClock-v0", {"n_steps": 64, "batch_size": 32, "n_epochs": 1}),
    (A2C, "IoA-DDA-Discrete-v0", {"n_steps": 8}),
]


@pytest.mark.parametrize(
    ("algorithm", "env_id", "kwargs"), ALGORITHMS, ids=[f"{a.__name__}-{e}" for a, e, _ in ALGORITHMS]
)
def test_sb3_algorithm_trains_and_evaluates(algorithm, env_id: str, kwargs: dict) -> None:
    if algorithm in (PPO, A2C):
        env = make_vec_env(env_id, n_envs=2, seed=0)
    else:
        env = env_id
    model = algorithm("MlpPolicy", env, seed=0, policy_kwargs={"net_arch": [32, 32]}, **kwargs)
    model.learn(300)
    assert model.num_timesteps >= 300
    mean, std = evaluate_policy(model, model.get_env(), n_eval_episodes=2)
    assert math.isfinite(mean) and math.isfinite(std)


def test_sb3_ppo_on_subproc_vec_env() -> None:
    # SB3 starts its workers with forkserver, fresh interpreters that have not imported ioa_gym: the
    # "ioa_gym:" prefix makes each import it (a plain "IoA-DDA-v0" fails there with NameNotFound).
    env = make_vec_env("ioa_gym:IoA-DDA-v0", n_envs=2, seed=0, vec_env_cls=SubprocVecEnv)
    try:
        model = PPO("MlpPolicy", env, n_steps=64, batch_size=64, n_epochs=1, seed=0).learn(256)
        assert model.num_timesteps >= 256
    finally:
        env.close()
