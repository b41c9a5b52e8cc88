"""sb3-contrib as a client: each of its algorithms trains a few hundred steps on an id by name, as its docs
show them on any Gymnasium env (the project's agent registry offers the first five as tqc, trpo, ars, qrdqn,
crossq when the package is installed).

Runs where sb3-contrib is installed (the dev extra, ``scripts/check_clients.sh``); skipped elsewhere.
"""

from __future__ import annotations

import math

import pytest

pytest.importorskip("sb3_contrib", reason="pip install sb3-contrib (in the dev extra)")

from sb3_contrib import ARS, QRDQN, TQC, TRPO, CrossQ, RecurrentPPO  # noqa: E402
from stable_baselines3.common.env_util import make_vec_env  # noqa: E402
from stable_baselines3.common.evaluation import evaluate_policy  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ALGORITHMS = [
    (TQC, "ioa_gym:IoA-DDA-v0", {"learning_starts": 100, "batch_size": 32}),
    (CrossQ, "ioa_gym:IoA-DDA-DoubleClock-v0", {"learning_starts": 100, "batch_size": 32}),
    (QRDQN, "ioa_gym:IoA-DDA-Discrete-v0", {"learning_starts": 100, "batch_size": 32}),
    (TRPO, "IoA-DDA-StrategyProof-v0", {"n_steps": 64, "batch_size": 32}),
    (ARS, "IoA-DDA-v0", {"n_delta": 2}),
    (RecurrentPPO, "IoA-Stackelberg-v0", {"n_steps": 32, "batch_size": 32, "n_epochs": 1}),
]


@pytest.mark.parametrize(
    ("algorithm", "env_id", "kwargs"), ALGORITHMS, ids=[f"{a.__name__}-{e}" for a, e, _ in ALGORITHMS]
)
def test_sb3_contrib_algorithm_trains_and_evaluates(algorithm, env_id: str, kwargs: dict) -> None:
    env = make_vec_env(env_id, n_envs=2, seed=0) if algorithm in (TRPO, RecurrentPPO) else env_id
    policy = "MlpLstmPolicy" if algorithm is RecurrentPPO else "MlpPolicy"
    model = algorithm(policy, env, seed=0, policy_kwargs={"net_arch": [32, 32]}, **kwargs)
    model.learn(300)
    assert model.num_timesteps >= 300
    mean, std = evaluate_policy(model, model.get_env(), n_eval_episodes=2)
    assert math.isfinite(mean) and math.isfinite(std)
