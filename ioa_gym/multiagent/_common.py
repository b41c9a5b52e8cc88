"""What the multi-agent envs share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import numpy as np

ResetResult: TypeAlias = tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]
"""What ``reset`` of a parallel env returns: observations and infos by agent."""
StepResult: TypeAlias = tuple[
    dict[str, np.ndarray], dict[str, float], dict[str, bool], dict[str, bool], dict[str, dict[str, Any]]
]
"""What ``step`` of a parallel env returns: observations, rewards, terminations, truncations and infos."""


def check_actions(agents: list[str], actions: Any) -> None:
    """``actions`` is a dict (any mapping) that names every live agent once and no other (else ValueError
    naming both lists); a step after the episode ended (no live agent) is a RuntimeError."""
    if not agents:
        raise RuntimeError("the episode has ended; call reset() before step()")
    if not isinstance(actions, Mapping):
        raise ValueError(
            f"actions must be a dict of agent name -> action, one per live agent (agents: {agents}), got a "
            f"{type(actions).__name__}"
        )
    missing = sorted(set(agents) - set(actions))
    extra = sorted(set(actions) - set(agents))
    if missing or extra:
        raise ValueError(
            f"actions must name every live agent once: missing {missing}, unknown {extra} (agents: {agents})"
        )
