"""Shared fixtures. The torch tests request ``one_torch_thread`` (``pytestmark``); the economics tests
never import torch."""

from __future__ import annotations

from collections.abc import Iterator

import gymnasium as gym
import pytest


@pytest.fixture(scope="session")
def one_torch_thread() -> Iterator[None]:
    """Tiny networks on shared CPU cores: one torch thread is many times faster than several. Session
    scope, so that module-scoped model fixtures run under it too; the setting is restored at the end."""
    import torch

    from agents.common.cli import set_torch_threads

    threads = torch.get_num_threads()
    set_torch_threads(1)  # after the envs' kernels start their threads, which would reset it otherwise
    yield
    torch.set_num_threads(threads)


class _ResetFails(gym.Env):
    """An env whose options make every episode impossible: its reset raises a ValueError naming them."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (1,))
    action_space = gym.spaces.Box(-1.0, 1.0, (1,))

    def __init__(self, values: float = 0.0) -> None:
        self.values = values

    def reset(self, *, seed=None, options=None):
        raise ValueError(f"values={self.values} never exceed costs: every market is untradable")


@pytest.fixture
def reset_fails_env() -> Iterator[str]:
    """The id of a registered env that builds but whose ``reset`` raises a ValueError naming its option
    (what an IoA env does when its options make every market untradable); unregistered afterwards."""
    env_id = "IoATest/ResetFails-v0"
    gym.register(env_id, entry_point=_ResetFails)
    try:
        yield env_id
    finally:
        gym.registry.pop(env_id)
