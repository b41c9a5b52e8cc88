"""IoA-DDA-v0 specifics: the reward is the welfare efficiency minus the round cost, the mechanism's
IR and SBB hold in every episode, the observation is public, the action maps to step sizes as
documented, and the step-size trade-off that the auctioneer has to learn is really there."""

from __future__ import annotations

import math
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gymnasium_check_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ioa_gym  # noqa: F401  (registers the environments)
from agents.baselines import FixedStepAgent
from ioa_gym.analysis.policies import AdaptiveStepPolicy
from ioa_gym.auctions import BUYER, Market, efficient_welfare, run_fixed_step
from ioa_gym.envs.dda import FINAL_INFO_BEFORE_END, OBS_NAMES, DDAEnvConfig

ENV_ID = "IoA-DDA-v0"
STEP_INFO_KEYS = {"buyer_price", "seller_price", "round", "active_clock"}
FINAL_INFO_KEYS = {
    "auction_ended",
    "clearing_price",
    "units_traded",
    "social_welfare",
    "efficient_welfare",
    "efficiency",
    "rounds",
    "crossed",
    "individually_rational",
    "budget_balanced",
}
N_TIER1_EPISODES = 100
N_GRID_STEPS = 15


def examples(n: int) -> settings:
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def play(env: gym.Env, choose_action, seed: int, market: Market | None = None) -> tuple[float, list[dict]]:
    """One episode; `choose_action(obs)` gives each action. Returns (return, infos from reset on)."""
    obs, info = env.reset(seed=seed, options=None if market is None else {"market": market})
    total, infos = 0.0, [info]
    while True:
        obs, reward, terminated, truncated, info = env.step(choose_action(obs))
        total += reward
        infos.append(info)
        if terminated or truncated:
            return total, infos


def policy_actions(policy):
    return lambda obs: policy.predict(obs, deterministic=True)[0]


def check_final_info(env: gym.Env, infos: list[dict]) -> dict:
    """Economic truths of one finished auction, checked against the market's private reports."""
    market = env.unwrapped.market
    for before, after in zip(infos[:-1], infos[1:], strict=True):
        assert after.keys() == STEP_INFO_KEYS | FINAL_INFO_KEYS  # the same keys in every info
        assert after["round"] == before["round"] + 1
        assert after["buyer_price"] <= before["buyer_price"]  # the buyer clock only descends
        assert after["seller_price"] >= before["seller_price"]  # the seller clock only ascends
    for info in infos[:-1]:
        # No outcome (or private data) before the auction ends: the documented values before the end.
        assert {key: info[key] for key in FINAL_INFO_KEYS} == FINAL_INFO_BEFORE_END
    final = infos[-1]
    assert final["auction_ended"]
    assert final["rounds"] == final["round"] == len(infos) - 1
    assert final["individually_rational"] and final["budget_balanced"]
    result = env.unwrapped.last_result
    q, price = final["units_traded"], final["clearing_price"]
    assert (result.units_traded, result.rounds, result.crossed) == (q, final["rounds"], final["crossed"])
    # The info's price is p* of (T2.6), also when nothing trades (the result's price is nan then).
    assert math.isfinite(price) and (price == result.clearing_price or q == 0)
    bought, sold = result.buyer_units_traded, result.seller_units_traded
    assert bought.sum() == sold.sum() == q
    assert np.all(bought <= market.buyer_units) and np.all(sold <= market.seller_units)
    if q:
        # IR from the reports themselves; SBB: what buyers pay is exactly what sellers receive.
        assert np.all(market.buyer_values[bought > 0] >= price)
        assert np.all(market.seller_costs[sold > 0] <= price)
        np.testing.assert_allclose(result.buyer_payments, bought * price)
        np.testing.assert_allclose(result.seller_revenues, sold * price)
        assert math.isclose(result.buyer_payments.sum(), result.seller_revenues.sum(), rel_tol=1e-12)
    else:
        assert result.buyer_payments.sum() == result.seller_revenues.sum() == 0.0
    welfare = float(bought @ market.buyer_values - sold @ market.seller_costs)
    assert final["social_welfare"] == pytest.approx(welfare, abs=1e-9)
    assert final["efficient_welfare"] == pytest.approx(efficient_welfare(market), abs=1e-12)
    assert 0.0 <= final["social_welfare"] <= final["efficient_welfare"] + 1e-9
    assert final["efficiency"] == pytest.approx(final["social_welfare"] / final["efficient_welfare"])
    return final


