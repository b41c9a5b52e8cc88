"""Agents for the IoA environments: a registry of learning algorithms and non-learning baselines.

Agents know nothing of the economics; they see observations and action spaces only.

Example::

    from agents import make_agent
    make_agent("diffusion", env).learn(1000)

The packages (docs/architecture.md): the algorithms (:mod:`agents.registry`, :mod:`agents.hyperparameters`,
:mod:`agents.baselines`, :mod:`agents.vec_env`, :mod:`agents.diffusion`) and the tools on top of them:
:mod:`agents.runs` (a training run: its typed config, folder, checkpoints, resume, evaluations; ``train.py``),
:mod:`agents.evaluation` (``evaluate.py``), :mod:`agents.figures` (``figures.py``), :mod:`agents.sweeps`
(``sweep.py``), :mod:`agents.multiagent` (independent learners on the PettingZoo envs, and their results) and
:mod:`agents.quickstart`; :mod:`agents.common` is what they share.
"""

from agents.common.errors import HOME as _CONFIG_ERROR_HOME
from agents.common.errors import ConfigError
from agents.registry import (
    AgentSpec,
    AgentUnavailableError,
    get_agent_spec,
    list_agents,
    load_hyperparams,
    make_agent,
    register_agent,
)
from ioa_gym.errors import install_moved_modules as _install_moved_modules
from ioa_gym.errors import moved_attribute_error as _moved_attribute_error

_MOVED_IN = "0.2.0"
_MOVED_MODULES = {
    "agents.training": (
        "agents.runs (train.py's main: agents.runs.cli.main; agents.training.cli, .callbacks, .timeline are "
        "agents.runs.cli, .callbacks, .timeline; .config is agents.runs.config, the typed RunConfig; .run is "
        "agents.runs.experiment)"
    ),
    "agents.sweep": (
        "agents.sweeps (sweep.py's main: agents.sweeps.cli.main; the sweep file: agents.sweeps.spec; "
        "the trials: agents.sweeps.trials; reading a sweep folder: agents.runs.groups)"
    ),
    "agents.figures_auctioneers": "agents.figures.auctioneers (learning speed: agents.figures.training)",
    "agents.figures_tier1": "agents.figures.tier1",
    "agents.multiagent_results": "agents.multiagent.results (python -m agents.multiagent.results)",
}
"""Modules that moved in 0.2.0: importing one fails naming its new home
(``ioa_gym.errors.MovedModuleFinder``). ``agents.figures`` and ``agents.multiagent`` are packages now: the
names of the module ``agents.figures`` fail naming theirs (``agents.figures.__getattr__``), and
``agents.multiagent`` exports the learners its module held."""
_install_moved_modules(_MOVED_MODULES, _MOVED_IN)

_MOVED_NAMES = {
    "AgentConfigError": _CONFIG_ERROR_HOME,
    "load_agent": "agents.runs.load_agent",
    **{key.split(".")[1]: value for key, value in _MOVED_MODULES.items()},
}


def __getattr__(name: str) -> object:
    """A name or module that moved in 0.2.0 fails naming its new home."""
    raise _moved_attribute_error("agents", name, _MOVED_NAMES, _MOVED_IN)


__all__ = [
    "AgentSpec",
    "AgentUnavailableError",
    "ConfigError",
    "get_agent_spec",
    "list_agents",
    "load_hyperparams",
    "make_agent",
    "register_agent",
]
