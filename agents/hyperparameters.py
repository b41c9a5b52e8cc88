"""Allowed values of the hyperparameters SB3's algorithms share, checked before anything is built.

SB3 itself accepts ``gamma=5`` or ``batch_size=0`` and trains on NaNs; :func:`check_hyperparam_values` refuses
them with the hyperparameter's name and its allowed range (:mod:`agents.common.checks`). The agent registry
calls it for every SB3 algorithm (:func:`agents.registry.check_hyperparams`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.common.checks import (
    NON_NEGATIVE,
    NON_NEGATIVE_INT,
    POSITIVE,
    POSITIVE_INT,
    UNIT,
    Range,
)

# Hyperparameters that may be given as "lin_<value>": a schedule decaying linearly to 0 (zoo convention).
SCHEDULE_KEYS = ("learning_rate", "clip_range", "clip_range_vf", "delta_std")

# Allowed values of the hyperparameters SB3's algorithms share (and of the zoo's special keys), checked
# before anything is built or written: SB3 itself accepts gamma=5 or batch_size=0 and trains on NaNs.
HYPERPARAM_RANGES: dict[str, Range] = {
    "gamma": UNIT,
    "learning_rate": POSITIVE,
    "n_steps": POSITIVE_INT,
    "batch_size": POSITIVE_INT,
    "buffer_size": POSITIVE_INT,
    "learning_starts": NON_NEGATIVE_INT,
    "gradient_steps": Range(1, integer=True, also=((-1, "as many as env steps collected"),)),
    "n_epochs": POSITIVE_INT,
    "tau": Range(0.0, 1.0, low_open=True),
    "gae_lambda": UNIT,
    "clip_range": POSITIVE,
    "clip_range_vf": POSITIVE,
    "ent_coef": NON_NEGATIVE,
    "vf_coef": NON_NEGATIVE,
    "max_grad_norm": POSITIVE,
    "target_update_interval": POSITIVE_INT,
    "policy_delay": POSITIVE_INT,
    "target_policy_noise": NON_NEGATIVE,
    "target_noise_clip": NON_NEGATIVE,
    "exploration_fraction": UNIT,
    "exploration_initial_eps": UNIT,
    "exploration_final_eps": UNIT,
    "stats_window_size": POSITIVE_INT,
    "train_freq": POSITIVE_INT,
    "n_critic_updates": POSITIVE_INT,
    "cg_max_steps": POSITIVE_INT,
    "target_kl": POSITIVE,
    "n_delta": POSITIVE_INT,
    "delta_std": POSITIVE,
    "top_quantiles_to_drop_per_net": NON_NEGATIVE_INT,
    "noise_std": NON_NEGATIVE,
    "n_envs": POSITIVE_INT,
    "n_timesteps": POSITIVE_INT,
}
"""Numeric hyperparameters and their allowed values; strings SB3 gives a meaning (``ent_coef: auto``,
``"lin_<x>"`` schedules) and callables (schedules) are checked as far as they can be."""
TRAIN_FREQ_UNITS = ("step", "episode")


def _check_hyperparam_value(key: str, value: Any, error: type[Exception]) -> None:
    allowed = HYPERPARAM_RANGES[key]
    if callable(value) or value is None and key in ("clip_range_vf", "target_kl", "max_grad_norm"):
        return  # a schedule; None disables these
    if key == "train_freq" and isinstance(value, list | tuple):
        if len(value) != 2 or value[1] not in TRAIN_FREQ_UNITS:
            raise error(
                f"hyperparameter train_freq must be an integer >= 1 or [n, unit] with unit one of "
                f"{', '.join(TRAIN_FREQ_UNITS)}, got {value!r}"
            )
        value = value[0]
    if isinstance(value, str):
        if key in SCHEDULE_KEYS and value.startswith("lin_"):
            try:
                number = float(value[len("lin_") :])
            except ValueError:
                number = float("nan")
            if not allowed.contains(number):
                raise error(
                    f"hyperparameter {key}={value!r}: the schedule's start must be {allowed.describe()}"
                )
            return
        if key == "ent_coef" and value.startswith("auto"):
            return  # SAC/TQC: tuned; SB3 checks the initial value
        schedule = " or 'lin_<start>'" if key in SCHEDULE_KEYS else ""
        raise error(f"hyperparameter {key} must be {allowed.describe()}{schedule}, got {value!r}")
    if not allowed.contains(value):
        raise error(f"hyperparameter {key} must be {allowed.describe()}, got {value!r}")


NET_ARCH_KEYS = ("pi", "vf", "qf")
"""The keys of SB3's dict form of ``net_arch``: actor, on-policy critic, off-policy critic."""


def _is_layer_sizes(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(POSITIVE_INT.contains(size) for size in value)


def check_net_arch(
    net_arch: Any, name: str = "policy_kwargs.net_arch", error: type[Exception] = ValueError
) -> None:
    """Raise ``error`` naming ``name`` unless ``net_arch`` is a form SB3 accepts: a list of layer sizes
    (integers >= 1; empty: no hidden layer), or a dict of such lists under ``pi``, ``vf``, ``qf``.

    SB3 itself builds ``nn.Linear(64, -1)`` and fails in torch ("negative dimension"), or trains a
    network with a zero-width layer.
    """
    if net_arch is None or _is_layer_sizes(net_arch):
        return
    if isinstance(net_arch, dict):
        unknown = sorted(map(str, set(net_arch) - set(NET_ARCH_KEYS)))
        bad = [key for key in NET_ARCH_KEYS if key in net_arch and not _is_layer_sizes(net_arch[key])]
        if not unknown and not bad:
            return
    raise error(
        f"{name} must be a list of layer sizes (integers >= 1), or a dict of such lists under "
        f"{', '.join(NET_ARCH_KEYS)}, got {net_arch!r}"
    )


def check_hyperparam_values(hyperparams: Mapping[str, Any], error: type[Exception] = ValueError) -> None:
    """Raise ``error`` naming the hyperparameter and its allowed range if a value of one of
    :data:`HYPERPARAM_RANGES` is outside it (``gamma: 5``, ``batch_size: 0``, ``gradient_steps: 0``...)."""
    for key, value in hyperparams.items():
        if key in HYPERPARAM_RANGES:
            _check_hyperparam_value(key, value, error)


__all__ = [
    "HYPERPARAM_RANGES",
    "NET_ARCH_KEYS",
    "SCHEDULE_KEYS",
    "TRAIN_FREQ_UNITS",
    "check_hyperparam_values",
    "check_net_arch",
]
