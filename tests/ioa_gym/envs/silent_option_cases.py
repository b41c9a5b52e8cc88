"""Options that an env used to take silently, or refused with an unnamed error (issue 23): each now fails at
construction with a ValueError naming the option and what it may be. One entry per case, in the shape of
``bad_option_cases.CONSTRUCTION_CASES`` (not a test module; read by ``test_bad_options.py``):

- an incentive-compatible id refuses another ``variant`` (it would void the id's guarantee); the other options
  keep it (tested beside the table);
- IoA-DDA-Discrete-v0 refuses ``discrete_steps`` below 2 (0 gave a Box action space);
- a ``scenario=`` dict or ScenarioConfig that contradicts a ScenarioConfig field given directly is refused
  naming both, in every env that takes a scenario (equal values are fine);
- the native vector env bounds ``num_envs`` (``MAX_NUM_ENVS``) instead of failing with a MemoryError.
"""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import pytest

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.envs.dda_vector import MAX_NUM_ENVS
from ioa_gym.tier1.scenario import ScenarioConfig

DDA, DISCRETE, STACKELBERG = "IoA-DDA-v0", "IoA-DDA-Discrete-v0", "IoA-Stackelberg-v0"
STRATEGY_PROOF, DOUBLE_CLOCK = "IoA-DDA-StrategyProof-v0", "IoA-DDA-DoubleClock-v0"
SYNTHETIC = {"market_source": "synthetic"}
NATIVE = "vector_entry_point"


def make(env_id: str, **kwargs) -> Callable[[], object]:
    return lambda: gym.make(env_id, **kwargs)


def make_native(env_id: str, num_envs: int = 2, **kwargs) -> Callable[[], object]:
    return lambda: gym.make_vec(env_id, num_envs, vectorization_mode=NATIVE, **kwargs)


def pettingzoo(name: str, **kwargs) -> Callable[[], object]:
    def call() -> object:
        pytest.importorskip("pettingzoo")
        from ioa_gym import multiagent

        return getattr(multiagent, name).parallel_env(**kwargs)

    return call


def _voided(promised: str, variant: str) -> list[str]:
    return [
        rf"variant must be '{promised}' \(or left out\) on this env id",
        "incentive guarantee",
        rf"variant='{variant}' would void",
        rf"make IoA-DDA-v0 with variant='{variant}' instead",
    ]


SCENARIO_CONFLICT = [r"n_wa=40 contradicts scenario\['n_wa'\]=10", "give n_wa once"]

# (case id, what to call, exception type, regexes its message must match)
SILENT_CASES = [
    # an IC id refuses a variant that would void its guarantee, single and native vector env
    *[
        (
            f"ic-{env_id}-{variant}",
            make(env_id, variant=variant, **SYNTHETIC),
            ValueError,
            _voided(promised, variant),
        )
        for env_id, promised, variant in (
            (STRATEGY_PROOF, "strategy-proof", "classic"),
            (STRATEGY_PROOF, "strategy-proof", "double-clock"),
            (DOUBLE_CLOCK, "double-clock", "classic"),
            (DOUBLE_CLOCK, "double-clock", "strategy-proof"),
        )
    ],
    (
        "ic-native-vector",
        make_native(STRATEGY_PROOF, variant="classic", **SYNTHETIC),
        ValueError,
        _voided("strategy-proof", "classic"),
    ),
    (
        "ic-promise-not-ic",
        make(DDA, promised_variant="classic"),
        ValueError,
        [r"promised_variant must be an incentive-compatible mechanism \(one of \['strategy-proof', "],
    ),
    (
        "ic-promise-unknown",
        make(DDA, promised_variant="english"),
        ValueError,
        [r"promised_variant must be one of"],
    ),
    # the Discrete id keeps a Discrete action space
    *[
        (
            f"discrete-steps-{steps!r}",
            make(DISCRETE, discrete_steps=steps, **SYNTHETIC),
            ValueError,
            [
                r"discrete_steps must be an integer in \[2, 1000\] on this env id",
                "Discrete action space",
                "make IoA-DDA-v0 for a Box action space",
            ],
        )
        for steps in (0, 1, 1.5, None)
    ],
    (
        "discrete-steps-native",
        make_native(DISCRETE, discrete_steps=0, **SYNTHETIC),
        ValueError,
        [r"discrete_steps must be an integer in \[2, 1000\] on this env id"],
    ),
    (
        "promised-discrete-type",
        make(DDA, promised_discrete="yes"),
        ValueError,
        [r"promised_discrete must be a bool"],
    ),
    # a scenario contradicting a field given directly, in every env that takes both
    ("scenario-dict-dda", make(DDA, scenario={"n_wa": 10}, n_wa=40), ValueError, SCENARIO_CONFLICT),
    (
        "scenario-config-dda",
        make(DDA, scenario=ScenarioConfig(n_wa=10), n_wa=40),
        ValueError,
        [*SCENARIO_CONFLICT, r"\(scenario= ScenarioConfig\)"],
    ),
    (
        "scenario-range-dda",
        make(DDA, scenario={"fa_capacity_range": [1.0, 2.0]}, fa_capacity_range=(1.0, 3.0)),
        ValueError,
        [r"fa_capacity_range=\(1.0, 3.0\) contradicts scenario\['fa_capacity_range'\]=\[1.0, 2.0\]"],
    ),
    ("scenario-native", make_native(DDA, scenario={"n_wa": 10}, n_wa=40), ValueError, SCENARIO_CONFLICT),
    (
        "scenario-stackelberg",
        make(STACKELBERG, scenario={"n_wa": 10}, n_wa=40),
        ValueError,
        SCENARIO_CONFLICT,
    ),
    (
        "scenario-leaders",
        pettingzoo("leaders_v0", scenario={"n_wa": 10}, n_wa=40),
        ValueError,
        SCENARIO_CONFLICT,
    ),
    (
        "scenario-bidders",
        pettingzoo("bidders_v0", scenario={"n_wa": 10}, n_wa=40),
        ValueError,
        SCENARIO_CONFLICT,
    ),
    # the native vector env's size is bounded
    *[
        (
            f"vector-num-envs-{n}",
            make_native(DDA, n, **SYNTHETIC),
            ValueError,
            [rf"num_envs must be an integer in \[1, {MAX_NUM_ENVS}\]", "MAX_NUM_ENVS", f"got {n}"],
        )
        for n in (MAX_NUM_ENVS + 1, 10**9)
    ],
]
