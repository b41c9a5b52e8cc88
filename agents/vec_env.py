"""Gymnasium vector envs as Stable-Baselines3 ``VecEnv``s, and the training envs of ``train.py --vec-env``.

SB3 does not consume ``gymnasium.vector.VectorEnv`` (Sync, Async or an env's own batched implementation
from ``gym.make_vec(..., vectorization_mode="vector_entry_point")``): its ``VecEnv`` API differs in four ways,
which :class:`VectorEnvAdapter` translates:

- **Autoreset.** SB3 resets a finished sub-env inside the same ``step`` and returns the reset observation,
  the final one under ``infos[i]["terminal_observation"]``. Gymnasium 1.x envs autoreset in NEXT_STEP mode by
  default: the step after a terminal step is a reset whose action is ignored, which would make SB3 learn from
  transitions that never happened. The adapter reads ``metadata["autoreset_mode"]``:

  * SAME_STEP (what :func:`make_vector_env` asks Sync/Async for): the reset observation comes back with the
    terminal step, the final observation and info under ``info["final_obs"]`` / ``info["final_info"]``;
  * NEXT_STEP or DISABLED: the adapter resets the finished sub-envs itself, right after the terminal step,
    with ``reset(options={"reset_mask": dones})`` (Gymnasium's partial reset; it also clears a NEXT_STEP
    env's pending autoreset), so the next ``step`` steps every sub-env with its action.

  Either way the finished sub-env is reset without a seed (its generator continues), as ``DummyVecEnv`` does.
- **Infos.** Gymnasium batches infos as one dict of arrays with ``_key`` masks; SB3 wants one dict per
  sub-env, with ``"TimeLimit.truncated"`` (truncated and not terminated) in every one.
- **Seeds and options.** SB3 stores them for the next ``reset()`` (``VecEnv.seed`` / ``set_options``); the
  adapter passes the per-env seeds as Gymnasium's seed list.
- **Rewards** are float32 and ``dones = terminated | truncated``, as in ``DummyVecEnv``.

With the same seeds and actions the adapter over a SyncVectorEnv gives exactly what ``DummyVecEnv`` gives
(observations, rewards, dones, terminal observations, infos): ``tests/agents/test_vec_env.py``.

Example::

    venv = make_vector_env("IoA-DDA-v0", 64, "vector_entry_point")   # or "sync", "async"
    model = PPO("MlpPolicy", VecMonitor(VectorEnvAdapter(venv)))
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, SyncVectorEnv, VectorEnv
from stable_baselines3.common.env_util import is_wrapped, make_vec_env
from stable_baselines3.common.vec_env import SubprocVecEnv, VecEnv, VecMonitor
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvObs, VecEnvStepReturn

from agents.common.errors import ConfigError

VEC_ENV_TYPES = ("dummy", "subproc", "native")
"""``train.py --vec-env``: SB3's DummyVecEnv or SubprocVecEnv of Monitor-wrapped ``gym.make`` envs, or the
env's own vector implementation (``gym.make_vec(..., vectorization_mode="vector_entry_point")``) through
:class:`VectorEnvAdapter` and ``VecMonitor``."""
VECTORIZATION_MODES = ("sync", "async", "vector_entry_point")
"""Gymnasium's ``vectorization_mode`` values that :func:`make_vector_env` accepts."""
FINAL_OBS, FINAL_INFO = "final_obs", "final_info"
TERMINAL_OBSERVATION, TRUNCATED_KEY = "terminal_observation", "TimeLimit.truncated"


# --- batched values ----------------------------------------------------------------------------------------


def unbatch_info(info: Mapping[str, Any], num_envs: int) -> list[dict[str, Any]]:
    """One dict per sub-env from Gymnasium's batched info (``info[key][i]`` where ``info["_" + key][i]``).

    Nested dicts (``final_info``, ``episode``) are split the same way. A key without a mask belongs to every
    sub-env; a value that is not a sequence of ``num_envs`` items is given to each as it is. NumPy scalars
    become Python numbers, as a single env's info holds them.
    """
    infos: list[dict[str, Any]] = [{} for _ in range(num_envs)]
    every = range(num_envs)
    for key, value in info.items():
        if key.startswith("_") and key[1:] in info:
            continue  # a mask
        if isinstance(value, Mapping):
            items: Sequence[Any] = unbatch_info(value, num_envs)
        elif isinstance(value, np.ndarray) and value.ndim >= 1 and len(value) == num_envs:
            # 1-d: Python numbers (objects stay as they are) in one call; else one array per sub-env.
            items = value.tolist() if value.ndim == 1 else list(value)
        elif isinstance(value, list | tuple) and len(value) == num_envs:
            items = value
        else:
            items = [value] * num_envs
        mask = info.get(f"_{key}")
        for index in every if mask is None else np.flatnonzero(mask).tolist():
            infos[index][key] = items[index]
    return infos


