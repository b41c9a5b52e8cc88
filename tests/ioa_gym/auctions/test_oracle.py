"""The clairvoyant ceiling (ioa_gym.auctions.oracle): exact against brute force, never below any agent."""

from __future__ import annotations

import itertools
import math

import gymnasium as gym
import numpy as np
import pytest

import ioa_gym  # noqa: F401 (registers the envs)
from ioa_gym.analysis.policies import AdaptiveStepPolicy, ClairvoyantPolicy
from ioa_gym.auctions import (
    efficient_welfare,
    make_auction,
    mechanism_names,
    sample_market,
    welfare_efficiency,
)
from ioa_gym.auctions.oracle import clairvoyant, event_steps

BOUNDS = (0.0, 8.0)
ROUNDS = 7  # short enough to enumerate every sequence of steps


def _market(seed):
    rng = np.random.default_rng(seed)
    return sample_market(rng, (1, 3), (1, 3), (1, 3), (2.0, 7.0), (1.0, 6.0))


def _value(auction, eta):
    return (
        welfare_efficiency(auction.result().social_welfare, efficient_welfare(auction.market))
        - eta * auction.rounds
    )


def _brute_force(auction, steps, eta):
    """The best return over every sequence of ``steps`` (each auction ends within ROUNDS ticks)."""
    best = -math.inf
    for sequence in itertools.product(steps, repeat=ROUNDS):
        twin = auction.clone()
        for step in sequence:
            if twin.done:
                break
            twin.tick(step)
        assert twin.done
        best = max(best, _value(twin, eta))
    return best


@pytest.mark.parametrize("variant", mechanism_names())
@pytest.mark.parametrize("seed", range(6))
def test_exact_over_a_step_set_by_brute_force(variant, seed):
    eta = (0.0, 0.004, 0.05)[seed % 3]
    auction = make_auction(_market(seed), variant, BOUNDS, ROUNDS, seed=seed)
    steps = (0.6, 1.7, 3.1)
    found = clairvoyant(auction, eta, steps=steps)
    assert found.exact
    assert found.value == pytest.approx(_brute_force(auction, steps, eta), abs=1e-12)
    # The sequence it reports reaches the value it reports.
    twin = auction.clone()
    for step in found.steps:
        twin.tick(step)
    assert twin.done and _value(twin, eta) == pytest.approx(found.value, abs=1e-12)
    assert found.rounds == twin.rounds


@pytest.mark.parametrize("variant", mechanism_names())
@pytest.mark.parametrize("seed", range(6))
def test_event_aligned_steps_beat_every_sequence_of_a_grid_in_the_range(variant, seed):
    """Over [step_min, step_max] the event-aligned search is at least as good as brute force over grids
    inside the range (its dominance argument, checked). The grids' steps are irrational-looking: with round
    steps such as 2.9 the clocks can land exactly on each other (8 - 2.2 - 2.9 = 0 + 2.9 in floats), a
    single point of the step range that the search leaves out (see ioa_gym.auctions.oracle)."""
    eta = (0.0, 0.004, 0.05)[seed % 3]
    auction = make_auction(_market(100 + seed), variant, BOUNDS, ROUNDS, seed=seed)
    found = clairvoyant(auction, eta, step_range=(0.5, 3.0))
    assert found.exact and all(0.5 <= step <= 3.0 for step in found.steps)
    for grid in ((0.5, math.sqrt(2.0), math.e), (0.5 + 1 / math.pi, math.sqrt(5.0), 3.0 - 1 / math.e**5)):
        assert found.value >= _brute_force(auction, grid, eta) - 1e-12


def test_the_search_leaves_the_auction_as_it_was():
    auction = make_auction(_market(3), "classic", BOUNDS, ROUNDS, seed=0)
    auction.tick(1.0)
    before = (auction.buyer_price, auction.seller_price, auction.rounds, auction.buyer_units_accepted)
    clairvoyant(auction, 0.004, step_range=(0.5, 3.0))
    assert (auction.buyer_price, auction.seller_price, auction.rounds, auction.buyer_units_accepted) == before


