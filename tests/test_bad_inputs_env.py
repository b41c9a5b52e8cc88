"""Every bad input of the IoA envs is a named error, raised early (issue 11, the env side).

A table of bad options (refused at ``gym.make``, naming the field and its allowed range), bad sizes, bad
actions (refused at ``step``, naming the action space) and bad reset options; stepping past an episode's
end; then property checks: random actions never give NaN rewards or observations, and info values keep
one type."""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable

import gymnasium as gym
import numpy as np
import pytest

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.analysis.ic_audit import audit_policy
from ioa_gym.auctions import (
    MAX_UNITS,
    DoubleDutchAuction,
    Market,
    fixed_step,
    max_misreport_gain,
    run_auction,
)
from ioa_gym.envs.dda import MAX_EPISODE_STEPS
from ioa_gym.errors import OptionError
from ioa_gym.tier1.scenario import ScenarioConfig
from ioa_gym.tier1.stackelberg import best_response_prices, linear_search, solve_equilibrium

DDA, DISCRETE, STACKELBERG = "IoA-DDA-v0", "IoA-DDA-Discrete-v0", "IoA-Stackelberg-v0"
SYNTHETIC = {"market_source": "synthetic"}
NATIVE = "vector_entry_point"
HAS_PYGAME = importlib.util.find_spec("pygame") is not None


def make(env_id: str, **kwargs) -> Callable[[], object]:
    return lambda: gym.make(env_id, **kwargs)


