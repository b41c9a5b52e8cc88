"""Training throughput of DiffusionAC against SB3's SAC on the same environment, in the same process.

Both algorithms use their default hyperparameters except for the shared ``--learning-starts`` and net
sizes ([256, 256] unless ``--net-arch`` is given). Reported: environment steps per second over the whole
run and over the learning phase only (after the warm-up of uniformly random actions), and the ratio
DiffusionAC / SAC. Runs are interleaved over ``--repeats`` to share any load on the machine fairly.

    python benchmarks/bench_diffusion_vs_sac.py --env Pendulum-v1 --steps 3000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch as th
from stable_baselines3 import SAC
from stable_baselines3.common.callbacks import BaseCallback

from agents.diffusion import DiffusionAC  # noqa: E402


class LearningPhaseClock(BaseCallback):
    """Records the wall time at which ``num_timesteps`` reaches ``learning_starts``."""

    def __init__(self, learning_starts: int):
        super().__init__()
        self.learning_starts = learning_starts
        self.learning_start_time: float | None = None

    def _on_step(self) -> bool:
        if self.learning_start_time is None and self.num_timesteps >= self.learning_starts:
            self.learning_start_time = time.perf_counter()
        return True


def run_once(
    algo: str, env_id: str, steps: int, learning_starts: int, net_arch: list[int], seed: int
) -> dict:
    """Train one algorithm for ``steps`` environment steps and return its throughput figures."""
    common = dict(learning_starts=learning_starts, seed=seed, device="cpu", verbose=0)
    if algo == "sac":
        model = SAC("MlpPolicy", env_id, policy_kwargs=dict(net_arch=net_arch), **common)
    else:
        model = DiffusionAC("MlpPolicy", env_id, net_arch=net_arch, **common)
    clock = LearningPhaseClock(learning_starts)
    start = time.perf_counter()
    model.learn(steps, callback=clock)
    end = time.perf_counter()
    learn_phase = end - (clock.learning_start_time or start)
    return {
        "steps_per_s": steps / (end - start),
        "learning_steps_per_s": (steps - learning_starts) / learn_phase if learn_phase > 0 else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--env", default="Pendulum-v1", help="Gymnasium id (e.g. IoA-DDA-v0 once registered)")
    parser.add_argument("--steps", type=int, default=3000, help="environment steps per run")
    parser.add_argument("--learning-starts", type=int, default=1000, help="warm-up steps, both algorithms")
    parser.add_argument("--net-arch", type=int, nargs="+", default=[256, 256], help="hidden sizes, both")
    parser.add_argument("--repeats", type=int, default=1, help="interleaved runs per algorithm")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--import", dest="imports", nargs="*", default=[], help="modules that register envs")
    parser.add_argument("--out", type=Path, default=None, help="optional JSON output path")
    args = parser.parse_args()
    for module in args.imports:
        __import__(module)
    if args.threads > 0:
        th.set_num_threads(args.threads)

    results: dict[str, list[dict]] = {"sac": [], "diffusion": []}
    for repeat in range(args.repeats):
        for algo in ("sac", "diffusion"):
            figures = run_once(
                algo, args.env, args.steps, args.learning_starts, args.net_arch, args.seed + repeat
            )
            results[algo].append(figures)
            print(
                f"[{repeat}] {algo:9s} {figures['steps_per_s']:8.1f} steps/s overall, "
                f"{figures['learning_steps_per_s']:8.1f} steps/s while learning",
                flush=True,
            )
    summary = {
        algo: {key: float(np.median([run[key] for run in runs])) for key in runs[0]}
        for algo, runs in results.items()
    }
    ratio_overall = summary["diffusion"]["steps_per_s"] / summary["sac"]["steps_per_s"]
    ratio_learning = summary["diffusion"]["learning_steps_per_s"] / summary["sac"]["learning_steps_per_s"]
    threads = th.get_num_threads()
    print(f"env={args.env} steps={args.steps} learning_starts={args.learning_starts} threads={threads}")
    print(f"{'':10s} {'overall':>10s} {'learning':>10s}  (median env steps/s)")
    for algo, figures in summary.items():
        print(f"{algo:10s} {figures['steps_per_s']:10.1f} {figures['learning_steps_per_s']:10.1f}")
    print(f"{'ratio':10s} {ratio_overall:10.3f} {ratio_learning:10.3f}  (DiffusionAC / SAC; target >= 0.333)")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        payload = {"args": {k: str(v) for k, v in vars(args).items()}, "runs": results, "summary": summary}
        payload["ratio"] = {"overall": ratio_overall, "learning": ratio_learning}
        args.out.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