def test_a_small_budget_is_reported_and_still_beats_the_fixed_steps():
    auction = make_auction(_market(4), "classic", (0.0, 30.0), 300, seed=0)
    found = clairvoyant(auction, 0.004, steps=np.geomspace(0.02, 4.0, 12), max_nodes=500)
    assert not found.exact
    for step in np.geomspace(0.02, 4.0, 12):
        twin = auction.clone()
        while not twin.done:
            twin.tick(step)
        assert found.value >= _value(twin, 0.004) - 1e-12


def _play(env, policy, seed):
    obs, _ = env.reset(seed=seed)
    total, done = 0.0, False
    while not done:
        action, _ = policy.predict(obs, deterministic=True)
        obs, reward, terminated, truncated, _ = env.step(action)
        total += reward
        done = terminated or truncated
    return total


class _Fixed:
    def __init__(self, env, step):
        self.env, self.step = env, step

    def predict(self, obs, deterministic=True):
        step = (self.step, self.step) if self.env.unwrapped.config.per_clock_steps else self.step
        return self.env.unwrapped.step_to_action(step), None


class _Random:
    def __init__(self, env, seed):
        self.space = env.action_space
        self.space.seed(seed)

    def predict(self, obs, deterministic=True):
        return self.space.sample(), None


@pytest.mark.parametrize("env_id", ["IoA-DDA-v0", "IoA-DDA-StrategyProof-v0", "IoA-DDA-DoubleClock-v0"])
def test_the_oracle_is_never_below_any_agent_on_the_same_auction(env_id):
    """On the continuous envs, whose event-aligned searches finish (on the discrete env's 12 steps the
    search may stop at its node budget, ``exact=False``; its exactness is checked by brute force above)."""
    env = gym.make(env_id)
    oracle = ClairvoyantPolicy(env)
    agents = [AdaptiveStepPolicy(env), _Random(env, 0)] + [_Fixed(env, step) for step in (0.35, 1.46, 4.0)]
    for seed in range(8):
        ceiling = _play(env, oracle, seed)
        assert oracle.plans[-1].exact
        assert ceiling == pytest.approx(oracle.plans[-1].value, abs=1e-12)  # it plays what it planned
        for agent in agents:
            assert ceiling >= _play(env, agent, seed) - 1e-12


def test_event_steps_stay_in_range_and_off_the_points():
    auction = make_auction(_market(5), "classic", BOUNDS, ROUNDS, seed=0)
    steps = event_steps(auction, 0.5, 3.0)
    assert steps == tuple(sorted(steps, reverse=True)) and all(0.5 <= s <= 3.0 for s in steps)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one"),
        ({"steps": (1.0,), "step_range": (0.5, 1.0)}, "exactly one"),
        ({"steps": ()}, "steps"),
        ({"steps": (1.0, -1.0)}, "steps"),
        ({"step_range": (0.0, 1.0)}, "step_range"),
        ({"step_range": (1.0,)}, "step_range"),
        ({"steps": (1.0,), "eta": -0.1}, "eta"),
        ({"steps": (1.0,), "max_nodes": 0}, "max_nodes"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    auction = make_auction(_market(0), "classic", BOUNDS, ROUNDS, seed=0)
    eta = kwargs.pop("eta", 0.004)
    with pytest.raises(ValueError, match=message):
        clairvoyant(auction, eta, **kwargs)


def test_a_finished_auction_and_a_vector_env_are_refused():
    auction = make_auction(_market(0), "classic", BOUNDS, ROUNDS, seed=0)
    while not auction.done:
        auction.tick(3.0)
    with pytest.raises(ValueError, match="done"):
        clairvoyant(auction, 0.004, steps=(1.0,))
    with pytest.raises(ValueError, match="single"):
        ClairvoyantPolicy(gym.make_vec("IoA-DDA-v0", 2))


def test_strategy_proof_clocks_can_wait():
    """Episodes 32 and 34 of evaluation seed 0: before the search let a strategy-proof clock creep by
    step_min while the other catches up, the fixed pair (4.0, 1.0) beat the 'ceiling' there by 0.19-0.37."""
    from agents.evaluation.harness import run_episode
    from agents.registry import make_agent

    env = gym.make("IoA-DDA-StrategyProof-v0")
    oracle, pair = make_agent("clairvoyant", env), make_agent("fixed-step", env, step=[4.0, 1.0])
    for episode in (32, 34):
        ceiling = run_episode(env, oracle, 0, episode)["return"]
        assert ceiling >= run_episode(env, pair, 0, episode)["return"] - 1e-12
