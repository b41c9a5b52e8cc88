"""Tianshou as a client: SAC, built as Tianshou 2's docs build it, collects from IoA-DDA-v0 and
IoA-DDA-DoubleClock-v0 through a DummyVectorEnv and a SubprocVectorEnv into a VectorReplayBuffer and takes
gradient steps in its OffPolicyTrainer.

Tianshou stores every info key of every step in its buffer and refuses a buffer with missing (NaN) entries
("MalformedBufferError: Encountered NaNs in buffer"), so this needs each step's info to carry the same keys
with numeric values (issue 23).

Runs where Tianshou is installed (``scripts/check_clients.sh``); skipped elsewhere.
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("tianshou", reason="pip install tianshou")

import torch  # noqa: E402
from tianshou.algorithm.modelfree.sac import SAC, AutoAlpha, SACPolicy  # noqa: E402
from tianshou.algorithm.optim import AdamOptimizerFactory  # noqa: E402
from tianshou.data import Collector, CollectStats, VectorReplayBuffer  # noqa: E402
from tianshou.env import DummyVectorEnv, SubprocVectorEnv  # noqa: E402
from tianshou.trainer import OffPolicyTrainerParams  # noqa: E402
from tianshou.utils.net.common import Net  # noqa: E402
from tianshou.utils.net.continuous import ContinuousActorProbabilistic, ContinuousCritic  # noqa: E402

import ioa_gym  # noqa: E402, F401  (registers the environments)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TRAIN_STEPS = 200
HIDDEN = [32, 32]


def make_sac(env: gym.Env) -> SAC:
    observation_shape, action_shape = env.observation_space.shape, env.action_space.shape
    actor = ContinuousActorProbabilistic(
        preprocess_net=Net(state_shape=observation_shape, hidden_sizes=HIDDEN),
        action_shape=action_shape,
        unbounded=True,
        conditioned_sigma=True,
    )

    def critic() -> ContinuousCritic:
        net = Net(state_shape=observation_shape, action_shape=action_shape, hidden_sizes=HIDDEN, concat=True)
        return ContinuousCritic(preprocess_net=net)

    return SAC(
        policy=SACPolicy(actor=actor, action_space=env.action_space),
        policy_optim=AdamOptimizerFactory(lr=1e-3),
        critic=critic(),
        critic_optim=AdamOptimizerFactory(lr=1e-3),
        critic2=critic(),
        critic2_optim=AdamOptimizerFactory(lr=1e-3),
        alpha=AutoAlpha(
            target_entropy=-float(np.prod(action_shape)), log_alpha=0.0, optim=AdamOptimizerFactory()
        ),
    )


CASES = [
    ("IoA-DDA-v0", DummyVectorEnv, SubprocVectorEnv),
    ("IoA-DDA-DoubleClock-v0", SubprocVectorEnv, DummyVectorEnv),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("env_id", "train_vector", "test_vector"),
    CASES,
    ids=[f"{env_id}-train-{train.__name__}" for env_id, train, _ in CASES],
)
def test_tianshou_sac_collects_into_a_replay_buffer_and_trains(env_id, train_vector, test_vector) -> None:
    torch.manual_seed(0)
    # The "ioa_gym:" prefix imports the package (registering the ids) in each SubprocVectorEnv worker: needed
    # where workers start as fresh interpreters, e.g. after `import torchrl` set multiprocessing to "spawn".
    train_envs = train_vector([lambda: gym.make(f"ioa_gym:{env_id}") for _ in range(2)])
    test_envs = test_vector([lambda: gym.make(f"ioa_gym:{env_id}") for _ in range(2)])
    try:
        train_envs.seed(0)
        test_envs.seed(100)
        algorithm = make_sac(gym.make(env_id))
        buffer = VectorReplayBuffer(1000, len(train_envs))
        train_collector = Collector[CollectStats](algorithm, train_envs, buffer, exploration_noise=True)
        test_collector = Collector[CollectStats](algorithm, test_envs)
        train_collector.reset()
        test_collector.reset()
        result = algorithm.run_training(
            OffPolicyTrainerParams(
                training_collector=train_collector,
                test_collector=test_collector,
                max_epochs=1,
                epoch_num_steps=TRAIN_STEPS,
                collection_step_num_env_steps=10,
                test_step_num_episodes=2,
                batch_size=32,
                update_step_num_gradient_steps_per_sample=0.5,
                show_progress=False,
                verbose=False,
            )
        )
    finally:
        train_envs.close()
        test_envs.close()
    assert result.train_step >= TRAIN_STEPS and result.update_step > 0
    assert result.train_episode > 0 and result.test_episode >= 2
    assert math.isfinite(result.best_reward)
    assert len(buffer) == TRAIN_STEPS
    # Every stored info value is a number: none of them is missing on some steps.
    for key, values in buffer.info.items():
        assert np.asarray(values).dtype.kind in "biuf", (
            f"info[{key!r}] is stored as {np.asarray(values).dtype}"
        )
