"""Sanity check that DiffusionAC learns: mean return of the deterministic policy after training, against a
uniformly random policy (and optionally SB3's SAC with the same budget), all on the same episodes of the
evaluation harness (evaluation seed 0).

    python benchmarks/diffusion_learning_check.py --env Pendulum-v1 --steps 6000 --seeds 0 1
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch as th
from stable_baselines3 import SAC

from agents.baselines import RandomAgent
from agents.diffusion import DiffusionAC
from agents.evaluation.harness import run_episode

EVAL_SEED = 0
"""Evaluation seed of every policy's episodes (the same episodes for the random policy and each run)."""


def mean_return(env_id: str, agent: object, seed: int, episodes: int) -> tuple[float, float]:
    """Mean and std of the return over episodes 0 .. episodes - 1 of evaluation seed ``seed``, played by the
    evaluation harness (the seed rule of ioa_gym.analysis.seeding, the agent seeded per episode)."""
    env = gym.make(env_id)
    returns = [run_episode(env, agent, seed, episode)["return"] for episode in range(episodes)]
    return float(np.mean(returns)), float(np.std(returns))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--env", default="Pendulum-v1")
    parser.add_argument("--steps", type=int, default=6000, help="training environment steps")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--eval-episodes", type=int, default=10)
    parser.add_argument("--algo", choices=["diffusion", "sac"], default="diffusion")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--kwargs", type=json.loads, default={}, help="JSON dict of extra constructor args")
    parser.add_argument("--out", type=Path, default=None, help="optional JSON output path")
    args = parser.parse_args()
    th.set_num_threads(args.threads)

    baseline, _ = mean_return(args.env, RandomAgent(gym.make(args.env)), EVAL_SEED, args.eval_episodes)
    print(f"{args.env}: random policy mean return {baseline:.1f}", flush=True)
    results = []
    for seed in args.seeds:
        start = time.perf_counter()
        if args.algo == "sac":
            model = SAC("MlpPolicy", args.env, seed=seed, device="cpu", **args.kwargs)
        else:
            model = DiffusionAC("MlpPolicy", args.env, seed=seed, device="cpu", **args.kwargs)
        model.learn(args.steps)
        train_s = time.perf_counter() - start
        mean, std = mean_return(args.env, model, EVAL_SEED, args.eval_episodes)
        results.append({"seed": seed, "mean_return": mean, "std_return": std})
        print(
            f"{args.algo} seed={seed} steps={args.steps}: deterministic mean return {mean:.1f} "
            f"+/- {std:.1f} (train {train_s:.0f} s)",
            flush=True,
        )
    overall = float(np.mean([r["mean_return"] for r in results]))
    print(f"{args.algo} mean over seeds {overall:.1f} vs random {baseline:.1f}")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        payload = {"env": args.env, "algo": args.algo, "steps": args.steps, "random_return": baseline}
        payload.update(kwargs=args.kwargs, runs=results, mean_return=overall)
        args.out.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
