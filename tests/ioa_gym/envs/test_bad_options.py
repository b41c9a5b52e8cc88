"""Every bad option of the IoA envs is a named error raised at ``gym.make`` (issue 11, the env side): the
tables of ``bad_option_cases.py`` and ``silent_option_cases.py`` (issue 23: options that were taken silently
or refused unnamed), the option error's wording, the time limit as the bound of ``max_rounds``, render
modes; what the incentive-compatible and Discrete ids keep accepting."""

from __future__ import annotations

import dataclasses
import importlib.util

import gymnasium as gym
import pytest

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.envs.dda import MAX_EPISODE_STEPS
from ioa_gym.envs.dda_vector import MAX_NUM_ENVS
from ioa_gym.errors import OptionError
from ioa_gym.tier1.scenario import ScenarioConfig
from tests.ioa_gym.envs.bad_option_cases import CONSTRUCTION_CASES
from tests.ioa_gym.envs.silent_option_cases import SILENT_CASES

DDA, DISCRETE, STACKELBERG = "IoA-DDA-v0", "IoA-DDA-Discrete-v0", "IoA-Stackelberg-v0"
SYNTHETIC = {"market_source": "synthetic"}
HAS_PYGAME = importlib.util.find_spec("pygame") is not None


@pytest.mark.parametrize(
    ("call", "error", "patterns"),
    [case[1:] for case in CONSTRUCTION_CASES + SILENT_CASES],
    ids=[case[0] for case in CONSTRUCTION_CASES + SILENT_CASES],
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


@pytest.mark.parametrize(
    ("env_id", "variant"),
    [("IoA-DDA-StrategyProof-v0", "strategy-proof"), ("IoA-DDA-DoubleClock-v0", "double-clock")],
)
def test_ic_ids_keep_their_mechanism_and_accept_every_option_that_keeps_ic(env_id: str, variant: str) -> None:
    """No kwargs: the same env as before the promise (the registered variant; the configuration of IoA-DDA-v0
    with the id's kwargs, up to the promise itself). The variant given explicitly is fine, and so is every
    other option: none adds a report-dependent observation or makes the clock path depend on reports (the
    observation is the mechanism's, ``Mechanism.observation_names`` within its ``policy_reads``)."""
    plain = gym.make(env_id).unwrapped
    spec_kwargs = {k: v for k, v in gym.spec(env_id).kwargs.items() if k != "promised_variant"}
    assert plain.config == gym.make(DDA, **spec_kwargs, promised_variant=variant).unwrapped.config
    assert (
        dataclasses.replace(plain.config, promised_variant=None)
        == gym.make(DDA, **spec_kwargs).unwrapped.config
    )
    assert plain.mechanism.incentive_compatible and plain.config.variant == variant
    others = {
        "per_clock_steps": False,
        "max_rounds": 50,
        "price_bounds": (0.0, 20.0),
        "discrete_steps": 6,
        "coupling": "clearing",
    }
    for env in (
        gym.make(env_id, variant=variant, **SYNTHETIC),
        gym.make(env_id, **others),
        gym.make_vec(env_id, 2, vectorization_mode="vector_entry_point", variant=variant, **SYNTHETIC),
    ):
        assert env.unwrapped.mechanism.name == variant


def test_equal_scenario_fields_and_the_largest_vector_env_are_accepted() -> None:
    for scenario in (
        {"n_wa": 40, "fa_capacity_range": [1.0, 2.0]},
        ScenarioConfig(n_wa=40, fa_capacity_range=(1.0, 2.0)),
    ):
        env = gym.make(DDA, scenario=scenario, n_wa=40, fa_capacity_range=(1.0, 2.0), n_fa=3)
        assert env.unwrapped.scenario_config == ScenarioConfig(n_wa=40, fa_capacity_range=(1.0, 2.0))
    assert gym.make(STACKELBERG, scenario={"n_wa": 12}, n_wa=12).unwrapped.scenario_config.n_wa == 12
    assert gym.make(DISCRETE, discrete_steps=2, **SYNTHETIC).action_space == gym.spaces.Discrete(2)
    vector = gym.make_vec(DDA, MAX_NUM_ENVS, vectorization_mode="vector_entry_point", **SYNTHETIC)
    assert vector.num_envs == MAX_NUM_ENVS


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
