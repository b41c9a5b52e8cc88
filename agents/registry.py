"""One registry of every agent this project can build, train, save and load.

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
keyed by env id with a ``default`` fallback, as in rl-baselines3-zoo.

Example::

    from agents import make_agent
    make_agent("diffusion", env).learn(1000)
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import gymnasium as gym
import numpy as np
import torch
import yaml
from gymnasium import spaces
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.noise import NormalActionNoise, OrnsteinUhlenbeckActionNoise
from stable_baselines3.common.utils import LinearSchedule
from stable_baselines3.common.vec_env import VecEnv

from agents.common.checks import Range
from agents.common.envs import env_packages
from agents.hyperparameters import HYPERPARAM_RANGES, SCHEDULE_KEYS, check_hyperparam_values, check_net_arch
from agents.vec_env import VectorEnvAdapter, make_sb3_vec_env

HYPERPARAMS_DIR = Path(__file__).resolve().parent / "hyperparams"
CONFIG_FILE = "config.yml"

AgentKind = Literal["sb3", "baseline", "policy"]

# Keys of a hyperparameter entry that are not constructor arguments.
SPECIAL_KEYS = ("policy", "n_envs", "n_timesteps", "noise_type", "noise_std")
# Constructor arguments that make_agent sets from its own parameters.
RESERVED_KEYS = ("seed", "device", "tensorboard_log", "verbose", "env")


class AgentConfigError(ValueError):
    """A bad agent name, hyperparameter or saved-model reference; the message lists the valid choices."""


class AgentUnavailableError(AgentConfigError, ImportError):
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
            raise AgentConfigError(f"{name!r} is not a subclass of stable_baselines3 BaseAlgorithm")
        return spec
    raise AgentConfigError(
        f"unknown agent {name!r}; valid choices: {', '.join(list_agents())} "
        "(or 'package.module:ClassName' for any SB3 BaseAlgorithm subclass)"
    )


# --- hyperparameters -----------------------------------------------------------------------------------


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
        raise AgentConfigError(f"unsupported expression {ast.unparse(node)!r} in {expression!r}")

    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise AgentConfigError(f"cannot parse {expression!r}: {error.msg}") from error
    return evaluate(tree.body)


def constructor_parameters(algo_class: type) -> list[str] | None:
    """Hyperparameter names the constructor accepts (None when it takes ``**kwargs``)."""
    parameters = inspect.signature(algo_class.__init__).parameters.values()
    if any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters):
        return None
    excluded = {"self", "policy", *RESERVED_KEYS}
    return [p.name for p in parameters if p.name not in excluded and not p.name.startswith("_")]


def check_hyperparams(algo_class: type, hyperparams: Mapping[str, Any]) -> None:
    """Raise :class:`AgentConfigError` naming the valid choices if a key is not a hyperparameter, or
    naming the allowed range if a value is out of it (:func:`check_hyperparam_values`)."""
    reserved = sorted(set(hyperparams) & set(RESERVED_KEYS))
    if reserved:
        raise AgentConfigError(
            f"{', '.join(reserved)} cannot be a hyperparameter: pass it as its own argument/flag"
        )
    if "normalize" in hyperparams:
        raise AgentConfigError("'normalize' (VecNormalize) is not supported; the environments are normalised")
    valid = constructor_parameters(algo_class)
    if valid is not None:
        unknown = sorted(set(hyperparams) - set(valid) - set(SPECIAL_KEYS))
        if unknown:
            raise AgentConfigError(
                f"unknown hyperparameter(s) {', '.join(map(repr, unknown))} for {algo_class.__name__}; "
                f"valid: {', '.join(sorted([*valid, *SPECIAL_KEYS]))}"
            )
    check_hyperparam_values(hyperparams, error=AgentConfigError)
    policy_kwargs = hyperparams.get("policy_kwargs")
    if isinstance(policy_kwargs, str):
        policy_kwargs = safe_eval(policy_kwargs)
    if policy_kwargs is not None and not isinstance(policy_kwargs, dict):
        raise AgentConfigError(
            f"hyperparameter policy_kwargs must be a dict (dict(net_arch=[64, 64]), ...), "
            f"got {policy_kwargs!r}"
        )
    if policy_kwargs:
        check_net_arch(policy_kwargs.get("net_arch"), error=AgentConfigError)


def _action_noise(noise_type: str, noise_std: float, action_space: spaces.Space) -> Any:
    if not isinstance(action_space, spaces.Box):
        raise AgentConfigError("noise_type needs a Box action space")
    mean, sigma = np.zeros(action_space.shape), noise_std * np.ones(action_space.shape)
    if noise_type == "normal":
        return NormalActionNoise(mean=mean, sigma=sigma)
    if noise_type == "ornstein-uhlenbeck":
        return OrnsteinUhlenbeckActionNoise(mean=mean, sigma=sigma)
    raise AgentConfigError(f"noise_type={noise_type!r}; valid: normal, ornstein-uhlenbeck")


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
            raise AgentConfigError(
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


def make_vec_env_from_id(
    env_id: str,
    n_envs: int = 1,
    seed: int | None = None,
    env_kwargs: Mapping[str, Any] | None = None,
    vec_env: str = "dummy",
) -> VecEnv:
    """Seeded VecEnv of ``env_id``, by default a DummyVecEnv of Monitor-wrapped ``gym.make(env_id, ...)``.

    ``vec_env`` is ``train.py --vec-env``: ``"dummy"``, ``"subproc"`` (SB3's SubprocVecEnv) or ``"native"``
    (the env's own vector implementation, :func:`agents.vec_env.make_sb3_vec_env`). Unlike SB3's
    ``make_vec_env`` given an id string, it does not force ``render_mode="rgb_array"``, which envs that render
    only text reject.
    """
    return make_sb3_vec_env(env_id, n_envs=n_envs, seed=seed, env_kwargs=env_kwargs, vec_env=vec_env)


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


# --- building and loading agents ------------------------------------------------------------------------


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
    An env id string is built with :func:`make_vec_env_from_id` (``n_envs`` from the hyperparameters,
    seeded with ``seed``); a Gymnasium vector env is wrapped in :class:`agents.vec_env.VectorEnvAdapter`.
    Baselines are built as ``cls(env, seed=seed, **kwargs)``, policies as ``cls(env, **kwargs)``.

    :raises AgentConfigError: (a ``ValueError``) for an unknown name or hyperparameter, listing the choices.
    """
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
        env = make_vec_env_from_id(env, n_envs=int(merged.get("n_envs", 1)), seed=seed)
    policy, constructor = constructor_kwargs(cls, merged, env.action_space, env.observation_space)
    return cls(
        policy,
        env,
        seed=seed,
        device=device,
        tensorboard_log=tensorboard_log,
        verbose=verbose,
        **constructor,
    )


# --- run folders and saved models ------------------------------------------------------------------------

CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_PREFIX = "rl_model"
BEST_MODEL = "best_model"
ModelChoice = Literal["final", "best", "checkpoint"]


def checkpoint_path(run_dir: str | os.PathLike[str], num_timesteps: int, replay_buffer: bool = False) -> Path:
    """Checkpoint file of a run folder at ``num_timesteps`` (SB3's CheckpointCallback naming)."""
    kind = "_replay_buffer" if replay_buffer else ""
    suffix = ".pkl" if replay_buffer else ".zip"
    return Path(run_dir) / CHECKPOINT_DIR / f"{CHECKPOINT_PREFIX}{kind}_{num_timesteps}_steps{suffix}"


def checkpoint_timesteps(path: Path) -> int:
    """Timestep count in a checkpoint's file name."""
    return int(path.stem.rsplit("_", 2)[-2])


def latest_checkpoint(run_dir: str | os.PathLike[str]) -> tuple[Path, Path | None] | None:
    """(model, replay buffer or None) of the checkpoint with the most timesteps, or None if there is none."""
    models = sorted(
        (Path(run_dir) / CHECKPOINT_DIR).glob(f"{CHECKPOINT_PREFIX}_[0-9]*_steps.zip"),
        key=checkpoint_timesteps,
    )
    if not models:
        return None
    buffer = checkpoint_path(run_dir, checkpoint_timesteps(models[-1]), replay_buffer=True)
    return models[-1], buffer if buffer.is_file() else None


def read_run_config(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``config.yml`` that ``train.py`` writes in a run folder."""
    config_file = Path(run_dir) / CONFIG_FILE
    if not config_file.is_file():
        raise AgentConfigError(f"{run_dir} is not a run folder: it has no {CONFIG_FILE}")
    try:
        config = yaml.safe_load(config_file.read_text()) or {}
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as error:
        problem = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise AgentConfigError(f"{config_file} is not readable YAML ({problem})") from error
    if not isinstance(config, dict):
        raise AgentConfigError(f"{config_file} must hold a mapping of settings, got {type(config).__name__}")
    return config


def _existing_file(path: Path) -> Path | None:
    for candidate in (path, path.with_name(path.name + ".zip"), path.with_name(path.name + ".json")):
        if candidate.is_file():
            return candidate
    return None


def _algo_from_nearby_config(model_file: Path) -> str | None:
    """The algorithm recorded in the run folder holding ``model_file`` (itself or a checkpoint)."""
    for folder in (model_file.parent, model_file.parent.parent):
        if (folder / CONFIG_FILE).is_file():
            return read_run_config(folder).get("algo")
    return None


def _algo_from_zip(model_file: Path) -> str | None:
    """Guess the algorithm of an SB3 zip from its policy class's package (unique match only)."""
    try:
        with zipfile.ZipFile(model_file) as archive:
            data = json.loads(archive.read("data"))
        policy_module = data["policy_class"]["__module__"]
    except (KeyError, ValueError, zipfile.BadZipFile):
        return None
    matches = []
    for spec in _REGISTRY.values():
        if spec.kind != "sb3" or not spec.is_available():
            continue
        package = spec.load().__module__.rsplit(".", 1)[0]
        if policy_module.startswith(package + "."):
            matches.append(spec.name)
    return matches[0] if len(matches) == 1 else None


def _load_model_file(model_file: Path, env: Any, algo: str | None, device: str) -> Any:
    if model_file.read_bytes()[:1] == b"{":
        from agents.baselines import BaselineAgent

        return BaselineAgent.load(model_file, env=env)
    algo = algo or _algo_from_nearby_config(model_file) or _algo_from_zip(model_file)
    if algo is None:
        raise AgentConfigError(
            f"cannot tell which algorithm saved {model_file}; pass algo= (one of {', '.join(list_agents())})"
        )
    spec = get_agent_spec(algo)
    if spec.kind != "sb3":
        raise AgentConfigError(f"{model_file} is an SB3 zip but algo={algo!r} is not a learning agent")
    return spec.load().load(model_file, env=env, device=device)


def _load_run_folder(run_dir: Path, env: Any, device: str, model: ModelChoice) -> Any:
    config = read_run_config(run_dir)
    algo, env_name = config["algo"], config["env_name"]
    spec = get_agent_spec(algo)
    if spec.kind == "policy":
        # Hand-written policies have no saved state: rebuild them for the run's env.
        if env is None:
            import_env_packages()
            env = gym.make(config["env"], **(config.get("env_kwargs") or {}))
        return make_agent(algo, env, **(config.get("hyperparams") or {}))
    checkpoint = latest_checkpoint(run_dir)
    final = _existing_file(run_dir / env_name)
    candidates = {
        "final": final or (checkpoint[0] if checkpoint else None),
        "best": _existing_file(run_dir / BEST_MODEL),
        "checkpoint": checkpoint[0] if checkpoint else None,
    }
    if model not in candidates:
        raise AgentConfigError(f"model={model!r}; valid: {', '.join(candidates)}")
    if candidates[model] is None:
        available = [name for name, path in candidates.items() if path is not None]
        raise AgentConfigError(
            f"run folder {run_dir} has no {model} model; it has: {', '.join(available) or 'none'}"
        )
    return _load_model_file(candidates[model], env, algo, device)


def load_agent(
    name_or_path: str | os.PathLike[str],
    env: gym.Env | VecEnv | None = None,
    algo: str | None = None,
    device: str = "auto",
    model: ModelChoice = "final",
) -> Any:
    """Load a saved agent.

    :param name_or_path: a run folder written by ``train.py``, a saved model file (SB3 ``.zip`` or a
        baseline's ``.json``; the suffix may be omitted), or the name of a non-learning agent
        (``"greedy"``, ``"adaptive"``...), which is then built for ``env``.
    :param env: the env to attach (needed to continue training, or to build a named non-learning agent).
    :param algo: registry name of the algorithm that saved a zip; read from the run folder's config.yml
        when omitted, else guessed from the zip's policy class when that is unambiguous.
    :param device: torch device for SB3 models ("auto": CUDA when available, else CPU).
    :param model: for a run folder, which model: ``"final"`` (falls back to the latest checkpoint of an
        interrupted run), ``"best"`` (EvalCallback's best) or ``"checkpoint"`` (the latest checkpoint).
    """
    path = Path(name_or_path)
    if path.is_dir():
        return _load_run_folder(path, env, device, model)
    model_file = _existing_file(path)
    if model_file is not None:
        return _load_model_file(model_file, env, algo, device)
    name = str(name_or_path)
    non_learning = [spec.name for spec in _REGISTRY.values() if spec.kind != "sb3"]
    if name in non_learning:
        if env is None:
            raise AgentConfigError(f"building agent {name!r} needs env=")
        return make_agent(name, env)
    raise AgentConfigError(
        f"{name!r} is neither a run folder nor a saved model file, nor a non-learning agent name "
        f"({', '.join(sorted(non_learning))})"
    )


_register_defaults()