# (case id, what to call, exception type, regexes its message must match)
CONSTRUCTION_CASES = [
    # unknown options: Python's TypeError wording plus the valid options
    (
        "dda-unknown",
        make(DDA, frameskip=4),
        OptionError,
        [r"got an unexpected keyword argument 'frameskip'", "valid options: .*'step_min'"],
    ),
    (
        "discrete-unknown",
        make(DISCRETE, frameskip=4),
        OptionError,
        [r"unexpected keyword argument 'frameskip'"],
    ),
    (
        "stackelberg-unknown",
        make(STACKELBERG, frameskip=4),
        OptionError,
        [r"unexpected keyword argument 'frameskip'", "'leader'"],
    ),
    (
        "vector-unknown",
        lambda: gym.make_vec(DDA, 2, vectorization_mode=NATIVE, frameskip=4),
        OptionError,
        [r"unexpected keyword argument 'frameskip'"],
    ),
    (
        "scenario-unknown",
        make(DDA, scenario={"bogus": 1}),
        OptionError,
        [r"unexpected keyword argument 'bogus'", "unknown ScenarioConfig field"],
    ),
    # solver= is checked against solve_equilibrium's arguments
    (
        "solver-unknown",
        make(DDA, solver={"bogus": 1}),
        OptionError,
        [r"solver: solve_equilibrium\(\) got an unexpected keyword argument 'bogus'", "'grid_points'"],
    ),
    ("solver-not-dict", make(DDA, solver="fast"), ValueError, [r"solver must be a dict"]),
    ("solver-tol", make(DDA, solver={"tol": -1.0}), ValueError, [r"solver\['tol'\] must lie in \(0.0, "]),
    (
        "solver-damping",
        make(DDA, solver={"damping": 1.0}),
        ValueError,
        [r"solver\['damping'\] must lie in \[0, 1\)"],
    ),
    (
        "solver-method",
        make(DDA, solver={"method": "fortran"}),
        ValueError,
        [r"solver\['method'\] must be one of \['compiled', 'numpy'\]"],
    ),
    (
        "solver-grid",
        make(DDA, solver={"grid_points": 1}),
        ValueError,
        [r"solver\['grid_points'\] must be an integer in \[2, 10000\]"],
    ),
    (
        "solver-max-iter",
        make(DDA, solver={"max_iter": 2.5}),
        ValueError,
        [r"solver\['max_iter'\] must be an integer"],
    ),
    (
        "solver-initial-nan",
        make(DDA, solver={"initial_prices": [np.nan] * 6}),
        ValueError,
        [r"solver\['initial_prices'\] must be a 1-D sequence of finite prices"],
    ),
    (
        "solver-initial-length",
        make(DDA, solver={"initial_prices": [1.0]}),
        ValueError,
        [r"solver\['initial_prices'\] must have one price per leader \(n_ma \+ n_fa = 6\)"],
    ),
    # synthetic markets
    (
        "values-below-costs",
        make(DDA, synthetic_values=(-5, -1), **SYNTHETIC),
        ValueError,
        [r"synthetic_values max must exceed synthetic_costs min"],
    ),
    (
        "values-decreasing",
        make(DDA, synthetic_values=(12.0, 4.0), **SYNTHETIC),
        ValueError,
        [r"synthetic_values must be an increasing range \(min <= max\)"],
    ),
    (
        "costs-nan",
        make(DDA, synthetic_costs=(np.nan, 1.0), **SYNTHETIC),
        ValueError,
        [r"synthetic_costs must lie in \[-1000000000.0, 1000000000.0\]"],
    ),
    (
        "costs-string",
        make(DDA, synthetic_costs="1-9", **SYNTHETIC),
        ValueError,
        [r"synthetic_costs must be a pair \(min, max\) of numbers"],
    ),
    (
        "buyers-fraction",
        make(DDA, synthetic_buyers=(2.5, 5), **SYNTHETIC),
        ValueError,
        [r"synthetic_buyers must be a pair \(min, max\) of integers in \[1, 10000\]"],
    ),
    (
        "buyers-zero",
        make(DDA, synthetic_buyers=(0, 5), **SYNTHETIC),
        ValueError,
        [r"synthetic_buyers must lie in \[1, 10000\]"],
    ),
    (
        "units-too-many",
        make(DDA, synthetic_units=(1, 10**7), **SYNTHETIC),
        ValueError,
        [r"synthetic_units must lie in \[1, 1000000\]"],
    ),
    (
        "units-times-sellers",
        make(DDA, synthetic_units=(1, 10**6), **SYNTHETIC),
        ValueError,
        [r"synthetic_units max x max\(synthetic_buyers max, synthetic_sellers max\) must be <= 1000000"],
    ),
    # env options
    (
        "max-rounds-above-limit",
        make(DDA, max_rounds=MAX_EPISODE_STEPS + 1),
        ValueError,
        [r"max_rounds must be an integer in \[1, 1000\]", r"max_episode_steps=1000", "got max_rounds=1001"],
    ),
    (
        "max-rounds-fraction",
        make(DDA, max_rounds=2.5),
        ValueError,
        [r"max_rounds must be an integer in \[1, 1000\]"],
    ),
    ("per-clock-string", make(DDA, per_clock_steps="yes"), ValueError, [r"per_clock_steps must be a bool"]),
    (
        "step-min-string",
        make(DDA, step_min="0.1"),
        ValueError,
        [r"step_min must be a number in \(0.0, 30.0\]"],
    ),
    ("eta-bool", make(DDA, eta=True), ValueError, [r"eta must be a number in \[0.0, 1.0\]"]),
    (
        "price-bounds-inf",
        make(DDA, price_bounds=(0.0, math.inf)),
        ValueError,
        [r"price_bounds must lie in \[-1000000000.0, 1000000000.0\]"],
    ),
    (
        "variant-list",
        make(DDA, variant=["classic"]),
        ValueError,
        [r"variant must be one of \['classic', 'strategy-proof', 'double-clock'\]"],
    ),
    (
        "render-bogus",
        make(DDA, render_mode="bogus"),
        ValueError,
        [r"render_mode must be one of \['ansi', 'rgb_array'\] or None"],
    ),
    (
        "stackelberg-render-bogus",
        make(STACKELBERG, render_mode="bogus"),
        ValueError,
        [r"render_mode must be one of"],
    ),
    (
        "stackelberg-leader",
        make(STACKELBERG, leader=99),
        ValueError,
        [r"leader must be an integer in \[0, 5\]"],
    ),
    (
        "stackelberg-leader-bool",
        make(STACKELBERG, leader=True),
        ValueError,
        [r"leader must be an integer in \[0, 5\]"],
    ),
    # sizes with bounds
    ("n-wa", make(DDA, n_wa=10**6), ValueError, [r"n_wa must be an integer in \[1, 10000\]"]),
    ("n-leaders", make(STACKELBERG, n_ma=30, n_fa=30), ValueError, [r"n_ma \+ n_fa must be in \[1, 50\]"]),
    (
        "n-wa-leader-pairs",
        make(STACKELBERG, n_wa=10_000, n_ma=10),
        ValueError,
        [r"n_wa \* \(n_ma \+ n_fa\) must be <= 100000"],
    ),
    ("n-aa", make(DDA, n_aa=10**4), ValueError, [r"n_aa must be an integer in \[0, 1000\]"]),
    (
        "unit-size-tiny",
        make(DDA, unit_size=1e-6),
        ValueError,
        [r"unit_size=1e-06 is too small", r"MAX_UNITS=1000000"],
    ),
    (
        "range-with-string",
        make(STACKELBERG, task_data_range=(5.0, "x")),
        ValueError,
        [r"task_data_range must be a pair \(min, max\) of numbers"],
    ),
    (
        "fading-string",
        make(STACKELBERG, rayleigh_fading="no"),
        ValueError,
        [r"rayleigh_fading must be a bool"],
    ),
    (
        "area-string",
        make(STACKELBERG, area_size="500"),
        ValueError,
        [r"area_size must be a number in \(0.0, "],
    ),
    # the economics below the envs
    (
        "market-units-wrap",
        lambda: Market([1.0, 2.0], [10**19, 1], [1.0], [1]),
        ValueError,
        [r"buyer_units must be integers in \[0, 1000000\]"],
    ),
    (
        "market-units-oom",
        lambda: Market([1.0], [1], [1.0], [10**9]),
        ValueError,
        [r"seller_units must be integers in \[0, 1000000\] adding up to at most 1000000"],
    ),
    (
        "market-units-total",
        lambda: Market([1.0, 2.0], [MAX_UNITS, 1], [1.0], [1]),
        ValueError,
        [r"buyer_units .*got a total of 1e\+06 units"],
    ),
    (
        "equilibrium-nan-start",
        lambda: solve_equilibrium(ScenarioConfig().sample(0), initial_prices=np.full(6, np.nan)),
        ValueError,
        [r"initial_prices must be finite numbers"],
    ),
    (
        "best-response-nan",
        lambda: best_response_prices(ScenarioConfig().sample(0), np.full(6, np.nan)),
        ValueError,
        [r"prices must be finite numbers"],
    ),
]
# Second round (a new-user probe): untradable scenarios at construction, not at reset after 100 slots.
SCENARIO = ScenarioConfig().sample(0)
PRICES = np.full(6, 5.0)
MARKET = Market([10.0, 8.0], [2, 2], [3.0, 6.0], [3, 2])
CONSTRUCTION_CASES += [
    (
        "unit-size-above-supply",
        make(DDA, unit_size=1e6),
        ValueError,
        [r"unit_size=1000000.0 exceeds the largest AA supply", "aa_supply_range"],
    ),
    (
        "aa-supply-tiny",
        make(DDA, aa_supply_range=(1e-9, 1e-9)),
        ValueError,
        [r"unit_size=0.5 exceeds .*aa_supply_range max = 1e-09"],
    ),
    (
        "fa-capacity-huge",
        make(DDA, fa_capacity_range=(1e8, 1e9)),
        ValueError,
        [r"fa_capacity_range min = 100000000.0 .*no FA is ever overloaded", "n_wa"],
    ),
    (
        "synthetic-rarely-tradable",
        make(DDA, synthetic_values=(1, 5.0001), synthetic_costs=(5, 9), **SYNTHETIC),
        ValueError,
        [r"synthetic_values=\(1.0, 5.0001\) and synthetic_costs=\(5.0, 9.0\) overlap too little", "0.02"],
    ),
    (
        "solver-initial-negative",
        make(DDA, solver={"initial_prices": [-5.0] * 6}),
        ValueError,
        [r"solver\['initial_prices'\] must lie in \[0, max_price\] = \[0, 15.0\]"],
    ),
    (
        "equilibrium-initial-negative",
        lambda: solve_equilibrium(SCENARIO, initial_prices=[-100] * 6),
        ValueError,
        [r"initial_prices must lie in \[0, max_price\]"],
    ),
    (
        "equilibrium-tol-inf",
        lambda: solve_equilibrium(SCENARIO, tol=math.inf),
        ValueError,
        [r"tol must lie in"],
    ),
    (
        "equilibrium-max-iter-float",
        lambda: solve_equilibrium(SCENARIO, max_iter=2.7),
        ValueError,
        [r"max_iter must be an integer in \[1, "],
    ),
    (
        "equilibrium-max-iter-string",
        lambda: solve_equilibrium(SCENARIO, max_iter="5"),
        ValueError,
        [r"max_iter must be an integer"],
    ),
    (
        "equilibrium-grid-huge",
        lambda: solve_equilibrium(SCENARIO, grid_points=10**9),
        ValueError,
        [r"grid_points must be an integer in \[2, 10000\]"],
    ),
    (
        "equilibrium-damping-string",
        lambda: solve_equilibrium(SCENARIO, damping="0.5"),
        ValueError,
        [r"damping must be a number in \[0.0, 1.0\]"],
    ),
    (
        "equilibrium-unknown",
        lambda: solve_equilibrium(SCENARIO, bogus=1),
        OptionError,
        [r"^solve_equilibrium\(\) got an unexpected keyword argument 'bogus'"],
    ),
    (
        "equilibrium-config",
        lambda: solve_equilibrium(ScenarioConfig()),
        ValueError,
        [r"solve_equilibrium expects a Scenario .*ScenarioConfig\(\).sample\(seed\), got ScenarioConfig"],
    ),
    ("equilibrium-string", lambda: solve_equilibrium("x"), ValueError, [r"expects a Scenario.*got str"]),
    (
        "best-response-float-leader",
        lambda: best_response_prices(SCENARIO, PRICES, leaders=[0.7]),
        ValueError,
        [r"leaders must be integers \(leader indices\) in \[0, 5\]"],
    ),
    (
        "best-response-share-above-one",
        lambda: best_response_prices(SCENARIO, PRICES, overflow_share=[2, 2, 2]),
        ValueError,
        [r"overflow_share must lie in \[0, 1\]"],
    ),
    (
        "best-response-share-negative",
        lambda: best_response_prices(SCENARIO, PRICES, overflow_share=[-0.1, 0, 0]),
        ValueError,
        [r"overflow_share must lie in \[0, 1\]"],
    ),
    (
        "best-response-grid-float",
        lambda: best_response_prices(SCENARIO, PRICES, grid_points=2.5),
        ValueError,
        [r"grid_points must be an integer in \[2, 10000\]"],
    ),
    (
        "best-response-string-prices",
        lambda: best_response_prices(SCENARIO, ["5"] * 6),
        ValueError,
        [r"prices must have shape \(6,\) \(one per leader\), got no array of real numbers"],
    ),
    (
        "linear-search-nan",
        lambda: linear_search(SCENARIO, 0, np.full(6, np.nan)),
        ValueError,
        [r"prices must be finite numbers"],
    ),
    (
        "linear-search-share-shape",
        lambda: linear_search(SCENARIO, 0, PRICES, overflow_share=[0.1]),
        ValueError,
        [r"overflow_share must have shape \(3,\)"],
    ),
    (
        "linear-search-tiny-step",
        lambda: linear_search(SCENARIO, 0, PRICES, step=1e-9),
        ValueError,
        [r"step=1e-09 scans more than MAX_LINEAR_SEARCH_POINTS=1000000"],
    ),
    (
        "linear-search-string-step",
        lambda: linear_search(SCENARIO, 0, PRICES, step="0.1"),
        ValueError,
        [r"step must be a number in \(0.0, inf\]"],
    ),
    (
        "linear-search-prices-shape",
        lambda: linear_search(SCENARIO, 0, PRICES[:3]),
        ValueError,
        [r"prices must have shape \(6,\)"],
    ),
    (
        "linear-search-float-leader",
        lambda: linear_search(SCENARIO, 0.5, PRICES),
        ValueError,
        [r"leader must be an integer in \[0, 5\]"],
    ),
    (
        "range-dict",
        lambda: ScenarioConfig(aa_cpu_range={1: 0, 2: 0}),
        ValueError,
        [r"aa_cpu_range must be a pair \(min, max\) of numbers .*\(a tuple or list\)"],
    ),
    *[
        (
            f"scenario-seed-{seed!r}",
            lambda seed=seed: ScenarioConfig().sample(seed),
            ValueError,
            [r"seed must be an integer >= 0, None or a numpy.random.Generator"],
        )
        for seed in (-1, "x", 1.5)
    ],
    (
        "market-huge-value",
        lambda: Market([1e308], [1], [1.0], [1]),
        ValueError,
        [r"buyer_values must lie in \[-1e\+12, 1e\+12\] \(MAX_ABS_PRICE\)"],
    ),
    (
        "market-bool-value",
        lambda: Market([True], [1], [1.0], [1]),
        ValueError,
        [r"buyer_values must be a 1-D array of finite numbers \(no bools"],
    ),
    (
        "market-bool-units",
        lambda: Market([1.0], [True], [1.0], [1]),
        ValueError,
        [r"buyer_units must be integers >= 0 \(no bools"],
    ),
    *[
        (
            f"fixed-step-{step!r}",
            lambda step=step: fixed_step(step),
            ValueError,
            [r"step must be a number > 0"],
        )
        for step in (True, None)
    ],
    (
        "run-auction-number",
        lambda: run_auction(MARKET, 1.0),
        ValueError,
        [r"step_policy must be a callable", "run_fixed_step"],
    ),
    *[
        (
            f"price-bounds-{bounds!r}",
            lambda bounds=bounds: DoubleDutchAuction(MARKET, price_bounds=bounds),
            ValueError,
            [r"price_bounds must be a \(lower, upper\) pair of finite numbers"],
        )
        for bounds in (5, (0, 1, 2), ("a", "b"))
    ],
    (
        "auction-max-rounds-none",
        lambda: DoubleDutchAuction(MARKET, max_rounds=None),
        ValueError,
        [r"max_rounds must be an integer >= 1"],
    ),
    *[
        (
            f"auction-seed-{seed!r}",
            lambda seed=seed: DoubleDutchAuction(MARKET, seed=seed),
            ValueError,
            [r"seed must be None, an integer >= 0, a numpy.random.Generator or a SeedSequence"],
        )
        for seed in (-1, "x", 1.5)
    ],
    *[
        (
            f"misreport-deviations-{n!r}",
            lambda n=n: max_misreport_gain(MARKET, fixed_step(1.0), n_deviations=n),
            ValueError,
            [r"n_deviations must be an integer in \[0, 1000000\]"],
        )
        for n in (None, math.nan)
    ],
    (
        "misreport-rng",
        lambda: max_misreport_gain(MARKET, fixed_step(1.0), rng=-1),
        ValueError,
        [r"rng must be None, an integer >= 0"],
    ),
    *[
        (
            f"vector-num-envs-{n!r}",
            lambda n=n: gym.make_vec(DDA, n, vectorization_mode=NATIVE, **SYNTHETIC),
            ValueError,
            [r"num_envs must be an integer >= 1"],
        )
        for n in (None, 0, 1.5)
    ],
]
if not HAS_PYGAME:
    CONSTRUCTION_CASES += [
        (
            "render-human",
            make(DDA, render_mode="human"),
            ValueError,
            [r"render_mode='human' needs pygame", r"render_mode must be one of \['ansi', 'rgb_array'\]"],
        ),
        (
            "stackelberg-render-human",
            make(STACKELBERG, render_mode="human"),
            ValueError,
            [r"render_mode='human' needs pygame"],
        ),
    ]


