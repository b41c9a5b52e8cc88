"""The multi-agent results of docs/results.md in one command: do independent learners find the leaders'
Stackelberg equilibrium, and do learning bidders find misreports that gain?

    python -m agents.multiagent.results --out results/marl [--budget quick|full] [--seeds 0 1 2] [--workers 2]

**Leaders** (``leaders_v0``): every MA and FA is a PPO learner
(:func:`agents.multiagent.learners.train_in_turn`), each trained in turn against the others' current
policies. On test episodes (fresh slots, the same for every policy) each slot's posted prices are compared
with that slot's equilibrium (``solve_equilibrium``): the relative price error, its sign, each leader's
regret (its best-response utility minus its utility, as a share of the best-response utility) and the
leaders' utility against equilibrium play. References on the same
slots: equilibrium play, best-response dynamics (each leader posts Algorithm 1's best response to the
others' previous prices), a constant price per leader (its mean equilibrium price over other slots, what a
policy blind to the slot can do) and uniformly random prices.

The learners are myopic (``gamma = 0``): the equilibrium is that of the one-slot game, and a far-sighted
learner in the repeated game would be answering another question (whether the leaders can sustain prices
above it).

**Bidders** (``bidders_v0``): ``buyer_0`` and ``seller_0`` of every Tier-2 market are PPO learners, trained in
turn, the other participants truthful, under each mechanism variant. On test auctions the gain of each is
its utility minus what it would have had reporting the truth, the other reports unchanged (the env's
``truthful_utility``). Reference: the best constant offset for each of them alone, found by a grid search on
the test auctions themselves (an in-sample optimum: an upper reference, not a policy).

Every number is a mean over the training seeds with a 95 % Student t interval; the references are
deterministic given the test episodes. Results go to ``--out`` (``results.json``, ``leaders.md``,
``bidders.md``, the trained models under ``models/``); an existing non-empty folder is refused unless
``--overwrite``. Bad input exits with 2 before anything runs; a file that cannot be written (a full disk)
with 74, naming it (finished jobs are kept for ``--resume``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from agents.common.cli import command_line, exit_code_of, interrupt_on_signals, io_error, usage_error
from agents.common.errors import ConfigError
from agents.common.files import atomic_write_text, check_output_dir, json_text
from agents.common.stats import mean_confidence_interval
from agents.common.tables import fmt, fmt_ci
from agents.multiagent.learners import Policy, deterministic, train_in_turn
from agents.runs.callbacks import save_model
from ioa_gym.auctions import mechanism_names
from ioa_gym.multiagent.bidders import BiddersEnv
from ioa_gym.multiagent.leaders import LeadersEnv
from ioa_gym.tier1.stackelberg import solve_equilibrium

HYPERPARAMS: dict[str, Any] = {
    "gamma": 0.0,
    "learning_rate": 1e-3,
    "n_steps": 256,
    "batch_size": 64,
    "policy_kwargs": "dict(log_std_init=-1.0)",
}
"""PPO settings of every learner here (SB3's defaults otherwise). Myopic (see the module docstring); short
rollouts, a larger learning rate and a narrower initial policy (std 0.37 of the action range, not 1) because
each agent's problem is close to a contextual bandit: with SB3's defaults (2048-step rollouts) the leaders
were still 56 % above the equilibrium prices after 4096 steps each, against 22 % with these."""


def ppo_hyperparams(steps: int) -> dict[str, Any]:
    """:data:`HYPERPARAMS` with a rollout no longer than one turn of ``steps`` (SB3's PPO collects a whole
    rollout of ``n_steps`` before it checks the budget, so a longer one would overrun the turn)."""
    n_steps = min(HYPERPARAMS["n_steps"], steps)
    return {**HYPERPARAMS, "n_steps": n_steps, "batch_size": min(HYPERPARAMS["batch_size"], n_steps)}


BIDDER_LEARNERS = ("buyer_0", "seller_0")

TEST_SEED = 10_000
"""Test episodes and auctions use seeds from here on, apart from every training seed."""

CONSTANT_SEED = 20_000
"""The slots that give the constant-price reference its mean equilibrium prices."""


@dataclass(frozen=True)
class Budget:
    """How much to train and test. ``*_rounds`` x ``*_steps`` env steps per learner."""

    leader_rounds: int
    leader_steps: int
    leader_test_episodes: int  # of 50 slots each
    bidder_rounds: int
    bidder_steps: int
    bidder_test_auctions: int
    offset_grid: int  # points of the constant-offset search over [-max_offset, max_offset]


BUDGETS = {
    "tiny": Budget(1, 64, 1, 1, 64, 20, 5),
    "quick": Budget(1, 2048, 2, 1, 2048, 200, 9),
    "full": Budget(3, 8192, 4, 2, 8192, 500, 13),
}


# -- leaders ---------------------------------------------------------------------------------------------

LeaderAct = Callable[[LeadersEnv, Mapping[str, np.ndarray], np.ndarray], dict[str, Any]]
"""A way to price: (env, observations, this slot's equilibrium prices) -> actions."""


def learned_leaders(policies: Mapping[str, Policy]) -> LeaderAct:
    return lambda env, observations, equilibrium: {a: policies[a](observations[a]) for a in env.agents}


def equilibrium_leaders(env: LeadersEnv, observations: Mapping[str, np.ndarray], equilibrium: np.ndarray):
    return {a: env.price_to_action(a, equilibrium[i]) for i, a in enumerate(env.agents)}


def best_response_dynamics(env: LeadersEnv, observations: Mapping[str, np.ndarray], equilibrium: np.ndarray):
    prices = env.best_responses()
    return {a: env.price_to_action(a, prices[i]) for i, a in enumerate(env.agents)}


def constant_leaders(prices: np.ndarray) -> LeaderAct:
    return lambda env, observations, equilibrium: {
        a: env.price_to_action(a, prices[i]) for i, a in enumerate(env.agents)
    }


def random_leaders(seed: int) -> LeaderAct:
    rng = np.random.default_rng(seed)
    return lambda env, observations, equilibrium: {
        a: rng.uniform(-1.0, 1.0, 1).astype(np.float32) for a in env.agents
    }


def mean_equilibrium_prices(
    env_kwargs: Mapping[str, Any], slots: int, seed: int = CONSTANT_SEED
) -> np.ndarray:
    """Each leader's mean equilibrium price over ``slots`` slots drawn with ``seed``."""
    config = LeadersEnv(**env_kwargs).config
    rng = np.random.default_rng(seed)
    return np.mean([solve_equilibrium(config.sample(rng)).prices for _ in range(slots)], axis=0)


def play_leaders(act: LeaderAct, env_kwargs: Mapping[str, Any], episodes: int, seed: int = TEST_SEED) -> dict:
    """Run ``episodes`` episodes (seeds ``seed``, ``seed + 1``, ...) with ``act``; per slot and leader:
    posted and equilibrium prices, utility and best-response utility, each an array (slots, leaders)."""
    env = LeadersEnv(**env_kwargs)
    rows: dict[str, list[np.ndarray]] = {
        "price": [],
        "equilibrium_price": [],
        "utility": [],
        "best_utility": [],
    }
    for episode in range(episodes):
        observations, _ = env.reset(seed=seed + episode)
        while env.agents:
            equilibrium = solve_equilibrium(env.scenario).prices
            observations, _, _, _, infos = env.step(act(env, observations, equilibrium))
            agents = env.possible_agents
            rows["price"].append(np.array([infos[a]["price"] for a in agents]))
            rows["equilibrium_price"].append(equilibrium)
            rows["utility"].append(np.array([infos[a]["utility"] for a in agents]))
            rows["best_utility"].append(np.array([infos[a]["best_response_utility"] for a in agents]))
    return {key: np.array(value) for key, value in rows.items()}


def leader_metrics(
    play: Mapping[str, np.ndarray], n_ma: int, reference_utility: np.ndarray
) -> dict[str, float]:
    """Summary of :func:`play_leaders`: price error |p - p*| / p* and bias (p - p*) / p* (MAs, FAs, all),
    regret (sum of best-response utility minus utility over sum of best-response utility) and the leaders'
    total utility as a share of ``reference_utility``'s (equilibrium play on the same slots)."""
    relative = (play["price"] - play["equilibrium_price"]) / play["equilibrium_price"]
    metrics = {
        "price_error_ma": float(np.abs(relative[:, :n_ma]).mean()),
        "price_error_fa": float(np.abs(relative[:, n_ma:]).mean()),
        "price_error": float(np.abs(relative).mean()),
        "price_bias": float(relative.mean()),
        "regret": float((play["best_utility"] - play["utility"]).sum() / play["best_utility"].sum()),
        "utility_vs_equilibrium": float(play["utility"].sum() / reference_utility.sum()),
    }
    return metrics


def train_leaders(env_kwargs: Mapping[str, Any], budget: Budget, seed: int, models_dir: Path | None) -> dict:
    """Train every leader in turn with ``seed``, save the models under ``models_dir`` and return the learned
    policies' :func:`leader_metrics` on the test slots after the last round, and after each round under
    ``"by_round"`` (does play move toward the equilibrium?)."""
    agents = LeadersEnv(**env_kwargs).possible_agents
    n_ma = LeadersEnv(**env_kwargs).config.n_ma
    episodes = budget.leader_test_episodes
    reference = play_leaders(equilibrium_leaders, env_kwargs, episodes)["utility"]
    by_round: list[dict[str, float]] = []

    def test(round_: int, models: Mapping[str, Any]) -> None:
        policies = {agent: deterministic(model) for agent, model in models.items()}
        by_round.append(
            leader_metrics(play_leaders(learned_leaders(policies), env_kwargs, episodes), n_ma, reference)
        )

    models = train_in_turn(
        lambda: LeadersEnv(**env_kwargs),
        agents,
        rounds=budget.leader_rounds,
        steps=budget.leader_steps,
        seed=seed,
        hyperparams=ppo_hyperparams(budget.leader_steps),
        on_round=test,
    )
    if models_dir is not None:
        for agent, model in models.items():
            save_model(model, models_dir / f"leaders_seed{seed}_{agent}.zip")
    return {**by_round[-1], "by_round": by_round}


# -- bidders ---------------------------------------------------------------------------------------------


def play_bidders(
    variant: str,
    policies: Mapping[str, Policy],
    auctions: int,
    seed: int = TEST_SEED,
    env_kwargs: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Auctions ``seed``, ``seed + 1``, ... under ``variant`` with ``policies`` for some agents (the others
    truthful); for each agent with a policy: its gain (utility minus truthful utility), offset (report minus
    truth), utility and truthful utility per auction (nan where the market lacks the agent)."""
    env = BiddersEnv(variant=variant, **(env_kwargs or {}))
    keys = ("gain", "offset", "utility", "truthful_utility")
    out = {agent: {key: np.full(auctions, np.nan) for key in keys} for agent in policies}
    for k in range(auctions):
        observations, _ = env.reset(seed=seed + k)
        actions = {
            a: policies[a](observations[a]) if a in policies else env.offset_to_action(0.0)
            for a in env.agents
        }
        _, rewards, _, _, infos = env.step(actions)
        for agent in policies:
            if agent in infos:
                info = infos[agent]
                out[agent]["gain"][k] = rewards[agent] - info["truthful_utility"]
                out[agent]["offset"][k] = info["report"] - info["truth"]
                out[agent]["utility"][k] = rewards[agent]
                out[agent]["truthful_utility"][k] = info["truthful_utility"]
    return out


def bidder_metrics(play: Mapping[str, np.ndarray], tolerance: float = 1e-9) -> dict[str, float]:
    """Mean gain, share of auctions with a gain (> tolerance) and with a loss, mean offset and mean truthful
    utility over the auctions where the agent took part."""
    present = ~np.isnan(play["gain"])
    gain = play["gain"][present]
    return {
        "gain": float(gain.mean()),
        "share_gained": float((gain > tolerance).mean()),
        "share_lost": float((gain < -tolerance).mean()),
        "offset": float(play["offset"][present].mean()),
        "truthful_utility": float(play["truthful_utility"][present].mean()),
    }


def constant_offset(offset: float, max_offset: float) -> Policy:
    action = np.array([np.clip(offset / max_offset, -1.0, 1.0)], dtype=np.float32)
    return lambda observation: action


def best_constant_offsets(
    variant: str, budget: Budget, max_offset: float = 3.0
) -> dict[str, dict[str, float]]:
    """For each learner alone (the others truthful): the constant offset on a grid over [-max_offset,
    max_offset] with the largest mean gain on the test auctions, and that gain."""
    grid = np.linspace(-max_offset, max_offset, budget.offset_grid)
    best = {}
    for agent in BIDDER_LEARNERS:
        gains = [
            float(
                np.nanmean(
                    play_bidders(
                        variant, {agent: constant_offset(o, max_offset)}, budget.bidder_test_auctions
                    )[agent]["gain"]
                )
            )
            for o in grid
        ]
        # Ties (every offset that changes nothing gains 0) go to the smallest misreport, the truth first.
        index = min(range(len(grid)), key=lambda i: (-round(gains[i], 12), abs(grid[i])))
        best[agent] = {"offset": float(grid[index]), "gain": gains[index]}
    return best


def train_bidders(variant: str, budget: Budget, seed: int, models_dir: Path | None) -> dict:
    """Train ``buyer_0`` and ``seller_0`` in turn under ``variant``; returns their :func:`bidder_metrics`."""
    models = train_in_turn(
        lambda: BiddersEnv(variant=variant),
        BIDDER_LEARNERS,
        rounds=budget.bidder_rounds,
        steps=budget.bidder_steps,
        seed=seed,
        hyperparams=ppo_hyperparams(budget.bidder_steps),
    )
    if models_dir is not None:
        for agent, model in models.items():
            save_model(model, models_dir / f"bidders_{variant}_seed{seed}_{agent}.zip")
    policies = {agent: deterministic(model) for agent, model in models.items()}
    play = play_bidders(variant, policies, budget.bidder_test_auctions)
    return {agent: bidder_metrics(play[agent]) for agent in BIDDER_LEARNERS}


# -- jobs and report -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One training seed of the leaders, or of the bidders under one mechanism variant."""

    kind: str  # "leaders" or "bidders"
    variant: str | None
    seed: int

    @property
    def name(self) -> str:
        return (
            f"leaders_seed{self.seed}"
            if self.kind == "leaders"
            else f"bidders_{self.variant}_seed{self.seed}"
        )


def run_job(job: Job, budget: Budget, out: str) -> dict[str, Any]:
    """Train and test one job (one torch thread) and write its metrics to ``<out>/jobs/<name>.json``
    atomically, so a finished job survives an interrupted run (``--resume`` reuses it)."""
    from agents.common.cli import set_torch_threads

    set_torch_threads(1)
    start = time.perf_counter()
    models_dir = Path(out) / "models"
    if job.kind == "leaders":
        metrics = train_leaders({}, budget, job.seed, models_dir)
    else:
        metrics = train_bidders(job.variant, budget, job.seed, models_dir)
    result = {"job": asdict(job), "budget": asdict(budget), "metrics": metrics}
    result["seconds"] = round(time.perf_counter() - start, 1)
    atomic_write_text(Path(out) / "jobs" / f"{job.name}.json", json_text(result))
    return result


def _run_job_packed(arguments: tuple[Job, Budget, str]) -> dict[str, Any]:
    return run_job(*arguments)


def load_job(path: Path, job: Job, budget: Budget) -> dict[str, Any] | None:
    """A finished job's result from an earlier run, or None (missing, or made with another budget)."""
    if not path.is_file():
        return None
    result = json.loads(path.read_text())
    if result.get("job") != asdict(job) or result.get("budget") != asdict(budget):
        raise ConfigError(f"--resume: {path} holds another job or budget; use a new --out")
    return result


def leader_references(budget: Budget, env_kwargs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every reference's :func:`leader_metrics` on the learned leaders' test slots."""
    env_kwargs = dict(env_kwargs or {})
    n_ma = LeadersEnv(**env_kwargs).config.n_ma
    episodes = budget.leader_test_episodes
    reference = play_leaders(equilibrium_leaders, env_kwargs, episodes)
    constant = mean_equilibrium_prices(env_kwargs, 200)
    plays = {
        "equilibrium play": reference,
        "best-response dynamics": play_leaders(best_response_dynamics, env_kwargs, episodes),
        "constant (mean equilibrium price)": play_leaders(constant_leaders(constant), env_kwargs, episodes),
        "random prices": play_leaders(random_leaders(TEST_SEED), env_kwargs, episodes),
    }
    return {name: leader_metrics(play, n_ma, reference["utility"]) for name, play in plays.items()}


LEADER_COLUMNS = {
    "price_error_ma": "|p - p*| / p* (MAs)",
    "price_error_fa": "|p - p*| / p* (FAs)",
    "price_bias": "(p - p*) / p*",
    "regret": "regret (share of best-response utility)",
    "utility_vs_equilibrium": "leaders' utility / equilibrium play's",
}


def _mean_ci(values: Sequence[float]) -> str:
    mean, low, high = mean_confidence_interval(values)
    return f"{fmt(mean)} {fmt_ci(low, high)}" if len(values) > 1 else fmt(mean)


def leaders_markdown(rows: Mapping[str, Any], seeds: Sequence[int], budget: Budget) -> str:
    header = "| policy | " + " | ".join(LEADER_COLUMNS.values()) + " |"
    lines = [
        f"Leaders (leaders_v0, defaults): {budget.leader_test_episodes} test episodes of 50 slots. "
        f"Learned: PPO per leader, {budget.leader_rounds} round(s) x {budget.leader_steps} steps each, "
        f"seeds {list(seeds)}, mean [95 % t interval] over seeds.",
        "",
        header,
        "|" + "---|" * (len(LEADER_COLUMNS) + 1),
    ]
    for round_ in range(budget.leader_rounds):
        per_seed = [m["by_round"][round_] for m in rows["learned"]]
        lines.append(
            f"| learned (PPO, in turn), after round {round_ + 1} | "
            + " | ".join(_mean_ci([m[key] for m in per_seed]) for key in LEADER_COLUMNS)
            + " |"
        )
    for name, metrics in rows["references"].items():
        lines.append(f"| {name} | " + " | ".join(fmt(metrics[key]) for key in LEADER_COLUMNS) + " |")
    return "\n".join(lines) + "\n"


BIDDER_COLUMNS = {
    "gain": "mean gain over truth",
    "share_gained": "auctions gained",
    "share_lost": "auctions lost",
    "offset": "mean offset (report - truth)",
    "truthful_utility": "mean truthful utility",
}


def bidders_markdown(rows: Mapping[str, Any], seeds: Sequence[int], budget: Budget) -> str:
    lines = [
        "Bidders (bidders_v0, Tier-1 markets, each mechanism's best fixed step): "
        f"{budget.bidder_test_auctions} test auctions. Learned: PPO for buyer_0 and seller_0, "
        f"{budget.bidder_rounds} round(s) x {budget.bidder_steps} steps each, the others truthful, seeds "
        f"{list(seeds)}, mean [95 % t interval] over seeds. Best constant offset: {budget.offset_grid}-point "
        "grid over [-3, 3], each agent alone, chosen on the test auctions.",
        "",
        "| mechanism | agent | " + " | ".join(BIDDER_COLUMNS.values()) + " | best constant offset (gain) |",
        "|" + "---|" * (len(BIDDER_COLUMNS) + 3),
    ]
    for variant, result in rows.items():
        for agent in BIDDER_LEARNERS:
            cells = [_mean_ci([m[agent][key] for m in result["learned"]]) for key in BIDDER_COLUMNS]
            best = result["best_constant"][agent]
            lines.append(
                f"| {variant} | {agent} | "
                + " | ".join(cells)
                + f" | {best['offset']:+.2f} ({fmt(best['gain'])}) |"
            )
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m agents.multiagent.results",
        description="Independent PPO learners on leaders_v0 and bidders_v0: learned prices against the "
        "equilibrium, learned bidders' gains under each mechanism (docs/results.md).",
    )
    parser.add_argument("--out", required=True, help="output folder (refused if it holds files)")
    parser.add_argument("--budget", choices=list(BUDGETS), default="full")
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[0, 1, 2], help="training seeds (default 0 1 2)"
    )
    parser.add_argument("--parts", nargs="+", choices=["leaders", "bidders"], default=["leaders", "bidders"])
    parser.add_argument(
        "--variants", nargs="+", choices=list(mechanism_names()), default=list(mechanism_names())
    )
    parser.add_argument("--workers", type=int, default=1, help="training processes (default 1: in this one)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--overwrite", action="store_true", help="write into a non-empty --out, training anew")
    group.add_argument("--resume", action="store_true", help="reuse the finished jobs in --out/jobs")
    return parser


def check_arguments(args: argparse.Namespace) -> Path:
    """The output folder; ConfigError naming the flag for bad input."""
    if not 1 <= args.workers <= 64:
        raise ConfigError(f"--workers must be in [1, 64], got {args.workers}")
    if len(set(args.seeds)) != len(args.seeds) or any(not 0 <= s <= 999 for s in args.seeds):
        raise ConfigError(f"--seeds must be distinct integers in [0, 999], got {args.seeds}")
    if len(set(args.variants)) != len(args.variants):
        raise ConfigError(f"--variants must be distinct, got {args.variants}")
    return check_output_dir(args.out, args.overwrite or args.resume)


def run_jobs(
    jobs: Sequence[Job], budget: Budget, out: Path, workers: int, resume: bool
) -> list[dict[str, Any]]:
    """Every job's result, in order: reused from ``out/jobs`` with ``resume``, else trained (in ``workers``
    processes, or in this one for 1)."""
    results: dict[Job, dict[str, Any]] = {}
    if resume:
        for job in jobs:
            found = load_job(out / "jobs" / f"{job.name}.json", job, budget)
            if found is not None:
                results[job] = found
                print(f"reused {job.name} ({found['seconds']} s)", flush=True)
    todo = [job for job in jobs if job not in results]
    if workers == 1:
        for job in todo:
            results[job] = run_job(job, budget, str(out))
            print(f"finished {job.name} ({results[job]['seconds']} s)", flush=True)
    elif todo:
        # multiprocessing's Pool, not concurrent.futures': on Ctrl-C it can stop its workers at once instead
        # of running every queued job first. Finished jobs are on disk already (run_job writes them).
        pool = get_context("spawn").Pool(min(workers, len(todo)))
        try:
            for result in pool.imap_unordered(_run_job_packed, [(job, budget, str(out)) for job in todo]):
                job = Job(**result["job"])
                results[job] = result
                print(f"finished {job.name} ({result['seconds']} s)", flush=True)
            pool.close()
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.join()
    return [results[job] for job in jobs]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 done, 2 bad input (nothing written), 74 a file could not be written (a full disk: one
    line naming it; finished jobs kept), 130/143 interrupted (finished jobs kept)."""
    try:
        return _main(argv)
    except OSError as error:
        hint = "finished jobs are kept in the jobs/ folder of --out: rerun with --resume"
        return io_error("python -m agents.multiagent.results", error, hint)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        out = check_arguments(args)
        budget = BUDGETS[args.budget]
        jobs = []
        if "leaders" in args.parts:
            jobs += [Job("leaders", None, seed) for seed in args.seeds]
        if "bidders" in args.parts:
            jobs += [Job("bidders", variant, seed) for variant in args.variants for seed in args.seeds]
        if args.resume:
            for job in jobs:
                load_job(out / "jobs" / f"{job.name}.json", job, budget)
    except ConfigError as error:
        return usage_error(parser, error)
    start = time.perf_counter()
    try:
        with interrupt_on_signals():
            results = run_jobs(jobs, budget, out, args.workers, args.resume)
    except KeyboardInterrupt as interrupt:
        print(f"interrupted: finished jobs are in {out / 'jobs'}; rerun with --resume", file=sys.stderr)
        return exit_code_of(interrupt)
    seeds = list(args.seeds)
    document: dict[str, Any] = {
        "command": command_line(argv, "-m agents.multiagent.results"),
        "budget": asdict(budget),
        "seeds": seeds,
        "hyperparams": {
            "leaders": ppo_hyperparams(budget.leader_steps),
            "bidders": ppo_hyperparams(budget.bidder_steps),
        },
        "job_seconds": {Job(**r["job"]).name: r["seconds"] for r in results},
    }
    written = []
    if "leaders" in args.parts:
        document["leaders"] = {
            "learned": [r["metrics"] for r in results if r["job"]["kind"] == "leaders"],
            "references": leader_references(budget),
        }
        written.append(
            atomic_write_text(out / "leaders.md", leaders_markdown(document["leaders"], seeds, budget))
        )
    if "bidders" in args.parts:
        bidders = {}
        for variant in args.variants:
            bidders[variant] = {
                "learned": [
                    r["metrics"]
                    for r in results
                    if r["job"]["kind"] == "bidders" and r["job"]["variant"] == variant
                ],
                "best_constant": best_constant_offsets(variant, budget),
            }
        document["bidders"] = bidders
        written.append(atomic_write_text(out / "bidders.md", bidders_markdown(bidders, seeds, budget)))
    document["seconds"] = round(time.perf_counter() - start, 1)
    written.append(atomic_write_text(out / "results.json", json_text(document)))
    for path in written:
        print(path.read_text() if path.suffix == ".md" else f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