def _copy_obs(obs: Any) -> Any:
    """A copy of a batched observation (an array, or a dict or tuple of arrays): SB3 keeps references to
    the observations it is given, and a vector env may write the next ones into the same buffer."""
    if isinstance(obs, Mapping):
        return {key: _copy_obs(value) for key, value in obs.items()}
    if isinstance(obs, tuple):
        return tuple(_copy_obs(value) for value in obs)
    return np.array(obs, copy=True)


def _obs_row(obs: Any, index: int) -> Any:
    """Sub-env ``index``'s observation in a batched observation (a copy)."""
    if isinstance(obs, Mapping):
        return {key: _obs_row(value, index) for key, value in obs.items()}
    if isinstance(obs, tuple):
        return tuple(_obs_row(value, index) for value in obs)
    return np.array(obs[index], copy=True)


def _put_rows(target: Any, source: Any, mask: np.ndarray) -> None:
    """``target[mask] = source[mask]`` for batched observations (arrays, dicts or tuples of arrays)."""
    if isinstance(target, Mapping):
        for key in target:
            _put_rows(target[key], source[key], mask)
    elif isinstance(target, tuple):
        for part, source_part in zip(target, source, strict=True):
            _put_rows(part, source_part, mask)
    else:
        target[mask] = np.asarray(source)[mask]


def autoreset_mode_of(venv: VectorEnv) -> AutoresetMode:
    """The autoreset mode a vector env declares in ``metadata["autoreset_mode"]`` (NEXT_STEP when absent:
    Gymnasium's default)."""
    mode = (venv.metadata or {}).get("autoreset_mode", AutoresetMode.NEXT_STEP)
    if isinstance(mode, AutoresetMode):
        return mode
    try:
        return AutoresetMode(mode)
    except ValueError:
        # Some implementations store the enum's name ("SAME_STEP") rather than its value ("SameStep").
        try:
            return AutoresetMode[str(mode).upper()]
        except KeyError:
            valid = ", ".join(m.value for m in AutoresetMode)
            raise ValueError(f"metadata['autoreset_mode'] must be one of {valid}, got {mode!r}") from None


# --- the adapter -------------------------------------------------------------------------------------------