@pytest.mark.parametrize(
    ("call", "error", "patterns"),
    [case[1:] for case in CONSTRUCTION_CASES],
    ids=[case[0] for case in CONSTRUCTION_CASES],
)
def test_bad_options_fail_at_construction_naming_the_field(call, error, patterns) -> None:
    with pytest.raises(error) as raised:
        call()
    assert type(raised.value) is error or error is ValueError, type(raised.value)
    for pattern in patterns:
        assert raised.match(pattern)


def test_option_error_is_a_type_error_and_a_value_error_with_pythons_wording() -> None:
    assert issubclass(OptionError, TypeError) and issubclass(OptionError, ValueError)

    def torchrl_like_make(env_id: str, **kwargs):  # what TorchRL's GymEnv does with frame_skip
        try:
            return gym.make(env_id, frameskip=4, **kwargs)
        except TypeError as err:
            if "got an unexpected keyword argument 'frameskip'" not in str(err):
                raise
            return gym.make(env_id, **kwargs)

    for env_id in (DDA, DISCRETE, STACKELBERG):
        assert torchrl_like_make(env_id, **({} if env_id == STACKELBERG else SYNTHETIC)).spec.id == env_id


def test_the_registered_time_limit_is_the_bound_of_max_rounds() -> None:
    for env_id in (DDA, DISCRETE):
        assert gym.spec(env_id).max_episode_steps == MAX_EPISODE_STEPS
    env = gym.make(DDA, max_rounds=MAX_EPISODE_STEPS, **SYNTHETIC)  # the largest accepted
    assert env.unwrapped.config.max_rounds == MAX_EPISODE_STEPS


