"""Throughput of IoA-DDA-v0's native vector env (``gym.make_vec(..., vectorization_mode=
"vector_entry_point")``, ``ioa_gym/envs/dda_vector.py``) against one ``gym.make`` env and against
``gym.make_vec(..., vectorization_mode="sync")`` with as many sub-envs, for Tier-1 markets solved at every
reset (the default), Tier-1 markets drawn from the pre-solved slot store (``slot_store=True``) and synthetic
markets; and the peak memory of the native env at N = 4,096. Targets (issue 24): at N = 256, 20 times one env
with synthetic markets, 5 times with Tier-1 markets and the store; N = 4,096 in under 1 GB.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_vector_env            # about 3 minutes
    .venv/bin/python -m benchmarks.bench_vector_env --quick    # about 40 seconds

Every env is stepped with uniformly random actions drawn before the clock starts (a pool cycled
through), resets included (the single env is reset when an episode ends, the vector envs autoreset);
the first seeded reset and one step are made before the clock starts (first-call costs such as a JIT
compilation, or building the slot store, stay out). Each vector env takes ``--steps`` steps (N env steps
each), the single env as many env steps as the largest N takes, so each env plays several episodes per
sub-env. Rates are env steps (sub-env transitions) per CPU second of this process (``time.process_time``,
every thread counted, numba's workers included), so that other jobs on a shared machine slow every
configuration alike, and per wall-clock second (``time.perf_counter``), which shows what solving markets
on every core gains; the load average is printed before and after. ``--repeats`` times each configuration
in turns and keeps its best rates.

The single env's market sampler (one market a call) bounds what an env that draws markets one at a time can
reach: its markets per CPU second times the mean episode length is printed as that bound (the native env
draws synthetic and stored markets in batches, and solves Tier-1 slots in batches over all cores).
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
MARKET_SOURCES = ("tier1", "tier1+store", "synthetic")
"""``tier1+store``: Tier-1 markets with ``slot_store=True`` (the default cache folder, built on first use)."""
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


def env_options(source: str) -> dict:
    """The env options of a ``MARKET_SOURCES`` entry."""
    if source == "tier1+store":
        return {"market_source": "tier1", "slot_store": True}
    return {"market_source": source}


def single_env_rate(market_source: str, env_steps: int, seed: int) -> tuple[float, float]:
    """Env steps per CPU second and per wall-clock second of one ``gym.make`` env, reset whenever an
    episode ends."""
    env = gym.make(ENV_ID, **env_options(market_source))
    env.action_space.seed(seed)
    pool = [env.action_space.sample() for _ in range(ACTION_POOL)]
    env.reset(seed=seed)
    env.step(pool[0])
    env.reset()
    start, wall = time.process_time(), time.perf_counter()
    for t in range(env_steps):
        _, _, terminated, truncated, _ = env.step(pool[t % ACTION_POOL])
        if terminated or truncated:
            env.reset()
    elapsed, wall = time.process_time() - start, time.perf_counter() - wall
    env.close()
    return env_steps / elapsed, env_steps / wall


def vector_env_rate(
    mode: str, n_envs: int, market_source: str, steps: int, seed: int
) -> tuple[float, float, float]:
    """Env steps per CPU second and per wall-clock second of ``gym.make_vec(..., vectorization_mode=mode)``
    with ``n_envs`` sub-envs (autoreset included), and the mean episode length."""
    envs = gym.make_vec(ENV_ID, n_envs, vectorization_mode=mode, **env_options(market_source))
    envs.action_space.seed(seed)
    pool = [envs.action_space.sample() for _ in range(ACTION_POOL)]
    envs.reset(seed=seed)
    envs.step(pool[0])
    episodes = 0
    start, wall = time.process_time(), time.perf_counter()
    for t in range(steps):
        _, _, terminated, truncated, _ = envs.step(pool[t % ACTION_POOL])
        episodes += int(np.count_nonzero(terminated | truncated))
    elapsed, wall = time.process_time() - start, time.perf_counter() - wall
    envs.close()
    return steps * n_envs / elapsed, steps * n_envs / wall, steps * n_envs / max(episodes, 1)


MEMORY_SCRIPT = """
import resource, sys
import gymnasium as gym
import numpy as np
import ioa_gym
n, source, store = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
options = {"market_source": source, "slot_store": True} if store else {"market_source": source}
small = gym.make_vec("IoA-DDA-v0", 2, vectorization_mode="vector_entry_point", **options)
small.reset(seed=0)
small.step(small.action_space.sample())
small.close()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
envs = gym.make_vec("IoA-DDA-v0", n, vectorization_mode="vector_entry_point", **options)
envs.reset(seed=0)
actions = envs.action_space.sample()
for _ in range(100):
    envs.step(actions)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before, after)