class VectorEnvAdapter(VecEnv):
    """A ``gymnasium.vector.VectorEnv`` seen as an SB3 ``VecEnv`` (see the module docstring).

    :param venv: any Gymnasium vector env: ``SyncVectorEnv``, ``AsyncVectorEnv`` or an env's own batched
        implementation. SAME_STEP autoreset is used as it is; NEXT_STEP and DISABLED envs must accept
        ``reset(options={"reset_mask": mask})`` (Gymnasium's Sync and Async do).

    Attribute access (``get_attr``, ``set_attr``, ``env_method``, ``env_is_wrapped``) reaches the sub-envs
    of a ``SyncVectorEnv`` directly, those of other vector envs through their ``get_attr`` / ``set_attr`` /
    ``call``. A vector env that has none of these (a batched implementation is one env, not several) answers
    for all of its sub-envs with its own attribute or method.
    """

    def __init__(self, venv: VectorEnv) -> None:
        if not isinstance(venv, VectorEnv):
            raise TypeError(
                f"VectorEnvAdapter wraps a gymnasium.vector.VectorEnv, got {type(venv).__name__}; "
                "an SB3 VecEnv needs no adapter"
            )
        self.venv = venv
        self.autoreset_mode = autoreset_mode_of(venv)
        self._actions: np.ndarray | None = None
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)

    # --- stepping ----------------------------------------------------------------------------------------

    def reset(self) -> VecEnvObs:
        """Reset every sub-env with the seeds and options stored by ``seed()`` / ``set_options()`` (once)."""
        seeds = (
            None
            if all(seed is None for seed in self._seeds)
            else [None if seed is None else int(seed) for seed in self._seeds]
        )
        obs, info = self.venv.reset(seed=seeds, options=self._shared_options())
        self.reset_infos = unbatch_info(info, self.num_envs)
        self._reset_seeds()
        self._reset_options()
        return _copy_obs(obs)

    def _shared_options(self) -> dict[str, Any] | None:
        """The one options dict Gymnasium's ``reset`` takes for all sub-envs (SB3 stores one per sub-env)."""
        options = [dict(option or {}) for option in self._options]
        if not any(options):
            return None
        if any(option != options[0] for option in options[1:]):
            raise ValueError(
                "set_options: a Gymnasium vector env takes one options dict for all sub-envs, got different "
                f"options per sub-env: {options}"
            )
        return options[0]

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        if self._actions is None:
            raise RuntimeError("step_wait() without step_async(actions)")
        obs, rewards, terminated, truncated, info = self.venv.step(self._actions)
        self._actions = None
        terminated, truncated = np.asarray(terminated, dtype=bool), np.asarray(truncated, dtype=bool)
        dones = terminated | truncated
        infos = unbatch_info(info, self.num_envs)
        obs = _copy_obs(obs)
        finished = np.flatnonzero(dones).tolist()
        if finished and self.autoreset_mode == AutoresetMode.SAME_STEP:
            for index in finished:
                # For a sub-env reset in this step, the top-level info is the reset's info.
                step_info = infos[index]
                if FINAL_OBS not in step_info:
                    raise RuntimeError(
                        f"{type(self.venv.unwrapped).__name__} declares SAME_STEP autoreset but its info has "
                        f"no '{FINAL_OBS}' for the finished sub-env {index}"
                    )
                final_obs = step_info.pop(FINAL_OBS)
                final_info = step_info.pop(FINAL_INFO, None) or {}
                self.reset_infos[index] = step_info
                infos[index] = {**final_info, TERMINAL_OBSERVATION: _copy_obs(final_obs)}
        elif finished:
            # NEXT_STEP / DISABLED: reset the finished sub-envs now, so the next step() is a real step.
            for index in finished:
                infos[index][TERMINAL_OBSERVATION] = _obs_row(obs, index)
            reset_obs, reset_info = self.venv.reset(options={"reset_mask": dones.copy()})
            _put_rows(obs, reset_obs, dones)
            reset_infos = unbatch_info(reset_info, self.num_envs)
            for index in finished:
                self.reset_infos[index] = reset_infos[index]
        for index, truncated_only in enumerate((truncated & ~terminated).tolist()):
            infos[index][TRUNCATED_KEY] = truncated_only
        return obs, np.asarray(rewards, dtype=np.float32), dones, infos

    def close(self) -> None:
        self.venv.close()

    def get_images(self) -> Sequence[np.ndarray | None]:
        if self.render_mode != "rgb_array":
            warnings.warn(
                f"The render mode is {self.render_mode}, but get_images() needs 'rgb_array'", stacklevel=2
            )
            return [None] * self.num_envs
        frames = self.venv.render()
        return [None] * self.num_envs if frames is None else list(frames)

    # --- attributes and methods of the sub-envs ---------------------------------------------------------

    def _indices(self, indices: VecEnvIndices) -> list[int]:
        chosen = [int(index) for index in self._get_indices(indices)]
        for index in chosen:
            if not 0 <= index < self.num_envs:
                raise IndexError(f"sub-env index {index} out of range for {self.num_envs} envs")
        return chosen

    def _sub_envs(self) -> list[gym.Env] | None:
        """The sub-envs when they live in this process (SyncVectorEnv), else None."""
        base = self.venv.unwrapped
        return list(base.envs) if isinstance(base, SyncVectorEnv) else None

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """Attribute ``attr_name`` of each chosen sub-env (methods are returned, not called)."""
        chosen = self._indices(indices)
        envs = self._sub_envs()
        if envs is not None:
            return [envs[index].get_wrapper_attr(attr_name) for index in chosen]
        if callable(getattr(self.venv, "get_attr", None)):
            values = self.venv.get_attr(attr_name)  # every sub-env: Gymnasium has no indices here
            return [values[index] for index in chosen]
        value = getattr(self.venv, attr_name)  # a batched env: one value for all of its sub-envs
        return [value for _ in chosen]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Set ``attr_name`` to ``value`` in each chosen sub-env.

        As for :meth:`env_method`, only a SyncVectorEnv can set some sub-envs and not others.
        """
        chosen = self._indices(indices)
        envs = self._sub_envs()
        if envs is not None:
            for index in chosen:
                envs[index].set_wrapper_attr(attr_name, value)
            return
        self._require_all(chosen, f"set_attr({attr_name!r}, indices={indices})")
        if callable(getattr(self.venv, "set_attr", None)):
            # Gymnasium reads a list or tuple as one value per sub-env: give each sub-env ``value`` itself.
            self.venv.set_attr(attr_name, [value] * self.num_envs)
        else:
            setattr(self.venv, attr_name, value)  # a batched env: one attribute for all of its sub-envs

    def _require_all(self, chosen: list[int], call: str) -> None:
        """Raise NotImplementedError unless ``chosen`` names every sub-env."""
        if sorted(set(chosen)) != list(range(self.num_envs)):
            raise NotImplementedError(
                f"{call}: {type(self.venv).__name__} reaches all of its sub-envs at once (indices=None); "
                "only a SyncVectorEnv can reach some of them"
            )

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **method_kwargs: Any
    ) -> list[Any]:
        """Call ``method_name`` of each chosen sub-env.

        Only a SyncVectorEnv can call some sub-envs and not others: Gymnasium's ``call`` runs on every
        sub-env, so for other vector envs ``indices`` must name them all (else NotImplementedError, rather
        than running the method where it was not asked for).
        """
        chosen = self._indices(indices)
        envs = self._sub_envs()
        if envs is not None:
            return [
                envs[index].get_wrapper_attr(method_name)(*method_args, **method_kwargs) for index in chosen
            ]
        self._require_all(chosen, f"env_method({method_name!r}, indices={indices})")
        if callable(getattr(self.venv, "call", None)):
            results = self.venv.call(method_name, *method_args, **method_kwargs)
            return [results[index] for index in chosen]
        result = getattr(self.venv, method_name)(*method_args, **method_kwargs)  # once, for the batch
        return [result for _ in chosen]

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        """Whether each chosen sub-env is wrapped with ``wrapper_class``; known only for a SyncVectorEnv's
        sub-envs (in this process), False for others."""
        chosen = self._indices(indices)
        envs = self._sub_envs()
        if envs is None:
            return [False for _ in chosen]
        return [is_wrapped(envs[index], wrapper_class) for index in chosen]

    def __repr__(self) -> str:
        return f"VectorEnvAdapter({self.venv!r}, autoreset_mode={self.autoreset_mode.value})"


# --- building envs -----------------------------------------------------------------------------------------


class ScalarInfo(gym.Wrapper):
    """Keep only the scalar entries of ``info`` (numbers, bools, strings, 0-d arrays).

    Gymnasium's Sync/Async vector envs batch each info key into one array shaped by the first sub-env that
    reports it, so an info array whose length changes between episodes (one entry per auction participant)
    breaks them when two sub-envs end in the same step. Scalars are all the evaluation harness records.
    """

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        obs, info = self.env.reset(seed=seed, options=options)
        return obs, scalar_entries(info)

    def step(self, action: Any) -> tuple[Any, Any, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward, terminated, truncated, scalar_entries(info)


def scalar_entries(info: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of an info dict that are scalars (numbers, bools, strings, 0-d arrays)."""
    return {
        key: value for key, value in info.items() if np.ndim(value) == 0 and not isinstance(value, Mapping)
    }


