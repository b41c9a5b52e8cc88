"""Environment throughput: raw steps per second of the IoA environments next to CartPole-v1, and the
reset time of IoA-DDA-v0 (figures quoted in docs/benchmarks.md, "Environment throughput").

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_envs            # about 4 minutes
    .venv/bin/python -m benchmarks.bench_envs --quick    # about 30 seconds

Every environment is made by ``gym.make(id)`` with its default wrappers (TimeLimit, OrderEnforcing,
PassiveEnvChecker) and stepped with uniformly random actions, resets included, all in one process.
Three rates per environment: with ``action_space.sample()`` inside the timed loop (what a naive random-agent
rollout costs), with ``ioa_gym.analysis.sampling.ActionSampler`` inside the loop (the same actions drawn in
batches from the same generator: what ``agents.baselines.RandomAgent`` costs), and with the actions drawn
before the clock starts (what the environment itself costs; Gymnasium's Box sampler costs more than a step
of IoA-DDA, so this is the fair comparison of a Box-action env with CartPole).

Then the cost of Gymnasium's wrappers per step (the registered stack against ``env.unwrapped``, actions drawn
before) for IoA-DDA-v0 on synthetic markets and for CartPole-v1: what bounds an env's share of CartPole's rate
besides its own step.

Rates are per CPU second of this process (``time.process_time``), so that other jobs on a shared
machine do not make one environment look slower than another; wall-clock rates are printed too.
The environments are timed in turns (one window each, ``--repeats`` rounds, best window kept), so
slow phases of the machine hit all of them alike. Reset times are single ``reset()`` calls, median
over many.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np

import ioa_gym
from ioa_gym.analysis.sampling import ActionSampler

IOA_IDS = (
    "IoA-DDA-v0",
    "IoA-DDA-Discrete-v0",
    "IoA-DDA-DoubleClock-v0",
    "IoA-DDA-StrategyProof-v0",
    "IoA-Stackelberg-v0",
)
REFERENCE_ID = "CartPole-v1"
ACTION_POOL = 4096


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "gymnasium": gym.__version__,
        "ioa_gym": ioa_gym.__version__,
        "commit": commit,
        "load average": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


MODES = ("sample", "sampler", "pool")
"""How a timed loop gets its actions: ``action_space.sample()``, an ``ActionSampler``, a pool drawn before."""
MODE_TITLES = {
    "sample": "action_space.sample() in the loop",
    "sampler": "ActionSampler in the loop",
    "pool": "actions drawn before",
}


@dataclass
class StepTimer:
    """One environment stepped with random actions in timed windows; keeps the best window."""

    label: str
    env: gym.Env
    mode: str
    best_cpu_rate: float = 0.0
    best_wall_rate: float = 0.0
    episode_lengths: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.env.action_space.seed(0)
        self.env.reset(seed=0)
        self.env.step(self.env.action_space.sample())  # warm-up: first-step checks, lazy imports
        self.pool = (
            [self.env.action_space.sample() for _ in range(ACTION_POOL)] if self.mode == "pool" else None
        )
        self.sampler = ActionSampler(self.env.action_space)
        self._length = 0

    def window(self, seconds: float) -> None:
        env, pool = self.env, self.pool
        sample = self.sampler if self.mode == "sampler" else self.env.action_space.sample
        env.reset()
        self._length = steps = 0
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        deadline = cpu_start + seconds
        while True:
            action = pool[steps % ACTION_POOL] if pool is not None else sample()
            _, _, terminated, truncated, _ = env.step(action)
            steps += 1
            self._length += 1
            if terminated or truncated:
                env.reset()
                self.episode_lengths.append(self._length)
                self._length = 0
            if time.process_time() >= deadline:
                break
        cpu, wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
        self.best_cpu_rate = max(self.best_cpu_rate, steps / cpu)
        self.best_wall_rate = max(self.best_wall_rate, steps / wall)

    @property
    def steps_per_episode(self) -> float:
        return statistics.mean(self.episode_lengths) if self.episode_lengths else math.nan


def reset_times_ms(env: gym.Env, n_resets: int) -> dict[str, float]:
    env.reset(seed=0)  # warm-up
    cpu_times, wall_times = [], []
    for _ in range(n_resets):
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        env.reset()
        cpu_times.append(time.process_time() - cpu_start)
        wall_times.append(time.perf_counter() - wall_start)
    cpu_ms, wall_ms = 1e3 * np.array(cpu_times), 1e3 * np.array(wall_times)
    return {
        "cpu_median": float(np.median(cpu_ms)),
        "cpu_p90": float(np.percentile(cpu_ms, 90)),
        "wall_median": float(np.median(wall_ms)),
        "n": n_resets,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short windows and fewer resets")
    parser.add_argument("--seconds", type=float, default=None, help="CPU seconds of one timed window")
    parser.add_argument("--repeats", type=int, default=None, help="rounds of windows (best window kept)")
    args = parser.parse_args(argv)
    # Many short windows in turns: this VM's speed drifts by up to 40 % within minutes, and the best of
    # ten 1.5-s windows gives every environment (CartPole included) its fast phase; three 4-s windows
    # did not (IoA-DDA-v0 read 41-50 % of CartPole in such runs, 38 % with ten windows, the same hour).
    seconds = args.seconds if args.seconds is not None else (1.0 if args.quick else 1.5)
    repeats = args.repeats if args.repeats is not None else (2 if args.quick else 10)
    if not seconds > 0 or repeats < 1:
        parser.error("--seconds must be > 0 and --repeats >= 1")
    n_tier1, n_synthetic = (30, 300) if args.quick else (300, 3000)

    print("machine: " + "; ".join(f"{k} {v}" for k, v in machine().items()))
    flags = " ".join(sys.argv[1:] if argv is None else argv)
    print(f"command: python -m benchmarks.bench_envs {flags}".rstrip())
    print(f"windows: {repeats} rounds x {seconds:g} CPU s per environment and mode, best window kept\n")

    # The synthetic-market and slot-store rows separate the env's own step cost from the Tier-1 equilibrium
    # that the default solves at every reset.
    rows = [(env_id, env_id, {}) for env_id in IOA_IDS if env_id in gym.registry]
    rows.insert(1, ("IoA-DDA-v0 synthetic", "IoA-DDA-v0", {"market_source": "synthetic"}))
    # Tier-1 markets from the pre-solved slot store (built on first use, before the clock starts).
    rows.insert(2, ("IoA-DDA-v0 slot_store", "IoA-DDA-v0", {"slot_store": True}))
    rows.append((REFERENCE_ID, REFERENCE_ID, {}))
    timers = {
        (label, mode): StepTimer(label, gym.make(env_id, **kwargs), mode)
        for label, env_id, kwargs in rows
        for mode in MODES
    }
    # The wrappers' own cost: the same envs unwrapped (actions drawn before).
    bare = {
        label: StepTimer(label, gym.make(env_id, **kwargs).unwrapped, "pool")
        for label, env_id, kwargs in rows
        if label in ("IoA-DDA-v0 synthetic", REFERENCE_ID)
    }
    for _ in range(repeats):
        for timer in [*timers.values(), *bare.values()]:
            timer.window(seconds)

    width = 37
    print(f"{'':<26}" + "".join(f"{MODE_TITLES[mode]:^{width}}" for mode in MODES))
    header = f"{'environment':<26}" + f"{'steps/CPU-s':>13}{'vs CartPole':>13}{'wall':>11}" * len(MODES)
    print(header + f"{'steps/episode':>15}")
    print("-" * (len(header) + 15))
    for label, _, _ in rows:
        line = f"{label:<26}"
        for mode in MODES:
            timer, reference = timers[(label, mode)], timers[(REFERENCE_ID, mode)]
            line += (
                f"{timer.best_cpu_rate:>13,.0f}{timer.best_cpu_rate / reference.best_cpu_rate:>13.1%}"
                f"{timer.best_wall_rate:>11,.0f}"
            )
        print(line + f"{timers[(label, 'pool')].steps_per_episode:>15.1f}")
    for timer in [*timers.values(), *bare.values()]:
        timer.env.close()

    print("\nGymnasium's wrappers per step (gym.make's stack against env.unwrapped, actions drawn before):")
    for label, timer in bare.items():
        wrapped = timers[(label, "pool")].best_cpu_rate
        cost = 1e6 / wrapped - 1e6 / timer.best_cpu_rate
        print(
            f"  {label:<22} unwrapped {timer.best_cpu_rate:>10,.0f} steps/CPU-s, wrapped {wrapped:>10,.0f}: "
            f"the wrappers cost {cost:5.2f} us a step"
        )

    print("\nIoA-DDA-v0 reset (one market sampled per reset):")
    for source, n_resets in (("tier1", n_tier1), ("synthetic", n_synthetic)):
        env = gym.make("IoA-DDA-v0", market_source=source)
        result = reset_times_ms(env, n_resets)
        env.close()
        print(
            f"  market_source={source:<10} median {result['cpu_median']:8.3f} ms CPU "
            f"(p90 {result['cpu_p90']:7.3f}, wall median {result['wall_median']:7.3f})   {n_resets} resets"
        )


if __name__ == "__main__":
    main()
