"""PPO's wall time on IoA-DDA-v0 with the env's native vector implementation against SB3's DummyVecEnv.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_ppo_vec                 # 100k steps each
    .venv/bin/python -m benchmarks.bench_ppo_vec --quick         # 10k steps each

Two PPO runs of ``--steps`` env steps each, one after the other in this process, torch on one thread:

- ``dummy``: DummyVecEnv of ``--dummy-envs`` (8) Monitor-wrapped ``gym.make`` envs, what ``train.py`` builds
  by default (``--vec-env dummy``);
- ``native``: ``gym.make_vec(..., vectorization_mode="vector_entry_point")`` with ``--native-envs`` (64)
  sub-envs through :class:`agents.vec_env.VectorEnvAdapter` and VecMonitor (``train.py --vec-env native``).
  While the env id has no vector entry point, a Gymnasium SyncVectorEnv of as many sub-envs stands in (the
  run says so), which times the adapter's code path but not a batched env.

PPO is ``"MlpPolicy"`` with SB3's default hyperparameters (``--ppo-defaults sb3``) or the project's for
IoA-DDA-v0 (``project``: agents/hyperparams/ppo.yml), in both cases with ``n_steps = 2048 // n_envs`` so that
both runs make the same updates on rollouts of 2048 transitions. Reported per run: wall time, time spent
collecting rollouts (env steps and policy forward passes; the env side of the comparison) and the rest
(gradient updates), each in wall and in CPU seconds of this process (the CPU figures are the steadier ones on
a shared machine), and the ratios dummy / native. One episode is played before the clocks start, so
one-time costs (lazy imports, compiled kernels of the Tier-1 solver) count in neither run.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecEnv, VecMonitor

from agents.common.cli import StoreDict, set_torch_threads
from agents.hyperparameters import constructor_kwargs
from agents.registry import import_env_packages, load_hyperparams
from agents.vec_env import (
    ScalarInfo,
    VectorEnvAdapter,
    has_vector_entry_point,
    make_sb3_vec_env,
    make_vector_env,
)

ENV_ID = "IoA-DDA-v0"
ROLLOUT_TRANSITIONS = 2048
QUICK_STEPS = 10_000


class RolloutClock(BaseCallback):
    """Wall and CPU time spent inside ``collect_rollouts`` (env steps and the policy's forward passes)."""

    def __init__(self) -> None:
        super().__init__()
        self.rollout_seconds = self.rollout_cpu_seconds = 0.0
        self._started = self._started_cpu = 0.0

    def _on_rollout_start(self) -> None:
        self._started, self._started_cpu = time.perf_counter(), time.process_time()

    def _on_rollout_end(self) -> None:
        self.rollout_seconds += time.perf_counter() - self._started
        self.rollout_cpu_seconds += time.process_time() - self._started_cpu

    def _on_step(self) -> bool:
        return True


@dataclass
class Timing:
    """One PPO run."""

    label: str
    n_envs: int
    timesteps: int
    wall_seconds: float
    rollout_seconds: float
    cpu_seconds: float
    rollout_cpu_seconds: float

    @property
    def update_seconds(self) -> float:
        return self.wall_seconds - self.rollout_seconds

    @property
    def update_cpu_seconds(self) -> float:
        return self.cpu_seconds - self.rollout_cpu_seconds


def ppo_kwargs(defaults: str, n_envs: int) -> dict[str, Any]:
    """PPO constructor arguments: SB3's defaults or the project's, with 2048 transitions per rollout."""
    if defaults not in ("sb3", "project"):
        raise ValueError(f"--ppo-defaults must be sb3 or project, got {defaults!r}")
    kwargs: dict[str, Any] = {}
    if defaults == "project":
        hyperparams = load_hyperparams("ppo", ENV_ID)
        _, kwargs = constructor_kwargs(PPO, hyperparams)
    n_steps = max(ROLLOUT_TRANSITIONS // n_envs, 1)
    kwargs["n_steps"] = n_steps
    kwargs["batch_size"] = min(int(kwargs.get("batch_size", 64)), n_steps * n_envs)
    return kwargs


def native_env(n_envs: int, seed: int, env_kwargs: dict[str, Any]) -> tuple[VecEnv, str]:
    """The native vector env through the adapter, or a SyncVectorEnv standing in for it; and its name."""
    if has_vector_entry_point(ENV_ID):
        venv = make_vector_env(ENV_ID, n_envs, "vector_entry_point", env_kwargs)
        name = f"native ({type(venv.unwrapped).__name__})"
    else:
        print(
            f"NOTE: {ENV_ID} has no vector entry point yet (gym.spec(...).vector_entry_point is None); a "
            f"Gymnasium SyncVectorEnv of {n_envs} envs stands in for it, through the same adapter. "
            "This times the adapter's code path, not a batched env."
        )
        venv = make_vector_env(ENV_ID, n_envs, "sync", env_kwargs, wrappers=[ScalarInfo])
        name = "SyncVectorEnv (stand-in)"
    env = VecMonitor(VectorEnvAdapter(venv))
    env.seed(seed)
    return env, name


def warm_up(env_kwargs: dict[str, Any], seed: int) -> None:
    """One episode before the clocks start: first-call costs (imports, compiled kernels) hit neither run."""
    env = gym.make(ENV_ID, **env_kwargs)
    env.reset(seed=seed)
    env.action_space.seed(seed)
    while not any(env.step(env.action_space.sample())[2:4]):
        pass
    env.close()


def time_ppo(label: str, env: VecEnv, steps: int, seed: int, defaults: str) -> Timing:
    """Build PPO on ``env`` and time ``learn(steps)``."""
    model = PPO("MlpPolicy", env, seed=seed, device="cpu", **ppo_kwargs(defaults, env.num_envs))
    clock = RolloutClock()
    start, start_cpu = time.perf_counter(), time.process_time()
    model.learn(total_timesteps=steps, callback=clock)
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    env.close()
    return Timing(
        label, env.num_envs, model.num_timesteps, wall, clock.rollout_seconds, cpu, clock.rollout_cpu_seconds
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=100_000, help="env steps of each PPO run (100000)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_STEPS} steps each")
    parser.add_argument("--dummy-envs", type=int, default=8, help="envs of the DummyVecEnv run (8)")
    parser.add_argument("--native-envs", type=int, default=64, help="sub-envs of the native run (64)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--ppo-defaults",
        choices=("sb3", "project"),
        default="sb3",
        help="PPO hyperparameters: SB3's defaults or agents/hyperparams/ppo.yml (n_steps = 2048 // n_envs)",
    )
    parser.add_argument(
        "--env-kwargs",
        nargs="+",
        action=StoreDict,
        default={},
        help="env kwargs, e.g. market_source:synthetic",
    )
    args = parser.parse_args(argv)
    steps = QUICK_STEPS if args.quick else args.steps
    for name in ("steps", "dummy_envs", "native_envs"):
        if getattr(args, name) < 1:
            raise SystemExit(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    set_torch_threads(1)  # the envs' thread pool started first, so the count stays 1 (agents.common.cli)
    import_env_packages()
    print(
        f"PPO on {ENV_ID} {args.env_kwargs or ''}, {steps} steps per run, {args.ppo_defaults} "
        f"hyperparameters, torch threads 1, gymnasium {gym.__version__}, {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    warm_up(args.env_kwargs, args.seed)
    dummy_env = make_sb3_vec_env(ENV_ID, args.dummy_envs, args.seed, args.env_kwargs)
    dummy = time_ppo("DummyVecEnv", dummy_env, steps, args.seed, args.ppo_defaults)
    env, name = native_env(args.native_envs, args.seed, args.env_kwargs)
    native = time_ppo(name, env, steps, args.seed, args.ppo_defaults)

    print(
        f"\n{'vector env':<38} {'envs':>5} {'steps':>7} {'wall s':>7} {'rollouts':>9} {'updates':>8} "
        f"{'CPU s':>7} {'rollouts':>9} {'updates':>8}"
    )
    for timing in (dummy, native):
        print(
            f"{timing.label:<38} {timing.n_envs:>5} {timing.timesteps:>7} {timing.wall_seconds:>7.1f} "
            f"{timing.rollout_seconds:>9.1f} {timing.update_seconds:>8.1f} {timing.cpu_seconds:>7.1f} "
            f"{timing.rollout_cpu_seconds:>9.1f} {timing.update_cpu_seconds:>8.1f}"
        )
    print(
        f"\ndummy / native: wall {dummy.wall_seconds / native.wall_seconds:.2f}x (target: >= 1.5x), "
        f"CPU {dummy.cpu_seconds / native.cpu_seconds:.2f}x; rollouts alone: wall "
        f"{dummy.rollout_seconds / native.rollout_seconds:.2f}x (target: >= 5x), "
        f"CPU {dummy.rollout_cpu_seconds / native.rollout_cpu_seconds:.2f}x"
    )
    # Amdahl: the updates are the same work in both runs, so no env makes the whole run faster than this.
    bound = dummy.wall_seconds / dummy.update_seconds
    print(f"bound on the whole run's gain (dummy's wall over its updates): {bound:.2f}x")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
