"""DiffusionAC on one device: predict latency against the number of denoising steps T, and training
throughput (gradient steps per second at batch 256), with SB3's SAC as a reference.

By default it uses a shape-only environment with the auctioneer's sizes (15-dim observation, 2-dim action,
no dynamics worth learning), so that it measures the networks and nothing else; ``--env`` takes a
Gymnasium id instead. ``--device cuda`` falls back to the CPU, saying so, when CUDA is absent. Every
measurement is bounded in time (``--seconds-per-point``), so the whole script takes about a minute.

    python benchmarks/bench_diffusion_device.py --device auto --out results/bench_diffusion_device.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3 import SAC

from agents.diffusion import DiffusionAC  # noqa: E402

T_VALUES = (1, 2, 5, 10, 20)


class ShapeOnlyEnv(gym.Env):
    """Random observations of a fixed size; zero reward; episodes of ``episode_length`` steps.

    :param obs_dim: observation size.
    :param action_dim: action size (Box(-1, 1)).
    :param episode_length: steps per episode.
    """

    def __init__(self, obs_dim: int = 15, action_dim: int = 2, episode_length: int = 100):
        self.observation_space = spaces.Box(-1.0, 1.0, (obs_dim,), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, (action_dim,), dtype=np.float32)
        self.episode_length = episode_length
        self._steps = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self._steps = 0
        return self.np_random.uniform(-1, 1, self.observation_space.shape).astype(np.float32), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        self._steps += 1
        obs = self.np_random.uniform(-1, 1, self.observation_space.shape).astype(np.float32)
        return obs, 0.0, False, self._steps >= self.episode_length, {}


def resolve_device(requested: str) -> tuple[th.device, str]:
    """The device to use and a note when the request could not be met."""
    if requested == "auto":
        return th.device("cuda" if th.cuda.is_available() else "cpu"), ""
    if requested.startswith("cuda") and not th.cuda.is_available():
        return th.device("cpu"), f"CUDA requested but not available (torch {th.__version__}): using the CPU"
    return th.device(requested), ""


def synchronize(device: th.device) -> None:
    if device.type == "cuda":
        th.cuda.synchronize(device)


def time_per_call(
    fn: Callable[[], object], device: th.device, seconds: float, max_calls: int
) -> tuple[float, int]:
    """Mean wall time (s) of ``fn`` over up to ``max_calls`` calls or ``seconds``, after two warm-up calls."""
    for _ in range(2):
        fn()
    synchronize(device)
    calls, start = 0, time.perf_counter()
    while calls < max_calls and time.perf_counter() - start < seconds:
        fn()
        calls += 1
    synchronize(device)
    return (time.perf_counter() - start) / calls, calls


def measure(model: SAC | DiffusionAC, device: th.device, batch_size: int, budget: float) -> dict:
    """Predict latency (1 observation and a batch) and gradient steps per second of one model."""
    single_obs = model.observation_space.sample()
    batch_obs = np.stack([model.observation_space.sample() for _ in range(batch_size)])
    predict_s, _ = time_per_call(
        lambda: model.predict(single_obs, deterministic=True), device, budget / 2, 2000
    )
    batch_s, _ = time_per_call(lambda: model.predict(batch_obs, deterministic=True), device, budget / 2, 2000)
    train_s, steps = time_per_call(lambda: model.train(1, batch_size), device, budget, 5000)
    return {
        "predict_ms": 1e3 * predict_s,
        "predict_batch_ms": 1e3 * batch_s,
        "grad_steps_per_s": 1.0 / train_s,
        "grad_steps_timed": steps,
    }


def make_env(env_id: str | None) -> gym.Env:
    return ShapeOnlyEnv() if env_id is None else gym.make(env_id)


def build(algo: str, env_id: str | None, device: th.device, n_steps: int, batch_size: int, fill: int):
    """A model whose replay buffer holds ``fill`` transitions of random actions (no training yet)."""
    common = dict(
        batch_size=batch_size, learning_starts=fill, buffer_size=max(fill, 10_000), device=device, seed=0
    )
    if algo == "sac":
        model = SAC("MlpPolicy", make_env(env_id), **common)
    else:
        model = DiffusionAC("MlpPolicy", make_env(env_id), n_timesteps_denoise=n_steps, **common)
    model.learn(fill)  # warm-up only: fills the buffer and sets the logger
    return model


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto")
    parser.add_argument(
        "--env", default=None, help="Gymnasium id (default: 15-dim obs / 2-dim action shapes)"
    )
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--t-values", type=int, nargs="+", default=list(T_VALUES))
    parser.add_argument("--seconds-per-point", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--out", type=Path, default=Path("results/bench_diffusion_device.json"))
    args = parser.parse_args()
    if args.threads > 0:
        th.set_num_threads(args.threads)
    device, note = resolve_device(args.device)
    if note:
        print(note, flush=True)
    device_name = th.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    print(
        f"device={device} ({device_name}), torch {th.__version__}, threads={th.get_num_threads()}", flush=True
    )
    budget = args.seconds_per_point
    fill = max(2 * args.batch_size, 1000)

    rows = []
    for algo, n_steps in [("sac", 0), *[("diffusion", t) for t in args.t_values]]:
        model = build(algo, args.env, device, n_steps, args.batch_size, fill)
        row = {"algo": algo, "T": n_steps, **measure(model, device, args.batch_size, budget)}
        if algo == "diffusion":
            row["denoise_ms"] = float(model.logger.name_to_value.get("train/denoise_ms", float("nan")))
        rows.append(row)
        print(
            f"{algo:9s} T={n_steps:2d}  predict {row['predict_ms']:7.3f} ms (1 obs)  "
            f"{row['predict_batch_ms']:7.3f} ms ({args.batch_size} obs)  "
            f"train {row['grad_steps_per_s']:8.1f} grad steps/s",
            flush=True,
        )

    print(
        f"\n{'algo':9s} {'T':>3s} {'predict ms':>11s} {'batch ms':>9s} {'grad steps/s':>13s} {'vs SAC':>7s}"
    )
    sac_rate = rows[0]["grad_steps_per_s"]
    for row in rows:
        print(
            f"{row['algo']:9s} {row['T']:3d} {row['predict_ms']:11.3f} {row['predict_batch_ms']:9.3f} "
            f"{row['grad_steps_per_s']:13.1f} {row['grad_steps_per_s'] / sac_rate:7.2f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "device": str(device),
        "device_name": device_name,
        "note": note,
        "torch": th.__version__,
        "threads": th.get_num_threads(),
        "batch_size": args.batch_size,
        "env": args.env or "ShapeOnlyEnv(obs_dim=15, action_dim=2)",
        "rows": rows,
    }
    args.out.write_text(json.dumps(payload, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