"""


def peak_memory(n_envs: int, market_source: str) -> tuple[float, float]:
    """Peak resident memory (MiB) of a fresh Python process that makes ``n_envs`` native sub-envs, resets
    them and takes 100 steps: the whole process's peak, and its growth over the same process after a
    2-env warm-up (imports, compiled kernels, the store)."""
    import sys

    options = env_options(market_source)
    store = "1" if options.get("slot_store") else "0"
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(n_envs), options["market_source"], store],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    before, after = (int(x) / 1024 for x in out[-2:])  # ru_maxrss: KiB on Linux
    return after, after - before


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


def store_build() -> tuple[float, float, int]:
    """Build the default slot store (``SLOT_STORE_SIZE`` markets, the default scenario and solver) in a
    temporary folder: (wall seconds, CPU seconds of this process, file bytes)."""
    import tempfile

    from ioa_gym.coupling.store import SLOT_STORE_SIZE, slot_store
    from ioa_gym.tier1 import ScenarioConfig

    with tempfile.TemporaryDirectory() as folder:
        slot_store(ScenarioConfig(), where=folder, size=64)  # first-call costs (compiling) stay out
        cpu, wall = time.process_time(), time.perf_counter()
        store = slot_store(ScenarioConfig(), where=os.path.join(folder, "full"), size=SLOT_STORE_SIZE)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return wall, cpu, store.path.stat().st_size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps, one repeat (a smoke run)")
    parser.add_argument("--markets", nargs="+", choices=MARKET_SOURCES, default=list(MARKET_SOURCES))
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES), help="numbers of sub-envs N")
    parser.add_argument("--steps", type=int, help="vector steps per measurement (400; 100 if --quick)")
    parser.add_argument("--repeats", type=int, help="rounds of measurements, best kept (2; 1 if --quick)")
    parser.add_argument("--no-sync", action="store_true", help="skip make_vec(..., 'sync')")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--memory-envs", type=int, default=4096, help="N of the peak-memory measurement (4096; 0 skips it)"
    )
    parser.add_argument("--no-store-build", action="store_true", help="skip timing the slot store's build")
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
    rates: dict[tuple[str, str, int], tuple[float, float]] = {}
    lengths: dict[str, float] = {}
    markets_per_second: dict[str, float] = {}

    def keep(key: tuple[str, str, int], cpu: float, wall: float) -> None:
        best = rates.get(key, (0.0, 0.0))
        rates[key] = (max(best[0], cpu), max(best[1], wall))

    for _ in range(repeats):
        for source in args.markets:
            keep((source, "single", 1), *single_env_rate(source, steps * largest, args.seed))
            for mode in modes:
                for n_envs in args.sizes:
                    cpu, wall, lengths[source] = vector_env_rate(mode, n_envs, source, steps, args.seed)
                    keep((source, mode, n_envs), cpu, wall)
            if source != "tier1+store":
                markets_per_second[source] = max(
                    markets_per_second.get(source, 0.0),
                    sampler_rate(source, max(20, steps // 4), args.seed),
                )

    labels = {"single": "gym.make", "vector_entry_point": "native vector", "sync": "sync vector"}
    print(
        f"\n{'markets':<12} {'env':<14} {'N':>5} {'steps/CPU-s':>12} {'x single':>9} {'x tier1 single':>15} "
        f"{'steps/wall-s':>13} {'x single':>9}"
    )
    for (source, mode, n_envs), (cpu, wall) in rates.items():
        single_cpu, single_wall = rates[source, "single", 1]
        tier1 = rates.get(("tier1", "single", 1), (0.0, 0.0))[0]
        versus_tier1 = f"{cpu / tier1:>14.1f}x" if tier1 else f"{'-':>15}"
        print(
            f"{source:<12} {labels[mode]:<14} {n_envs:>5} {cpu:>12,.0f} {cpu / single_cpu:>8.1f}x "
            f"{versus_tier1} {wall:>13,.0f} {wall / single_wall:>8.1f}x"
        )
    print(
        "\nBound the single env's market sampler (one market a call, as gym.make and the sync env draw them) "
        "sets alone (markets per CPU-s x mean episode length); the native env draws its markets in batches:"
    )
    for source in markets_per_second:
        bound = markets_per_second[source] * lengths[source]
        print(
            f"{source:<12} {markets_per_second[source]:>9,.0f} markets/CPU-s x {lengths[source]:.1f} "
            f"steps = {bound:>10,.0f} steps/CPU-s = {bound / rates[source, 'single', 1][0]:.1f}x single"
        )
    if args.memory_envs:
        print(f"\nPeak memory of the native env at N = {args.memory_envs} (a fresh process, 100 steps):")
        for source in args.markets:
            peak, growth = peak_memory(args.memory_envs, source)
            print(f"{source:<12} process peak {peak:8,.0f} MiB; {growth:7,.0f} MiB over a 2-env warm-up")
    if not args.no_store_build:
        wall, cpu, size = store_build()
        print(
            f"\nSlot store build (20,000 markets, default scenario and solver, a fresh folder): "
            f"{wall:.1f} s wall, "
            f"{cpu:.1f} CPU-s, file {size / 1e6:.2f} MB"
        )
    print(f"\nload average after: {load_average()}")


if __name__ == "__main__":
    main()
