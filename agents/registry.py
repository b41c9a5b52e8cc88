"""One registry of every agent this project can build: names to classes and hyperparameter files.

Names:

- ``"diffusion"``: the diffusion actor-critic :class:`agents.diffusion.DiffusionAC` (the paper's method);
- SB3 algorithms: ``"ppo"``, ``"sac"``, ``"td3"``, ``"a2c"``, ``"ddpg"``, ``"dqn"``, and, when sb3-contrib
  is installed, ``"tqc"``, ``"trpo"``, ``"ars"``, ``"qrdqn"``, ``"crossq"``;
- non-learning references: ``"random"``, ``"greedy"``, ``"fixed-step"`` (:mod:`agents.baselines`), and the
  reference policies the env packages offer (``"adaptive"``, from
  ``ioa_gym.analysis.policies.REFERENCE_POLICIES``; see :func:`import_env_packages`);
- any ``"package.module:ClassName"`` naming a subclass of SB3's ``BaseAlgorithm``, so third-party
  algorithms plug in without code changes (or call :func:`register_agent`).

Classes are imported only when an agent is built, so a missing optional package only affects its own
entry. Default hyperparameters for an (algorithm, env id) pair come from ``agents/hyperparams/<name>.yml``
keyed by env id with a ``default`` fallback, as in rl-baselines3-zoo; :mod:`agents.hyperparameters` turns
them into constructor arguments. The registry knows nothing of run folders: saved agents are loaded by
:func:`agents.runs.load_agent`.

Example::

    from agents import make_agent
    make_agent("diffusion", env).learn(1000)
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import gymnasium as gym
import yaml
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from agents import hyperparameters
from agents.common.envs import env_packages
from agents.common.errors import HOME as CONFIG_ERROR_HOME
from agents.common.errors import ConfigError
from agents.vec_env import VectorEnvAdapter, make_sb3_vec_env
from ioa_gym.errors import moved_attribute_error

HYPERPARAMS_DIR = Path(__file__).resolve().parent / "hyperparams"

AgentKind = Literal["sb3", "baseline", "policy"]
AGENT_KINDS: tuple[AgentKind, ...] = ("sb3", "baseline", "policy")


class AgentUnavailableError(ConfigError, ImportError):
    """A registered agent whose implementation cannot be imported (not written or not installed yet)."""


@dataclass(frozen=True)
class AgentSpec:
    """A registry entry.

    :param name: registry name.
    :param target: ``"module:attribute"`` of the class (or factory), imported lazily.
    :param kind: ``"sb3"`` (a ``BaseAlgorithm``: learns, saves zips), ``"baseline"`` (agents.baselines) or
        ``"policy"`` (a hand-written env-aware policy built as ``cls(env, **kwargs)``).
    :param description: one line for listings.
    """

    name: str
    target: str
    kind: AgentKind
    description: str = ""

    def load(self) -> type:
        """Import and return the class; :class:`AgentUnavailableError` says what is missing."""
        module_name, _, attribute = self.target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            # Only a missing target module means "unavailable"; a broken import inside it must surface.
            if error.name is None or not (module_name + ".").startswith(error.name + "."):
                raise
            raise AgentUnavailableError(
                f"agent {self.name!r} needs {self.target.replace(':', '.')}, but module {error.name!r} "
                f"is not available ({error})"
            ) from error
        try:
            return getattr(module, attribute)
        except AttributeError as error:
            raise AgentUnavailableError(
                f"agent {self.name!r} needs {self.target.replace(':', '.')}, but {module_name} has no "
                f"{attribute!r} yet"
            ) from error

    def is_available(self) -> bool:
        """Whether :meth:`load` would succeed."""
        try:
            self.load()
        except AgentUnavailableError:
            return False
        return True


_REGISTRY: dict[str, AgentSpec] = {}


def register_agent(name: str, target: str, kind: AgentKind = "sb3", description: str = "") -> AgentSpec:
    """Add (or replace) a registry entry; ``target`` is ``"module:ClassName"``, imported lazily."""
    if ":" not in target:
        raise ValueError(f"target must look like 'package.module:ClassName', got {target!r}")
    spec = AgentSpec(name=name, target=target, kind=kind, description=description)
    _REGISTRY[name] = spec
    return spec


def _register_defaults() -> None:
    register_agent(
        "diffusion", "agents.diffusion:DiffusionAC", "sb3", "diffusion actor-critic (paper, Alg. 3)"
    )
    for name, cls_name, description in (
        ("ppo", "PPO", "Proximal Policy Optimization"),
        ("a2c", "A2C", "Advantage Actor-Critic"),
        ("sac", "SAC", "Soft Actor-Critic"),
        ("td3", "TD3", "Twin Delayed DDPG"),
        ("ddpg", "DDPG", "Deep Deterministic Policy Gradient"),
        ("dqn", "DQN", "Deep Q-Network (Discrete actions)"),
    ):
        register_agent(name, f"stable_baselines3:{cls_name}", "sb3", f"SB3 {description}")
    if importlib.util.find_spec("sb3_contrib") is not None:
        for name, cls_name, description in (
            ("tqc", "TQC", "Truncated Quantile Critics"),
            ("trpo", "TRPO", "Trust Region Policy Optimization"),
            ("ars", "ARS", "Augmented Random Search"),
            ("qrdqn", "QRDQN", "Quantile Regression DQN (Discrete actions)"),
            ("crossq", "CrossQ", "CrossQ"),
        ):
            register_agent(name, f"sb3_contrib:{cls_name}", "sb3", f"sb3-contrib {description}")
    register_agent("random", "agents.baselines:RandomAgent", "baseline", "uniform random actions")
    register_agent(
        "greedy", "agents.baselines:GreedyAgent", "baseline", "largest step (best immediate reward)"
    )
    register_agent(
        "fixed-step", "agents.baselines:FixedStepAgent", "baseline", "one constant step (classic DDA)"
    )
    import_env_packages()


def list_agents() -> list[str]:
    """Registered agent names (sorted); ``"package.module:ClassName"`` is accepted on top of these."""
    return sorted(_REGISTRY)


def get_agent_spec(name: str) -> AgentSpec:
    """The registry entry for ``name`` or for a ``"package.module:ClassName"`` string."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    if ":" in name:
        spec = AgentSpec(name=name, target=name, kind="sb3", description="third-party BaseAlgorithm")
        cls = spec.load()
        if not (inspect.isclass(cls) and issubclass(cls, BaseAlgorithm)):
            raise ConfigError(f"{name!r} is not a subclass of stable_baselines3 BaseAlgorithm")
        return spec
    raise ConfigError(
        f"unknown agent {name!r}; valid choices: {', '.join(list_agents())} "
        "(or 'package.module:ClassName' for any SB3 BaseAlgorithm subclass)"
    )


