"""IoA-Stackelberg-v0: the single env against its native vector env, next to CartPole-v1 (figures quoted in
docs/benchmarks.md).

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_stackelberg            # about 2 minutes
    .venv/bin/python -m benchmarks.bench_stackelberg --quick    # about 40 seconds

Steps (sub-env steps for a vector env) per CPU second of this process (``time.process_time``, which counts
every thread of the process, numba's workers included) and per wall-clock second, resets included, with
uniformly random actions drawn before the clock starts. The single envs are ``gym.make(id)`` with their
default wrappers; the vector envs ``gym.make_vec(id, N)`` (the native one, the id's ``vector_entry_point``)
and ``vectorization_mode="sync"``. The envs are timed in turns (``--repeats`` rounds of one window each, the
best window kept), so slow phases of the machine hit all of them alike; the ratios are within one run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass

import gymnasium as gym

from benchmarks.bench_envs import machine

ENV_ID = "IoA-Stackelberg-v0"
REFERENCE_ID = "CartPole-v1"
POOL = 64


@dataclass
class Timer:
    """One env (single or vector) stepped in timed windows; keeps the best rates."""

    label: str
    env: gym.Env | gym.vector.VectorEnv
    per_step: int  # sub-env steps per call of step
    best_cpu: float = 0.0
    best_wall: float = 0.0

    def __post_init__(self) -> None:
        space = self.env.action_space
        space.seed(0)
        self.pool = [space.sample() for _ in range(POOL)]
        self.env.reset(seed=0)
        self.step: Callable = self.env.step
        self.step(self.pool[0])  # warm-up: compilation, first-step checks

    def window(self, seconds: float) -> None:
        vector = self.per_step > 1 or isinstance(self.env, gym.vector.VectorEnv)
        steps = 0
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        while time.process_time() - cpu_start < seconds:
            _, _, terminated, truncated, _ = self.step(self.pool[steps % POOL])
            steps += 1
            if not vector and (terminated or truncated):
                self.env.reset()
        cpu, wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
        self.best_cpu = max(self.best_cpu, steps * self.per_step / cpu)
        self.best_wall = max(self.best_wall, steps * self.per_step / wall)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short windows")
    parser.add_argument("--repeats", type=int, default=None, help="rounds of windows (best kept)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 64, 256], help="native vector env sizes")
    args = parser.parse_args(argv)
    seconds = 1.0 if args.quick else 2.0
    repeats = args.repeats if args.repeats is not None else (2 if args.quick else 4)
    print("machine: " + "; ".join(f"{k} {v}" for k, v in machine().items()))
    print(f"windows: {repeats} rounds x {seconds:g} CPU s per env, best window kept\n")

    timers = [
        Timer(REFERENCE_ID, gym.make(REFERENCE_ID), 1),
        Timer(f"{ENV_ID} single", gym.make(ENV_ID), 1),
        Timer(
            f"sync N = {min(args.sizes)}", gym.make_vec(ENV_ID, min(args.sizes), vectorization_mode="sync"), 1
        ),
    ]
    timers[-1].per_step = min(args.sizes)
    for size in args.sizes:
        timers.append(Timer(f"native N = {size}", gym.make_vec(ENV_ID, size), size))
    for _ in range(repeats):
        for timer in timers:
            timer.window(seconds)

    reference, single = timers[0], timers[1]
    header = f"{'env':<28}{'steps/CPU-s':>13}{'vs CartPole':>13}{'vs single':>11}"
    print(header + f"{'steps/wall-s':>14}{'vs single':>11}")
    for timer in timers:
        print(
            f"{timer.label:<28}{timer.best_cpu:>13,.0f}{timer.best_cpu / reference.best_cpu:>13.1%}"
            f"{timer.best_cpu / single.best_cpu:>10.2f}x{timer.best_wall:>14,.0f}"
            f"{timer.best_wall / single.best_wall:>10.2f}x"
        )
    for timer in timers:
        timer.env.close()


if __name__ == "__main__":
    main()
