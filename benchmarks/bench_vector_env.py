"""Throughput of IoA-DDA-v0's native vector env (``gym.make_vec(..., vectorization_mode=
"vector_entry_point")``, ``ioa_gym/envs/dda_vector.py``) against one ``gym.make`` env and against
``gym.make_vec(..., vectorization_mode="sync")`` with as many sub-envs, for Tier-1 markets (the default)
and synthetic markets. The target: the native env at N = 256 at least 20 times the single env.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_vector_env            # about 2 minutes
    .venv/bin/python -m benchmarks.bench_vector_env --quick    # about 20 seconds

Every env is stepped with uniformly random actions drawn before the clock starts (a pool cycled
through), resets included (the single env is reset when an episode ends, the vector envs autoreset);
the first seeded reset and one step are made before the clock starts (first-call costs such as a JIT
compilation of the Tier-1 solver stay out). Each vector env takes ``--steps`` steps (N env steps each),
the single env as many env steps as the largest N takes, so each env plays several episodes per sub-env.
Rates are env steps (sub-env transitions) per CPU second of this process (``time.process_time``), so that
other jobs on a shared machine slow every configuration alike; the load average is printed before and
after. ``--repeats`` times each configuration in turns and keeps its best rate.

Both vector envs draw every sub-env's markets with the single env's own functions, one sub-env at a
time, so the market sampler bounds what batching can gain: with Tier-1 markets that is the Stackelberg
solver (faster solvers raise the ratios here without any change to the vector env).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time

import gymnasium as gym
import numpy as np

import ioa_gym  # noqa: F401  (registers the environments)
from ioa_gym.coupling.markets import sample_synthetic_market, sample_tier1_market

ENV_ID = "IoA-DDA-v0"
MARKET_SOURCES = ("tier1", "synthetic")
SIZES = (16, 64, 256)
ACTION_POOL = 64
"""Batches of actions (or single actions) drawn before the clock starts and cycled through."""


def load_average() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def single_env_rate(market_source: str, env_steps: int, seed: int) -> float:
    """Env steps per CPU second of one ``gym.make`` env, reset whenever an episode ends."""
    env = gym.make(ENV_ID, market_source=market_source)
    env.action_space.seed(seed)
    pool = [env.action_space.sample() for _ in range(ACTION_POOL)]
    env.reset(seed=seed)
    env.step(pool[0])
    env.reset()
    start = time.process_time()
    for t in range(env_steps):
        _, _, terminated, truncated, _ = env.step(pool[t % ACTION_POOL])
        if terminated or truncated:
            env.reset()
    elapsed = time.process_time() - start
    env.close()
    return env_steps / elapsed


def vector_env_rate(mode: str, n_envs: int, market_source: str, steps: int, seed: int) -> tuple[float, float]:
    """Env steps per CPU second of ``gym.make_vec(..., vectorization_mode=mode)`` with ``n_envs``
    sub-envs (autoreset included), and the mean episode length."""
    envs = gym.make_vec(ENV_ID, n_envs, vectorization_mode=mode, market_source=market_source)
    envs.action_space.seed(seed)
    pool = [envs.action_space.sample() for _ in range(ACTION_POOL)]
    envs.reset(seed=seed)
    envs.step(pool[0])
    episodes = 0
    start = time.process_time()
    for t in range(steps):
        _, _, terminated, truncated, _ = envs.step(pool[t % ACTION_POOL])
        episodes += int(np.count_nonzero(terminated | truncated))
    elapsed = time.process_time() - start
    envs.close()
    return steps * n_envs / elapsed, steps * n_envs / max(episodes, 1)


def sampler_rate(market_source: str, n_markets: int, seed: int) -> float:
    """Markets per CPU second of the single env's market sampler (``sample_tier1_market`` or
    ``sample_synthetic_market`` with the env's options) on one generator."""
    env = gym.make(ENV_ID, market_source=market_source).unwrapped
    cfg, rng = env.config, np.random.default_rng(seed)
    sample_tier1_market(env.scenario_config, rng, **cfg.solver)  # first-call costs (a JIT) stay out
    start = time.process_time()
    for _ in range(n_markets):
        if market_source == "tier1":
            sample_tier1_market(env.scenario_config, rng, **cfg.solver)
        else:
            sample_synthetic_market(
                rng,
                cfg.synthetic_buyers,
                cfg.synthetic_sellers,
                cfg.synthetic_units,
                cfg.synthetic_values,
                cfg.synthetic_costs,
            )
    return n_markets / (time.process_time() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps, one repeat (a smoke run)")
    parser.add_argument("--markets", nargs="+", choices=MARKET_SOURCES, default=list(MARKET_SOURCES))
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES), help="numbers of sub-envs N")
    parser.add_argument("--steps", type=int, help="vector steps per measurement (400; 100 if --quick)")
    parser.add_argument("--repeats", type=int, help="rounds of measurements, best kept (2; 1 if --quick)")
    parser.add_argument("--no-sync", action="store_true", help="skip make_vec(..., 'sync')")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    steps = args.steps or (100 if args.quick else 400)
    repeats = args.repeats or (1 if args.quick else 2)
    modes = ("vector_entry_point",) if args.no_sync else ("vector_entry_point", "sync")
    largest = max(args.sizes)

    print(
        f"{ENV_ID}: native vector env vs one env vs SyncVectorEnv; commit {commit()}, "
        f"nproc {os.cpu_count()}, numpy {np.__version__}, gymnasium {gym.__version__}"
    )
    print(f"load average before: {load_average()}; {steps} vector steps per measurement, best of {repeats}")
    rates: dict[tuple[str, str, int], float] = {}
    lengths: dict[str, float] = {}
    markets_per_second: dict[str, float] = {}
    for _ in range(repeats):
        for source in args.markets:
            key = (source, "single", 1)
            rates[key] = max(rates.get(key, 0.0), single_env_rate(source, steps * largest, args.seed))
            for mode in modes:
                for n_envs in args.sizes:
                    rate, lengths[source] = vector_env_rate(mode, n_envs, source, steps, args.seed)
                    rates[source, mode, n_envs] = max(rates.get((source, mode, n_envs), 0.0), rate)
            markets_per_second[source] = max(
                markets_per_second.get(source, 0.0), sampler_rate(source, max(20, steps // 4), args.seed)
            )

    labels = {"single": "gym.make", "vector_entry_point": "native vector", "sync": "sync vector"}
    print(f"\n{'markets':<10} {'env':<16} {'N':>5} {'steps/CPU-s':>12} {'x single':>9}")
    for (source, mode, n_envs), rate in rates.items():
        single = rates[source, "single", 1]
        print(f"{source:<10} {labels[mode]:<16} {n_envs:>5} {rate:>12,.0f} {rate / single:>8.1f}x")
    print("\nBound set by the market sampler alone (markets per CPU-s x mean episode length):")
    for source in args.markets:
        bound = markets_per_second[source] * lengths[source]
        print(
            f"{source:<10} {markets_per_second[source]:>9,.0f} markets/CPU-s x {lengths[source]:.1f} "
            f"steps = {bound:>10,.0f} steps/CPU-s = {bound / rates[source, 'single', 1]:.1f}x single"
        )
    print(f"\nload average after: {load_average()}")


if __name__ == "__main__":
    main()
