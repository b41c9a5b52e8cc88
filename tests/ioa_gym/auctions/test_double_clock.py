"""The incentive-compatible auctions (docs/model.md, Sec. 4, T2.14-T2.17) checked independently: the
double-clock auction's clocks and exits against brute force, IR and SBB on random markets,
dominant-strategy IC by brute-force misreports under random step policies that read the public history
(and a check that the same search finds gains where IC does not hold), welfare against the
sorted-valuation optimum; and the learnable IC envs, whose observations hide what would break IC."""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.analysis.ic_audit import audit_policy
from ioa_gym.analysis.policies import AdaptiveStepPolicy
from ioa_gym.auctions import (
    BUYER,
    DoubleClockAuction,
    DoubleDutchAuction,
    Market,
    efficient_welfare,
    make_auction,
    run_auction,
    run_fixed_step,
)

STEPS = (0.05, 0.3, 0.7, 1.5, 4.0)
BOUNDS = (0.0, 20.0)


# -- markets and step policies ----------------------------------------------------------------------------


@st.composite
def markets(draw: Any) -> Market:
    """Small markets with reports on a coarse grid (ties between participants), some without units."""
    n_buyers = draw(st.integers(1, 4))
    n_sellers = draw(st.integers(1, 4))
    grid = st.integers(0, 40).map(lambda k: k / 2.0)
    return Market(
        buyer_values=draw(st.lists(grid, min_size=n_buyers, max_size=n_buyers)),
        buyer_units=draw(st.lists(st.integers(0, 3), min_size=n_buyers, max_size=n_buyers)),
        seller_costs=draw(st.lists(grid, min_size=n_sellers, max_size=n_sellers)),
        seller_units=draw(st.lists(st.integers(0, 3), min_size=n_sellers, max_size=n_sellers)),
    )


def history_policy(salt: int) -> Any:
    """A step policy that reads only the public history of the auction it is given (rounds, which clock moves,
    the units that have exited (double clock) or accepted (DDA), the clock prices), in an arbitrary way fixed
    by ``salt``."""

    def policy(auction: Any) -> float:
        if isinstance(auction, DoubleClockAuction):
            counts = (auction.buyer_units_exited, auction.seller_units_exited)
        else:
            counts = (auction.buyer_units_accepted, auction.seller_units_accepted)
        prices = (round(auction.buyer_price * 8), round(auction.seller_price * 8))
        key = hash((salt, auction.rounds, auction.active_clock == BUYER, *counts, *prices))
        return STEPS[key % len(STEPS)]

    return policy


def utility(result: Any, side: str, index: int, true_value: float) -> float:
    """T2.13 with the true value: units x (v - p) for a buyer, units x (p - c) for a seller."""
    units = int((result.buyer_units_traded if side == BUYER else result.seller_units_traded)[index])
    if units == 0:
        return 0.0
    price = result.clearing_price
    return units * (true_value - price if side == BUYER else price - true_value)


def best_misreport_gain(market: Market, policy: Any, variant: str, seed: int, max_rounds: int = 200) -> float:
    """Largest gain of a unilateral misreport over a report grid that contains every report of the market, the
    truthful closing price, each +/- 1e-7, both bounds and points in between (brute force)."""
    truthful_auction = make_auction(market, variant, BOUNDS, max_rounds, seed)
    while not truthful_auction.done:
        truthful_auction.tick(policy(truthful_auction))
    truthful = truthful_auction.result()
    anchors = [*market.buyer_values.tolist(), *market.seller_costs.tolist(), truthful_auction.closing_price]
    reports = sorted(
        {a + d for a in anchors for d in (-1e-7, 0.0, 1e-7)} | set(np.linspace(-1.0, 21.0, 23).tolist())
    )
    best = 0.0
    for side, values, units in (
        (BUYER, market.buyer_values, market.buyer_units),
        ("seller", market.seller_costs, market.seller_units),
    ):
        for index, true_value in enumerate(values.tolist()):
            if units[index] == 0:
                continue
            baseline = utility(truthful, side, index, true_value)
            for report in reports:
                deviated = (
                    market.with_buyer_value(index, report)
                    if side == BUYER
                    else market.with_seller_cost(index, report)
                )
                outcome = run_auction(deviated, policy, variant, BOUNDS, max_rounds, seed)
                best = max(best, utility(outcome, side, index, true_value) - baseline)
    return best


