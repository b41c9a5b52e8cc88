"""The public-information reference of the IC DDA ids (ioa_gym.analysis.public_reference): reads only public
entries, fits the brute-force best target, simulates what the env plays, keeps the auction IC; on the double
clock also the closed-loop SlowdownPolicy."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.analysis.ic_audit import audit_policy
from ioa_gym.analysis.policies import AdaptiveStepPolicy
from ioa_gym.analysis.public_reference import (
    PublicClasses,
    PublicClassPolicy,
    SlowdownPolicy,
    class_keys,
    fit_targets,
    public_returns,
    select_classes,
    simulate,
    target_returns,
)
from ioa_gym.analysis.rollout import play, predictor
from ioa_gym.analysis.seeding import episode_seed
from ioa_gym.auctions import Market

ENV_ID = "IoA-DDA-StrategyProof-v0"
DC_ID = "IoA-DDA-DoubleClock-v0"
CLASSES = PublicClasses({"buyer_units": (10.0,)})
TABLE: dict[tuple[int, ...], float] = {(0,): 5.0, (1,): 8.0}


def _market(values: list[float], units: list[int], costs: list[float], supply: list[int]) -> Market:
    return Market(np.array(values), np.array(units), np.array(costs), np.array(supply))


def _play(env: gym.Env, policy: PublicClassPolicy | SlowdownPolicy, market: Market) -> list[tuple]:
    """(observation, action) of every step of ``policy`` on ``market``."""
    obs, _ = env.reset(seed=3, options={"market": market})
    steps, done = [], False
    while not done:
        action, _ = policy.predict(obs)
        steps.append((obs, action))
        obs, _, terminated, truncated, _ = env.step(action)
        done = terminated or truncated
    return steps


def _actions(env: gym.Env, policy: PublicClassPolicy | SlowdownPolicy, market: Market) -> list[np.ndarray]:
    return [action for _, action in _play(env, policy, market)]


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


def test_needs_an_incentive_compatible_mechanism() -> None:
    with pytest.raises(ValueError, match="meeting rule"):
        PublicClassPolicy(gym.make("IoA-DDA-v0"), CLASSES, TABLE, 6.0)
    with pytest.raises(ValueError, match="unknown feature"):
        PublicClasses({"values": (1.0,)})
    with pytest.raises(ValueError, match="counts exits"):
        SlowdownPolicy(gym.make(ENV_ID), 7.0, 0.15)
    with pytest.raises(ValueError, match="counts exits"):
        SlowdownPolicy(gym.make("IoA-DDA-v0"), 7.0, 0.15)
    with pytest.raises(ValueError, match="step"):
        SlowdownPolicy(gym.make(DC_ID), 7.0, 0.001)
    env = gym.make(DC_ID, history_length=2).unwrapped
    first_obs, _ = env.reset(seed=1)
    with pytest.raises(ValueError, match="history_length"):
        simulate(env, first_obs, lambda obs: 1.0)


# -- the double clock ---------------------------------------------------------------------------------------

DC_MARKET = _market([9.3, 8.1], [3, 4], [2.2, 5.3, 6.6], [5, 6, 4])
DC_OTHER_REPORTS = _market([10.9, 8.04], [3, 4], [1.1, 5.24, 6.7], [5, 6, 4])
"""Other values and costs, the same exits at the same ticks under the policies below: the same public
history."""


@pytest.mark.parametrize("kind", ["slowdown", "target"])
def test_double_clock_policies_read_only_the_observation(kind: str) -> None:
    env = gym.make(DC_ID)
    policy = (
        SlowdownPolicy(env, 7.0, 0.15, 1.0) if kind == "slowdown" else PublicClassPolicy(env, CLASSES, TABLE)
    )
    first, second = _play(env, policy, DC_MARKET), _play(env, policy, DC_OTHER_REPORTS)
    assert len(first) == len(second) > 3
    for (obs_a, action_a), (obs_b, action_b) in zip(first, second, strict=True):
        assert np.array_equal(obs_a, obs_b) and np.array_equal(action_a, action_b)
    # The env holding another auction does not move an action: only the observation does.
    env.reset(seed=9, options={"market": _market([20.0], [9], [1.0, 2.0], [1, 1])})
    assert all(np.array_equal(policy.predict(obs)[0], action) for obs, action in first)
    assert len({float(np.asarray(action).reshape(-1)[0]) for _, action in first}) > 1


def test_slowdown_steps_by_hand() -> None:
    env = gym.make(DC_ID).unwrapped
    policy, plain = SlowdownPolicy(env, 7.0, 0.15, 1.0), SlowdownPolicy(env, 7.0, 0.15, 0.0)
    obs, _ = env.reset(seed=3, options={"market": DC_MARKET})  # 7 buyer units (2 buyers), 15 seller units (3)
    names = env.obs_names
    assert obs[names.index("buyer_clock_active")] == 0.0 and policy.step_size(obs) == env.config.step_max
    obs[names.index("seller_price")] = 8.5 / 30.0  # 1.5 above the slow price: stops there
    assert policy.step_size(obs) == pytest.approx(1.5, abs=1e-5)
    obs[names.index("seller_price")] = 6.9 / 30.0  # past it: 15 - 7 active units, 5 per seller
    assert policy.step_size(obs) == pytest.approx(0.15 * 8 / 5) and plain.step_size(obs) == 0.15
    obs[names.index("seller_units_exited")] = 6 / 15  # 9 seller units left: surplus 2 / 5 < 1
    assert policy.step_size(obs) == pytest.approx(0.15)
    obs[names.index("buyer_clock_active")] = 1.0
    obs[names.index("buyer_price")] = 5.0 / 30.0  # the buyer clock 2 below the slow price
    assert policy.step_size(obs) == pytest.approx(2.0, abs=1e-5)
    obs[names.index("seller_price")] = 8.0 / 30.0
    obs[names.index("buyer_price")] = 7.5 / 30.0  # past it, its side short (7 < 9 units): the plain step
    assert policy.step_size(obs) == pytest.approx(0.15)


def test_meeting_rule_both_clock_directions() -> None:
    env = gym.make(ENV_ID).unwrapped
    policy, adaptive = PublicClassPolicy(env, CLASSES, TABLE, 6.0), AdaptiveStepPolicy(env)
    rng = np.random.default_rng(5)
    for _ in range(500):  # the descending buyer clock: AdaptiveStepPolicy's rule, bit for bit
        obs = env.observation_space.sample()
        obs[0] = rng.uniform(0.1, 1.0)
        obs[1] = rng.uniform(0.0, obs[0])
        target = float(rng.uniform(1.0, 29.0))
        assert policy.meeting_steps(obs, target) == adaptive._meeting_steps(obs, target)
    dc = gym.make(DC_ID).unwrapped
    policy = PublicClassPolicy(dc, CLASSES, TABLE, 6.0)
    obs, _ = dc.reset(seed=3, options={"market": DC_MARKET})  # buyer clock 0, seller clock 30, sellers move
    assert policy.meeting_steps(obs, 6.0) == pytest.approx((1.0, 4.0))  # 6 and 24 in 6 ticks
    assert policy.step_towards(obs, 6.0) == pytest.approx(4.0)
    obs[dc.obs_names.index("seller_price")] = 6.0 / 30.0
    obs[dc.obs_names.index("buyer_clock_active")] = 1.0  # the seller clock stands at the target: cross it
    assert policy.step_towards(obs, 6.0) == dc.config.step_max


def test_simulation_is_what_the_env_plays() -> None:
    env = gym.make(DC_ID)
    base = env.unwrapped
    policies = [SlowdownPolicy(env, 7.0, 0.15, 1.0), SlowdownPolicy(env, 8.0, 0.05, 0.0)]
    policies.append(PublicClassPolicy(env, PublicClasses({"buyer_units": (14.0,)}), {(0,): 5.0, (1,): 7.0}))
    seeds = [episode_seed(7, i) for i in range(4)]
    simulated = public_returns(env, seeds, [policy._step_size for policy in policies])
    last_step = base.obs_names.index("last_step")
    for i, seed in enumerate(seeds):
        for j, policy in enumerate(policies):
            first_obs, _ = base.reset(seed=seed)
            trace: list[np.ndarray] = []
            ret, efficiency, rounds = simulate(base, first_obs, policy._step_size, trace)
            (episode,) = play([env], predictor(policy), [seed])
            assert ret == simulated[i, j] == pytest.approx(episode.total_reward, abs=1e-9)
            assert efficiency == episode.info["efficiency"] and rounds == episode.length == len(trace)
            obs, _ = env.reset(seed=seed)
            for k in range(episode.length):
                obs, *_ = env.step(policy.predict(obs)[0])
                assert np.array_equal(np.delete(obs, last_step), np.delete(trace[k], last_step))
                assert np.isnan(trace[k][last_step])
    returns, _ = target_returns(env, seeds, (5.0, 7.0), ["buyer_units"])
    fixed = [PublicClassPolicy(env, PublicClasses({}), {}, t) for t in (5.0, 7.0)]
    np.testing.assert_array_equal(returns, public_returns(env, seeds, [p._step_size for p in fixed]))


@pytest.mark.parametrize("kind", ["slowdown", "target"])
def test_double_clock_ic_audit_exactly_zero(kind: str) -> None:
    env = gym.make(DC_ID)
    policy = (
        SlowdownPolicy(env, 7.0, 0.15, 1.0) if kind == "slowdown" else PublicClassPolicy(env, CLASSES, TABLE)
    )
    summary = audit_policy(policy, DC_ID, n_markets=4, seed=3, n_deviations=2).summary()
    assert summary["max_gain"] == 0.0 and summary["share_with_gain"] == 0.0
