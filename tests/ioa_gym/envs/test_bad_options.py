"""Every bad option of the IoA envs is a named error raised at ``gym.make`` (issue 11, the env side): the
table of ``bad_option_cases.py``, the option error's wording, the time limit as the bound of
``max_rounds``, render modes."""

from __future__ import annotations

import importlib.util

import gymnasium as gym
import pytest

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.envs.dda import MAX_EPISODE_STEPS
from ioa_gym.errors import OptionError
from tests.ioa_gym.envs.bad_option_cases import CONSTRUCTION_CASES

DDA, DISCRETE, STACKELBERG = "IoA-DDA-v0", "IoA-DDA-Discrete-v0", "IoA-Stackelberg-v0"
SYNTHETIC = {"market_source": "synthetic"}
HAS_PYGAME = importlib.util.find_spec("pygame") is not None


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
