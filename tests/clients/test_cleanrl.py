"""CleanRL-style loops as a client: a hand-written PPO rollout and update, as CleanRL's single-file scripts
write them for Gymnasium 1.x, over ``gym.vector.SyncVectorEnv`` of ``RecordEpisodeStatistics``-wrapped envs
and over the native vector env from ``gym.make_vec`` with the vector ``RecordEpisodeStatistics``.

Both vector envs autoreset in Gymnasium's next-step mode (the default; the native env takes
``autoreset_mode=``): the step after an episode ends only resets that
sub-env (reward 0), which a CleanRL loop masks out. The returns the wrappers record must equal the rewards the
loop summed itself.

Needs only Gymnasium, NumPy and torch (dependencies of the project), so it runs everywhere.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from torch import nn
from torch.distributions import Normal

import ioa_gym  # noqa: F401  (registers the environments)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

NUM_ENVS = 4
NUM_STEPS = 128


def make_env(env_id: str):
    def thunk() -> gym.Env:
        env = gym.make(env_id)
        env = gym.wrappers.RecordEpisodeStatistics(env)
        return gym.wrappers.ClipAction(env)

    return thunk


class Agent(nn.Module):
    def __init__(self, envs: gym.vector.VectorEnv) -> None:
        super().__init__()
        observations = int(np.prod(envs.single_observation_space.shape))
        actions = int(np.prod(envs.single_action_space.shape))
        self.critic = nn.Sequential(nn.Linear(observations, 32), nn.Tanh(), nn.Linear(32, 1))
        self.actor_mean = nn.Sequential(nn.Linear(observations, 32), nn.Tanh(), nn.Linear(32, actions))
        self.actor_logstd = nn.Parameter(torch.zeros(1, actions))

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(x)

    def get_action_and_value(self, x: torch.Tensor, action: torch.Tensor | None = None):
        mean = self.actor_mean(x)
        probs = Normal(mean, self.actor_logstd.expand_as(mean).exp())
        if action is None:
            action = probs.sample()
        return action, probs.log_prob(action).sum(1), probs.entropy().sum(1), self.critic(x)


def vector_env(kind: str) -> gym.vector.VectorEnv:
    if kind == "SyncVectorEnv":
        return gym.vector.SyncVectorEnv([make_env("IoA-DDA-v0") for _ in range(NUM_ENVS)])
    envs = gym.make_vec("IoA-DDA-v0", num_envs=NUM_ENVS, vectorization_mode="vector_entry_point")
    return gym.wrappers.vector.RecordEpisodeStatistics(envs)


@pytest.mark.parametrize("kind", ["SyncVectorEnv", "make_vec-native"])
def test_cleanrl_style_ppo_loop(kind: str) -> None:
    torch.manual_seed(0)
    envs = vector_env(kind)
    agent = Agent(envs)
    optimizer = torch.optim.Adam(agent.parameters(), lr=3e-4, eps=1e-5)
    shape = (NUM_STEPS, NUM_ENVS)
    obs = torch.zeros(shape + envs.single_observation_space.shape)
    actions = torch.zeros(shape + envs.single_action_space.shape)
    logprobs, rewards, values, valid, dones = (torch.zeros(shape) for _ in range(5))
    next_obs, _ = envs.reset(seed=0)
    next_obs = torch.as_tensor(next_obs, dtype=torch.float32)
    resetting = np.zeros(NUM_ENVS, dtype=bool)  # next-step autoreset: this step only resets those sub-envs
    running = np.zeros(NUM_ENVS)
    summed, recorded = [], []
    for step in range(NUM_STEPS):
        obs[step] = next_obs
        with torch.no_grad():
            action, logprob, _, value = agent.get_action_and_value(next_obs)
        actions[step], logprobs[step], values[step] = action, logprob, value.flatten()
        next_obs, reward, terminations, truncations, infos = envs.step(action.numpy())
        valid[step] = torch.as_tensor(~resetting, dtype=torch.float32)
        rewards[step] = torch.as_tensor(reward, dtype=torch.float32)
        assert np.all(reward[resetting] == 0.0)
        running += np.where(resetting, 0.0, reward)
        done = terminations | truncations
        dones[step] = torch.as_tensor(done, dtype=torch.float32)
        for i in np.flatnonzero(done):
            summed.append(running[i])
            running[i] = 0.0
        if "episode" in infos:
            recorded.extend(infos["episode"]["r"][infos["_episode"]].tolist())
        resetting = done
        next_obs = torch.as_tensor(next_obs, dtype=torch.float32)
    assert len(summed) > 0, f"no episode ended in {NUM_STEPS} steps"
    np.testing.assert_allclose(recorded, summed, rtol=1e-5)

    # One PPO epoch over the batch, reset steps masked out (advantages: undiscounted returns to the end of
    # each episode, minus the values).
    with torch.no_grad():
        returns = torch.zeros(shape)
        later = torch.zeros(NUM_ENVS)
        for step in reversed(range(NUM_STEPS)):
            later = rewards[step] * valid[step] + (1.0 - dones[step]) * later
            returns[step] = later
        advantages = returns - values
    _, newlogprob, entropy, newvalue = agent.get_action_and_value(
        obs.reshape(-1, obs.shape[-1]), actions.reshape(-1, actions.shape[-1])
    )
    mask = valid.reshape(-1)
    ratio = (newlogprob - logprobs.reshape(-1)).exp()
    pg_loss = -(
        torch.min(ratio * advantages.reshape(-1), ratio.clamp(0.8, 1.2) * advantages.reshape(-1)) * mask
    )
    v_loss = ((newvalue.flatten() - returns.reshape(-1)) ** 2 * mask).sum() / mask.sum()
    loss = pg_loss.sum() / mask.sum() + 0.5 * v_loss - 0.01 * (entropy * mask).sum() / mask.sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    assert torch.isfinite(loss)
    envs.close()