@pytest.mark.skipif(not HAS_PYGAME, reason="pygame is not installed")
def test_human_rendering_is_wrapped_when_pygame_is_installed() -> None:  # pragma: no cover
    env = gym.make(DDA, render_mode="human", **SYNTHETIC)
    assert env.render_mode == "human"


def test_list_render_modes_still_collect_frames() -> None:
    env = gym.make(DDA, render_mode="rgb_array_list", **SYNTHETIC)
    env.reset(seed=0)
    env.step(env.action_space.sample())
    frames = env.render()
    assert isinstance(frames, list) and frames and frames[0].ndim == 3


# -- actions ------------------------------------------------------------------------------------------

DISCRETE_MESSAGE = r"action must be an integer in \[0, 11\] \(the action space is Discrete\(12\)"
BOX_SHAPE = (
    r"action must be an array of shape \(1,\) \(the action space is Box\(-1.0, 1.0, \(1,\), float32\)\)"
)
BOX_FINITE = r"action must be finite \(the action space is Box\(-1.0, 1.0, \(1,\), float32\)"
ACTION_CASES = [
    ("discrete-negative", DISCRETE, {}, -1, DISCRETE_MESSAGE + "; no negative indexing"),
    ("discrete-too-large", DISCRETE, {}, 12, DISCRETE_MESSAGE),
    ("discrete-float", DISCRETE, {}, 3.7, DISCRETE_MESSAGE),
    ("discrete-integral-float", DISCRETE, {}, 3.0, DISCRETE_MESSAGE),
    ("discrete-bool", DISCRETE, {}, True, DISCRETE_MESSAGE),
    ("discrete-float-array", DISCRETE, {}, np.array([1.0]), DISCRETE_MESSAGE),
    ("discrete-string", DISCRETE, {}, "3", DISCRETE_MESSAGE),
    ("box-two-entries", DDA, {}, np.array([0.0, 1.0], np.float32), BOX_SHAPE + r", got shape \(2,\)"),
    ("box-empty", DDA, {}, np.array([], np.float32), BOX_SHAPE + r", got shape \(0,\)"),
    ("box-2d", DDA, {}, np.array([[0.5]], np.float32), BOX_SHAPE + r", got shape \(1, 1\)"),
    ("box-string", DDA, {}, "fast", BOX_SHAPE),
    ("box-numeric-string", DDA, {}, "0.5", BOX_SHAPE + r", got no array of real numbers"),
    ("box-bool", DDA, {}, True, BOX_SHAPE + r", got no array of real numbers"),
    ("box-complex", DDA, {}, np.array([1j]), BOX_SHAPE + r", got no array of real numbers"),
    ("stackelberg-string", STACKELBERG, {}, "0.5", BOX_SHAPE + r", got no array of real numbers"),
    ("box-nan", DDA, {}, np.array([np.nan], np.float32), BOX_FINITE),
    ("box-inf", DDA, {}, [math.inf], BOX_FINITE),
    (
        "per-clock-one-entry",
        DDA,
        {"per_clock_steps": True},
        np.array([0.5], np.float32),
        r"action must be an array of shape \(2,\) \(the action space is Box\(-1.0, 1.0, \(2,\), float32\)\)",
    ),
    (
        "per-clock-nan-seller",
        DDA,
        {"per_clock_steps": True},
        np.array([0.5, np.nan], np.float32),
        r"action must be finite \(the action space is Box\(-1.0, 1.0, \(2,\), float32\)",
    ),
    ("stackelberg-nan", STACKELBERG, {}, np.array([np.nan], np.float32), BOX_FINITE),
    ("stackelberg-inf", STACKELBERG, {}, np.array([-math.inf], np.float32), BOX_FINITE),
    ("stackelberg-empty", STACKELBERG, {}, np.array([], np.float32), BOX_SHAPE + r", got shape \(0,\)"),
    ("stackelberg-two", STACKELBERG, {}, np.array([0.1, 0.2], np.float32), BOX_SHAPE + r", got shape \(2,\)"),
]