def importing_id(env_id: str) -> str:
    """``"module:Id"`` whose module registers ``env_id`` when imported (the module of its entry point), so a
    SubprocVecEnv worker's ``gym.make`` finds the id without importing this package (and torch) first."""
    if ":" in env_id:
        return env_id
    entry_point = gym.spec(env_id).entry_point
    if isinstance(entry_point, str) and ":" in entry_point:
        return f"{entry_point.split(':', 1)[0]}:{env_id}"
    return env_id


def has_vector_entry_point(env_id: str) -> bool:
    """Whether ``env_id`` (``"module:Id"`` imports ``module`` first) is registered with its own vector
    implementation (``vector_entry_point``)."""
    module, _, name = env_id.rpartition(":")
    if module:
        importlib.import_module(module)
    return gym.spec(name).vector_entry_point is not None


def make_vector_env(
    env_id: str,
    n_envs: int,
    vectorization_mode: str = "sync",
    env_kwargs: Mapping[str, Any] | None = None,
    wrappers: Sequence[Any] | None = None,
) -> VectorEnv:
    """``gym.make_vec`` asking Sync/Async envs for SAME_STEP autoreset (what SB3 expects).

    :param vectorization_mode: ``"sync"``, ``"async"`` or ``"vector_entry_point"`` (the env's own batched
        implementation, built with ``env_kwargs`` only: Gymnasium passes it no vector kwargs or wrappers).
    :param wrappers: wrappers of each sub-env (sync and async only).
    :raises ValueError: naming ``vectorization_mode`` when it is unknown, or when the env id has no vector
        entry point.
    """
    if vectorization_mode not in VECTORIZATION_MODES:
        raise ValueError(
            f"vectorization_mode must be one of {list(VECTORIZATION_MODES)}, got {vectorization_mode!r}"
        )
    if n_envs < 1:
        raise ValueError(f"n_envs must be >= 1, got {n_envs}")
    env_kwargs = dict(env_kwargs or {})
    if vectorization_mode == "vector_entry_point":
        if wrappers:
            raise ValueError("wrappers need vectorization_mode 'sync' or 'async'")
        if not has_vector_entry_point(env_id):
            raise ValueError(
                f"{env_id} has no vector entry point (its own batched implementation); "
                "use vectorization_mode 'sync' or 'async'"
            )
        return gym.make_vec(env_id, num_envs=n_envs, vectorization_mode=vectorization_mode, **env_kwargs)
    return gym.make_vec(
        env_id,
        num_envs=n_envs,
        vectorization_mode=vectorization_mode,
        vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
        wrappers=list(wrappers or []),
        **env_kwargs,
    )