def turn_rule(market: Market, buyer_price: float, seller_price: float) -> bool:
    """T2.14 from the participants themselves: True if the buyer clock moves next."""
    buyers = market.buyer_values >= buyer_price
    sellers = market.seller_costs <= seller_price
    demand, supply = int(market.buyer_units[buyers].sum()), int(market.seller_units[sellers].sum())
    largest_buyer = int(market.buyer_units[buyers].max(initial=0))
    largest_seller = int(market.seller_units[sellers].max(initial=0))
    if demand - largest_buyer >= supply:
        return True
    if supply - largest_seller >= demand:
        return False
    return demand <= supply


# -- the mechanism ------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    market=markets(), salt=st.integers(0, 2**20), seed=st.integers(0, 2**31), max_rounds=st.integers(1, 60)
)
def test_clocks_and_exits_follow_the_rules(market: Market, salt: int, seed: int, max_rounds: int) -> None:
    """After every tick: P_B rose or P_S fell (never both, never crossing), the active units are exactly those
    whose reports the clocks have not passed, the clock that moved is the turn rule's; at the end both
    clocks stand at the closing price."""
    policy = history_policy(salt)
    auction = DoubleClockAuction(market, BOUNDS, max_rounds, seed)
    values, costs = market.buyer_unit_values, market.seller_unit_costs
    while not auction.done:
        pb, ps = auction.buyer_price, auction.seller_price
        assert pb < ps
        assert auction.buyer_units_active == int((values >= pb).sum())
        assert auction.seller_units_active == int((costs <= ps).sum())
        assert (auction.active_clock == BUYER) == (buyer_moves := turn_rule(market, pb, ps))
        step = policy(auction)
        auction.tick(step)
        if auction.done:
            break
        if buyer_moves:
            assert (auction.buyer_price, auction.seller_price) == (pb + step, ps)
        else:
            assert (auction.buyer_price, auction.seller_price) == (pb, ps - step)
    m = auction.closing_price
    assert auction.buyer_price == auction.seller_price == m
    assert auction.buyer_units_active == int((values >= m).sum())
    assert auction.seller_units_active == int((costs <= m).sum())
    assert auction.rounds <= max_rounds
    if not auction.crossed:  # the round limit: the last tick moved both clocks to their midpoint
        assert auction.rounds == max_rounds


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(market=markets(), salt=st.integers(0, 2**20), seed=st.integers(0, 2**31))
def test_individually_rational_budget_balanced_and_within_the_optimum(
    market: Market, salt: int, seed: int
) -> None:
    result = run_auction(market, history_policy(salt), "double-clock", BOUNDS, 200, seed)
    assert result.individually_rational and result.budget_balanced
    q = result.units_traded
    assert result.buyer_units_traded.sum() == result.seller_units_traded.sum() == q
    if q:
        p = result.clearing_price
        # IR from the reports themselves: every trading buyer's value >= p >= every trading seller's cost.
        assert all(market.buyer_values[result.buyer_units_traded > 0] >= p)
        assert all(market.seller_costs[result.seller_units_traded > 0] <= p)
        # SBB: one price, so the payments are exactly the revenues.
        assert math.fsum(result.buyer_payments) == pytest.approx(math.fsum(result.seller_revenues), abs=1e-9)
        assert np.array_equal(result.buyer_payments, result.buyer_units_traded * p)
        assert np.array_equal(result.seller_revenues, result.seller_units_traded * p)
        assert all(result.buyer_units_traded <= market.buyer_units)
        assert all(result.seller_units_traded <= market.seller_units)
    else:
        assert math.isnan(result.clearing_price)
    assert result.social_welfare <= efficient_welfare(market) + 1e-9


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    market=markets(), salt=st.integers(0, 2**20), seed=st.integers(0, 2**31), max_rounds=st.integers(1, 80)
)
def test_no_misreport_gains_under_any_public_history_policy(
    market: Market, salt: int, seed: int, max_rounds: int
) -> None:
    """Dominant-strategy IC (docs/model.md, Sec. 4), checked by brute force: no participant gains by any
    report of the grid, whatever the policy reads of the public history and wherever the round limit
    falls."""
    assert best_misreport_gain(market, history_policy(salt), "double-clock", seed, max_rounds) <= 1e-9