# -- reward, info and the mechanism's guarantees --------------------------------------------------


@examples(25)
@given(
    seed=st.integers(0, 2**31 - 1),
    variant=st.sampled_from(["classic", "strategy-proof"]),
    per_clock=st.booleans(),
    eta=st.sampled_from([0.0, 0.004, 0.02]),
)
def test_return_is_efficiency_minus_round_cost_and_ir_sbb_hold(seed, variant, per_clock, eta) -> None:
    env = gym.make(ENV_ID, market_source="synthetic", variant=variant, per_clock_steps=per_clock, eta=eta)
    env.action_space.seed(seed)
    total, infos = play(env, lambda obs: env.action_space.sample(), seed)
    final = check_final_info(env, infos)
    assert total == pytest.approx(final["efficiency"] - eta * final["rounds"], abs=1e-9)


def test_tier1_markets_return_and_guarantees() -> None:
    env = gym.make(ENV_ID)
    env.action_space.seed(0)
    for seed in range(4):
        total, infos = play(env, lambda obs: env.action_space.sample(), seed)
        final = check_final_info(env, infos)
        assert total == pytest.approx(final["efficiency"] - env.unwrapped.config.eta * final["rounds"])
        assert env.unwrapped.scenario is not None and env.unwrapped.equilibrium is not None


def test_round_limit_clears_at_the_midpoint_and_keeps_ir() -> None:
    # Step 0.5 from (0, 30): buyer 1 accepts at 24.5 (tick 11), seller 1 at 2.5 (tick 16), buyer 2 at
    # 23.5 (tick 18), seller 2 at 3.5 (tick 20), where the limit ends the auction before a crossing:
    # every accepted unit is eligible and p* is the midpoint (23.5 + 3.5) / 2.
    env = gym.make(ENV_ID, max_rounds=20, eta=0.01)
    market = Market(
        buyer_values=[24.8, 23.8], buyer_units=[1, 1], seller_costs=[2.2, 3.2], seller_units=[1, 1]
    )
    action = env.unwrapped.step_to_action(0.5)
    total, infos = play(env, lambda obs: action, seed=3, market=market)
    final = check_final_info(env, infos)
    assert not final["crossed"] and final["rounds"] == 20
    assert (infos[-1]["buyer_price"], infos[-1]["seller_price"]) == pytest.approx((23.5, 3.5))
    assert final["units_traded"] == 2
    assert final["clearing_price"] == pytest.approx(13.5)
    assert final["efficiency"] == pytest.approx(1.0)
    assert total == pytest.approx(1.0 - 0.01 * 20)


@pytest.mark.parametrize(
    "options",
    [
        {"per_clock_steps": True},
        {"step_scale": "linear"},
        {"variant": "strategy-proof"},
        {"market_source": "synthetic", "discrete_steps": 5},
        {"market_source": "synthetic", "render_mode": "ansi"},
    ],
)
def test_env_checker_passes_for_other_options(options) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gymnasium_check_env(gym.make(ENV_ID, **options).unwrapped)


# -- public observation -----------------------------------------------------------------------------


