"""Diffusion actor-critic (the paper's Alg. 3) as a Stable-Baselines3 off-policy algorithm.

Box actions (Diffusion-QL style, online):
    critic:  y = r + gamma (1 - d) min_k Q'_k(s', a'),   a' = deterministic chain of the *current* actor at s'
    actor:   L_pi = -E_z[min_k Q_k(s, a_theta(s, z))] + bc_coef * L_ddpm(s, a_buffer)
                    + bound_penalty_coef * L_bound
where a_theta(s, z) is the stochastic reverse chain (gradients flow through all T steps), L_ddpm the
usual epsilon-prediction loss on replayed actions (behaviour cloning, off by default) and
L_bound = E_z[sum_i max(|x_raw_i| - 1, 0)^2] the overflow of the chain's last step before clipping.

Discrete(n) actions (D2SAC style): pi(.|s) = softmax(logit_scale * x_0(s)), with x_0 the diffusion sample;
    critic:  y = r + gamma (1 - d) V'(s'),  V'(s') = sum_a pi(a|s') (min_k Q'_k(s', a) - alpha log pi(a|s'))
    actor:   L_pi = E_z[sum_a pi(a|s) (alpha log pi(a|s) - min_k Q_k(s, a))] + bound_penalty_coef * L_bound
    alpha:   L_alpha = log(alpha) (H(pi(.|s)) - H_target)            (when ent_coef is "auto")
"""

from __future__ import annotations

import time
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.buffers import ReplayBuffer
from stable_baselines3.common.noise import ActionNoise
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.policies import BasePolicy, ContinuousCritic
from stable_baselines3.common.type_aliases import GymEnv, MaybeCallback, Schedule
from stable_baselines3.common.utils import (
    FloatSchedule,
    get_parameters_by_name,
    polyak_update,
    update_learning_rate,
)
from torch.nn import functional as F

from agents.diffusion.arguments import DIFFUSION_ARGS, diffusion_policy_kwargs, validate_constructor_args
from agents.diffusion.policies import DiffusionActor, DiffusionPolicy, DiscreteCritic
from ioa_gym.errors import moved_attribute_error

SelfDiffusionAC = TypeVar("SelfDiffusionAC", bound="DiffusionAC")
_TRAINING_STATS = (
    "actor_loss",
    "critic_loss",
    "q_mean",
    "entropy",
    "ent_coef",
    "bc_loss",
    "bound_penalty",
    "saturated_frac",
)
"""What ``train`` collects over its gradient steps and logs as means."""


