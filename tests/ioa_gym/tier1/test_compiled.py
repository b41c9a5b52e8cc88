"""The compiled Tier-1 core (ioa_gym.tier1._solver_kernel) against its NumPy definitions, and the envs against
trajectories recorded before it existed.

The NumPy solver (`method="numpy"`), the NumPy physics (`physics_reference`) and the per-quantity
random draws (`draws_reference`) are the definitions; the compiled versions must give the same numbers
up to rounding (bit for bit where the operations are the same). The equilibrium itself is checked
independently of both in tests/test_stackelberg.py (no profitable deviation, brute-force followers).
"""

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import ioa_gym  # noqa: F401  (registers the envs)
from ioa_gym.auctions import Market, efficient_welfare
from ioa_gym.auctions.market import _efficient_welfare
from ioa_gym.coupling.markets import market_from_equilibrium
from ioa_gym.tier1._physics import draws, draws_reference, physics, physics_reference
from ioa_gym.tier1.scenario import ScenarioConfig
from ioa_gym.tier1.stackelberg import (
    best_response_prices,
    follower_best_response,
    follower_utility,
    leader_loads,
    leader_utilities,
    overflow_of,
    slot_outcome,
    solve_equilibrium,
)

CONFIGS = {
    "default": ScenarioConfig(),
    "no_aa": ScenarioConfig(n_aa=0),
    "no_fa": ScenarioConfig(n_fa=0),
    "no_ma_no_fading": ScenarioConfig(n_ma=0, rayleigh_fading=False),
    "one_wa": ScenarioConfig(n_wa=1, n_ma=1, n_fa=0, n_aa=0),
    # FA unit cost above the aerial price: the capacity kink bends U upwards (two rows per FA).
    "cheap_aerial": ScenarioConfig(aerial_price=2.0, fa_cpu_range=(11.0, 13.0), max_price=20.0),
    "crowded": ScenarioConfig(n_wa=60, fa_capacity_range=(1.0, 3.0)),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_draws_are_the_per_quantity_uniform_draws_bit_for_bit(name):
    cfg = CONFIGS[name]
    for seed in range(20):
        fast, slow = np.random.default_rng(seed), np.random.default_rng(seed)
        got, want = draws(cfg, fast), draws_reference(cfg, slow)
        for key, value in want.items():
            assert got[key].shape == value.shape and np.array_equal(got[key], value), (key, seed)
        assert fast.random() == slow.random()  # the generator is left in the same state


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_compiled_physics_matches_numpy(name):
    cfg = CONFIGS[name]
    for seed in range(10):
        drawn = draws(cfg, np.random.default_rng(seed))
        for got, want in zip(physics(cfg, drawn), physics_reference(cfg, drawn), strict=True):
            assert got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=0.0)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_compiled_equilibrium_matches_numpy(name):
    cfg = CONFIGS[name]
    for seed in range(6 if name != "crowded" else 2):
        scenario = cfg.sample(seed)
        fast = solve_equilibrium(scenario)
        slow = solve_equilibrium(scenario, method="numpy")
        assert fast.converged == slow.converged
        np.testing.assert_allclose(fast.prices, slow.prices, atol=1e-6, rtol=0)
        np.testing.assert_allclose(fast.overflow_share, slow.overflow_share, atol=1e-6, rtol=0)
        np.testing.assert_allclose(fast.ratios, slow.ratios, atol=1e-6, rtol=0)
        # The outcome the kernel computes itself is what the NumPy definitions give at its answer.
        np.testing.assert_allclose(
            fast.ratios, follower_best_response(scenario, fast.prices, fast.overflow_share), atol=1e-12
        )
        np.testing.assert_allclose(fast.loads, leader_loads(scenario, fast.ratios), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(fast.overflow, overflow_of(scenario, fast.loads)[0], atol=1e-12)
        leaders = leader_utilities(scenario, fast.prices, fast.ratios)
        np.testing.assert_allclose(fast.leader_utilities, leaders, rtol=1e-12, atol=1e-10)
        np.testing.assert_allclose(
            fast.follower_utilities,
            follower_utility(scenario, fast.ratios, fast.prices, fast.overflow_share),
            rtol=1e-12,
            atol=1e-10,
        )
        assert fast.price_history.shape[0] == fast.ratio_history.shape[0] == fast.iterations + 1


@pytest.mark.parametrize(
    "options",
    [
        {"scheme": "gauss-seidel"},
        {"damping": 0.4},
        {"grid_points": 9, "refine_levels": 2, "refine_points": 5},
        {"max_iter": 2},
        {"initial_prices": "high"},
    ],
)
def test_compiled_equilibrium_matches_numpy_under_options(options):
    for seed in range(3):
        scenario = ScenarioConfig().sample(100 + seed)
        kwargs = dict(options)
        if kwargs.get("initial_prices") == "high":
            kwargs["initial_prices"] = np.full(scenario.n_leaders, scenario.max_price - 1.0)
        fast = solve_equilibrium(scenario, **kwargs)
        slow = solve_equilibrium(scenario, method="numpy", **kwargs)
        assert fast.converged == slow.converged and fast.iterations == slow.iterations
        np.testing.assert_allclose(fast.price_history, slow.price_history, atol=1e-6, rtol=0)


@pytest.mark.parametrize("name", ["default", "cheap_aerial", "no_fa", "crowded"])
def test_compiled_best_responses_match_numpy(name):
    cfg = CONFIGS[name]
    for seed in range(5):
        scenario = cfg.sample(seed)
        rng = np.random.default_rng(seed)
        prices = rng.uniform(scenario.leader_unit_cost, scenario.max_price)
        share = rng.uniform(0.0, 0.6, scenario.n_fa)
        for leaders in (None, [scenario.n_leaders - 1], list(range(1, scenario.n_leaders))):
            fast = best_response_prices(scenario, prices, share, leaders=leaders)
            slow = best_response_prices(scenario, prices, share, leaders=leaders, method="numpy")
            np.testing.assert_allclose(fast[0], slow[0], atol=1e-6, rtol=0)
            np.testing.assert_allclose(fast[1], slow[1], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_slot_outcome_matches_the_numpy_definitions(name):
    cfg = CONFIGS[name]
    for seed in range(5):
        scenario = cfg.sample(seed)
        rng = np.random.default_rng(seed)
        # From nearly free offloading (the simplex binds) to the price cap.
        prices = rng.uniform(0.0, scenario.max_price, scenario.n_leaders) * rng.choice([0.1, 0.5, 1.0])
        share = rng.uniform(0.0, 1.0, scenario.n_fa)
        ratios, loads, utilities, new_share = slot_outcome(scenario, prices, share)
        np.testing.assert_allclose(ratios, follower_best_response(scenario, prices, share), atol=1e-12)
        np.testing.assert_allclose(loads, leader_loads(scenario, ratios), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(
            utilities, leader_utilities(scenario, prices, ratios), rtol=1e-12, atol=1e-10
        )
        np.testing.assert_allclose(new_share, overflow_of(scenario, loads)[1], atol=1e-12)


def test_method_is_validated():
    scenario = ScenarioConfig().sample(0)
    with pytest.raises(ValueError, match="method must be one of"):
        solve_equilibrium(scenario, method="fortran")
    with pytest.raises(ValueError, match="method must be one of"):
        best_response_prices(scenario, scenario.leader_unit_cost, method="fortran")
    with pytest.raises(ValueError, match="grid_points must be >= 2"):
        solve_equilibrium(scenario, grid_points=1)
    with pytest.raises(ValueError, match="prices must have shape"):
        best_response_prices(scenario, np.ones(2))
    with pytest.raises(ValueError, match="overflow_share must have shape"):
        slot_outcome(scenario, scenario.leader_unit_cost, np.ones(7))


def test_markets_built_from_equilibria_are_valid_markets():
    for seed in range(30):
        scenario = ScenarioConfig().sample(seed)
        market = market_from_equilibrium(scenario, solve_equilibrium(scenario))
        checked = Market(market.buyer_values, market.buyer_units, market.seller_costs, market.seller_units)
        for field in ("buyer_values", "buyer_units", "seller_costs", "seller_units"):
            got, want = getattr(market, field), getattr(checked, field)
            assert got.dtype == want.dtype and np.array_equal(got, want)
            assert not got.flags.writeable
        assert market.seller_costs is not scenario.aa_unit_cost  # the market owns its arrays
        assert efficient_welfare(market) == _efficient_welfare(checked)
        assert efficient_welfare(market) == efficient_welfare(market)  # cached, unchanged


TRAJECTORIES = Path(__file__).resolve().parents[2] / "data" / "env_trajectories_069598f.npz"


@pytest.mark.parametrize(
    "tag, env_id, seeds, steps",
    [
        ("dda", "IoA-DDA-v0", [0, 1, 2], 400),
        ("dda_discrete", "IoA-DDA-Discrete-v0", [3, 4], 300),
        ("stackelberg", "IoA-Stackelberg-v0", [5, 6], 60),
    ],
)
def test_envs_replay_trajectories_recorded_before_the_compiled_core(tag, env_id, seeds, steps):
    """tests/data/record_env_trajectories.py recorded these at commit 069598f (NumPy solver): the same
    seeds and actions must give the same observations, rewards and episode ends, within the solver's
    tolerance."""
    recorded = np.load(TRAJECTORIES)
    env = gym.make(env_id)
    action_rng = np.random.default_rng(12345)
    obs_l, reward_l, terminated_l, truncated_l = [], [], [], []

    def keep(obs, reward, terminated, truncated):
        obs_l.append(obs)
        reward_l.append(reward)
        terminated_l.append(terminated)
        truncated_l.append(truncated)

    for seed in seeds:
        keep(env.reset(seed=seed)[0], np.nan, False, False)
        for _ in range(steps):
            if isinstance(env.action_space, gym.spaces.Discrete):
                action = int(action_rng.integers(env.action_space.n))
            else:
                action = action_rng.uniform(-1, 1, env.action_space.shape).astype(np.float32)
            obs, reward, terminated, truncated, _ = env.step(action)
            keep(obs, reward, terminated, truncated)
            if terminated or truncated:
                keep(env.reset()[0], np.nan, False, False)
    np.testing.assert_array_equal(np.array(terminated_l), recorded[f"{tag}_terminated"])
    np.testing.assert_array_equal(np.array(truncated_l), recorded[f"{tag}_truncated"])
    np.testing.assert_allclose(np.array(obs_l), recorded[f"{tag}_obs"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(np.array(reward_l), recorded[f"{tag}_reward"], atol=1e-6, rtol=0)


@pytest.mark.parametrize("method", ["compiled", "numpy"])
def test_non_finite_inputs_and_no_leaders_are_refused_by_both_methods(method):
    scenario = ScenarioConfig().sample(0)
    nan_prices = np.full(scenario.n_leaders, np.nan)
    with pytest.raises(ValueError, match="initial_prices must be finite"):
        solve_equilibrium(scenario, initial_prices=nan_prices, method=method)
    with pytest.raises(ValueError, match="prices must be finite"):
        best_response_prices(scenario, nan_prices, method=method)
    with pytest.raises(ValueError, match="overflow_share must be finite"):
        best_response_prices(
            scenario, scenario.leader_unit_cost, np.full(scenario.n_fa, np.inf), method=method
        )
    with pytest.raises(ValueError, match="leaders must name at least one leader"):
        best_response_prices(scenario, scenario.leader_unit_cost, leaders=[], method=method)
    with pytest.raises(ValueError, match="prices must be finite"):
        slot_outcome(scenario, nan_prices)


def test_max_iter_is_a_limit_not_an_allocation():
    """A huge max_iter means "no limit": the compiled histories grow as sweeps are made (from 64 rows),
    so a slot that needs every one of 100 sweeps and one given 10**12 both match the NumPy solver."""
    slow_slot = ScenarioConfig().sample(999)  # does not converge within 100 sweeps (benchmarked)
    fast, slow = solve_equilibrium(slow_slot), solve_equilibrium(slow_slot, method="numpy")
    assert fast.iterations == slow.iterations == 100 and not fast.converged and not slow.converged
    np.testing.assert_allclose(fast.price_history, slow.price_history, atol=1e-6, rtol=0)
    scenario = ScenarioConfig().sample(1)
    fast = solve_equilibrium(scenario, max_iter=10**12)
    slow = solve_equilibrium(scenario, max_iter=10**12, method="numpy")
    assert fast.converged and fast.iterations == slow.iterations
    np.testing.assert_allclose(fast.prices, slow.prices, atol=1e-6, rtol=0)
