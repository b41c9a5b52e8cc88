"""Sanity check that DiffusionAC learns: mean return of the deterministic policy after training, against a
uniformly random policy (and optionally SB3's SAC with the same budget).

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
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.monitor import Monitor

from agents.diffusion import DiffusionAC  # noqa: E402


def random_policy_return(env_id: str, episodes: int, seed: int) -> float:
    """Mean undiscounted return of uniformly random actions."""
    env = gym.make(env_id)
    env.action_space.seed(seed)
    returns = []
    for episode in range(episodes):
        env.reset(seed=seed + episode)
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    return float(np.mean(returns))


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

    baseline = random_policy_return(args.env, args.eval_episodes, seed=10_000)
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
        eval_env = Monitor(gym.make(args.env))
        eval_env.reset(seed=20_000 + seed)
        mean_return, std_return = evaluate_policy(model, eval_env, args.eval_episodes, deterministic=True)
        results.append({"seed": seed, "mean_return": float(mean_return), "std_return": float(std_return)})
        print(
            f"{args.algo} seed={seed} steps={args.steps}: deterministic mean return {mean_return:.1f} "
            f"+/- {std_return:.1f} (train {train_s:.0f} s)",
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
