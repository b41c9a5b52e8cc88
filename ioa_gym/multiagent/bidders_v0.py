"""``bidders_v0``: the buyers and sellers of one Tier-2 auction choose their reports
(:class:`ioa_gym.multiagent.bidders.BiddersEnv`).

    from ioa_gym.multiagent import bidders_v0

    env = bidders_v0.parallel_env(variant="double-clock")   # a pettingzoo.ParallelEnv, one step per auction
    aec = bidders_v0.env()                                  # the AEC form (PettingZoo's conversion)
"""

from __future__ import annotations

from typing import Any

from pettingzoo import AECEnv
from pettingzoo.utils.conversions import parallel_to_aec

from ioa_gym.multiagent.bidders import BiddersEnv


def parallel_env(**kwargs: Any) -> BiddersEnv:
    """The parallel env; keyword arguments as :class:`~ioa_gym.multiagent.bidders.BiddersEnv`."""
    return BiddersEnv(**kwargs)


def env(**kwargs: Any) -> AECEnv:
    """The AEC form of :func:`parallel_env` (``pettingzoo.utils.conversions.parallel_to_aec``)."""
    return parallel_to_aec(parallel_env(**kwargs))


raw_env = BiddersEnv

__all__ = ["env", "parallel_env", "raw_env"]