def blind_policy(salt: int) -> Any:
    """A step policy of what the strategy-proof env observes: rounds, which clock moves, the clock prices
    (never an acceptance), in an arbitrary way fixed by ``salt``."""

    def policy(auction: Any) -> float:
        prices = (round(auction.buyer_price * 8), round(auction.seller_price * 8))
        return STEPS[hash((salt, auction.rounds, auction.active_clock == BUYER, *prices)) % len(STEPS)]

    return policy


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    market=markets(), salt=st.integers(0, 2**20), seed=st.integers(0, 2**31), max_rounds=st.integers(1, 80)
)
def test_strategy_proof_dda_has_no_gains_under_acceptance_blind_policies(
    market: Market, salt: int, seed: int, max_rounds: int
) -> None:
    """What IoA-DDA-StrategyProof-v0 lets a policy see keeps the strategy-proof DDA IC (brute force)."""
    assert best_misreport_gain(market, blind_policy(salt), "strategy-proof", seed, max_rounds) <= 1e-9


def test_the_same_search_finds_gains_where_ic_fails() -> None:
    """The brute force is not blind: under the classic DDA it finds gains with the same policies, and under
    the double clock with a policy that peeks at the reports."""
    rng = np.random.default_rng(0)
    sample = [
        Market(rng.uniform(4, 12, 3), rng.integers(1, 3, 3), rng.uniform(1, 9, 4), rng.integers(1, 3, 4))
        for _ in range(8)
    ]
    classic = [best_misreport_gain(m, history_policy(k), "classic", k) for k, m in enumerate(sample)]
    assert max(classic) > 0.1

    def peeking(auction: Any) -> float:
        # Meets at once (at the far clock) if the highest reported value is high, else ticks slowly.
        return 20.0 if auction.market.buyer_values.max() > 9.0 else 0.3

    peeked = [best_misreport_gain(m, peeking, "double-clock", k) for k, m in enumerate(sample)]
    assert max(peeked) > 0.1


def test_a_worked_example() -> None:
    """Values 10, 8 and costs 3, 6, one unit each; step 1. Neither side stays covered if one of its
    participants leaves (2 - 1 < 2), so the short (here tied) side's clock moves: the buyer clock rises
    0 -> 9, where the buyer of value 8 exits (round 9). Now the sellers stay covered without one of them
    (2 - 1 >= 1): the seller clock falls 20 -> 10 and meets the buyer clock at 9 in round 20 (it would pass
    it). Trade: 1 unit at 9, the buyer of value 10 and one of the two sellers (rationed at random)."""
    market = Market([10.0, 8.0], [1, 1], [3.0, 6.0], [1, 1])
    auction = DoubleClockAuction(market, BOUNDS, 1000, seed=0)
    while not auction.done:
        auction.tick(1.0)
    result = auction.result()
    assert auction.closing_price == 9.0 and auction.crossed and auction.rounds == 9 + 11
    assert result.units_traded == 1 and result.clearing_price == 9.0
    assert result.buyer_units_traded.tolist() == [1, 0]
    assert result.seller_units_traded.sum() == 1
    assert result.social_welfare in (10.0 - 3.0, 10.0 - 6.0)


def test_round_limit_clears_at_the_midpoint() -> None:
    market = Market([10.0, 8.0], [1, 1], [3.0, 6.0], [1, 1])
    result = run_fixed_step(market, 0.5, "double-clock", BOUNDS, max_rounds=4, seed=0)
    # Four buyer ticks of 0.5: P_B = 2, P_S = 20, midpoint 11: every buyer exits, nothing trades.
    assert result.rounds == 4 and not result.crossed and result.units_traded == 0
    result = run_fixed_step(market, 4.0, "double-clock", BOUNDS, max_rounds=2, seed=0)
    # P_B 0 -> 4 -> 8; midpoint of (8, 20) is 14: no buyer left.
    assert result.units_traded == 0 and not result.crossed


