"""Multi-agent forms of the model as PettingZoo environments (the optional extra ``ioa-gym[multiagent]``).

- ``leaders_v0``: every MA and FA of Tier 1 posts its price each slot (``pettingzoo.ParallelEnv``);
- ``bidders_v0``: the buyers and sellers of one Tier-2 auction choose their reports.
"""

from __future__ import annotations

try:
    import pettingzoo  # noqa: F401
except ModuleNotFoundError as error:  # pragma: no cover - exercised only without the extra
    raise ModuleNotFoundError(
        "ioa_gym.multiagent needs PettingZoo: pip install 'ioa-gym[multiagent]' (or pip install pettingzoo)",
        name=error.name,
    ) from error

from ioa_gym.multiagent import bidders_v0, leaders_v0

__all__ = ["bidders_v0", "leaders_v0"]
