"""The arguments of :class:`~agents.diffusion.DiffusionAC`, checked before anything is built (``batch_size=0``
would train on NaN losses, ``gamma=5`` diverge), and the policy kwargs they make.

Every check names the argument and its allowed range (:mod:`agents.common.checks`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from agents.common.checks import (
    NON_NEGATIVE,
    NON_NEGATIVE_INT,
    POSITIVE,
    POSITIVE_INT,
    UNIT,
    Range,
    check_range,
)
from agents.diffusion.policies import DIFFUSION_ARGS, validate_diffusion_args

_RANGES = {
    "buffer_size": POSITIVE_INT,
    "learning_starts": NON_NEGATIVE_INT,
    "batch_size": POSITIVE_INT,
    "tau": Range(0.0, 1.0, low_open=True),
    "gamma": UNIT,
    "gradient_steps": Range(1, integer=True, also=((-1, "as many as env steps collected"),)),
    "n_steps": POSITIVE_INT,
    "bound_penalty_coef": NON_NEGATIVE,
    "exploration_noise_std": NON_NEGATIVE,
    "bc_coef": NON_NEGATIVE,
    "target_update_interval": POSITIVE_INT,
    "stats_window_size": POSITIVE_INT,
    "verbose": NON_NEGATIVE_INT,
}


def _check_rate(name: str, value: Any, optional: bool = False) -> None:
    if (optional and value is None) or callable(value):
        return  # None: learning_rate; a callable: a schedule of the progress remaining
    if not POSITIVE.contains(value):
        extra = ", None (learning_rate)" if optional else ""
        raise ValueError(f"{name} must be a number > 0 or a schedule{extra}, got {value!r}")


def _check_net_arch(net_arch: Any) -> None:
    def is_layers(layers: Any) -> bool:
        return isinstance(layers, list | tuple) and all(POSITIVE_INT.contains(size) for size in layers)

    if net_arch is None or is_layers(net_arch):
        return
    if (
        isinstance(net_arch, dict)
        and set(net_arch) <= {"pi", "qf"}
        and all(map(is_layers, net_arch.values()))
    ):
        return
    raise ValueError(
        f"net_arch must be a list of sizes (integers >= 1), or dict(pi=[...], qf=[...]); got {net_arch!r}"
    )


def validate_agent_args(**arguments: Any) -> None:
    """Fail before anything is built, naming the argument and its allowed range, on a ``DiffusionAC``
    argument out of range (``batch_size=0`` would train on NaN losses, ``gamma=5`` diverge).

    :param arguments: the constructor arguments by name (those not checked by
        :func:`~agents.diffusion.policies.validate_diffusion_args`).
    """
    for name, allowed in _RANGES.items():
        if name in arguments:
            check_range(name, arguments[name], allowed)
    _check_rate("learning_rate", arguments.get("learning_rate", 3e-4))
    for name in ("actor_lr", "critic_lr"):
        _check_rate(name, arguments.get(name), optional=True)
    train_freq = arguments.get("train_freq", 1)
    if isinstance(train_freq, list | tuple):
        if len(train_freq) != 2 or train_freq[1] not in ("step", "episode"):
            raise ValueError(
                f"train_freq must be an integer >= 1 or (n, 'step' | 'episode'), got {train_freq!r}"
            )
        check_range("train_freq", train_freq[0], POSITIVE_INT)
    else:
        check_range("train_freq", train_freq, POSITIVE_INT)
    _check_net_arch(arguments.get("net_arch"))
    for name in ("clip_denoised", "optimize_memory_usage"):
        if name in arguments and not isinstance(arguments[name], bool | np.bool_):
            raise ValueError(f"{name} must be True or False, got {arguments[name]!r}")
    ent_coef = arguments.get("ent_coef", "auto")
    if isinstance(ent_coef, str):
        initial = ent_coef.split("_", 1)[1] if ent_coef.startswith("auto_") else "1.0"
        try:
            valid = ent_coef in ("auto",) or (ent_coef.startswith("auto_") and float(initial) > 0.0)
        except ValueError:
            valid = False
        if not valid:
            raise ValueError(
                f"ent_coef must be a number >= 0, 'auto' or 'auto_<initial value > 0>', got {ent_coef!r}"
            )
    else:
        check_range("ent_coef", ent_coef, NON_NEGATIVE)
    target_entropy = arguments.get("target_entropy", "auto")
    if target_entropy != "auto" and not Range().contains(target_entropy):
        raise ValueError(f"target_entropy must be 'auto' or a number, got {target_entropy!r}")


def validate_constructor_args(arguments: Mapping[str, Any]) -> None:
    """Every check of a ``DiffusionAC`` constructor's arguments, before anything is built: the diffusion
    hyperparameters (:func:`~agents.diffusion.policies.validate_diffusion_args`), then the agent's
    (:func:`validate_agent_args`).

    :param arguments: the constructor's arguments by name.
    """
    validate_diffusion_args(*(arguments[name] for name in _CHAIN_ARGS))
    validate_agent_args(**{name: value for name, value in arguments.items() if name in _AGENT_ARGS})


def diffusion_policy_kwargs(
    policy_kwargs: Mapping[str, Any] | None, net_arch: Any, diffusion_args: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``DiffusionPolicy`` kwargs: ``policy_kwargs`` with ``net_arch`` and the diffusion hyperparameters,
    which must not be repeated in ``policy_kwargs``."""
    kwargs = dict(policy_kwargs or {})
    for name in DIFFUSION_ARGS:
        if name in kwargs:
            raise ValueError(f"pass {name} as a DiffusionAC argument, not in policy_kwargs")
    if net_arch is not None:
        if "net_arch" in kwargs:
            raise ValueError("net_arch given both as an argument and in policy_kwargs")
        kwargs["net_arch"] = net_arch
    kwargs.update(diffusion_args)
    return kwargs


_CHAIN_ARGS = (
    "n_timesteps_denoise",
    "noise_schedule",
    "beta_min",
    "beta_max",
    "time_embed_dim",
    "logit_scale",
)
"""The arguments :func:`~agents.diffusion.policies.validate_diffusion_args` checks, in its order."""
_AGENT_ARGS = (
    "learning_rate",
    "buffer_size",
    "learning_starts",
    "batch_size",
    "tau",
    "gamma",
    "train_freq",
    "gradient_steps",
    "n_steps",
    "actor_lr",
    "critic_lr",
    "net_arch",
    "clip_denoised",
    "bound_penalty_coef",
    "exploration_noise_std",
    "bc_coef",
    "ent_coef",
    "target_entropy",
    "target_update_interval",
    "stats_window_size",
    "optimize_memory_usage",
    "verbose",
)
"""The arguments :func:`validate_agent_args` checks."""


__all__ = [
    "DIFFUSION_ARGS",
    "diffusion_policy_kwargs",
    "validate_agent_args",
    "validate_constructor_args",
]
