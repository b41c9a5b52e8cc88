"""Independent learners on the PettingZoo envs of ``ioa_gym.multiagent`` (:mod:`.learners`) and the
multi-agent results of docs/results.md built on them (:mod:`.results`,
``python -m agents.multiagent.results``)."""

from agents.multiagent.learners import Policy, SingleAgentView, deterministic, train_in_turn

__all__ = ["Policy", "SingleAgentView", "deterministic", "train_in_turn"]
