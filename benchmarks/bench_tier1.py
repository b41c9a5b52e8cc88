"""Tier-1 solve time: `solve_equilibrium` (Algorithm 2) on sampled scenarios, quoted in docs/benchmarks.md.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_tier1            # full run, about 5 minutes
    .venv/bin/python -m benchmarks.bench_tier1 --quick    # CI-sized, about a minute

(``python benchmarks/bench_tier1.py`` works too.) Two references, both timed in the same run: the
NumPy solver (``solve_equilibrium(..., method="numpy")``, the same algorithm as batched arrays; the
compiled default replaced it) and the implementation before that (``reference_solve_equilibrium``
below, the batched zoom-grid search, kept verbatim in behaviour). Sections:

1. Default scenario (``ScenarioConfig()``: 20 WAs, 3 MAs, 3 FAs): median wall-clock and CPU time of
   ``solve_equilibrium`` over ``--scenarios`` sampled slots, each solved ``--repeats`` times,
   interleaved with both references and one ``follower_best_response`` call on the same scenario (a
   unit of NumPy work that the machine's load affects alike). Reported: the medians and their ratios.
2. Solve time vs the number of WAs (3 MAs and 3 FAs): medians over ``--seeds`` seeds per N, with the
   NumPy solver up to ``--numpy-max-wa`` WAs and the older one up to ``--reference-max-wa``, and the
   growth exponent: the least-squares slope of log(time) on log(N) over N >= 50.
3. ``IoA-DDA-v0`` resets (``--resets`` of them, seeds 0, 1, ...), the Tier-1 markets solved by the
   compiled and the NumPy solver in alternating blocks of 50 (``ioa_gym.coupling.markets.solve_equilibrium``
   swapped).
4. Equilibrium quality on ``--quality-slots`` default slots: each leader's largest relative gain from
   deviating, the others fixed, on a 0.002 price grid (``linear_search``, the test suite's check), at
   the prices each solver returns, and whether it reported convergence.
5. Agreement on ``--agreement-slots`` default slots (1,000 by default): the largest price difference
   between the compiled and the NumPy solver, and whether the convergence certificate (no leader gains
   more than 0.05 % by deviating to any price, the NumPy search's rigorous bound) holds at every
   compiled answer.
6. The compiled kernels' first-call compile time, in a fresh process with an empty numba cache, and the
   time of the same first call when the cache is warm (numba's ``cache=True``).

Times are per call; CPU time is ``time.thread_time`` (what this process used), wall time is
``time.perf_counter``; on a shared machine the CPU time is the steadier of the two.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence

import numpy as np

from ioa_gym.tier1._search import _UNIT_WINDOW, _PriceSearch
from ioa_gym.tier1._sweeps import _EQUILIBRIUM_GAP
from ioa_gym.tier1.scenario import Scenario, ScenarioConfig
from ioa_gym.tier1.stackelberg import (
    Equilibrium,
    follower_best_response,
    follower_utility,
    leader_loads,
    leader_utilities,
    linear_search,
    marginal_costs,
    overflow_of,
    solve_equilibrium,
)

WA_COUNTS = (10, 20, 50, 100, 200, 500, 1000, 2000)
numpy_solve_equilibrium = functools.partial(solve_equilibrium, method="numpy")
RESET_BLOCK = 50


# --- The previous implementation (reference) -------------------------------------------------------
# Algorithm 2 as it was before the exact fast search: Newton on the simplex multiplier over boolean-
# indexed rows of (..., N, L) arrays, and each sweep a batched grid search of every leader's price
# (a 17-price scan then 4 zooms of 9 prices), twice the followers per sweep.


def _reference_ratios(m: np.ndarray, omega: np.ndarray) -> np.ndarray:
    omega_col = omega[:, None]
    saturated = m <= 0.5 * omega_col
    ratios = omega_col / np.where(saturated, 1.0, m)
    ratios -= 1.0
    np.maximum(ratios, 0.0, out=ratios)
    ratios[saturated] = 1.0
    over = np.add.reduce(ratios, axis=-1) > 1.0 + 1e-12
    if not over.any():
        return ratios
    m_r = m[over]
    w_r = np.broadcast_to(omega, over.shape)[over][:, None]
    mu = np.maximum(0.0, 0.5 * w_r - m_r.min(axis=-1, keepdims=True))
    for _ in range(60):
        share = w_r / (m_r + mu)
        excess_terms = np.maximum(share - 1.0, 0.0)
        excess = np.add.reduce(excess_terms, axis=-1, keepdims=True) - 1.0
        if np.abs(excess).max() < 1e-11:
            break
        slope = np.add.reduce(np.where(excess_terms > 0.0, share * share / w_r, 0.0), axis=-1, keepdims=True)
        mu += excess / slope
    o_r = np.maximum(w_r / (m_r + mu) - 1.0, 0.0)
    o_r /= np.maximum(np.add.reduce(o_r, axis=-1, keepdims=True), 1.0)
    ratios[over] = o_r
    return ratios


def _reference_followers(scenario: Scenario, prices: np.ndarray, share: np.ndarray) -> np.ndarray:
    return _reference_ratios(marginal_costs(scenario, prices, share), scenario.satisfaction_weight)


def _reference_best_responses(scenario: Scenario, prices: np.ndarray, share: np.ndarray) -> np.ndarray:
    sel = np.arange(scenario.n_leaders)
    low = scenario.leader_unit_cost
    high = np.full(sel.size, scenario.max_price)
    grid = low[:, None] + (high - low)[:, None] * np.linspace(0.0, 1.0, 17)[None, :]
    spacing = (high - low) / 16
    local = np.linspace(-1.0, 1.0, 9)
    best_price, best_util = low.copy(), np.full(sel.size, -np.inf)
    for level in range(5):
        trial = np.repeat(np.repeat(prices[None, None, :], sel.size, axis=0), grid.shape[1], axis=1)
        trial[sel, :, sel] = grid
        ratios = _reference_followers(scenario, trial, share)
        utilities = leader_utilities(scenario, trial, ratios)[sel, :, sel]
        idx = np.argmax(utilities, axis=1)
        cand_util = utilities[sel, idx]
        better = cand_util > best_util
        best_price = np.where(better, grid[sel, idx], best_price)
        best_util = np.where(better, cand_util, best_util)
        if level == 4:
            break
        grid = np.clip(best_price[:, None] + spacing[:, None] * local[None, :], low[:, None], high[:, None])
        spacing = spacing * 2.0 / 8
    return best_price


def reference_solve_equilibrium(scenario: Scenario, tol: float = 1e-2, max_iter: int = 100) -> Equilibrium:
    """The previous `solve_equilibrium` (Jacobi, no damping at the start), for timing comparisons."""
    damping = 0.0
    prices = np.minimum(1.25 * scenario.leader_unit_cost, scenario.max_price)
    share = np.zeros(scenario.n_fa)
    ratios = _reference_followers(scenario, prices, share)
    history, ratio_history, share_history = [prices.copy()], [ratios], [share]
    converged, last_move, iterations = False, np.inf, 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 (the count is part of the result)
        previous, previous_share = prices.copy(), share
        prices = (1.0 - damping) * _reference_best_responses(scenario, prices, share) + damping * prices
        ratios = _reference_followers(scenario, prices, share)
        _, share = overflow_of(scenario, leader_loads(scenario, ratios))
        ratios = _reference_followers(scenario, prices, share)
        history.append(prices.copy())
        ratio_history.append(ratios)
        share_history.append(share)
        moved = max(np.max(np.abs(prices - previous)), np.max(np.abs(share - previous_share), initial=0.0))
        if moved < tol:
            converged = True
            break
        if moved >= last_move:
            damping = max(0.5, 0.5 * (1.0 + damping))
        last_move = moved
    loads = leader_loads(scenario, ratios)
    overflow, _ = overflow_of(scenario, loads)
    return Equilibrium(
        prices=prices,
        ratios=ratios,
        loads=loads,
        overflow=overflow,
        overflow_share=share,
        leader_utilities=leader_utilities(scenario, prices, ratios),
        follower_utilities=follower_utility(scenario, ratios, prices, share),
        iterations=iterations,
        converged=converged,
        price_history=np.array(history),
        ratio_history=np.array(ratio_history),
        share_history=np.array(share_history),
        scenario=scenario,
    )


# --- Timing ----------------------------------------------------------------------------------------


def _time(call: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of `repeats` calls."""
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.thread_time()
        call()
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - w)
    return float(np.median(wall)), float(np.median(cpu))


