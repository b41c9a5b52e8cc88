"""The table of bad env options (and bad arguments of the economics' entry points) that must fail at
construction naming the field and its allowed range: one entry per case (not a test module; read by
``test_bad_options.py``)."""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable

import gymnasium as gym
import numpy as np

import ioa_gym  # noqa: F401  (registers the environments)
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
            [r"num_envs must be an integer in \[1, 65536\]"],
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
