"""The one seed rule of every evaluation, audit, figure and benchmark that plays seeded episodes.

Evaluation seed ``s``, episode (or market) ``i`` is ``env.reset(seed=episode_seed(s, i))`` with

    episode_seed(s, i) = 2**32 + 1_000_000 * s + i

so every agent, the IC audit and the figures meet the same markets for the same ``(s, i)``. The offset
2**32 keeps these seeds apart from the seeds ``train.py`` gives its training and evaluation envs (drawn
below 2**31). An agent's own generators are seeded with ``agent_seed(s, i) = 1_000_000 * s + i``, which
must stay below 2**32 (NumPy's legacy seeding): hence :data:`MAX_EVAL_SEED`.
"""

from __future__ import annotations

SEED_BASE = 2**32
"""Offset of every evaluation reset seed."""
SEED_STRIDE = 1_000_000
"""Episodes (or markets) per evaluation seed."""
MAX_EVAL_SEED = (2**32 - 1) // SEED_STRIDE - 1
"""Largest evaluation seed: agent seeds must stay below 2**32."""


def check_index(index: int) -> int:
    """``index`` as an int, or ValueError unless it is in ``[0, SEED_STRIDE)``."""
    if not 0 <= int(index) < SEED_STRIDE:
        raise ValueError(f"episode / market index must be in [0, {SEED_STRIDE}), got {index}")
    return int(index)


def agent_seed(seed: int, episode: int) -> int:
    """Seed of the agent's generators for evaluation seed ``seed``, episode ``episode``."""
    return SEED_STRIDE * int(seed) + check_index(episode)


def episode_seed(seed: int, episode: int) -> int:
    """``env.reset`` seed of evaluation seed ``seed``, episode ``episode``: 2**32 + 10**6 seed + episode."""
    return SEED_BASE + agent_seed(seed, episode)


def seed_rule(seed_name: str = "eval_seed", index_name: str = "episode") -> str:
    """The reset-seed rule as a formula, for result files."""
    return f"env.reset(seed={SEED_BASE} + {SEED_STRIDE} * {seed_name} + {index_name})"


__all__ = [
    "MAX_EVAL_SEED",
    "SEED_BASE",
    "SEED_STRIDE",
    "agent_seed",
    "check_index",
    "episode_seed",
    "seed_rule",
]