@pytest.mark.parametrize(
    ("env_id", "options", "action", "pattern"),
    [case[1:] for case in ACTION_CASES],
    ids=[case[0] for case in ACTION_CASES],
)
def test_actions_outside_the_space_fail_naming_the_space(env_id, options, action, pattern) -> None:
    env = gym.make(env_id, **({} if env_id == STACKELBERG else SYNTHETIC), **options)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=pattern):
        env.step(action)
    # Nothing moved: a valid action still steps the episode from its start.
    assert env.unwrapped.auction.rounds == 0 if env_id != STACKELBERG else True
    env.step(env.action_space.sample())


@pytest.mark.parametrize(
    ("env_id", "actions", "pattern"),
    [
        (
            DDA,
            np.array([[0.0], [np.nan], [0.5]], np.float32),
            r"actions must be finite \(the action space is Box.*sub-env 1",
        ),
        (DDA, np.array([[0.0], [np.inf], [0.5]], np.float32), r"actions must be finite"),
        (DDA, np.zeros((3, 2), np.float32), r"actions must have shape \(3, 1\) \(the action space is Box"),
        (DDA, np.array([["a"], ["b"], ["c"]]), r"actions must be an array of real numbers"),
        (
            DDA,
            np.array([["0.5"], ["0.1"], ["0.2"]]),
            r"actions must be an array of real numbers \(no strings",
        ),
        (DDA, np.array([[True], [False], [True]]), r"actions must be an array of real numbers \(no strings"),
        (
            DISCRETE,
            np.array([0, -1, 1]),
            r"actions must lie in \[0, 11\] \(the action space is MultiDiscrete.*no negative indexing",
        ),
        (DISCRETE, np.array([0.0, 3.7, 1.0]), r"actions must be 3 integers"),
    ],
)
def test_native_vector_env_checks_actions_like_the_single_env(env_id, actions, pattern) -> None:
    envs = gym.make_vec(env_id, 3, vectorization_mode=NATIVE, **SYNTHETIC)
    envs.reset(seed=0)
    with pytest.raises(ValueError, match=pattern):
        envs.step(actions)


