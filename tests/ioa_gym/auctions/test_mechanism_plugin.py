"""A new Tier-2 mechanism, defined and registered in this file alone, plays through everything that plays the
built-in ones: ``gym.make`` (Gymnasium's checker), ``gym.make_vec`` (the native vector env identical to
sync), the evaluation harness, ``evaluate.py ic-audit`` and the clairvoyant search.

The mechanism is a *posted-price clock*: one public price P ascends from the lower bound by the steps the
auctioneer chooses (the seller clock; the buyer clock stays at the upper bound). Demand D(P) counts the buyer
units whose value is at least P, supply S(P) the seller units whose cost is at most P. The auction ends once
supply covers demand (or P reaches the upper bound, or the round limit): min(D, S) units trade at P, the
longer side rationed by a priority drawn from the seed. IR and SBB hold by construction; IC does not (a seller
who overstates its cost can delay the stop and raise the price), so it declares no incentive guarantee and
the audit measures the gap.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.auctions import (
    SELLER,
    AuctionResult,
    ClockAuction,
    Market,
    Mechanism,
    Seed,
    efficient_welfare,
    get_mechanism,
    make_auction,
    make_batch,
    mechanism_names,
    register_mechanism,
    settle,
    sorted_units,
    unregister_mechanism,
    welfare_efficiency,
)
from ioa_gym.auctions.oracle import clairvoyant, play_steps
from tests.ioa_gym.envs.test_vector_env import assert_same_transitions, make_pair

NAME = "posted-price-clock"
SYNTHETIC = {"variant": NAME, "market_source": "synthetic"}


class PostedPriceClock(ClockAuction):
    """The posted-price clock (see the module docstring) as a :class:`ClockAuction`."""

    variant = NAME

    def __init__(
        self,
        market: Market,
        price_bounds: tuple[float, float] | None = None,
        max_rounds: int = 1000,
        seed: Seed = None,
    ) -> None:
        lower, upper = self._validate(market, price_bounds, max_rounds, seed)
        rng = np.random.default_rng(seed)
        self._buyer_priority = rng.permutation(market.total_buyer_units).tolist()
        self._seller_priority = rng.permutation(market.total_seller_units).tolist()
        self._buyer_order, self._seller_order, self._values, self._costs = sorted_units(market)
        self._start_clocks(upper, lower)

    @property
    def active_clock(self) -> str:
        return SELLER

    def public_counts(self) -> tuple[int, int]:
        """(demand, supply) at the current price."""
        price = self._seller_price
        return sum(value >= price for value in self._values), sum(cost <= price for cost in self._costs)

    def state_key(self) -> tuple:
        return (self._rounds, self._seller_price)

    def ticks_to_end(self, step_max: float) -> int:
        """It can stop at the next tick (once supply covers demand), long before the clocks meet."""
        return 1

    def tick(self, step: float) -> None:
        if self._done:
            raise RuntimeError("the auction is done; call result() instead of tick()")
        if not (isinstance(step, int | float | np.floating) and 0.0 < float(step) < math.inf):
            raise ValueError(f"step must be a finite number > 0, got {step!r}")
        self._rounds += 1
        self._last_step = float(step)
        self._seller_price = min(self._seller_price + float(step), self._buyer_price)
        demand, supply = self.public_counts()
        if supply >= demand or self._seller_price >= self._buyer_price:
            self._finish(crossed=True, closing_price=self._seller_price)
        elif self._rounds >= self.max_rounds:
            self._finish(crossed=False, closing_price=self._seller_price)

    def _clear(self) -> AuctionResult:
        demand, supply = self.public_counts()
        traded = min(demand, supply)

        def ration(order: list[int], count: int, priority: list[int]) -> list[int]:
            return sorted(order[:count], key=priority.__getitem__)[:traded]

        buyers = ration(self._buyer_order, demand, self._buyer_priority)
        sellers = ration(self._seller_order, supply, self._seller_priority)
        return settle(self.market, self._closing_price, buyers, sellers, self._rounds, self._crossed)


@pytest.fixture(scope="module", autouse=True)
def posted_price_clock() -> Iterator[Mechanism]:
    """The one registration line, for this module's tests (then removed, so that other tests' lists of
    mechanisms stay the built-in ones)."""
    mechanism = register_mechanism(
        Mechanism(name=NAME, auction=PostedPriceClock, counted="active", description="posted-price clock")
    )
    yield mechanism
    unregister_mechanism(NAME)


def test_the_registry_knows_it_and_builds_its_auction_and_a_looped_batch() -> None:
    assert NAME in mechanism_names() and get_mechanism(NAME).counted == "active"
    market = Market([10.0, 8.0, 5.0], [2, 1, 1], [3.0, 6.0, 9.0], [1, 2, 2])
    auction = make_auction(market, NAME, seed=0)
    assert isinstance(auction, PostedPriceClock)
    batch = make_batch(3, NAME)
    batch.start(0, market, seed=0)
    assert batch.public_counts()[0][0] == auction.public_counts()[0] == 4  # every buyer unit demands at P = 0


def test_gym_make_plays_it_and_passes_gymnasiums_checker() -> None:
    env = gym.make("IoA-DDA-v0", **SYNTHETIC)
    check_env(env.unwrapped, skip_render_check=True)
    assert env.unwrapped.mechanism.name == NAME
    assert env.unwrapped.obs_names[5:9] == (
        "buyer_units_active",
        "seller_units_active",
        "buyer_active_last_tick",
        "seller_active_last_tick",
    )
    for seed in range(20):
        env.reset(seed=seed)
        terminated = truncated = False
        while not (terminated or truncated):
            observation, reward, terminated, truncated, info = env.step(env.action_space.sample())
            assert np.all(np.isfinite(observation)) and math.isfinite(reward)
        # IR and SBB hold by construction; the welfare is never above the efficient one.
        assert info["individually_rational"] and info["budget_balanced"]
        assert 0.0 <= info["efficiency"] <= 1.0 + 1e-12


def test_small_steps_trade_almost_efficiently_on_tier1_markets() -> None:
    env = gym.make("IoA-DDA-v0", variant=NAME)
    efficiencies = []
    for seed in range(8):
        env.reset(seed=seed)
        step = env.unwrapped.step_to_action(env.unwrapped.config.step_min)
        terminated = truncated = False
        while not (terminated or truncated):
            _, _, terminated, truncated, info = env.step(step)
        efficiencies.append(info["efficiency"])
    assert np.mean(efficiencies) > 0.8


@pytest.mark.parametrize("env_id", ["IoA-DDA-v0", "IoA-DDA-Discrete-v0"])
def test_native_vector_env_equals_sync(env_id: str) -> None:
    sync, native = make_pair(env_id, 4, **SYNTHETIC)
    counts = assert_same_transitions(sync, native, 250, seed=5, reset_every=60)
    assert counts["terminated"] >= 8
    sync.close()
    native.close()


def test_the_evaluation_harness_plays_it() -> None:
    from agents.evaluation import evaluate_agents

    result = evaluate_agents(
        "IoA-DDA-v0", ["fixed-step", "adaptive", "random", "clairvoyant"], 6, seeds=(0,), env_kwargs=SYNTHETIC
    )
    by_agent: dict[str, list[float]] = {}
    for row in result.rows:
        by_agent.setdefault(row["agent"], []).append(row["return"])
        assert row["individually_rational"] and row["budget_balanced"]
    assert set(by_agent) == {"fixed-step", "adaptive", "random", "clairvoyant"}
    # The ceiling sees everything: no agent beats it on the same auctions.
    for agent, returns in by_agent.items():
        assert np.all(np.array(by_agent["clairvoyant"]) >= np.array(returns) - 1e-9), agent


def test_evaluate_py_ic_audit_measures_it(tmp_path: Path) -> None:
    import json

    from agents.evaluation.cli import main

    out = tmp_path / "audit"
    arguments = [
        "ic-audit",
        "--env",
        "IoA-DDA-v0",
        "--env-kwargs",
        f"variant:{NAME}",
        "market_source:synthetic",
    ]
    code = main(
        [*arguments, "--agents", "fixed-step", "--markets", "4", "--deviations", "6", "--output", str(out)]
    )
    assert code == 0
    (report,) = json.loads((out / "ic_audit.json").read_text())["policies"]
    assert report["mechanism"] == NAME and report["incentive_compatible"] is False
    assert report["summary"]["markets"] == 4 and report["summary"]["auctions_replayed"] > 0
    # Not IC, as the module docstring argues: the sampled misreports find gains.
    assert report["summary"]["max_gain"] > 0.0


def test_the_clairvoyant_search_plays_it_and_beats_every_fixed_step() -> None:
    rng = np.random.default_rng(3)
    eta = 0.004
    for _ in range(6):
        market = Market(
            rng.uniform(4, 12, 3), rng.integers(1, 3, 3), rng.uniform(1, 9, 4), rng.integers(1, 3, 4)
        )
        optimum = efficient_welfare(market)
        if optimum <= 0.0:
            continue
        auction = make_auction(market, NAME, max_rounds=300, seed=0)
        plan = clairvoyant(auction, eta, step_range=(0.02, 4.0), max_nodes=20_000)
        # The plan replays to the value it reports...
        end = play_steps(auction, plan.steps)
        value = welfare_efficiency(end.result().social_welfare, optimum) - eta * end.rounds
        assert value == pytest.approx(plan.value)
        # ...and no fixed step does better.
        for step in np.geomspace(0.02, 4.0, 15):
            fixed = play_steps(auction, [float(step)])
            assert (
                welfare_efficiency(fixed.result().social_welfare, optimum) - eta * fixed.rounds
                <= plan.value + 1e-9
            )