# --- hyperparameter files ----------------------------------------------------------------------------


def env_id_of(env: Any) -> str | None:
    """The registered id of a Gymnasium env, a VecEnv or an env id string (``"module:Id"`` gives ``"Id"``)."""
    if isinstance(env, str):
        return env.rsplit(":", 1)[-1]
    spec = None
    try:
        spec = env.get_attr("spec", indices=[0])[0] if isinstance(env, VecEnv) else env.spec
    except (AttributeError, IndexError):
        pass
    return spec.id if spec is not None else None


def load_hyperparams(
    name: str, env_id: str | None, path: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """Default hyperparameters of agent ``name`` for ``env_id``: the env's entry of the YAML file, else
    its ``default`` entry, else nothing. ``path`` overrides ``agents/hyperparams/<name>.yml``.
    """
    file = Path(path) if path is not None else HYPERPARAMS_DIR / f"{name}.yml"
    if not file.is_file():
        return {}
    table = yaml.safe_load(file.read_text()) or {}
    for key in (env_id, "default"):
        if key is not None and key in table:
            return dict(table[key] or {})
    return {}


def import_env_packages() -> None:
    """Import the env packages (:data:`agents.common.envs.ENV_PACKAGES`) so that their env ids are
    registered, and register the reference policies each one offers through its ``reference_policies()``
    (``{name: ("module:Class", description)}``, kind ``"policy"``). The env side names its policies; this
    registry never imports an env package's class by a path of its own."""
    for package in env_packages():
        offered = getattr(package, "reference_policies", None)
        if not callable(offered):
            continue
        for name, (target, description) in offered().items():
            if name not in _REGISTRY:
                register_agent(name, target, "policy", description)


# --- building agents ----------------------------------------------------------------------------------


def make_agent(
    name: str,
    env: gym.Env | VecEnv | gym.vector.VectorEnv | str,
    seed: int | None = None,
    device: str = "auto",
    hyperparams: Mapping[str, Any] | None = None,
    tensorboard_log: str | None = None,
    verbose: int = 0,
    defaults: bool = True,
    **kwargs: Any,
) -> Any:
    """Build agent ``name`` for ``env``.

    For learning agents, the defaults of ``agents/hyperparams/<name>.yml`` for the env id (unless
    ``defaults=False``) are updated with ``hyperparams`` then ``kwargs`` and passed to the constructor.
    An env id string is built with :func:`agents.vec_env.make_sb3_vec_env` (``n_envs`` from the
    hyperparameters, seeded with ``seed``); a Gymnasium vector env is wrapped in
    :class:`agents.vec_env.VectorEnvAdapter`.
    Baselines are built as ``cls(env, seed=seed, **kwargs)``, policies as ``cls(env, **kwargs)``.

    ``name`` may also be a pretrained agent of the zoo, ``"zoo:<algo>/<env id>/<seed>"`` (:mod:`agents.zoo`):
    it is loaded (files checked against the zoo's manifest) with ``env`` attached, and the training arguments
    (``seed``, ``hyperparams``...) must be left out.

    :raises ConfigError: (a ``ValueError``) for an unknown name or hyperparameter, listing the choices.
    """
    if name.strip().startswith("zoo:"):
        return _make_zoo_agent(name, env, device, hyperparams, tensorboard_log, kwargs)
    spec = get_agent_spec(name)
    cls = spec.load()
    if isinstance(env, str):
        import_env_packages()
    if spec.kind != "sb3":
        if isinstance(env, str):
            env = gym.make(env)
        if spec.kind == "baseline":
            return cls(env, seed=seed, **kwargs)
        return cls(env, **kwargs)

    if isinstance(env, gym.vector.VectorEnv):
        env = VectorEnvAdapter(env)  # SB3 takes its own VecEnv API, not Gymnasium's
    file_defaults = load_hyperparams(name, env_id_of(env)) if defaults else {}
    merged = {**file_defaults, **(hyperparams or {}), **kwargs}
    if isinstance(env, str):
        env = make_sb3_vec_env(env, n_envs=int(merged.get("n_envs", 1)), seed=seed)
    policy, constructor = hyperparameters.constructor_kwargs(
        cls, merged, env.action_space, env.observation_space
    )
    return cls(
        policy,
        env,
        seed=seed,
        device=device,
        tensorboard_log=tensorboard_log,
        verbose=verbose,
        **constructor,
    )


def _make_zoo_agent(
    name: str,
    env: Any,
    device: str,
    hyperparams: Mapping[str, Any] | None,
    tensorboard_log: str | None,
    kwargs: Mapping[str, Any],
) -> Any:
    """A pretrained agent of the zoo for :func:`make_agent` (its own settings; nothing to construct). The
    zoo's loader is imported by name, as the registry imports every agent class, not by an import of the
    tooling."""
    load = getattr(importlib.import_module(ZOO_LOADER[0]), ZOO_LOADER[1])

    if hyperparams or tensorboard_log or kwargs:
        given = sorted({*(hyperparams or {}), *kwargs, *(["tensorboard_log"] if tensorboard_log else [])})
        raise ConfigError(
            f"make_agent({name!r}): a pretrained agent takes no training arguments (got {', '.join(given)}); "
            "train a new one with make_agent('<algo>', env, ...) instead"
        )
    if isinstance(env, str):
        import_env_packages()
        env = gym.make(env)
    if isinstance(env, gym.vector.VectorEnv):
        env = VectorEnvAdapter(env)
    return load(name, env=env, device=device)


ZOO_LOADER = ("agents.zoo", "load")
"""Where :func:`make_agent` finds the loader of ``zoo:`` names (:func:`agents.zoo.load`)."""

_MOVED_IN = "0.2.0"
_RUNS = "agents.runs"
_MOVED = {
    "AgentConfigError": CONFIG_ERROR_HOME,
    "SPECIAL_KEYS": "agents.hyperparameters.SPECIAL_KEYS",
    "RESERVED_KEYS": "agents.hyperparameters.RESERVED_KEYS",
    "safe_eval": "agents.hyperparameters.safe_eval",
    "constructor_parameters": "agents.hyperparameters.constructor_parameters",
    "check_hyperparams": "agents.hyperparameters.check_hyperparams",
    "constructor_kwargs": "agents.hyperparameters.constructor_kwargs",
    "make_vec_env_from_id": "agents.vec_env.make_sb3_vec_env (the same arguments)",
    "load_agent": f"{_RUNS}.load_agent",
    "ModelChoice": f"{_RUNS}.loading.ModelChoice",
    "CONFIG_FILE": f"{_RUNS}.folder.CONFIG_FILE",
    "CHECKPOINT_DIR": f"{_RUNS}.folder.CHECKPOINT_DIR",
    "CHECKPOINT_PREFIX": f"{_RUNS}.folder.CHECKPOINT_PREFIX",
    "BEST_MODEL": f"{_RUNS}.folder.BEST_MODEL",
    "checkpoint_path": f"{_RUNS}.RunFolder(run_dir).checkpoint(num_timesteps, replay_buffer)",
    "checkpoint_timesteps": f"{_RUNS}.folder.checkpoint_timesteps",
    "latest_checkpoint": f"{_RUNS}.RunFolder(run_dir).latest_checkpoint()",
    "read_run_config": f"{_RUNS}.RunFolder(run_dir).read_record() (typed: {_RUNS}.RunConfig.read(run_dir))",
}
"""Names that left the registry in 0.2.0 (it maps names to classes and hyperparameter files only)."""


def __getattr__(name: str) -> object:
    raise moved_attribute_error(__name__, name, _MOVED, _MOVED_IN)


_register_defaults()
