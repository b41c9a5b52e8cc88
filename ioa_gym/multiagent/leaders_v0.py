"""``leaders_v0``: every MA and FA of Tier 1 prices at once (:class:`ioa_gym.multiagent.leaders.LeadersEnv`).

from ioa_gym.multiagent import leaders_v0

env = leaders_v0.parallel_env(n_wa=20)   # a pettingzoo.ParallelEnv
aec = leaders_v0.env()                   # the same game as an AEC env (PettingZoo's conversion)
"""

from __future__ import annotations

from typing import Any

from pettingzoo import AECEnv
from pettingzoo.utils.conversions import parallel_to_aec

from ioa_gym.multiagent.leaders import LeadersEnv


def parallel_env(**kwargs: Any) -> LeadersEnv:
    """The parallel env; keyword arguments as :class:`~ioa_gym.multiagent.leaders.LeadersEnv`."""
    return LeadersEnv(**kwargs)


def env(**kwargs: Any) -> AECEnv:
    """The AEC form of :func:`parallel_env` (``pettingzoo.utils.conversions.parallel_to_aec``)."""
    return parallel_to_aec(parallel_env(**kwargs))


raw_env = LeadersEnv

__all__ = ["env", "parallel_env", "raw_env"]