def make_sb3_vec_env(
    env_id: str,
    n_envs: int = 1,
    seed: int | None = None,
    env_kwargs: Mapping[str, Any] | None = None,
    vec_env: str = "dummy",
) -> VecEnv:
    """The training VecEnv of ``train.py --vec-env``, seeded (sub-env ``i`` starts from ``seed + i``).

    ``"dummy"`` / ``"subproc"``: SB3's DummyVecEnv / SubprocVecEnv of Monitor-wrapped
    ``gym.make(env_id, **env_kwargs)``. ``"native"``: the env's vector entry point through
    :class:`VectorEnvAdapter`, with ``VecMonitor`` for the episode statistics.

    :raises ValueError: naming ``--vec-env`` for an unknown type, or ``native`` for an env id without a
        vector entry point.
    """
    if vec_env not in VEC_ENV_TYPES:
        raise ValueError(f"--vec-env must be one of {', '.join(VEC_ENV_TYPES)}, got {vec_env!r}")
    env_kwargs = dict(env_kwargs or {})
    if vec_env == "native":
        check_native(env_id)
        venv = make_vector_env(env_id, n_envs, "vector_entry_point", env_kwargs)
        env: VecEnv = VecMonitor(VectorEnvAdapter(venv))
        env.seed(seed)
        return env
    # Unlike SB3's make_vec_env given an id string, no forced render_mode="rgb_array" (text-only envs).
    if vec_env == "subproc":
        make = partial(gym.make, importing_id(env_id))
        return make_vec_env(make, n_envs=n_envs, seed=seed, env_kwargs=env_kwargs, vec_env_cls=SubprocVecEnv)
    return make_vec_env(partial(gym.make, env_id), n_envs=n_envs, seed=seed, env_kwargs=env_kwargs)


def check_native(env_id: str) -> None:
    """Raise a :class:`~agents.common.errors.ConfigError` naming ``--vec-env`` unless ``env_id`` has a vector
    entry point."""
    if not has_vector_entry_point(env_id):
        raise ConfigError(
            f"--vec-env native needs an env with a vector entry point; {env_id} has none "
            f"(use --vec-env dummy or subproc)"
        )


__all__ = [
    "VEC_ENV_TYPES",
    "VECTORIZATION_MODES",
    "ScalarInfo",
    "VectorEnvAdapter",
    "autoreset_mode_of",
    "check_native",
    "has_vector_entry_point",
    "importing_id",
    "make_sb3_vec_env",
    "make_vector_env",
    "scalar_entries",
    "unbatch_info",
]