@pytest.mark.parametrize("step", [0.0, -1.0, math.nan, math.inf, "a", None, True])
def test_bad_steps_are_refused(step: Any) -> None:
    auction = DoubleClockAuction(Market([10.0], [1], [3.0], [1]))
    with pytest.raises(ValueError, match="step must be a finite number > 0"):
        auction.tick(step)


def test_misuse_is_refused() -> None:
    market = Market([10.0], [1], [3.0], [1])
    auction = DoubleClockAuction(market, max_rounds=1)
    with pytest.raises(RuntimeError, match="not done yet"):
        auction.result()
    auction.tick(1.0)
    with pytest.raises(RuntimeError, match="the auction is done"):
        auction.tick(1.0)
    with pytest.raises(ValueError, match="make_auction"):
        DoubleDutchAuction(market, "double-clock")
    with pytest.raises(ValueError, match="max_rounds must be an integer >= 1"):
        DoubleClockAuction(market, max_rounds=0)
    with pytest.raises(ValueError, match="price_bounds must be finite with lower < upper"):
        DoubleClockAuction(market, price_bounds=(5.0, 1.0))
    with pytest.raises(ValueError, match="market must be a Market"):
        DoubleClockAuction([10.0])  # type: ignore[arg-type]


# -- the learnable IC envs ---------------------------------------------------------------------------------


def test_observations_carry_only_what_each_mechanism_makes_public() -> None:
    double_clock = gym.make("IoA-DDA-DoubleClock-v0").unwrapped
    strategy_proof = gym.make("IoA-DDA-StrategyProof-v0").unwrapped
    assert (
        "buyer_units_exited" in double_clock.obs_names
        and "buyer_units_accepted" not in double_clock.obs_names
    )
    assert not any("accepted" in name for name in strategy_proof.obs_names)
    assert strategy_proof.observation_space.shape == (len(strategy_proof.obs_names),) == (10,)
    assert strategy_proof.action_space.shape == (2,)  # a step per clock
    assert double_clock.config.variant == "double-clock" and double_clock.action_space.shape == (1,)


def test_strategy_proof_observations_do_not_depend_on_the_reports() -> None:
    """Two markets of the same sizes and different reports: under the same actions the strategy-proof env
    shows the same observations and ends in the same round, so no policy can react to the reports."""
    env = gym.make("IoA-DDA-StrategyProof-v0")
    a = Market([10.0, 7.0], [2, 1], [2.0, 5.0, 6.0], [1, 2, 1])
    b = Market([5.5, 11.0], [2, 1], [8.0, 1.0, 3.0], [1, 2, 1])
    actions = np.random.default_rng(0).uniform(-1, 1, (1000, 2)).astype(np.float32)
    trajectories = []
    for market in (a, b):
        obs, _ = env.reset(seed=3, options={"market": market})
        trajectory = [obs]
        for action in actions:
            obs, _, terminated, truncated, _ = env.step(action)
            trajectory.append(obs)
            if terminated or truncated:
                break
        trajectories.append(np.array(trajectory))
    assert trajectories[0].shape == trajectories[1].shape and len(trajectories[0]) > 2
    assert np.array_equal(*trajectories)


def test_double_clock_env_observes_the_exits() -> None:
    env = gym.make("IoA-DDA-DoubleClock-v0")
    names = env.unwrapped.obs_names
    market = Market([10.0, 7.0], [2, 1], [2.0, 5.0, 6.0], [1, 2, 1])
    obs, _ = env.reset(seed=0, options={"market": market})
    terminated = False
    while not terminated:
        obs, _, terminated, _, info = env.step(env.unwrapped.step_to_action(0.5))
        auction = env.unwrapped.auction
        assert obs[names.index("buyer_units_exited")] == np.float32(auction.buyer_units_exited / 3)
        assert obs[names.index("seller_units_exited")] == np.float32(auction.seller_units_exited / 4)
        gap = (auction.seller_price - auction.buyer_price) / 30.0
        assert obs[names.index("clock_gap")] == np.float32(gap) and gap >= 0.0
    assert info["individually_rational"] and info["budget_balanced"] and info["units_traded"] >= 1