def test_observation_does_not_reveal_values_or_costs() -> None:
    env = gym.make(ENV_ID)
    sizes = {"buyer_units": [2, 1, 3], "seller_units": [1, 4]}
    low = Market(buyer_values=[9.0, 8.0, 7.5], seller_costs=[2.0, 6.0], **sizes)
    high = Market(buyer_values=[19.0, 14.0, 12.0], seller_costs=[5.0, 1.0], **sizes)
    obs_low, info_low = env.reset(seed=1, options={"market": low})
    obs_high, info_high = env.reset(seed=1, options={"market": high})
    np.testing.assert_array_equal(obs_low, obs_high)
    assert info_low == info_high
    # Until a unit accepts, the public state is identical too: the first 4.0 tick brings the buyer
    # clock to 26, above every value of both markets.
    action = env.unwrapped.step_to_action(4.0)
    env.reset(seed=1, options={"market": low})
    first_low = env.step(action)
    env.reset(seed=1, options={"market": high})
    first_high = env.step(action)
    np.testing.assert_array_equal(first_low[0], first_high[0])
    assert first_low[4] == first_high[4]


def test_observation_layout_is_named() -> None:
    env = gym.make(ENV_ID)
    assert env.observation_space.shape == (len(OBS_NAMES),)
    assert not any(word in name for name in OBS_NAMES for word in ("value", "cost", "welfare"))


# -- actions and step sizes ---------------------------------------------------------------------------


def test_discrete_variant_uses_the_geometric_step_list() -> None:
    env = gym.make("IoA-DDA-Discrete-v0", market_source="synthetic")
    base, cfg = env.unwrapped, env.unwrapped.config
    assert isinstance(env.action_space, gym.spaces.Discrete) and env.action_space.n == cfg.discrete_steps
    steps = np.geomspace(cfg.step_min, cfg.step_max, cfg.discrete_steps)
    np.testing.assert_allclose(base.step_sizes, steps, rtol=1e-12)
    for index in range(cfg.discrete_steps):
        assert base.action_to_step(index)[0] == pytest.approx(steps[index], rel=1e-12)
        assert base.step_to_action(steps[index]) == index
    # Each tick moves the active clock by exactly the indexed step.
    _, info = env.reset(seed=0)
    for index in [11, 11, 10, 9, 8, 7, 3, 2, 5, 6, 1, 0, 4, 8, 9]:
        clock = info["active_clock"]  # 1: the buyer clock, 0: the seller clock
        _, _, terminated, _, new_info = env.step(index)
        moved = (
            info["buyer_price"] - new_info["buyer_price"]
            if clock == 1
            else new_info["seller_price"] - info["seller_price"]
        )
        assert moved == pytest.approx(steps[index], rel=1e-9)
        info = new_info
        if terminated:
            break


def test_per_clock_steps_use_each_clock_component() -> None:
    env = gym.make(ENV_ID, market_source="synthetic", per_clock_steps=True)
    base = env.unwrapped
    assert env.action_space.shape == (2,)
    buyer_step, seller_step = 1.7, 0.35
    action = np.array([base.step_to_action(buyer_step)[0], base.step_to_action(seller_step)[0]], np.float32)
    np.testing.assert_allclose(base.action_to_step(action), [buyer_step, seller_step], rtol=1e-5)
    moved = {BUYER: [], "seller": []}
    _, info = env.reset(seed=4)
    terminated = False
    while not terminated:
        clock = BUYER if info["active_clock"] == 1 else "seller"
        _, _, terminated, _, new_info = env.step(action)
        if not terminated:  # the crossing tick is not comparable (the auction stops there)
            moved[clock].append(
                info["buyer_price"] - new_info["buyer_price"]
                if clock == BUYER
                else new_info["seller_price"] - info["seller_price"]
            )
        info = new_info
    assert moved[BUYER] and moved["seller"]
    np.testing.assert_allclose(moved[BUYER], buyer_step, rtol=1e-5)
    np.testing.assert_allclose(moved["seller"], seller_step, rtol=1e-5)


