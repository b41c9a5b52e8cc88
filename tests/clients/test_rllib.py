"""RLlib as a client: its PPO trains one iteration on IoA-DDA-v0 by the registered id, no adapter code.

Gymnasium's ``"module:Id"`` form makes each RLlib env runner import ``ioa_gym`` (which registers the envs)
before ``gym.make``. Skipped unless the ``rllib`` extra is installed: RLlib 2.60 pins gymnasium 1.2.2, so
the test extra does not force it on everyone (docs/guide.md, "Sweeps on Ray").
"""

from __future__ import annotations

import math

import pytest

pytest.importorskip("ray.rllib", reason="pip install 'ioa-gym[rllib]' (RLlib pins gymnasium==1.2.2)")

import ray  # noqa: E402
from ray.rllib.algorithms.ppo import PPOConfig  # noqa: E402

BATCH = 256


@pytest.mark.slow
def test_rllib_ppo_trains_one_iteration_on_the_registered_id():
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        config = (
            PPOConfig()
            .environment("ioa_gym:IoA-DDA-v0")
            .framework("torch")
            .env_runners(num_env_runners=0)
            .training(train_batch_size=BATCH, minibatch_size=64, num_epochs=1)
            .debugging(seed=0)
        )
        algo = config.build_algo()
        try:
            result = algo.train()
        finally:
            algo.stop()
    finally:
        if started:
            ray.shutdown()
    runners = result["env_runners"]
    assert result["training_iteration"] == 1 and runners["num_env_steps_sampled_lifetime"] >= BATCH
    # IoA-DDA-v0's auctions end well inside one batch: whole episodes were played, with finite returns.
    assert runners["num_episodes"] >= 1 and math.isfinite(runners["episode_return_mean"])
    assert 0 < runners["episode_len_mean"] <= BATCH
    learner = result["learners"]["default_policy"]
    assert learner["num_module_steps_trained"] >= BATCH and math.isfinite(learner["total_loss"])