def test_step_pairs_for_per_clock_steps() -> None:
    env = gym.make("IoA-DDA-StrategyProof-v0").unwrapped
    action = env.step_to_action((0.4, 0.1))
    assert env.action_to_step(action) == pytest.approx([0.4, 0.1])
    with pytest.raises(ValueError, match="per_clock_steps"):
        gym.make("IoA-DDA-v0").unwrapped.step_to_action((0.4, 0.1))
    with pytest.raises(ValueError, match=r"step must be in \[step_min, step_max\]"):
        env.step_to_action((0.4, 9.0))


def hashed_policy(action_shape: tuple[int, ...], salt: int) -> Any:
    """A deterministic but arbitrary policy of the observation (a replayable 'random' auctioneer)."""

    def policy(observations: np.ndarray) -> np.ndarray:
        rows = []
        for observation in observations:
            rng = np.random.default_rng([salt, *np.frombuffer(observation.tobytes(), np.uint32).tolist()])
            rows.append(rng.uniform(-1, 1, action_shape).astype(np.float32))
        return np.array(rows)

    return policy


@pytest.mark.parametrize("env_id", ["IoA-DDA-DoubleClock-v0", "IoA-DDA-StrategyProof-v0"])
def test_audit_finds_no_gain_for_any_policy(env_id: str) -> None:
    """Proof by audit (through the env, as ``evaluate.py ic-audit``): arbitrary observation-driven policies,
    the adaptive rule and fixed steps earn no participant anything by misreporting; under the classic DDA
    the same arbitrary policies do give gains."""
    env = gym.make(env_id)
    kwargs = {"market_source": "synthetic"}
    shape = env.action_space.shape
    policies = [hashed_policy(shape, salt) for salt in range(2)]
    policies += [AdaptiveStepPolicy(env), (lambda obs: np.full((len(obs), *shape), -0.2, np.float32))]
    for policy in policies:
        summary = audit_policy(policy, env_id, kwargs, n_markets=3, seed=0, n_deviations=6).summary()
        assert summary["auctions_replayed"] > 0
        assert summary["max_gain"] <= 1e-9, summary
    classic = audit_policy(hashed_policy((1,), 0), "IoA-DDA-v0", kwargs, n_markets=3, seed=0, n_deviations=6)
    assert classic.summary()["max_gain"] > 0.0


@pytest.mark.parametrize("env_id", ["IoA-DDA-v0", "IoA-DDA-DoubleClock-v0"])
def test_audit_settles_misreports_that_leave_nothing_to_trade(env_id: str) -> None:
    """A lone buyer whose misreport falls below every cost makes the reported market untradable, which the env
    refuses to play: the audit counts it as no trade (what IR implies) instead of failing."""
    market = Market([5.0], [2], [4.0, 9.0], [1, 3])
    shape = gym.make(env_id).action_space.shape
    result = audit_policy(hashed_policy(shape, 0), env_id, {}, n_markets=1, markets=[market], n_deviations=16)
    (audited,) = result.markets
    assert audited.auctions_run == 3 * (16 + 4)  # every participant, every misreport
    if env_id == "IoA-DDA-DoubleClock-v0":
        assert audited.max_gain <= 1e-9


def test_fixed_step_pairs_for_the_strategy_proof_env() -> None:
    from agents import make_agent

    env = gym.make("IoA-DDA-StrategyProof-v0")
    agent = make_agent("fixed-step", env, step=(0.4, 0.1))
    assert env.unwrapped.action_to_step(agent.action) == pytest.approx([0.4, 0.1])
    with pytest.raises(ValueError, match="per_clock_steps"):
        make_agent("fixed-step", gym.make("IoA-DDA-DoubleClock-v0"), step=(0.4, 0.1))
    # On the command line (evaluate.py --agents): the brackets are the pair, not a glob of run folders.
    from agents.evaluation.specs import parse_agent_spec

    for text in ("best=fixed-step:step=[0.4,0.1]", "fixed-step:step=[0.4,0.1]"):
        request = parse_agent_spec(text)
        assert (request.name, request.kwargs, request.paths) == ("fixed-step", {"step": [0.4, 0.1]}, ())