@pytest.mark.parametrize(
    "options", [{}, {"step_scale": "linear"}, {"per_clock_steps": True}, {"step_min": 0.5, "step_max": 0.5}]
)
@examples(40)
@given(fraction=st.floats(0.0, 1.0), action=st.floats(-1.0, 1.0, width=32))
def test_step_to_action_and_action_to_step_are_inverse(options, fraction, action) -> None:
    base = gym.make(ENV_ID, **options).unwrapped
    cfg = base.config
    step = cfg.step_min + fraction * (cfg.step_max - cfg.step_min)
    recovered = base.action_to_step(base.step_to_action(step))
    np.testing.assert_allclose(recovered, step, rtol=1e-5)  # the action is float32
    assert np.all((cfg.step_min <= recovered) & (recovered <= cfg.step_max * (1 + 1e-6)))
    if cfg.step_max > cfg.step_min:
        actions = np.full(base.action_space.shape, action, np.float32)
        np.testing.assert_allclose(base.step_to_action(base.action_to_step(actions)[0]), actions, atol=1e-5)


def test_actions_outside_the_box_are_clipped_and_steps_outside_the_range_rejected() -> None:
    base = gym.make(ENV_ID).unwrapped
    cfg = base.config
    assert base.action_to_step(np.array([7.0]))[0] == pytest.approx(cfg.step_max)
    assert base.action_to_step(np.array([-7.0]))[0] == pytest.approx(cfg.step_min)
    np.testing.assert_allclose(base.step_to_action(cfg.step_max), [1.0], atol=1e-6)
    np.testing.assert_allclose(base.step_to_action(cfg.step_min), [-1.0], atol=1e-6)
    for bad in (100.0, 0.0, cfg.step_max * 1.01):
        with pytest.raises(ValueError, match=r"step must be in \[step_min, step_max\]"):
            base.step_to_action(bad)
    steps = base.action_to_step(np.linspace(-1, 1, 9))
    assert np.all(np.diff(steps) > 0)


# -- where markets come from --------------------------------------------------------------------------


def test_synthetic_markets_follow_their_ranges() -> None:
    options = {
        "synthetic_buyers": (2, 3),
        "synthetic_sellers": (4, 5),
        "synthetic_units": (1, 2),
        "synthetic_values": (20.0, 25.0),
        "synthetic_costs": (3.0, 4.0),
    }
    env = gym.make(ENV_ID, market_source="synthetic", **options)
    env.action_space.seed(0)
    for seed in range(10):
        total, infos = play(env, lambda obs: env.action_space.sample(), seed)
        market, base = env.unwrapped.market, env.unwrapped
        assert base.scenario is None
        assert 2 <= market.n_buyers <= 3 and 4 <= market.n_sellers <= 5
        assert np.all((market.buyer_units >= 1) & (market.buyer_units <= 2))
        assert np.all((market.buyer_values >= 20.0) & (market.buyer_values <= 25.0))
        assert np.all((market.seller_costs >= 3.0) & (market.seller_costs <= 4.0))
        check_final_info(env, infos)


def test_reset_with_a_given_market_runs_that_market() -> None:
    env = gym.make(ENV_ID, eta=0.01)
    market = Market(
        buyer_values=[10.0, 8.0], buyer_units=[1, 2], seller_costs=[3.0, 6.0], seller_units=[2, 1]
    )
    obs, _ = env.reset(seed=0, options={"market": market})
    base, cfg = env.unwrapped, env.unwrapped.config
    assert base.market is market
    expected_sizes = [2 / cfg.max_buyers, 2 / cfg.max_sellers, 3 / cfg.max_units, 3 / cfg.max_units]
    np.testing.assert_allclose(obs[9:13], expected_sizes, rtol=1e-6)
    action = base.step_to_action(0.25)
    total, infos = play(env, lambda obs: action, seed=0, market=market)
    final = check_final_info(env, infos)
    assert final["efficient_welfare"] == pytest.approx(14.0)  # (10-3) + (8-3) + (8-6)
    # The same auction played directly by the mechanism (p*, q and rounds ignore the rationing seed).
    direct = run_fixed_step(
        market,
        float(base.action_to_step(action)[0]),
        price_bounds=cfg.price_bounds,
        max_rounds=cfg.max_rounds,
    )
    assert final["clearing_price"] == direct.clearing_price
    assert final["units_traded"] == direct.units_traded and final["rounds"] == direct.rounds
    assert total == pytest.approx(final["efficiency"] - 0.01 * final["rounds"])
    with pytest.raises(ValueError, match="market"):
        env.reset(options={"market": {"buyer_values": [1.0]}})