def _unit(scenario: Scenario) -> Callable[[], object]:
    """One follower_best_response call at the initial prices of Algorithm 2."""
    prices = np.minimum(1.25 * scenario.leader_unit_cost, scenario.max_price)
    share = np.zeros(scenario.n_fa)
    return lambda: follower_best_response(scenario, prices, share)


def default_scenario(n_scenarios: int, repeats: int, reference: bool) -> dict[str, float]:
    """Section 1: medians over slots 0..n_scenarios-1 of the per-slot median times (ms)."""
    cfg = ScenarioConfig()
    solvers = {"solve": solve_equilibrium, "numpy": numpy_solve_equilibrium}
    if reference:
        solvers["reference"] = reference_solve_equilibrium
    rows, sweeps = [], {name: [] for name in solvers}
    for seed in range(n_scenarios):
        scenario = cfg.sample(seed)
        row = list(_time(_unit(scenario), 5 * repeats))
        for name, solver in solvers.items():
            sweeps[name].append(solver(scenario).iterations)
            slow = name != "solve"
            row += _time(lambda sc=scenario, f=solver: f(sc), max(1, repeats // 2) if slow else repeats)
        rows.append(row)
    names = ["unit_wall_ms", "unit_cpu_ms"]
    for name in solvers:
        names += [f"{name}_wall_ms", f"{name}_cpu_ms"]
    out = dict(zip(names, (np.median(np.array(rows), axis=0) * 1e3).tolist(), strict=True))
    for name in solvers:
        out[f"{name}_sweeps_mean"] = float(np.mean(sweeps[name]))
    return out


def scaling(
    wa_counts: Sequence[int], seeds: int, repeats: int, numpy_max_wa: int, reference_max_wa: int
) -> list[dict[str, float]]:
    """Section 2: per N, medians over seeds 0..seeds-1 of the per-slot median times (ms)."""
    out = []
    for n_wa in wa_counts:
        cfg = ScenarioConfig(n_wa=n_wa, n_ma=3, n_fa=3)
        rows, numpy_cpu, reference = [], [], []
        reps = repeats if n_wa <= 200 else 1
        for seed in range(seeds):
            scenario = cfg.sample(seed)
            rows.append(
                [*_time(lambda sc=scenario: solve_equilibrium(sc), reps), *_time(_unit(scenario), 3 * reps)]
            )
            if n_wa <= numpy_max_wa:
                numpy_cpu.append(_time(lambda sc=scenario: numpy_solve_equilibrium(sc), 1)[1])
            if n_wa <= reference_max_wa:
                reference.append(_time(lambda sc=scenario: reference_solve_equilibrium(sc), 1)[1])
        wall, cpu, unit_wall, unit_cpu = (np.median(np.array(rows), axis=0) * 1e3).tolist()
        entry = {
            "n_wa": n_wa,
            "solve_wall_ms": wall,
            "solve_cpu_ms": cpu,
            "unit_wall_ms": unit_wall,
            "unit_cpu_ms": unit_cpu,
        }
        line = f"  N={n_wa:5d}: compiled {cpu:9.2f} ms CPU ({wall:9.2f} ms wall)"
        if numpy_cpu:
            entry["numpy_cpu_ms"] = float(np.median(numpy_cpu) * 1e3)
            line += f"; NumPy {entry['numpy_cpu_ms']:9.2f} ms CPU ({entry['numpy_cpu_ms'] / cpu:5.1f}x)"
        if reference:
            entry["reference_cpu_ms"] = float(np.median(reference) * 1e3)
            line += f"; older {entry['reference_cpu_ms']:9.2f} ms CPU"
        out.append(entry)
        print(line, flush=True)
    return out


def resets(n_resets: int) -> dict[str, float]:
    """Section 3: median CPU ms of IoA-DDA-v0 resets with each solver, in alternating blocks of
    `RESET_BLOCK` resets (one reset each in turn would time the compiled solver with caches that the
    NumPy solver's many arrays have just evicted: about 40 % slower, measured)."""
    import gymnasium as gym

    import ioa_gym.coupling.markets as markets  # (importing ioa_gym registers the environments)

    env = gym.make("IoA-DDA-v0")
    env.reset(seed=0)
    solvers = {"reset_ms": solve_equilibrium, "reset_numpy_ms": numpy_solve_equilibrium}
    times: dict[str, list[float]] = {name: [] for name in solvers}
    try:
        for first in range(0, n_resets, RESET_BLOCK):
            for name, solver in solvers.items():
                markets.solve_equilibrium = solver
                for seed in range(first, min(first + RESET_BLOCK, n_resets)):
                    start = time.thread_time()
                    env.reset(seed=seed)
                    times[name].append(time.thread_time() - start)
    finally:
        markets.solve_equilibrium = solve_equilibrium
    out = {name: float(np.median(t) * 1e3) for name, t in times.items()}
    out["reset_mean_ms"] = float(np.mean(times["reset_ms"]) * 1e3)
    return out


def certificate_holds(scenario: Scenario, equilibrium: Equilibrium) -> bool:
    """The convergence certificate of Algorithm 2, evaluated by the NumPy search at `equilibrium`: an
    upper bound of every leader's utility over its whole price range, the others' prices and phi fixed,
    is within 0.05 % of its utility at the equilibrium price (or +- the search resolution)."""
    searcher = _PriceSearch(scenario)
    searcher.set_base(equilibrium.prices, equilibrium.overflow_share)
    everyone = np.arange(scenario.n_leaders)
    near = equilibrium.prices[:, None] + searcher.resolution[:, None] * _UNIT_WINDOW
    with np.errstate(divide="ignore", invalid="ignore"):
        _, bound, included = searcher.search(
            everyone,
            searcher.low,
            np.full(everyone.size, searcher.high),
            include=near,
            certify=_EQUILIBRIUM_GAP,
        )
    utility = included[:, 1]
    return bool(np.all(bound - utility <= _EQUILIBRIUM_GAP * np.abs(utility)))


def agreement(n_slots: int) -> dict[str, float]:
    """Section 5: the compiled and the NumPy solver on default slots 0..n_slots-1."""
    largest, worst_slot, certified, converged, numpy_converged, uncertified = 0.0, -1, 0, 0, 0, []
    for seed in range(n_slots):
        scenario = ScenarioConfig().sample(seed)
        fast, slow = solve_equilibrium(scenario), numpy_solve_equilibrium(scenario)
        difference = float(np.max(np.abs(fast.prices - slow.prices)))
        if difference > largest:
            largest, worst_slot = difference, seed
        converged += fast.converged
        numpy_converged += slow.converged
        if certificate_holds(scenario, fast):
            certified += 1
        else:
            uncertified.append(seed)
    return {
        "slots": n_slots,
        "max_price_difference": largest,
        "worst_slot": worst_slot,
        "certified": certified,
        "converged": converged,
        "numpy_converged": numpy_converged,
        "uncertified_slots": uncertified,
    }


_FIRST_CALL = (
    "import time; t = time.perf_counter(); "
    "from ioa_gym.tier1.scenario import ScenarioConfig; "
    "from ioa_gym.tier1.stackelberg import solve_equilibrium; "
    "solve_equilibrium(ScenarioConfig().sample(0)); print(time.perf_counter() - t)"
)


def compile_time() -> dict[str, float]:
    """Section 6: wall seconds of the first sample-and-solve in a fresh process, numba cache empty
    (compiles every kernel) and then warm (loads them)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        runs = [
            float(
                subprocess.run(
                    [sys.executable, "-c", _FIRST_CALL], env=env, capture_output=True, text=True, check=True
                ).stdout.strip()
            )
            for _ in range(2)
        ]
    return {"cold_s": runs[0], "warm_s": runs[1]}


def quality(n_slots: int, reference: bool) -> dict[str, float]:
    """Section 4: over slots 0..n_slots-1, the largest relative gain of a leader on a 0.002 grid, the
    number of slots where it exceeds 1e-3, and how many solves reported convergence."""
    solvers = {"": solve_equilibrium}
    if reference:
        solvers["reference_"] = reference_solve_equilibrium
    out: dict[str, float] = {}
    for prefix, solver in solvers.items():
        gains, converged = [], 0
        for seed in range(n_slots):
            scenario = ScenarioConfig().sample(seed)
            eq = solver(scenario)
            converged += eq.converged
            best = [
                linear_search(scenario, leader, eq.prices, eq.overflow_share, step=0.002).utility
                for leader in range(scenario.n_leaders)
            ]
            gains.append(float(np.max((np.array(best) - eq.leader_utilities) / np.abs(eq.leader_utilities))))
        out.update(
            {
                f"{prefix}max_gain": max(gains),
                f"{prefix}converged": converged,
                f"{prefix}slots_above_1e-3": sum(g > 1e-3 for g in gains),
            }
        )
    return out


def growth_exponent(rows: list[dict[str, float]], key: str = "solve_cpu_ms", min_wa: int = 50) -> float:
    """Least-squares slope of log(time) on log(N) over N >= min_wa."""
    points = [(r["n_wa"], r[key]) for r in rows if r["n_wa"] >= min_wa]
    if len(points) < 2:
        return float("nan")
    n, t = np.log(np.array(points).T)
    return float(np.polyfit(n, t, 1)[0])


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, NumPy {np.__version__}{load}"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="CI-sized run (fewer slots, seeds and N)")
    parser.add_argument("--scenarios", type=int, default=None, help="default-scenario slots (40; quick 10)")
    parser.add_argument("--repeats", type=int, default=None, help="solves per slot (5; quick 2)")
    parser.add_argument("--seeds", type=int, default=None, help="slots per N (3; quick 1)")
    parser.add_argument(
        "--numpy-max-wa",
        type=int,
        default=None,
        help="time the NumPy solver up to this many WAs (2000; quick 500)",
    )
    parser.add_argument(
        "--reference-max-wa",
        type=int,
        default=None,
        help="time the older implementation up to this many WAs (200; quick 50)",
    )
    parser.add_argument(
        "--resets", type=int, default=None, help="IoA-DDA-v0 resets per solver (300; quick 30)"
    )
    parser.add_argument(
        "--quality-slots", type=int, default=None, help="slots checked for deviation gains (30; quick 3)"
    )
    parser.add_argument(
        "--agreement-slots",
        type=int,
        default=None,
        help="slots on which the two solvers are compared (1000; quick 100)",
    )
    parser.add_argument("--no-reference", action="store_true", help="skip the older implementation")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    quick = args.quick
    scenarios = args.scenarios or (10 if quick else 40)
    repeats = args.repeats or (2 if quick else 5)
    seeds = args.seeds or (1 if quick else 3)
    numpy_max_wa = args.numpy_max_wa or (500 if quick else 2000)
    reference_max_wa = 0 if args.no_reference else (args.reference_max_wa or (50 if quick else 200))
    wa_counts = (10, 20, 50, 100, 200, 500) if quick else WA_COUNTS
    n_resets = args.resets or (30 if quick else 300)
    quality_slots = args.quality_slots or (3 if quick else 30)
    agreement_slots = args.agreement_slots or (100 if quick else 1000)

    print(f"machine: {machine()}")
    print("command:", os.path.basename(sys.executable), "-m benchmarks.bench_tier1", *sys.argv[1:])
    solve_equilibrium(ScenarioConfig().sample(0))  # compile (or load) the kernels
    print(f"\n1. Default scenario, {scenarios} slots x {repeats} solves (medians)")
    default = default_scenario(scenarios, repeats, not args.no_reference)
    print(
        f"  solve_equilibrium (compiled): {default['solve_wall_ms']:.3f} ms wall, "
        f"{default['solve_cpu_ms']:.3f} ms CPU ({default['solve_sweeps_mean']:.2f} sweeps on average)"
    )
    print(
        f"  NumPy solver: {default['numpy_wall_ms']:.2f} ms wall, {default['numpy_cpu_ms']:.2f} ms CPU "
        f"({default['numpy_sweeps_mean']:.2f} sweeps); speed-up "
        f"{default['numpy_wall_ms'] / default['solve_wall_ms']:.1f}x wall, "
        f"{default['numpy_cpu_ms'] / default['solve_cpu_ms']:.1f}x CPU"
    )
    if "reference_cpu_ms" in default:
        print(
            f"  older implementation: {default['reference_wall_ms']:.2f} ms wall, "
            f"{default['reference_cpu_ms']:.2f} ms CPU ({default['reference_sweeps_mean']:.2f} sweeps); "
            f"speed-up {default['reference_cpu_ms'] / default['solve_cpu_ms']:.1f}x CPU"
        )
    print(
        f"  one follower_best_response (NumPy): {default['unit_cpu_ms'] * 1e3:.0f} us CPU; the compiled "
        f"solve costs {default['solve_cpu_ms'] / default['unit_cpu_ms']:.1f} of them"
    )
    print(f"\n2. Solve time vs number of WAs (3 MAs + 3 FAs), {seeds} slot(s) per N (medians)")
    rows = scaling(wa_counts, seeds, max(1, repeats // 2), numpy_max_wa, reference_max_wa)
    print(
        f"  growth exponent over N >= 50: {growth_exponent(rows):.2f} (compiled, CPU), "
        f"{growth_exponent(rows, 'numpy_cpu_ms'):.2f} (NumPy, CPU)"
    )
    print(f"\n3. IoA-DDA-v0 reset, {n_resets} resets per solver (CPU)")
    reset = resets(n_resets)
    print(
        f"  compiled: median {reset['reset_ms']:.3f} ms (mean {reset['reset_mean_ms']:.3f} ms); "
        f"NumPy solver: median {reset['reset_numpy_ms']:.3f} ms"
    )
    print(
        f"\n4. Equilibrium quality, default slots 0-{quality_slots - 1}: largest relative gain of a leader "
        "on a 0.002 price grid"
    )
    gains = quality(quality_slots, not args.no_reference)
    print(
        f"  compiled: max {gains['max_gain']:.2e}, slots above 1e-3: {gains['slots_above_1e-3']}, "
        f"converged {gains['converged']}/{quality_slots}"
    )
    if "reference_max_gain" in gains:
        print(
            f"  older implementation: max {gains['reference_max_gain']:.2e}, slots above 1e-3: "
            f"{gains['reference_slots_above_1e-3']}, "
            f"converged {gains['reference_converged']}/{quality_slots}"
        )
    print(f"\n5. Agreement with the NumPy solver on default slots 0-{agreement_slots - 1}")
    agree = agreement(agreement_slots)
    print(
        f"  largest price difference {agree['max_price_difference']:.2e} (slot {agree['worst_slot']}); "
        f"certificate holds at {agree['certified']}/{agree['slots']} compiled answers; converged: "
        f"compiled {agree['converged']}, NumPy {agree['numpy_converged']}"
    )
    if agree["uncertified_slots"]:
        print(f"  slots without the certificate: {agree['uncertified_slots']}")
    print("\n6. First call in a fresh process (scenario sample + solve, wall)")
    compiled = compile_time()
    print(
        f"  numba cache empty (compiles): {compiled['cold_s']:.1f} s; cache warm: {compiled['warm_s']:.2f} s"
    )


if __name__ == "__main__":
    main()
