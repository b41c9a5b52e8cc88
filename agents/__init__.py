"""Agents for the IoA environments: a registry of learning algorithms and non-learning baselines.

Agents know nothing of the economics; they see observations and action spaces only.

Example::

    from agents import make_agent
    make_agent("diffusion", env).learn(1000)
"""

from agents.registry import (
    AgentConfigError,
    AgentSpec,
    AgentUnavailableError,
    get_agent_spec,
    list_agents,
    load_agent,
    load_hyperparams,
    make_agent,
    register_agent,
)

__all__ = [
    "AgentConfigError",
    "AgentSpec",
    "AgentUnavailableError",
    "get_agent_spec",
    "list_agents",
    "load_agent",
    "load_hyperparams",
    "make_agent",
    "register_agent",
]
