"""The public-information reference of the strategy-proof DDA (ioa_gym.analysis.public_reference): reads only
public entries, fits the brute-force best target, keeps the auction IC."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.analysis.ic_audit import audit_policy
from ioa_gym.analysis.public_reference import (
    PublicClasses,
    PublicClassPolicy,
    class_keys,
    fit_targets,
    select_classes,
    target_returns,
)
from ioa_gym.analysis.rollout import play, predictor
from ioa_gym.analysis.seeding import episode_seed
from ioa_gym.auctions import Market

ENV_ID = "IoA-DDA-StrategyProof-v0"
CLASSES = PublicClasses({"buyer_units": (10.0,)})
TABLE: dict[tuple[int, ...], float] = {(0,): 5.0, (1,): 8.0}


def _market(values: list[float], units: list[int], costs: list[float], supply: list[int]) -> Market:
    return Market(np.array(values), np.array(units), np.array(costs), np.array(supply))


def _actions(env: gym.Env, policy: PublicClassPolicy, market: Market) -> list[np.ndarray]:
    obs, _ = env.reset(seed=3, options={"market": market})
    actions, done = [], False
    while not done:
        action, _ = policy.predict(obs)
        actions.append(action)
        obs, _, terminated, truncated, _ = env.step(action)
        done = terminated or truncated
    return actions


def test_policy_reads_only_public_entries() -> None:
    env = gym.make(ENV_ID)
    policy = PublicClassPolicy(env, CLASSES, TABLE, default_target=6.0)
    market = _market([20.0, 9.0], [3, 4], [1.0, 4.0, 7.0], [5, 6, 4])
    changed = _market([28.0, 12.5], [3, 4], [2.5, 3.0, 11.0], [5, 6, 4])  # other reports, same sizes
    first, second = _actions(env, policy, market), _actions(env, policy, changed)
    assert len(first) == len(second) and all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    larger = _market([20.0, 9.0], [3, 9], [1.0, 4.0, 7.0], [5, 6, 4])  # 12 buyer units: the other class
    obs_small, _ = env.reset(seed=3, options={"market": market})
    obs_large, _ = env.reset(seed=3, options={"market": larger})
    assert policy.target_of(obs_small) == 5.0 and policy.target_of(obs_large) == 8.0


def test_fit_picks_brute_force_best_target() -> None:
    env = gym.make(ENV_ID, market_source="synthetic")
    seeds = [episode_seed(7, i) for i in range(8)]
    targets = (4.0, 6.0, 9.0, 13.0)
    returns, counts = target_returns(env, seeds, targets, ["buyer_units"])
    classes = PublicClasses({"buyer_units": (float(np.median(counts[:, 0])),)})
    keys = class_keys(classes, counts, ["buyer_units"])
    # Brute force: every target played through the env by the policy itself.
    played = np.array(
        [
            [ep.total_reward for ep in play([env], predictor(PublicClassPolicy(env, classes, {}, t)), [s])]
            for s in seeds
            for t in targets
        ]
    ).reshape(len(seeds), len(targets))
    np.testing.assert_allclose(returns, played, atol=1e-9)
    table, default, sizes = fit_targets(returns, keys, targets)
    for key in set(keys):
        rows = [i for i, k in enumerate(keys) if k == key]
        means = [played[rows, j].mean() for j in range(len(targets))]
        assert table[key] == targets[int(np.argmax(means))] and sizes[key] == len(rows)
    assert default == targets[int(np.argmax(played.mean(axis=0)))]
    chosen, scores = select_classes(returns, counts, ["buyer_units"], [{"buyer_units": 1}], targets, folds=2)
    assert chosen == {"buyer_units": 1} and len(scores) == 1


def test_fit_targets_on_a_hand_made_table() -> None:
    returns = np.array([[0.1, 0.5, 0.2], [0.3, 0.1, 0.3], [0.0, 0.4, 0.9]])
    table, default, sizes = fit_targets(returns, [(0,), (0,), (1,)], (4.0, 6.0, 8.0))
    assert table == {(0,): 6.0, (1,): 8.0} and default == 8.0 and sizes == {(0,): 2, (1,): 1}
    with pytest.raises(ValueError, match="shape"):
        fit_targets(returns, [(0,)], (4.0, 6.0, 8.0))


def test_ic_audit_exactly_zero() -> None:
    policy = PublicClassPolicy(gym.make(ENV_ID), PublicClasses({"buyer_units": (10.0, 19.0)}), TABLE, 6.0)
    result = audit_policy(policy, ENV_ID, n_markets=4, seed=3, n_deviations=2)
    summary = result.summary()
    assert summary["max_gain"] == 0.0 and summary["share_with_gain"] == 0.0


def test_needs_the_strategy_proof_observation() -> None:
    with pytest.raises(ValueError, match="meeting rule"):
        PublicClassPolicy(gym.make("IoA-DDA-v0"), CLASSES, TABLE, 6.0)
    with pytest.raises(ValueError, match="unknown feature"):
        PublicClasses({"values": (1.0,)})