class DiffusionAC(OffPolicyAlgorithm):
    """Diffusion actor-critic: a conditional DDPM actor trained through its denoising chain, twin Q critics.

    Design choices (see the module docstring for the losses):

    - Target action: a' comes from the *current* actor (as in SAC; no target actor) run as the
      deterministic chain (x_T = 0, z = 0), i.e. without exploration noise. Only the critics have Polyak
      target copies.
    - Actor loss: through the *stochastic* chain (x_T, z ~ N(0, I)), so that every starting noise is pulled
      towards high-Q actions; the deterministic chain (x_T = 0, the mode of x_T) is one of them.
    - Bound penalty: the action is the chain's output clipped to [-1, 1]. Once the unclipped output is past
      the bound for every starting noise, the clip passes no gradient and the stochastic chain no longer
      explores: without the penalty two of six 100k-step seeds on IoA-DDA-v0 stuck at the largest step
      for good (docs/results.md). The squared overflow is zero inside the bound, so it does not bias
      actions that stay inside.
    - Exploration, in training only: the stochastic chain, plus (Box) Gaussian noise of std
      ``exploration_noise_std`` on the normalised action, plus any SB3 ``action_noise``; (Discrete) a
      sample from pi(.|s) and the entropy bonus. ``predict(obs, deterministic=True)`` is the noise-free
      chain (argmax for Discrete) and uses no random numbers; stochastic sampling uses torch's global RNG,
      seeded by SB3's ``set_random_seed``.

    Logged: ``train/actor_loss``, ``train/critic_loss``, ``train/q_mean`` (mean Q_1(s, a) over the replayed
    pairs), ``train/denoise_ms`` (wall time of the no-grad chain at s' over the batch, first gradient step
    of each ``train`` call), ``train/bc_loss`` when ``bc_coef > 0``, and for Discrete ``train/entropy``
    and ``train/ent_coef``, ``train/bound_penalty`` (L_bound) and ``train/saturated_frac`` (fraction of
    stochastic samples whose unclipped last step is past the bound).

    :param policy: the policy model (``"MlpPolicy"`` or ``DiffusionPolicy``).
    :param env: the environment (Box or Discrete actions), or its registered id.
    :param learning_rate: Adam learning rate (float or schedule of progress remaining 1 -> 0), used for
        the actor, the critics and alpha unless ``actor_lr`` / ``critic_lr`` is given.
    :param buffer_size: replay buffer size.
    :param learning_starts: number of uniformly random steps collected before learning starts.
    :param batch_size: minibatch size of each gradient step.
    :param tau: Polyak coefficient of the critic targets (target <- tau * critic + (1 - tau) * target).
    :param gamma: discount factor.
    :param train_freq: update every ``train_freq`` steps, or a tuple ``(n, "step" | "episode")``.
    :param gradient_steps: gradient steps per rollout (-1: as many as environment steps collected).
    :param action_noise: optional SB3 action noise (Box only), added to the normalised action.
    :param replay_buffer_class: replay buffer class (``None``: chosen by SB3).
    :param replay_buffer_kwargs: its keyword arguments.
    :param optimize_memory_usage: memory-efficient replay buffer variant.
    :param n_steps: n-step returns when > 1.
    :param actor_lr: learning rate of the actor (float or schedule); ``None``: ``learning_rate``.
    :param critic_lr: learning rate of the critics (float or schedule); ``None``: ``learning_rate``.
    :param n_timesteps_denoise: number of reverse diffusion steps T (>= 1).
    :param noise_schedule: ``"vp"`` (VP-SDE discretisation, default), ``"cosine"`` or ``"linear"`` (the
        latter only for large T, otherwise ``ValueError``).
    :param beta_min: b_min of the VP schedule.
    :param beta_max: b_max of the VP schedule.
    :param net_arch: hidden sizes of the epsilon network and the critics (list, or
        ``dict(pi=[...], qf=[...])``); ``None``: [256, 256], or ``policy_kwargs["net_arch"]`` if given.
    :param time_embed_dim: size of the sinusoidal time embedding (even).
    :param clip_denoised: clip each step's predicted x0 to [-1, 1].
    :param logit_scale: Discrete only: pi = softmax(logit_scale * x_0) with x_0 in [-1, 1]^n.
    :param bound_penalty_coef: weight of L_bound, the squared overflow of the unclipped last denoising step
        past [-1, 1], in the actor loss (>= 0; 0 disables it).
    :param exploration_noise_std: Box only: std of the Gaussian noise added to the normalised action in
        training rollouts (0 disables it).
    :param bc_coef: weight of the behaviour-cloning DDPM loss on replayed actions in the actor loss. 0 by
        default: online, the buffer starts with uniformly random actions and cloning them fights Q.
    :param ent_coef: Discrete only: entropy coefficient alpha, a float, or ``"auto"`` / ``"auto_<init>"``
        to tune it (initial value 1.0 or <init>) towards ``target_entropy``.
    :param target_entropy: Discrete only: entropy target when alpha is tuned; ``"auto"``: 0.5 log(n).
    :param target_update_interval: Polyak-update the critic targets every this many gradient steps.
    :param stats_window_size: window of episodes for the rollout statistics.
    :param tensorboard_log: TensorBoard log folder (``None``: no logging).
    :param policy_kwargs: further keyword arguments of ``DiffusionPolicy`` (activation_fn, n_critics,
        features extractor, optimizer...). The diffusion hyperparameters above must not be repeated here.
    :param verbose: 0 silent, 1 info, 2 debug.
    :param seed: seed of the random generators (Python, NumPy, torch, the env and the action space).
    :param device: torch device (``"auto"``, ``"cpu"``, ``"cuda"``...).
    :param _init_setup_model: whether to build the networks now.
    """

    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {"MlpPolicy": DiffusionPolicy}
    policy: DiffusionPolicy
    actor: DiffusionActor
    critic: ContinuousCritic | DiscreteCritic
    critic_target: ContinuousCritic | DiscreteCritic

    def __init__(
        self,
        policy: str | type[DiffusionPolicy],
        env: GymEnv | str,
        learning_rate: float | Schedule = 3e-4,
        buffer_size: int = 1_000_000,
        learning_starts: int = 1000,
        batch_size: int = 256,
        tau: float = 0.005,
        gamma: float = 0.99,
        train_freq: int | tuple[int, str] = 1,
        gradient_steps: int = 1,
        action_noise: ActionNoise | None = None,
        replay_buffer_class: type[ReplayBuffer] | None = None,
        replay_buffer_kwargs: dict[str, Any] | None = None,
        optimize_memory_usage: bool = False,
        n_steps: int = 1,
        actor_lr: float | Schedule | None = None,
        critic_lr: float | Schedule | None = None,
        n_timesteps_denoise: int = 5,
        noise_schedule: str = "vp",
        beta_min: float = 0.1,
        beta_max: float = 10.0,
        net_arch: list[int] | dict[str, list[int]] | None = None,
        time_embed_dim: int = 16,
        clip_denoised: bool = True,
        logit_scale: float = 3.0,
        bound_penalty_coef: float = 1.0,
        exploration_noise_std: float = 0.1,
        bc_coef: float = 0.0,
        ent_coef: str | float = "auto_0.1",
        target_entropy: str | float = "auto",
        target_update_interval: int = 1,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        policy_kwargs: dict[str, Any] | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: th.device | str = "auto",
        _init_setup_model: bool = True,
    ):
        arguments = {name: value for name, value in locals().items() if name not in ("self", "__class__")}
        validate_constructor_args(arguments)
        policy_kwargs = diffusion_policy_kwargs(
            policy_kwargs, net_arch, {name: arguments[name] for name in DIFFUSION_ARGS}
        )
        super().__init__(
            policy,
            env,
            learning_rate,
            buffer_size,
            learning_starts,
            batch_size,
            tau,
            gamma,
            train_freq,
            gradient_steps,
            action_noise,
            replay_buffer_class=replay_buffer_class,
            replay_buffer_kwargs=replay_buffer_kwargs,
            optimize_memory_usage=optimize_memory_usage,
            n_steps=n_steps,
            policy_kwargs=policy_kwargs,
            stats_window_size=stats_window_size,
            tensorboard_log=tensorboard_log,
            verbose=verbose,
            device=device,
            seed=seed,
            sde_support=False,
            supported_action_spaces=(spaces.Box, spaces.Discrete),
            support_multi_env=True,
        )
        self.actor_lr = actor_lr
        self.critic_lr = critic_lr
        self.n_timesteps_denoise = n_timesteps_denoise
        self.noise_schedule = noise_schedule
        self.exploration_noise_std = exploration_noise_std
        self.bc_coef = bc_coef
        self.bound_penalty_coef = bound_penalty_coef
        self.ent_coef = ent_coef
        self.target_entropy = target_entropy
        self.target_update_interval = target_update_interval
        self.log_ent_coef: th.Tensor | None = None
        self.ent_coef_optimizer: th.optim.Adam | None = None
        if _init_setup_model:
            self._setup_model()

    @property
    def is_discrete(self) -> bool:
        """Whether the action space is ``Discrete`` (D2SAC mode)."""
        return isinstance(self.action_space, spaces.Discrete)

    def _setup_model(self) -> None:
        super()._setup_model()
        self.actor = self.policy.actor
        self.critic = self.policy.critic
        self.critic_target = self.policy.critic_target
        self.batch_norm_stats = get_parameters_by_name(self.critic, ["running_"])
        self.batch_norm_stats_target = get_parameters_by_name(self.critic_target, ["running_"])
        self.actor_lr_schedule = FloatSchedule(self.learning_rate if self.actor_lr is None else self.actor_lr)
        self.critic_lr_schedule = FloatSchedule(
            self.learning_rate if self.critic_lr is None else self.critic_lr
        )
        update_learning_rate(self.actor.optimizer, self.actor_lr_schedule(1.0))
        update_learning_rate(self.critic.optimizer, self.critic_lr_schedule(1.0))
        self.log_ent_coef = None
        self.ent_coef_optimizer = None
        if not self.is_discrete:
            return
        n_actions = int(self.action_space.n)  # type: ignore[attr-defined]
        if self.target_entropy == "auto":
            self.target_entropy = 0.5 * float(np.log(n_actions))
        else:
            self.target_entropy = float(self.target_entropy)
        if isinstance(self.ent_coef, str):
            if not self.ent_coef.startswith("auto"):
                raise ValueError(f"ent_coef must be a float, 'auto' or 'auto_<init>', got {self.ent_coef!r}")
            init_value = float(self.ent_coef.split("_")[1]) if "_" in self.ent_coef else 1.0
            if not init_value > 0.0:
                raise ValueError(f"ent_coef initial value must be > 0, got {self.ent_coef!r}")
            self.log_ent_coef = th.log(th.full((1,), init_value, device=self.device)).requires_grad_(True)
            self.ent_coef_optimizer = th.optim.Adam([self.log_ent_coef], lr=self.lr_schedule(1))
        else:
            if float(self.ent_coef) < 0.0:
                raise ValueError(f"ent_coef must be >= 0, got {self.ent_coef}")
            self.ent_coef_tensor = th.tensor(float(self.ent_coef), device=self.device)

    def _sample_action(
        self,
        learning_starts: int,
        action_noise: ActionNoise | None = None,
        n_envs: int = 1,
    ) -> tuple[np.ndarray, np.ndarray]:
        """SB3's exploration (warm-up uniform actions, then the stochastic chain), plus Gaussian noise."""
        action, buffer_action = super()._sample_action(learning_starts, action_noise, n_envs)
        add_noise = self.exploration_noise_std > 0.0 and self.num_timesteps >= learning_starts
        if add_noise and isinstance(self.action_space, spaces.Box):
            # torch's global RNG (seeded by SB3) so that rollouts are reproducible
            noise = self.exploration_noise_std * th.randn(buffer_action.shape, dtype=th.float64).numpy()
            buffer_action = np.clip(buffer_action + noise, -1.0, 1.0).astype(buffer_action.dtype)
            action = self.policy.unscale_action(buffer_action)
        return action, buffer_action

    def _update_learning_rates(self) -> None:
        progress = self._current_progress_remaining
        self.logger.record("train/learning_rate", self.lr_schedule(progress))
        update_learning_rate(self.actor.optimizer, self.actor_lr_schedule(progress))
        update_learning_rate(self.critic.optimizer, self.critic_lr_schedule(progress))
        if self.ent_coef_optimizer is not None:
            update_learning_rate(self.ent_coef_optimizer, self.lr_schedule(progress))

    def _bc_loss(self, observations: th.Tensor, actions: th.Tensor) -> th.Tensor:
        """DDPM epsilon-prediction loss on replayed actions (one-hot in [-1, 1] for Discrete)."""
        features = self.actor.extract_features(observations, self.actor.features_extractor)
        if self.is_discrete:
            x_start = 2.0 * F.one_hot(actions.long().flatten(), self.actor.sample_dim).float() - 1.0
        else:
            x_start = actions
        step_index = th.randint(0, self.actor.n_timesteps_denoise, (x_start.shape[0],), device=x_start.device)
        noise = th.randn_like(x_start)
        x_t = self.actor.q_sample(x_start, step_index, noise)
        return F.mse_loss(self.actor.predict_noise(features, x_t, step_index), noise)

    def _timed_target_chain(self, next_observations: th.Tensor, measure: bool) -> tuple[th.Tensor, float]:
        """Deterministic chain at s' (no grad), with its wall time in ms when ``measure``."""
        if not measure:
            return self.actor.sample(next_observations, deterministic=True), float("nan")
        if self.device.type == "cuda":
            th.cuda.synchronize(self.device)
        start = time.perf_counter()
        sample = self.actor.sample(next_observations, deterministic=True)
        if self.device.type == "cuda":
            th.cuda.synchronize(self.device)
        return sample, 1e3 * (time.perf_counter() - start)

    def _set_critic_requires_grad(self, requires_grad: bool) -> None:
        for group in self.critic.optimizer.param_groups:
            for param in group["params"]:
                param.requires_grad_(requires_grad)

    def _entropy_coefficient(self) -> th.Tensor:
        """Discrete: alpha, tuned (``exp(log alpha)``, detached) or fixed."""
        if self.log_ent_coef is not None:
            return self.log_ent_coef.detach().exp()
        return self.ent_coef_tensor

    def _critic_values(
        self, replay_data: Any, ent_coef: th.Tensor | None, measure: bool
    ) -> tuple[th.Tensor, list[th.Tensor], float]:
        """The TD target (no grad), the critics' Q at the replayed pairs, and the wall time of the target
        chain in ms (``measure``)."""
        discounts = replay_data.discounts if replay_data.discounts is not None else self.gamma
        observations = replay_data.observations
        if self.is_discrete:
            with th.no_grad():
                # Probabilities at s' from the deterministic chain (mode of x_T, z = 0)
                next_logits, chain_ms = self._timed_target_chain(replay_data.next_observations, measure)
                next_log_probs = th.log_softmax(self.actor.logit_scale * next_logits, dim=1)
                next_q = th.stack(self.critic_target(replay_data.next_observations), dim=0).min(dim=0).values
                next_v = (next_log_probs.exp() * (next_q - ent_coef * next_log_probs)).sum(
                    dim=1, keepdim=True
                )
                target_q = replay_data.rewards + (1 - replay_data.dones) * discounts * next_v
            action_index = replay_data.actions.long().reshape(-1, 1)
            return target_q, [q.gather(1, action_index) for q in self.critic(observations)], chain_ms
        with th.no_grad():
            next_actions, chain_ms = self._timed_target_chain(replay_data.next_observations, measure)
            next_q = th.cat(self.critic_target(replay_data.next_observations, next_actions), dim=1)
            next_q = next_q.min(dim=1, keepdim=True).values
            target_q = replay_data.rewards + (1 - replay_data.dones) * discounts * next_q
        return target_q, list(self.critic(observations, replay_data.actions)), chain_ms

    def _critic_step(self, target_q: th.Tensor, current_q: list[th.Tensor], stats: dict[str, list]) -> None:
        critic_loss = 0.5 * sum(F.mse_loss(q, target_q) for q in current_q)
        self.critic.optimizer.zero_grad()
        critic_loss.backward()  # type: ignore[union-attr]
        self.critic.optimizer.step()
        stats["critic_loss"].append(critic_loss.detach())  # type: ignore[union-attr]
        stats["q_mean"].append(current_q[0].detach().mean())

    def _policy_loss(
        self,
        observations: th.Tensor,
        sample_pi: th.Tensor,
        ent_coef: th.Tensor | None,
        stats: dict[str, list],
    ) -> th.Tensor:
        """The actor's RL loss on its stochastic samples (discrete: the soft policy loss, with alpha's own
        update; Box: -min Q through the chain)."""
        if self.is_discrete:
            log_probs = th.log_softmax(self.actor.logit_scale * sample_pi, dim=1)
            probs = log_probs.exp()
            with th.no_grad():
                min_q = th.stack(self.critic(observations), dim=0).min(dim=0).values
            actor_loss = (probs * (ent_coef * log_probs - min_q)).sum(dim=1).mean()
            entropy = -(probs.detach() * log_probs.detach()).sum(dim=1).mean()
            stats["entropy"].append(entropy)
            if self.ent_coef_optimizer is not None and self.log_ent_coef is not None:
                ent_coef_loss = self.log_ent_coef * (entropy - self.target_entropy)
                self.ent_coef_optimizer.zero_grad()
                ent_coef_loss.backward()
                self.ent_coef_optimizer.step()
            stats["ent_coef"].append(ent_coef)
            return actor_loss
        # Only dQ/da is needed: skip the critic's weight gradients (a third of its backward pass)
        self._set_critic_requires_grad(False)
        q_pi = th.cat(self.critic(observations, sample_pi), dim=1).min(dim=1, keepdim=True).values
        return -q_pi.mean()

    def _actor_step(self, replay_data: Any, ent_coef: th.Tensor | None, stats: dict[str, list]) -> None:
        """One gradient step of the actor: the RL loss, behaviour cloning and the bound penalty."""
        observations = replay_data.observations
        features = self.actor.extract_features(observations, self.actor.features_extractor)
        sample_pi, sample_raw = self.actor.sample_with_raw(features, deterministic=False)
        actor_loss = self._policy_loss(observations, sample_pi, ent_coef, stats)
        if self.bc_coef > 0.0:
            bc_loss = self._bc_loss(observations, replay_data.actions)
            stats["bc_loss"].append(bc_loss.detach())
            actor_loss = actor_loss + self.bc_coef * bc_loss
        bound_penalty = self.actor.bound_penalty(sample_raw)
        if self.bound_penalty_coef > 0.0:
            actor_loss = actor_loss + self.bound_penalty_coef * bound_penalty
        stats["bound_penalty"].append(bound_penalty.detach())
        stats["saturated_frac"].append((sample_raw.detach().abs() > 1.0).float().mean())
        self.actor.optimizer.zero_grad()
        actor_loss.backward()
        self.actor.optimizer.step()
        stats["actor_loss"].append(actor_loss.detach())
        self._set_critic_requires_grad(True)

    def _record_training(self, stats: dict[str, list], denoise_ms: float) -> None:
        """The means over this call's gradient steps: one device->host transfer each, not one per step."""
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/actor_loss", th.stack(stats["actor_loss"]).mean().item())
        self.logger.record("train/critic_loss", th.stack(stats["critic_loss"]).mean().item())
        self.logger.record("train/q_mean", th.stack(stats["q_mean"]).mean().item())
        self.logger.record("train/denoise_ms", denoise_ms)
        self.logger.record("train/bound_penalty", th.stack(stats["bound_penalty"]).mean().item())
        self.logger.record("train/saturated_frac", th.stack(stats["saturated_frac"]).mean().item())
        if stats["bc_loss"]:
            self.logger.record("train/bc_loss", th.stack(stats["bc_loss"]).mean().item())
        if self.is_discrete:
            self.logger.record("train/entropy", th.stack(stats["entropy"]).mean().item())
            self.logger.record("train/ent_coef", th.stack(stats["ent_coef"]).mean().item())

    def train(self, gradient_steps: int, batch_size: int = 64) -> None:
        self.policy.set_training_mode(True)
        self._update_learning_rates()
        stats: dict[str, list] = {name: [] for name in _TRAINING_STATS}
        denoise_ms = float("nan")
        for gradient_step in range(gradient_steps):
            replay_data = self.replay_buffer.sample(batch_size, env=self._vec_normalize_env)  # type: ignore[union-attr]
            ent_coef = self._entropy_coefficient() if self.is_discrete else None
            target_q, current_q, chain_ms = self._critic_values(replay_data, ent_coef, gradient_step == 0)
            if gradient_step == 0:
                denoise_ms = chain_ms
            self._critic_step(target_q, current_q, stats)
            self._actor_step(replay_data, ent_coef, stats)
            if gradient_step % self.target_update_interval == 0:
                polyak_update(self.critic.parameters(), self.critic_target.parameters(), self.tau)
                polyak_update(self.batch_norm_stats, self.batch_norm_stats_target, 1.0)
        self._n_updates += gradient_steps
        self._record_training(stats, denoise_ms)

    def learn(
        self: SelfDiffusionAC,
        total_timesteps: int,
        callback: MaybeCallback = None,
        log_interval: int = 4,
        tb_log_name: str = "DiffusionAC",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> SelfDiffusionAC:
        return super().learn(
            total_timesteps=total_timesteps,
            callback=callback,
            log_interval=log_interval,
            tb_log_name=tb_log_name,
            reset_num_timesteps=reset_num_timesteps,
            progress_bar=progress_bar,
        )

    def _excluded_save_params(self) -> list[str]:
        return [*super()._excluded_save_params(), "actor", "critic", "critic_target"]

    def _get_torch_save_params(self) -> tuple[list[str], list[str]]:
        state_dicts = ["policy", "actor.optimizer", "critic.optimizer"]
        if self.ent_coef_optimizer is not None:
            return [*state_dicts, "ent_coef_optimizer"], ["log_ent_coef"]
        if self.is_discrete:
            return state_dicts, ["ent_coef_tensor"]
        return state_dicts, []


def __getattr__(name: str) -> object:
    raise moved_attribute_error(
        __name__, name, {"validate_agent_args": "agents.diffusion.arguments.validate_agent_args"}, "0.2.0"
    )