def test_finite_box_actions_outside_the_bounds_are_clipped_in_every_env() -> None:
    for env_id in (DDA, STACKELBERG):
        kwargs = {} if env_id == STACKELBERG else SYNTHETIC
        inside, outside = gym.make(env_id, **kwargs), gym.make(env_id, **kwargs)
        inside.reset(seed=3), outside.reset(seed=3)
        a, b = inside.step(np.array([1.0], np.float32)), outside.step(np.array([7.5], np.float32))
        np.testing.assert_array_equal(a[0], b[0])
        assert a[1] == b[1]


# -- reset options and the episode's end --------------------------------------------------------------


def test_bad_reset_options_fail_naming_them() -> None:
    env = gym.make(DDA, **SYNTHETIC)
    with pytest.raises(
        OptionError, match=r"reset\(\) options got an unexpected keyword argument 'markt'.*'market'"
    ):
        env.reset(options={"markt": None})
    with pytest.raises(ValueError, match=r"options of reset\(\) must be a dict or None"):
        env.reset(options=["market"])
    with pytest.raises(ValueError, match=r"options\['market'\] must be an ioa_gym.auctions.Market"):
        env.reset(options={"market": "small"})
    with pytest.raises(OptionError, match=r"unexpected keyword argument 'market'"):
        gym.make(STACKELBERG).reset(options={"market": None})
    envs = gym.make_vec(DDA, 2, vectorization_mode=NATIVE, **SYNTHETIC)
    with pytest.raises(OptionError, match=r"unexpected keyword argument 'mask'.*'reset_mask'"):
        envs.reset(options={"mask": None})


