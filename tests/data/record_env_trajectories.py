"""Record trajectories of IoA-DDA-v0, IoA-DDA-Discrete-v0 and IoA-Stackelberg-v0 for
tests/test_tier1_compiled.py (fixed seeds, actions from a seeded generator, resets after episode ends).

Made at commit 069598f, before the compiled Tier-1 core, from a checkout of that commit::

    git worktree add /tmp/base 069598f
    cd /tmp/base && PYTHONPATH=/tmp/base python /path/to/tests/data/record_env_trajectories.py OUT.npz

The test replays the same seeds and actions; keep both in step if either changes.
"""

import sys

import gymnasium as gym
import numpy as np

import ioa_gym  # noqa: F401  (registers the envs)


def record(env_id: str, seeds: list[int], steps: int, tag: str, out: dict) -> None:
    env = gym.make(env_id)
    action_rng = np.random.default_rng(12345)
    obs_l, reward_l, terminated_l, truncated_l = [], [], [], []
    for seed in seeds:
        obs, _ = env.reset(seed=seed)
        obs_l.append(obs)
        reward_l.append(np.nan)
        terminated_l.append(False)
        truncated_l.append(False)
        for _ in range(steps):
            if isinstance(env.action_space, gym.spaces.Discrete):
                action = int(action_rng.integers(env.action_space.n))
            else:
                action = action_rng.uniform(-1, 1, env.action_space.shape).astype(np.float32)
            obs, reward, terminated, truncated, _ = env.step(action)
            obs_l.append(obs)
            reward_l.append(reward)
            terminated_l.append(terminated)
            truncated_l.append(truncated)
            if terminated or truncated:
                obs, _ = env.reset()
                obs_l.append(obs)
                reward_l.append(np.nan)
                terminated_l.append(False)
                truncated_l.append(False)
    out[f"{tag}_obs"] = np.array(obs_l)
    out[f"{tag}_reward"] = np.array(reward_l)
    out[f"{tag}_terminated"] = np.array(terminated_l)
    out[f"{tag}_truncated"] = np.array(truncated_l)


if __name__ == "__main__":
    out: dict = {}
    record("IoA-DDA-v0", [0, 1, 2], 400, "dda", out)
    record("IoA-DDA-Discrete-v0", [3, 4], 300, "dda_discrete", out)
    record("IoA-Stackelberg-v0", [5, 6], 60, "stackelberg", out)
    np.savez_compressed(sys.argv[1], **out)
