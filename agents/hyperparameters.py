"""Hyperparameters as YAML files and command lines give them, turned into an algorithm's constructor
arguments, and checked before anything is built.

rl-baselines3-zoo conventions: ``policy_kwargs`` as a string (``"dict(net_arch=[64, 64])"``, evaluated by
:func:`safe_eval`, a restricted evaluator, never ``eval``), ``"lin_<x>"`` for a linear schedule,
``noise_type`` / ``noise_std`` for an action noise, and the training settings ``n_envs`` / ``n_timesteps``
beside the constructor's arguments (:func:`constructor_kwargs`).

SB3 itself accepts ``gamma=5`` or ``batch_size=0`` and trains on NaNs; :func:`check_hyperparam_values` refuses
them with the hyperparameter's name and its allowed range (:mod:`agents.common.checks`), and
:func:`check_hyperparams` unknown names with the valid ones; every error is an
:class:`~agents.common.errors.ConfigError`.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.noise import NormalActionNoise, OrnsteinUhlenbeckActionNoise
from stable_baselines3.common.utils import LinearSchedule

from agents.common.checks import (
    NON_NEGATIVE,
    NON_NEGATIVE_INT,
    POSITIVE,
    POSITIVE_INT,
    UNIT,
    Range,
)
from agents.common.errors import ConfigError

SPECIAL_KEYS = ("policy", "n_envs", "n_timesteps", "noise_type", "noise_std")
"""Keys of a hyperparameter entry that are not constructor arguments."""
RESERVED_KEYS = ("seed", "device", "tensorboard_log", "verbose", "env")
"""Constructor arguments that :func:`agents.registry.make_agent` sets from its own parameters."""

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


def _check_hyperparam_value(key: str, value: Any) -> None:
    allowed = HYPERPARAM_RANGES[key]
    if callable(value) or value is None and key in ("clip_range_vf", "target_kl", "max_grad_norm"):
        return  # a schedule; None disables these
    if key == "train_freq" and isinstance(value, list | tuple):
        if len(value) != 2 or value[1] not in TRAIN_FREQ_UNITS:
            raise ConfigError(
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
                raise ConfigError(
                    f"hyperparameter {key}={value!r}: the schedule's start must be {allowed.describe()}"
                )
            return
        if key == "ent_coef" and value.startswith("auto"):
            return  # SAC/TQC: tuned; SB3 checks the initial value
        schedule = " or 'lin_<start>'" if key in SCHEDULE_KEYS else ""
        raise ConfigError(f"hyperparameter {key} must be {allowed.describe()}{schedule}, got {value!r}")
    if not allowed.contains(value):
        raise ConfigError(f"hyperparameter {key} must be {allowed.describe()}, got {value!r}")


NET_ARCH_KEYS = ("pi", "vf", "qf")
"""The keys of SB3's dict form of ``net_arch``: actor, on-policy critic, off-policy critic."""