def test_config_serialises_and_round_trips() -> None:
    cfg = gym.make(ENV_ID, eta=0.01, price_bounds=[0.0, 40.0]).unwrapped.config
    as_dict = cfg.to_dict()  # plain lists and scalars: what a run's config file stores
    assert as_dict["price_bounds"] == [0.0, 40.0]
    assert DDAEnvConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in as_dict.items()}) == cfg


# -- the trade-off the auctioneer learns --------------------------------------------------------------


@pytest.fixture(scope="module")
def tier1_episodes() -> list[tuple[int, Market]]:
    """The default market distribution (Tier-1 markets, default options) on fixed seeds, sampled once
    so that every auctioneer below is evaluated on the same markets and rationing seeds."""
    env = gym.make(ENV_ID)
    episodes = []
    for seed in range(N_TIER1_EPISODES):
        env.reset(seed=seed)
        episodes.append((seed, env.unwrapped.market))
    return episodes


def evaluate(policy, env: gym.Env, episodes: list[tuple[int, Market]]) -> dict[str, np.ndarray]:
    returns, efficiencies, rounds = [], [], []
    choose = policy_actions(policy)
    for seed, market in episodes:
        total, infos = play(env, choose, seed, market)
        returns.append(total)
        efficiencies.append(infos[-1]["efficiency"])
        rounds.append(infos[-1]["rounds"])
    return {"return": np.array(returns), "efficiency": np.array(efficiencies), "rounds": np.array(rounds)}


def test_small_steps_are_efficient_but_slow_large_steps_fast_but_lossy(tier1_episodes) -> None:
    env = gym.make(ENV_ID)
    small = evaluate(FixedStepAgent(env, step=0.2), env, tier1_episodes)
    large = evaluate(FixedStepAgent(env, step=env.unwrapped.config.step_max), env, tier1_episodes)
    assert small["efficiency"].mean() >= 0.97
    assert small["rounds"].mean() >= 100
    assert large["rounds"].mean() <= 10
    assert large["efficiency"].mean() <= small["efficiency"].mean() - 0.1


@pytest.mark.slow
def test_adaptive_auctioneer_beats_every_fixed_step(tier1_episodes) -> None:
    env = gym.make(ENV_ID)
    cfg = env.unwrapped.config
    adaptive = evaluate(AdaptiveStepPolicy(env), env, tier1_episodes)["return"]
    n = len(tier1_episodes)
    report = []
    for step in np.geomspace(cfg.step_min, cfg.step_max, N_GRID_STEPS):
        fixed = evaluate(FixedStepAgent(env, step=step), env, tier1_episodes)["return"]
        gain = adaptive - fixed  # paired: same markets, same rationing seeds
        report.append((float(step), fixed.mean(), gain.mean(), gain.std(ddof=1) / math.sqrt(n)))
    summary = "; ".join(f"step {s:.3f}: fixed {f:.4f}, gain {g:+.4f} +/- {se:.4f}" for s, f, g, se in report)
    assert all(gain > se for _, _, gain, se in report), f"adaptive {adaptive.mean():.4f}; {summary}"


def test_fixed_step_agent_rejects_a_step_outside_the_range() -> None:
    from agents import make_agent

    with pytest.raises(ValueError, match=r"step must be in \[step_min, step_max\] = \[0.02, 4.0\]"):
        make_agent("fixed-step", gym.make(ENV_ID), step=100.0)