@pytest.mark.parametrize("env_id", [DDA, DISCRETE])
def test_stepping_after_the_auction_ended_raises(env_id: str) -> None:
    env = gym.make(env_id, max_rounds=3, step_min=0.02, step_max=0.02, **SYNTHETIC)
    env.reset(seed=0)
    action = env.unwrapped.step_to_action(0.02)
    ends = [env.step(action)[2] for _ in range(3)]
    assert ends == [False, False, True]
    with pytest.raises(RuntimeError, match=r"the episode has ended .*terminated.*call reset\(\)"):
        env.step(action)
    env.reset()
    env.step(action)


def test_stepping_the_stackelberg_env_after_truncation_raises() -> None:
    env = gym.make(STACKELBERG, max_episode_steps=2)
    env.reset(seed=0)
    action = np.zeros(1, np.float32)
    assert [env.step(action)[3] for _ in range(2)] == [False, True]
    with pytest.raises(
        RuntimeError, match=r"the episode has ended \(truncated by the time limit\); call reset\(\)"
    ):
        env.step(action)
    env.reset(seed=1)
    assert not env.step(action)[3]


# -- properties ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("env_id", "options"), [(DDA, {}), (DDA, {"per_clock_steps": True}), (DISCRETE, {})])
def test_random_actions_never_give_nan_and_infos_keep_their_types(env_id: str, options: dict) -> None:
    env = gym.make(env_id, **SYNTHETIC, **options)
    base = env.unwrapped
    rng = np.random.default_rng(7)
    types: dict[str, set] = {}
    episodes = 0
    obs, info = env.reset(seed=7)
    for step in range(4000):
        if base.step_sizes is not None:  # the largest step often: the shortest auctions
            action = int(rng.integers(base.action_space.n)) if step % 3 else base.action_space.n - 1
        else:  # finite, partly outside [-1, 1] (clipped), and the largest step often
            action = (
                rng.uniform(-3, 3, base.action_space.shape) if step % 3 else np.ones(base.action_space.shape)
            ).astype(np.float32)
        assert info["active_clock"] in (0, 1) and info["active_clock"] == obs[3]
        obs, reward, terminated, truncated, info = env.step(action)
        assert np.isfinite(obs).all() and math.isfinite(reward)
        for key, value in info.items():
            types.setdefault(key, set()).add(type(value))
            if isinstance(value, float):
                assert math.isfinite(value), key
        if terminated or truncated:
            assert isinstance(info["clearing_price"], float) and math.isfinite(info["clearing_price"])
            episodes += 1
            obs, info = env.reset()
    assert episodes >= 100
    assert {key: seen for key, seen in types.items() if len(seen) != 1} == {}
    assert types["active_clock"] == {int} and types["round"] == {int} and types["clearing_price"] == {float}


def test_vector_env_active_clock_is_an_int_matching_the_observation() -> None:
    envs = gym.make_vec(DDA, 4, vectorization_mode=NATIVE, **SYNTHETIC)
    obs, info = envs.reset(seed=0)
    envs.action_space.seed(0)
    for _ in range(60):
        assert info["active_clock"].dtype == np.int64
        np.testing.assert_array_equal(info["active_clock"], obs[:, 3].astype(np.int64))
        obs, rewards, _, _, info = envs.step(envs.action_space.sample())
        assert np.isfinite(obs).all() and np.isfinite(rewards).all()
        if "clearing_price" in info:
            assert np.isfinite(info["clearing_price"]).all()


def test_stackelberg_random_actions_never_give_nan() -> None:
    env = gym.make(STACKELBERG, max_episode_steps=10)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(10):
        obs, reward, _, _, info = env.step(rng.uniform(-3, 3, 1).astype(np.float32))
        assert np.isfinite(obs).all() and math.isfinite(reward)
        assert all(np.isfinite(np.asarray(v, dtype=float)).all() for v in info.values())


# -- second round: failures at reset name the options; time limits, given markets, seeds -----------------


def test_an_untradable_tier1_scenario_fails_at_reset_naming_the_options_that_decide_it() -> None:
    # Not refused at construction (capacities just hold the largest work of most slots), so the sampling
    # failure itself names the options, as a ValueError.
    env = gym.make(DDA, fa_capacity_range=(400.0, 450.0))
    with pytest.raises(ValueError, match=r"no tradable Tier-2 market in 100 sampled slots") as raised:
        env.reset(seed=0)
    for name in ("unit_size", "aa_supply_range", "fa_capacity_range", "n_wa", "n_aa"):
        assert name in str(raised.value)


