"""Env ids and kwargs checked before anything runs, with the valid choices in the message."""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import load_env_creator

from agents.common.errors import ConfigError

ENV_PACKAGES = ("ioa_gym",)
"""Packages imported so that their env ids are registered (and their reference policies offered, see
:func:`agents.registry.import_env_packages`); ``module:Id`` env ids import any other."""


def env_packages() -> list[ModuleType]:
    """Import the :data:`ENV_PACKAGES` that are installed; returns the modules."""
    modules = []
    for name in ENV_PACKAGES:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
    return modules


def env_kwarg_names(env_id: str) -> list[str]:
    """Keyword arguments the env's constructor accepts (for error messages)."""
    try:
        creator = load_env_creator(gym.spec(env_id).entry_point)
        target = creator.__init__ if inspect.isclass(creator) else creator
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError, AttributeError, ImportError, gym.error.Error):
        return []
    plain = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in parameters if p.name != "self" and p.kind in plain]


CHECK_SEED = 0
"""The seed of the one reset :func:`check_env` does."""


def check_env(env_id: str, env_kwargs: Mapping[str, Any] | None = None) -> str:
    """Check the env id and kwargs by building the env and resetting it once; returns the registered id.

    The message is the env's own; only an unknown kwarg (a ``TypeError`` with Python's "unexpected keyword
    argument" wording, as ``ioa_gym.errors.OptionError``) gets the constructor's kwargs as a hint when the
    env's message does not list the valid ones.

    :raises ConfigError: its message names the flag (``--env``, ``--env-kwargs``) and the valid choices.
    """
    env_packages()
    env_kwargs = dict(env_kwargs or {})
    try:
        spec = gym.spec(env_id)
    except (gym.error.Error, ModuleNotFoundError) as cause:
        registered = sorted(gym.registry)
        close = difflib.get_close_matches(env_id.rsplit(":", 1)[-1], registered, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(
            f"unknown env id {env_id!r} ({cause}).{hint} Registered ids: {', '.join(registered)}; "
            "or 'module:Id' to import the module that registers Id."
        ) from cause
    try:
        env = gym.make(env_id, **env_kwargs)
        try:
            # One reset with a fixed seed (cheap): options that make every episode impossible fail here.
            env.reset(seed=CHECK_SEED)
        finally:
            env.close()
    except (TypeError, ValueError, gym.error.Error) as cause:
        message = f"invalid --env-kwargs {env_kwargs} for {spec.id}: {cause}"
        if isinstance(cause, TypeError) and "unexpected keyword argument" in str(cause):
            valid = env_kwarg_names(env_id)
            if len(valid) > 1 and "valid" not in str(cause):  # a function entry point lists render_mode only
                message += f"; valid kwargs: {', '.join(valid)}"
        raise ConfigError(message) from cause
    return spec.id


def env_folder_name(env_id: str) -> str:
    """File-system name of an env id: ``module:Name/Id-v0`` gives ``Name-Id-v0``."""
    return env_id.rsplit(":", 1)[-1].replace("/", "-")


def report_spec(env: gym.Env) -> dict[str, Any]:
    """What an evaluation report shows of an env's final info, from ``env.metadata["report"]``.

    ``{"columns": {info key: table header}, "violations": {boolean info key: header}, "scatter": [(x key, y
    key), ...]}``, each empty when the env does not say (the harness then reports the return only, and every
    scalar info key in the CSV files).
    """
    report = dict(getattr(env, "metadata", {}).get("report") or {})
    return {
        "columns": dict(report.get("columns") or {}),
        "violations": dict(report.get("violations") or {}),
        "scatter": [tuple(pair) for pair in report.get("scatter") or ()],
    }


__all__ = ["ENV_PACKAGES", "check_env", "env_folder_name", "env_kwarg_names", "env_packages", "report_spec"]