def _is_layer_sizes(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(POSITIVE_INT.contains(size) for size in value)


def check_net_arch(net_arch: Any, name: str = "policy_kwargs.net_arch") -> None:
    """Raise :class:`~agents.common.errors.ConfigError` naming ``name`` unless ``net_arch`` is a form SB3
    accepts: a list of layer sizes (integers >= 1; empty: no hidden layer), or a dict of such lists under
    ``pi``, ``vf``, ``qf``.

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
    raise ConfigError(
        f"{name} must be a list of layer sizes (integers >= 1), or a dict of such lists under "
        f"{', '.join(NET_ARCH_KEYS)}, got {net_arch!r}"
    )


def check_hyperparam_values(hyperparams: Mapping[str, Any]) -> None:
    """Raise :class:`~agents.common.errors.ConfigError` naming the hyperparameter and its allowed range if a
    value of one of :data:`HYPERPARAM_RANGES` is outside it (``gamma: 5``, ``batch_size: 0``,
    ``gradient_steps: 0``...)."""
    for key, value in hyperparams.items():
        if key in HYPERPARAM_RANGES:
            _check_hyperparam_value(key, value)


_SAFE_CALLS = {"dict": dict, "list": list, "tuple": tuple}
_SAFE_ROOTS = {"nn": torch.nn, "th": torch, "torch": torch}


def safe_eval(expression: str) -> Any:
    """Evaluate a zoo-style ``policy_kwargs`` string without ``eval``.

    Allowed: literals, lists, tuples, dicts, ``dict(...)``/``list(...)``/``tuple(...)`` calls, and classes
    reached from ``nn``, ``th`` or ``torch`` (``nn.ReLU``, ``th.optim.Adam``). Anything else is refused.
    """

    def evaluate(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = evaluate(node.operand)
            if isinstance(operand, int | float):
                return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.List):
            return [evaluate(element) for element in node.elts]
        if isinstance(node, ast.Tuple):
            return tuple(evaluate(element) for element in node.elts)
        if isinstance(node, ast.Dict) and all(key is not None for key in node.keys):
            return {evaluate(key): evaluate(value) for key, value in zip(node.keys, node.values, strict=True)}
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _SAFE_CALLS:
            arguments = [evaluate(argument) for argument in node.args]
            keywords = {keyword.arg: evaluate(keyword.value) for keyword in node.keywords if keyword.arg}
            if len(keywords) == len(node.keywords):
                return _SAFE_CALLS[node.func.id](*arguments, **keywords)
        if isinstance(node, ast.Attribute):
            owner = evaluate(node.value)
            if (
                inspect.ismodule(owner)
                and owner.__name__.startswith("torch")
                and not node.attr.startswith("_")
            ):
                value = getattr(owner, node.attr, None)
                if inspect.ismodule(value) or inspect.isclass(value):
                    return value
        if isinstance(node, ast.Name) and node.id in _SAFE_ROOTS:
            return _SAFE_ROOTS[node.id]
        raise ConfigError(f"unsupported expression {ast.unparse(node)!r} in {expression!r}")

    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise ConfigError(f"cannot parse {expression!r}: {error.msg}") from error
    return evaluate(tree.body)


def constructor_parameters(algo_class: type) -> list[str] | None:
    """Hyperparameter names the constructor accepts (None when it takes ``**kwargs``)."""
    parameters = inspect.signature(algo_class.__init__).parameters.values()
    if any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters):
        return None
    excluded = {"self", "policy", *RESERVED_KEYS}
    return [p.name for p in parameters if p.name not in excluded and not p.name.startswith("_")]


def check_hyperparams(algo_class: type, hyperparams: Mapping[str, Any]) -> None:
    """Raise :class:`~agents.common.errors.ConfigError` naming the valid choices if a key is not a
    hyperparameter, or naming the allowed range if a value is out of it (:func:`check_hyperparam_values`)."""
    reserved = sorted(set(hyperparams) & set(RESERVED_KEYS))
    if reserved:
        raise ConfigError(
            f"{', '.join(reserved)} cannot be a hyperparameter: pass it as its own argument/flag"
        )
    if "normalize" in hyperparams:
        raise ConfigError("'normalize' (VecNormalize) is not supported; the environments are normalised")
    valid = constructor_parameters(algo_class)
    if valid is not None:
        unknown = sorted(set(hyperparams) - set(valid) - set(SPECIAL_KEYS))
        if unknown:
            raise ConfigError(
                f"unknown hyperparameter(s) {', '.join(map(repr, unknown))} for {algo_class.__name__}; "
                f"valid: {', '.join(sorted([*valid, *SPECIAL_KEYS]))}"
            )
    check_hyperparam_values(hyperparams)
    policy_kwargs = hyperparams.get("policy_kwargs")
    if isinstance(policy_kwargs, str):
        policy_kwargs = safe_eval(policy_kwargs)
    if policy_kwargs is not None and not isinstance(policy_kwargs, dict):
        raise ConfigError(
            f"hyperparameter policy_kwargs must be a dict (dict(net_arch=[64, 64]), ...), "
            f"got {policy_kwargs!r}"
        )
    if policy_kwargs:
        check_net_arch(policy_kwargs.get("net_arch"))


def _action_noise(noise_type: str, noise_std: float, action_space: spaces.Space) -> Any:
    if not isinstance(action_space, spaces.Box):
        raise ConfigError("noise_type needs a Box action space")
    mean, sigma = np.zeros(action_space.shape), noise_std * np.ones(action_space.shape)
    if noise_type == "normal":
        return NormalActionNoise(mean=mean, sigma=sigma)
    if noise_type == "ornstein-uhlenbeck":
        return OrnsteinUhlenbeckActionNoise(mean=mean, sigma=sigma)
    raise ConfigError(f"noise_type={noise_type!r}; valid: normal, ornstein-uhlenbeck")


def constructor_kwargs(
    algo_class: type,
    hyperparams: Mapping[str, Any],
    action_space: spaces.Space | None = None,
    observation_space: spaces.Space | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Turn a YAML/CLI hyperparameter dict into ``(policy, constructor kwargs)``.

    Drops ``n_envs``/``n_timesteps`` (training settings), evaluates a ``policy_kwargs`` string with
    :func:`safe_eval`, turns ``"lin_<x>"`` into a linear schedule and ``noise_type``/``noise_std`` into an
    action noise (zoo conventions), and validates names against the constructor's signature.
    """
    check_hyperparams(algo_class, hyperparams)
    kwargs = {key: value for key, value in hyperparams.items() if key not in SPECIAL_KEYS}
    policy = hyperparams.get("policy")
    if policy is None:
        aliases = getattr(algo_class, "policy_aliases", {})
        dict_obs = isinstance(observation_space, spaces.Dict)
        policy = "MultiInputPolicy" if dict_obs and "MultiInputPolicy" in aliases else "MlpPolicy"
    elif isinstance(policy, str) and getattr(algo_class, "policy_aliases", None):
        if policy not in algo_class.policy_aliases:
            raise ConfigError(
                f"policy={policy!r} for {algo_class.__name__}; valid: {', '.join(algo_class.policy_aliases)}"
            )
    policy_kwargs = kwargs.get("policy_kwargs")
    if isinstance(policy_kwargs, str):
        kwargs["policy_kwargs"] = policy_kwargs = safe_eval(policy_kwargs)
    if isinstance(policy_kwargs, dict):
        kwargs["policy_kwargs"] = {
            key: safe_eval(value)
            if isinstance(value, str) and value.startswith(("nn.", "th.", "torch."))
            else value
            for key, value in policy_kwargs.items()
        }
    for key, value in kwargs.items():
        if isinstance(value, float) and HYPERPARAM_RANGES.get(key, Range()).integer:
            kwargs[key] = int(value)  # 1e5 from a command line or YAML file; SB3 wants an int
    if isinstance(kwargs.get("train_freq"), list):
        kwargs["train_freq"] = tuple(kwargs["train_freq"])  # YAML has no tuples; SB3 wants (n, "step")
    for key in SCHEDULE_KEYS:
        value = kwargs.get(key)
        if isinstance(value, str) and value.startswith("lin_"):
            kwargs[key] = LinearSchedule(start=float(value[len("lin_") :]), end=0.0, end_fraction=1.0)
    if "noise_type" in hyperparams:
        kwargs["action_noise"] = _action_noise(
            hyperparams["noise_type"], float(hyperparams.get("noise_std", 0.1)), action_space
        )
    return policy, kwargs


__all__ = [
    "HYPERPARAM_RANGES",
    "NET_ARCH_KEYS",
    "RESERVED_KEYS",
    "SCHEDULE_KEYS",
    "SPECIAL_KEYS",
    "TRAIN_FREQ_UNITS",
    "check_hyperparam_values",
    "check_hyperparams",
    "check_net_arch",
    "constructor_kwargs",
    "constructor_parameters",
    "safe_eval",
]