@pytest.mark.parametrize("env_id", [DDA, DISCRETE])
def test_a_time_limit_below_max_rounds_truncates_as_documented(env_id: str) -> None:
    """A TimeLimit the user asks for below max_rounds is Gymnasium's truncation (docs/model.md, Sec. 5): the
    episode is cut with truncated=True and no efficiency reward; the single and native vector envs agree."""
    env = gym.make(env_id, max_episode_steps=2, step_min=0.1, step_max=0.1, **SYNTHETIC)
    env.reset(seed=0)
    action = env.unwrapped.step_to_action(0.1)
    steps = [env.step(action) for _ in range(2)]
    (_, reward, terminated, truncated, info) = steps[-1]
    assert (terminated, truncated) == (False, True) and reward == pytest.approx(-env.unwrapped.config.eta)
    assert np.isfinite(reward) and "efficiency" not in info
    vector = gym.make_vec(
        env_id, 2, vectorization_mode=NATIVE, max_episode_steps=2, step_min=0.1, step_max=0.1, **SYNTHETIC
    )
    vector.reset(seed=0)
    for _ in range(2):
        _, _, terminated, truncated, _ = vector.step(np.stack([action, action]))
    assert not terminated.any() and truncated.all()
    vector.close()


@pytest.mark.parametrize(
    "market", [Market([], [], [], []), Market([1.0], [2], [5.0], [2])], ids=["empty", "no-gains"]
)
def test_an_untradable_given_market_is_refused(market: Market) -> None:
    for env in (
        gym.make(DDA, **SYNTHETIC),
        gym.make_vec(DDA, 2, vectorization_mode=NATIVE, **SYNTHETIC),
    ):
        with pytest.raises(ValueError, match=r"options\['market'\] must be a tradable Market"):
            env.reset(seed=0, options={"market": market})


def test_vector_env_seeds_numpy_ints_work_and_fractions_are_refused() -> None:
    envs = gym.make_vec(DDA, 2, vectorization_mode=NATIVE, **SYNTHETIC)
    first = envs.reset(seed=np.int64(3))[0]
    np.testing.assert_array_equal(first, envs.reset(seed=3)[0])
    for seed in (1.5, -1, "x", [1, 2.5]):
        with pytest.raises(ValueError, match=r"seed must be None, an integer >= 0 or a list of 2 seeds"):
            envs.reset(seed=seed)


@pytest.mark.parametrize("mode", ["ansi_list", "rgb_array_list"])
def test_stackelberg_list_render_modes_work_and_keep_the_episode_guard(mode: str) -> None:
    env = gym.make(STACKELBERG, render_mode=mode, max_episode_steps=1)
    env.reset(seed=0)
    env.step(env.action_space.sample())
    frames = env.render()
    assert isinstance(frames, list) and frames and env.render_mode == mode
    with pytest.raises(RuntimeError, match=r"the episode has ended"):
        env.step(env.action_space.sample())


def test_action_to_step_refuses_non_numbers_naming_the_space() -> None:
    with pytest.raises(
        ValueError, match=r"action must be an array of real numbers \(no strings.*the action space is Box"
    ):
        gym.make(DDA, **SYNTHETIC).unwrapped.action_to_step("abc")


def _zero_policy(observations: np.ndarray) -> np.ndarray:
    return np.zeros((len(observations), 1), np.float32)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"seed": -1}, r"seed must be an integer >= 0"),
        ({"seed": 1.5}, r"seed must be an integer >= 0"),
        ({"seed": "x"}, r"seed must be an integer >= 0"),
        ({"n_markets": None}, r"n_markets must be an integer in \[1, 1000000\]"),
        ({"env_kwargs": ["market_source"]}, r"env_kwargs must be a mapping"),
        ({"policy": None}, r"policy must have SB3's predict\(\) or be a callable"),
        ({"on_market": 3}, r"on_market must be a callable"),
        ({"markets": []}, r"markets must be a sequence of at least n_markets=2 Markets"),
        ({"markets": [MARKET]}, r"markets must be a sequence of at least n_markets=2 Markets.*got 1 markets"),
        ({"markets": ["a", "b"]}, r"markets must hold ioa_gym.auctions.Market objects"),
    ],
)
def test_ic_audit_refuses_bad_arguments_up_front(kwargs: dict, pattern: str) -> None:
    arguments = {"policy": _zero_policy, "env_kwargs": SYNTHETIC, "n_markets": 2, **kwargs}
    with pytest.raises(ValueError, match=pattern):
        audit_policy(arguments.pop("policy"), **arguments)
