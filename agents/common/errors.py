"""The one error of bad configuration on the RL side.

Every tool (``train.py``, ``evaluate.py`` and its ``ic-audit``, ``figures.py``, ``quickstart.py``,
``sweep.py``, the multi-agent experiments) and the agent registry raise :class:`ConfigError` for input they
refuse before doing any work: an unknown agent or env id, a hyperparameter or flag out of its range, a run
folder that cannot be read. Its message names the field (or flag) and the allowed values; the command lines
print it after the usage line and exit with 2 (:func:`agents.common.cli.usage_error`).
"""

from __future__ import annotations


class ConfigError(ValueError):
    """Bad input (an agent name, hyperparameter, flag, env id or kwarg, run or sweep folder), refused before
    anything runs; the message names it and its allowed values. A ``ValueError``, so that callers that
    catch ``ValueError`` keep working."""


HOME = "agents.ConfigError (agents.common.errors.ConfigError, the one configuration error)"
"""Where the per-tool configuration errors of earlier versions (``AgentConfigError``,
``EvaluationConfigError``, ``SweepConfigError``) went: their names fail naming it."""

__all__ = ["HOME", "ConfigError"]
