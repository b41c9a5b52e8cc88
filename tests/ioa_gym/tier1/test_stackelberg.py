"""Tier 1: follower best responses against brute force, equilibrium as 'nobody gains by deviating'."""

import itertools

import numpy as np
import pytest

from ioa_gym.tier1.scenario import ScenarioConfig
from ioa_gym.tier1.stackelberg import (
    best_response_prices,
    follower_best_response,
    follower_utility,
    leader_loads,
    leader_utilities,
    linear_search,
    solve_equilibrium,
)

SMALL = ScenarioConfig(n_wa=6, n_ma=1, n_fa=2, n_aa=2)


def _simplex_grid(n_leaders: int, step: float) -> np.ndarray:
    ticks = np.arange(0.0, 1.0 + 1e-9, step)
    pts = np.array(list(itertools.product(ticks, repeat=n_leaders)))
    return pts[pts.sum(axis=1) <= 1.0 + 1e-9]


@pytest.mark.parametrize("seed", range(6))
def test_follower_best_response_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    sc = SMALL.sample(seed)
    # Prices from far below cost (offloading nearly free: the simplex binds) to the maximum price.
    prices = rng.uniform(0.0, SMALL.max_price, sc.n_leaders) * rng.choice([0.1, 0.5, 1.0])
    share = rng.uniform(0.0, 1.0, sc.n_fa)
    ratios = follower_best_response(sc, prices, share)
    assert np.all(ratios >= 0) and np.all(ratios.sum(axis=1) <= 1 + 1e-9)
    grid = _simplex_grid(sc.n_leaders, 0.01)  # (P, L) feasible ratio vectors
    for n in range(sc.n_wa):
        cand = np.repeat(ratios[None], grid.shape[0], axis=0)
        cand[:, n, :] = grid
        brute = follower_utility(sc, cand, prices, share)[:, n]
        mine = follower_utility(sc, ratios, prices, share)[n]
        assert mine >= brute.max() - 1e-9
        # The grid optimum lies within a grid step of the closed form (strict concavity).
        assert np.abs(grid[np.argmax(brute)] - ratios[n]).max() <= 0.02 + 1e-9


def test_follower_best_response_beats_random_feasible_perturbations():
    rng = np.random.default_rng(0)
    sc = ScenarioConfig().sample(0)
    for prices in (sc.leader_unit_cost * 1.2, np.full(sc.n_leaders, 2.0), np.full(sc.n_leaders, 14.0)):
        ratios = follower_best_response(sc, prices, None)
        base = follower_utility(sc, ratios, prices, None)
        for _ in range(200):
            trial = np.clip(ratios + rng.normal(0, 0.05, ratios.shape), 0, 1)
            trial /= np.maximum(trial.sum(axis=1, keepdims=True), 1.0)
            assert np.all(follower_utility(sc, trial, prices, None) <= base + 1e-10)


def test_cheap_offloading_saturates_the_simplex():
    sc = ScenarioConfig().sample(3)
    ratios = follower_best_response(sc, np.zeros(sc.n_leaders), None)
    assert np.allclose(ratios.sum(axis=1), 1.0)
    ratios = follower_best_response(sc, np.full(sc.n_leaders, sc.max_price), None)
    assert np.all(ratios.sum(axis=1) < 1.0)


def test_leader_utilities_follow_their_definitions():
    sc = ScenarioConfig(n_wa=4, n_ma=1, n_fa=1).sample(0)
    ratios = np.full((4, 2), 0.25)
    prices = np.array([6.0, 7.0])
    work = sc.task_work.sum() * 0.25
    util = leader_utilities(sc, prices, ratios)
    assert util[0] == pytest.approx((6.0 - sc.leader_unit_cost[0]) * work)
    cap, c_fa, pi = sc.fa_capacity[0], sc.leader_unit_cost[1], sc.config.aerial_price
    expected = 7.0 * work - c_fa * min(work, cap) - pi * max(work - cap, 0.0)
    assert util[1] == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(3))
def test_fast_best_response_matches_linear_search(seed):
    sc = ScenarioConfig().sample(seed)
    prices = sc.leader_unit_cost * 1.3
    share = np.full(sc.n_fa, 0.2)
    fast_prices, fast_utils = best_response_prices(sc, prices, share)
    for leader in range(sc.n_leaders):
        ref = linear_search(sc, leader, prices, share, step=0.01)
        assert fast_utils[leader] >= ref.utility - 1e-6 * max(1.0, abs(ref.utility))
        assert sc.leader_unit_cost[leader] <= fast_prices[leader] <= sc.max_price


