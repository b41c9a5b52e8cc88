"""How to reach the IoA-DDA env (configuration, action scale) under wrappers or a vector env."""

from __future__ import annotations

from typing import Any

from ioa_gym.envs.dda import DDAEnvConfig, DoubleDutchAuctionEnv


def vector_env_config(env: Any) -> DDAEnvConfig | None:
    """The ``DDAEnvConfig`` of a vector env's sub-envs, or None if it is not a vector env of IoA-DDA."""
    owner: Any
    for owner in (env, getattr(env, "unwrapped", None)):
        if isinstance(getattr(owner, "config", None), DDAEnvConfig):
            return owner.config  # a batched implementation holding the sub-envs' shared config
    get_attr = getattr(env, "get_attr", None)
    if not callable(get_attr):
        return None
    try:
        configs = get_attr("config")  # one per sub-env: SB3 VecEnv (a list) or Gymnasium (a tuple)
    except (AttributeError, NotImplementedError):
        return None
    return configs[0] if len(configs) and isinstance(configs[0], DDAEnvConfig) else None


def dda_env(env: Any, purpose: str = "this") -> DoubleDutchAuctionEnv:
    """The IoA-DDA env under ``env``'s wrappers, or a private copy built from a vector env's sub-env config.

    A single env (wrapped or not) gives its own unwrapped env. A vector env (SB3's DummyVecEnv or
    SubprocVecEnv, Gymnasium's SyncVectorEnv or AsyncVectorEnv, the batched implementation, or an adapter
    around one) gives a never reset ``DoubleDutchAuctionEnv`` built from the configuration its sub-envs share
    (read with ``get_attr("config")`` or from the batched env's own ``config``), whose ``step_to_action`` is
    theirs.

    :param purpose: who needs it, for the error message (``"the IC audit"``).
    :raises ValueError: for any other env, naming ``purpose``.
    """
    base = getattr(env, "unwrapped", env)
    if isinstance(base, DoubleDutchAuctionEnv):
        return base
    config = vector_env_config(env)
    if config is None:
        raise ValueError(f"{purpose} needs an IoA-DDA environment, got {type(base).__name__}")
    return DoubleDutchAuctionEnv(**config.to_dict())


def best_fixed_step(env: Any) -> float | tuple[float, float] | None:
    """The best fixed step of the mechanism an IoA-DDA env (single or vector) plays
    (``Mechanism.best_fixed_step``; None when its mechanism measured none)."""
    return dda_env(env, "best_fixed_step").mechanism.best_fixed_step


__all__ = ["best_fixed_step", "dda_env", "vector_env_config"]