@pytest.mark.parametrize("scheme", ["jacobi", "gauss-seidel"])
@pytest.mark.parametrize("seed", range(4))
def test_equilibrium_nobody_gains_by_deviating(scheme, seed):
    cfg = ScenarioConfig()
    sc = cfg.sample(seed)
    eq = solve_equilibrium(sc, scheme=scheme)
    assert eq.converged
    assert np.all(eq.prices >= sc.leader_unit_cost) and np.all(eq.prices <= cfg.max_price)
    # Followers are at their best responses given the announced prices and overflow shares.
    assert np.allclose(eq.ratios, follower_best_response(sc, eq.prices, eq.overflow_share))
    # No leader gains (beyond the search resolution) by any price on a fine grid, others fixed.
    for leader in range(sc.n_leaders):
        ref = linear_search(sc, leader, eq.prices, eq.overflow_share, step=0.002)
        assert ref.utility <= eq.leader_utilities[leader] + 1e-3 * abs(eq.leader_utilities[leader])
    # Reported quantities are consistent.
    assert np.allclose(eq.loads, leader_loads(sc, eq.ratios))
    assert np.allclose(eq.overflow, np.maximum(eq.loads[sc.fa_slice] - sc.fa_capacity, 0.0))
    assert eq.price_history.shape == (eq.iterations + 1, sc.n_leaders)


def test_default_scenario_equilibrium_is_interior_with_overloaded_fas():
    cfg = ScenarioConfig()
    eqs = [(sc := cfg.sample(seed), solve_equilibrium(sc)) for seed in range(30)]
    assert all(eq.converged for _, eq in eqs)
    prices = np.array([eq.prices for _, eq in eqs])
    costs = np.array([sc.leader_unit_cost for sc, _ in eqs])
    assert np.all(prices > costs + 0.05) and np.all(prices < cfg.max_price - 0.05)  # interior
    fa_prices = prices[:, cfg.n_ma :]
    assert 4.0 <= fa_prices.mean() <= 9.0  # order of the paper's 6.0
    assert np.mean([eq.overloaded.size > 0 for _, eq in eqs]) >= 0.8  # Tier 2 has buyers


def test_bad_solver_arguments_raise():
    sc = ScenarioConfig().sample(0)
    with pytest.raises(ValueError, match="scheme"):
        solve_equilibrium(sc, scheme="newton")
    with pytest.raises(ValueError, match="damping"):
        solve_equilibrium(sc, damping=1.0)
    with pytest.raises(ValueError, match="leader"):
        linear_search(sc, 99, sc.leader_unit_cost)
    with pytest.raises(ValueError, match="initial_prices"):
        solve_equilibrium(sc, initial_prices=np.ones(2))


def test_best_response_prices_any_leader_selection():
    sc = ScenarioConfig().sample(2)
    prices, share = sc.leader_unit_cost * 1.3, np.full(sc.n_fa, 0.2)
    all_prices, all_utils = best_response_prices(sc, prices, share)
    picked = [5, 3, 3, 0]
    sub_prices, sub_utils = best_response_prices(sc, prices, share, leaders=picked)
    assert np.allclose(sub_prices, all_prices[picked]) and np.allclose(sub_utils, all_utils[picked])


def test_fast_best_response_when_fa_cost_exceeds_aerial_price():
    # c_j > pi_j: the FA utility has a convex kink at its capacity (two local maxima, one per side).
    cfg = ScenarioConfig(fa_cpu_range=(11.5, 12.5))
    for seed in range(3):
        sc = cfg.sample(seed)
        assert np.all(sc.leader_unit_cost[sc.fa_slice] > cfg.aerial_price)
        prices = sc.leader_unit_cost * 1.1
        share = np.full(sc.n_fa, 0.1)
        _, fast_utils = best_response_prices(sc, prices, share)
        for leader in range(sc.n_leaders):
            ref = linear_search(sc, leader, prices, share, step=0.01)
            assert fast_utils[leader] >= ref.utility - 1e-6 * max(1.0, abs(ref.utility))


@pytest.mark.parametrize("seed", [6, 19, 21])
def test_converged_equilibrium_is_certified_near_fa_capacity_kinks(seed):
    # Slots where moves below tol alone stopped at points some FA could still improve on by 0.1-0.4 %
    # (its best response at its capacity kink, a first-order gain): converged must mean equilibrium.
    sc = ScenarioConfig().sample(seed)
    eq = solve_equilibrium(sc)
    assert eq.converged
    for leader in range(sc.n_leaders):
        ref = linear_search(sc, leader, eq.prices, eq.overflow_share, step=0.002)
        assert ref.utility <= eq.leader_utilities[leader] + 1e-3 * abs(eq.leader_utilities[leader])
