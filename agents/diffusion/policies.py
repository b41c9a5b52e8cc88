"""Networks and noise schedules of the diffusion actor-critic.

The actor is a conditional DDPM (Ho et al. 2020) over actions in the normalised space [-1, 1]^d (or over
a logit vector in [-1, 1]^n for a ``Discrete(n)`` space, D2SAC style). An epsilon-prediction MLP,
conditioned on the observation features and a sinusoidal time embedding, is run for T reverse steps:

    x0_hat  = sqrt(1/abar_t) x_t - sqrt(1/abar_t - 1) eps(x_t, t, s)          (optionally clipped to [-1, 1])
    x_{t-1} = c1_t x0_hat + c2_t x_t + sigma_t z,   z ~ N(0, I) when sampling stochastically, else z = 0

with the posterior coefficients c1_t = beta_t sqrt(abar_{t-1}) / (1 - abar_t),
c2_t = (1 - abar_{t-1}) sqrt(alpha_t) / (1 - abar_t) and sigma_t^2 = beta_t (1 - abar_{t-1}) / (1 - abar_t).
The final x_0, clipped to [-1, 1], is the action (or the logits). Beyond the bound the clip passes no
gradient; ``DiffusionActor.bound_penalty`` on the unclipped last step lets the actor loss pull it back.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.policies import BaseModel, BasePolicy, ContinuousCritic
from stable_baselines3.common.preprocessing import get_action_dim
from stable_baselines3.common.torch_layers import (
    BaseFeaturesExtractor,
    FlattenExtractor,
    create_mlp,
    get_actor_critic_arch,
)
from stable_baselines3.common.type_aliases import PyTorchObs, Schedule
from torch import nn

from agents.common.checks import POSITIVE, Range, check_range

NOISE_SCHEDULES = ("vp", "cosine", "linear")
# The diffusion hyperparameters, passed by name from DiffusionAC to DiffusionPolicy to DiffusionActor.
DIFFUSION_ARGS = (
    "n_timesteps_denoise",
    "noise_schedule",
    "beta_min",
    "beta_max",
    "time_embed_dim",
    "clip_denoised",
    "logit_scale",
)
# The linear schedule uses the DDPM range; it is only accepted when the chain ends close to pure noise.
LINEAR_BETA_START = 1e-4
LINEAR_BETA_END = 2e-2
LINEAR_MAX_FINAL_ALPHA_BAR = 0.05
COSINE_OFFSET = 0.008
COSINE_MAX_BETA = 0.999


def validate_diffusion_args(
    n_timesteps_denoise: int,
    noise_schedule: str,
    beta_min: float = 0.1,
    beta_max: float = 10.0,
    time_embed_dim: int = 16,
    logit_scale: float = 3.0,
) -> None:
    """Fail early, naming the argument and its allowed range, on invalid diffusion hyperparameters.

    :param n_timesteps_denoise: number of reverse (denoising) steps T, an integer >= 1.
    :param noise_schedule: one of ``NOISE_SCHEDULES``.
    :param beta_min: VP-SDE beta_min, > 0.
    :param beta_max: VP-SDE beta_max, > beta_min.
    :param time_embed_dim: size of the sinusoidal time embedding, an even integer >= 2.
    :param logit_scale: factor applied to the diffusion sample before the softmax (Discrete), > 0.
    """
    if isinstance(n_timesteps_denoise, bool) or not isinstance(n_timesteps_denoise, (int, np.integer)):
        raise ValueError(f"n_timesteps_denoise must be an integer >= 1, got {n_timesteps_denoise!r}")
    if n_timesteps_denoise < 1:
        raise ValueError(f"n_timesteps_denoise must be >= 1, got {n_timesteps_denoise}")
    if noise_schedule not in NOISE_SCHEDULES:
        raise ValueError(f"noise_schedule must be one of {NOISE_SCHEDULES}, got {noise_schedule!r}")
    check_range("beta_min", beta_min, POSITIVE)
    if not Range().contains(beta_max) or not beta_max > beta_min:
        raise ValueError(f"beta_max must be a number > beta_min={beta_min}, got {beta_max!r}")
    if not Range(2, integer=True).contains(time_embed_dim) or time_embed_dim % 2 != 0:
        raise ValueError(f"time_embed_dim must be an even integer >= 2, got {time_embed_dim!r}")
    check_range("logit_scale", logit_scale, POSITIVE)


def make_noise_schedule(
    noise_schedule: str,
    n_timesteps_denoise: int,
    beta_min: float = 0.1,
    beta_max: float = 10.0,
) -> np.ndarray:
    """Forward-process variances beta_1..beta_T (float64, shape (T,)).

    - ``"vp"``: discretised VP-SDE, beta_t = 1 - exp(-b_min/T - (b_max - b_min)(2t - 1)/(2 T^2)), as in
      Diffusion-QL; abar_T = exp(-(b_min + b_max)/2) whatever T (0.0064 with the defaults).
    - ``"cosine"``: Nichol & Dhariwal (2021), abar(t) = cos^2(((t/T + s)/(1 + s)) pi/2) with s = 0.008,
      beta clipped at 0.999.
    - ``"linear"``: DDPM, beta linear from 1e-4 to 0.02. At small T it barely adds noise, so it raises
      ``ValueError`` unless abar_T <= 0.05 (T of about 300 or more).

    :param noise_schedule: ``"vp"``, ``"cosine"`` or ``"linear"``.
    :param n_timesteps_denoise: number of diffusion steps T >= 1.
    :param beta_min: b_min of the VP schedule (ignored by the others).
    :param beta_max: b_max of the VP schedule (ignored by the others).
    :return: the betas, each in (0, 1).
    """
    validate_diffusion_args(n_timesteps_denoise, noise_schedule, beta_min, beta_max)
    n_steps = int(n_timesteps_denoise)
    t = np.arange(1, n_steps + 1, dtype=np.float64)
    if noise_schedule == "vp":
        alphas = np.exp(-beta_min / n_steps - 0.5 * (beta_max - beta_min) * (2.0 * t - 1.0) / n_steps**2)
        betas = 1.0 - alphas
    elif noise_schedule == "cosine":
        grid = np.arange(n_steps + 1, dtype=np.float64) / n_steps
        alpha_bar = np.cos((grid + COSINE_OFFSET) / (1.0 + COSINE_OFFSET) * math.pi / 2.0) ** 2
        betas = np.clip(1.0 - alpha_bar[1:] / alpha_bar[:-1], 1e-8, COSINE_MAX_BETA)
    else:
        betas = np.linspace(LINEAR_BETA_START, LINEAR_BETA_END, n_steps, dtype=np.float64)
        final_alpha_bar = float(np.prod(1.0 - betas))
        if final_alpha_bar > LINEAR_MAX_FINAL_ALPHA_BAR:
            raise ValueError(
                f"noise_schedule='linear' with n_timesteps_denoise={n_steps} ends at alpha_bar_T="
                f"{final_alpha_bar:.3g} > {LINEAR_MAX_FINAL_ALPHA_BAR}: x_T would be far from N(0, I); "
                "use 'vp' or 'cosine', or a larger n_timesteps_denoise"
            )
    return betas


class SinusoidalTimeEmbedding(nn.Module):
    """Transformer-style sinusoidal embedding of an integer diffusion step.

    :param embed_dim: output size (even).
    """

    def __init__(self, embed_dim: int):
        super().__init__()
        half = embed_dim // 2
        freqs = th.exp(-math.log(10_000.0) * th.arange(half, dtype=th.float32) / max(half - 1, 1))
        self.register_buffer("freqs", freqs, persistent=False)

    def forward(self, timesteps: th.Tensor) -> th.Tensor:
        angles = timesteps.float().unsqueeze(-1) * self.freqs
        return th.cat([angles.sin(), angles.cos()], dim=-1)


class DiffusionActor(BasePolicy):
    """Conditional DDPM actor: T reverse steps of an epsilon-prediction MLP.

    The MLP is eps(x_t, t, s) = body(act(W_s s + W_x x_t + W_t tau(t) + b)), i.e. a plain MLP on the
    concatenation [s, x_t, tau(t)]; its first layer is split so that the observation and time terms are
    computed once per chain instead of once per step. tau is a small MLP on the sinusoidal embedding.

    :param observation_space: observation space.
    :param action_space: ``Box`` (the sample is the normalised action) or ``Discrete(n)`` (the sample is a
        logit vector of size n).
    :param net_arch: hidden sizes of the epsilon network (at least one layer).
    :param features_extractor: network turning observations into features.
    :param features_dim: number of features.
    :param activation_fn: activation of the epsilon and time networks.
    :param n_timesteps_denoise: number of reverse steps T.
    :param noise_schedule: ``"vp"``, ``"cosine"`` or ``"linear"`` (see ``make_noise_schedule``).
    :param beta_min: b_min of the VP schedule.
    :param beta_max: b_max of the VP schedule.
    :param time_embed_dim: size of the sinusoidal time embedding and of the time MLP output.
    :param clip_denoised: clip each step's predicted x0 to [-1, 1] (as Diffusion-QL).
    :param logit_scale: Discrete only: probabilities are softmax(logit_scale * x_0), so the log-ratio of
        two action probabilities is at most 2 * logit_scale.
    :param normalize_images: whether to divide image observations by 255.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        net_arch: list[int],
        features_extractor: nn.Module,
        features_dim: int,
        activation_fn: type[nn.Module] = nn.ReLU,
        n_timesteps_denoise: int = 5,
        noise_schedule: str = "vp",
        beta_min: float = 0.1,
        beta_max: float = 10.0,
        time_embed_dim: int = 16,
        clip_denoised: bool = True,
        logit_scale: float = 3.0,
        normalize_images: bool = True,
    ):
        super().__init__(
            observation_space,
            action_space,
            features_extractor=features_extractor,
            normalize_images=normalize_images,
            squash_output=isinstance(action_space, spaces.Box),
        )
        validate_diffusion_args(
            n_timesteps_denoise, noise_schedule, beta_min, beta_max, time_embed_dim, logit_scale
        )
        if len(net_arch) == 0:
            raise ValueError("net_arch of the diffusion actor must have at least one hidden layer, got []")
        self.is_discrete = isinstance(action_space, spaces.Discrete)
        self.sample_dim = int(action_space.n) if self.is_discrete else get_action_dim(action_space)
        self.net_arch = net_arch
        self.features_dim = features_dim
        self.activation_fn = activation_fn
        self.n_timesteps_denoise = int(n_timesteps_denoise)
        self.noise_schedule = noise_schedule
        self.beta_min = beta_min
        self.beta_max = beta_max
        self.time_embed_dim = time_embed_dim
        self.clip_denoised = clip_denoised
        self.logit_scale = logit_scale

        betas = make_noise_schedule(noise_schedule, self.n_timesteps_denoise, beta_min, beta_max)
        alphas = 1.0 - betas
        alphas_cumprod = np.cumprod(alphas)
        alphas_cumprod_prev = np.concatenate([[1.0], alphas_cumprod[:-1]])
        posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
        # Schedule arrays as (non-persistent) buffers, for inspection; they follow the module's device.
        self.register_buffer("betas", th.as_tensor(betas, dtype=th.float32), persistent=False)
        self.register_buffer(
            "alphas_cumprod", th.as_tensor(alphas_cumprod, dtype=th.float32), persistent=False
        )
        self.register_buffer("timesteps", th.arange(self.n_timesteps_denoise), persistent=False)
        # The chain reads its coefficients as Python floats: scalar-tensor ops are the cheapest on any device.
        self._sqrt_recip_alphas_cumprod = np.sqrt(1.0 / alphas_cumprod).tolist()
        self._sqrt_recipm1_alphas_cumprod = np.sqrt(1.0 / alphas_cumprod - 1.0).tolist()
        self._posterior_coef_x0 = (betas * np.sqrt(alphas_cumprod_prev) / (1.0 - alphas_cumprod)).tolist()
        self._posterior_coef_xt = (
            (1.0 - alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - alphas_cumprod)
        ).tolist()
        self._posterior_std = np.sqrt(posterior_variance).tolist()
        self._sqrt_alphas_cumprod = np.sqrt(alphas_cumprod)
        self._sqrt_one_minus_alphas_cumprod = np.sqrt(1.0 - alphas_cumprod)

        hidden_dim = net_arch[0]
        self.obs_in = nn.Linear(features_dim, hidden_dim)
        self.sample_in = nn.Linear(self.sample_dim, hidden_dim, bias=False)
        self.time_mlp = nn.Sequential(
            SinusoidalTimeEmbedding(time_embed_dim),
            nn.Linear(time_embed_dim, 2 * time_embed_dim),
            activation_fn(),
            nn.Linear(2 * time_embed_dim, time_embed_dim),
        )
        self.time_in = nn.Linear(time_embed_dim, hidden_dim, bias=False)
        self.eps_body = nn.Sequential(
            activation_fn(), *create_mlp(hidden_dim, self.sample_dim, net_arch[1:], activation_fn)
        )

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(
            dict(
                net_arch=self.net_arch,
                features_dim=self.features_dim,
                activation_fn=self.activation_fn,
                features_extractor=self.features_extractor,
                **{name: getattr(self, name) for name in DIFFUSION_ARGS},
            )
        )
        return data

    def predict_noise(self, features: th.Tensor, x_t: th.Tensor, step_index: th.Tensor) -> th.Tensor:
        """eps(x_t, t, s) for a batch with one (0-based) step index per row (used by the BC loss)."""
        time_hidden = self.time_in(self.time_mlp(step_index))
        return self.eps_body(self.obs_in(features) + time_hidden + self.sample_in(x_t))

    def q_sample(self, x_start: th.Tensor, step_index: th.Tensor, noise: th.Tensor) -> th.Tensor:
        """Forward process x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) noise (0-based step indices)."""
        sqrt_ab = th.as_tensor(self._sqrt_alphas_cumprod, dtype=x_start.dtype, device=x_start.device)
        sqrt_1m_ab = th.as_tensor(
            self._sqrt_one_minus_alphas_cumprod, dtype=x_start.dtype, device=x_start.device
        )
        return sqrt_ab[step_index].unsqueeze(1) * x_start + sqrt_1m_ab[step_index].unsqueeze(1) * noise

    def sample_from_features(self, features: th.Tensor, deterministic: bool = False) -> th.Tensor:
        """Run the reverse chain; differentiable with respect to every parameter.

        :param features: observation features, shape (batch, features_dim).
        :param deterministic: start from x_T = 0 and add no noise (z = 0): a fixed function of the
            features, bit-identical across calls. Otherwise x_T and z are drawn from torch's global RNG.
        :return: x_0 in [-1, 1], shape (batch, sample_dim).
        """
        return self.sample_with_raw(features, deterministic)[0]

    def sample_with_raw(
        self, features: th.Tensor, deterministic: bool = False
    ) -> tuple[th.Tensor, th.Tensor]:
        """The reverse chain's x_0 in [-1, 1] and its last step before any clipping (``x_raw``).

        ``x_raw`` is what the final step would output without clipping its predicted x0 or its result.
        Where ``|x_raw| > 1`` the clipped sample is flat in every parameter, so a Q-gradient cannot move it
        back: ``bound_penalty`` measures that overflow so that the actor loss can keep the chain inside.

        :param features: observation features, shape (batch, features_dim).
        :param deterministic: as in ``sample_from_features``.
        :return: ``(x_0, x_raw)``, each of shape (batch, sample_dim).
        """
        batch_size = features.shape[0]
        n_steps = self.n_timesteps_denoise
        obs_hidden = self.obs_in(features)
        time_hidden = self.time_in(self.time_mlp(self.timesteps)).unbind(0)
        if deterministic:
            noise = None
            x = features.new_zeros((batch_size, self.sample_dim))
        else:
            # noise[0] is x_T, noise[t] the z of step t >= 1: one RNG call per chain
            noise = th.randn(
                (n_steps, batch_size, self.sample_dim), dtype=features.dtype, device=features.device
            )
            x = noise[0]
        x_raw = x
        for t in range(n_steps - 1, -1, -1):
            eps = self.eps_body(obs_hidden + time_hidden[t] + self.sample_in(x))
            x_start = x * self._sqrt_recip_alphas_cumprod[t] - eps * self._sqrt_recipm1_alphas_cumprod[t]
            if t == 0:
                x_raw = x_start * self._posterior_coef_x0[t] + x * self._posterior_coef_xt[t]
            if self.clip_denoised:
                x_start = x_start.clamp(-1.0, 1.0)
            x = x_start * self._posterior_coef_x0[t] + x * self._posterior_coef_xt[t]
            if noise is not None and t > 0:
                x = x + noise[t] * self._posterior_std[t]
        return x.clamp(-1.0, 1.0), x_raw

    @staticmethod
    def bound_penalty(x_raw: th.Tensor) -> th.Tensor:
        """Mean over the batch of sum_i max(|x_raw_i| - 1, 0)^2: zero inside [-1, 1], smooth outside."""
        return (x_raw.abs() - 1.0).clamp(min=0.0).square().sum(dim=1).mean()

    def sample(self, obs: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        """Diffusion sample x_0 for raw observations (see ``sample_from_features``)."""
        return self.sample_from_features(self.extract_features(obs, self.features_extractor), deterministic)

    def action_probs(self, obs: PyTorchObs, deterministic: bool = False) -> tuple[th.Tensor, th.Tensor]:
        """Discrete only: (probs, log-probs) = softmax(logit_scale * x_0), each of shape (batch, n)."""
        log_probs = th.log_softmax(self.logit_scale * self.sample(obs, deterministic), dim=1)
        return log_probs.exp(), log_probs

    def forward(self, obs: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        """Box: the normalised action x_0. Discrete: argmax of the logits if deterministic, else a sample."""
        if not self.is_discrete:
            return self.sample(obs, deterministic)
        logits = self.sample(obs, deterministic)
        if deterministic:
            return logits.argmax(dim=1)
        return th.multinomial(th.softmax(self.logit_scale * logits, dim=1), 1).squeeze(1)

    def _predict(self, observation: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        return self(observation, deterministic)


class DiscreteCritic(BaseModel):
    """Twin (or more) Q networks for a ``Discrete(n)`` action space: Q_k(s) in R^n.

    :param observation_space: observation space.
    :param action_space: the ``Discrete`` action space.
    :param net_arch: hidden sizes of each Q network.
    :param features_extractor: network turning observations into features.
    :param features_dim: number of features.
    :param activation_fn: activation function.
    :param normalize_images: whether to divide image observations by 255.
    :param n_critics: number of Q networks.
    :param share_features_extractor: whether the features extractor is the actor's (then not trained here).
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Discrete,
        net_arch: list[int],
        features_extractor: BaseFeaturesExtractor,
        features_dim: int,
        activation_fn: type[nn.Module] = nn.ReLU,
        normalize_images: bool = True,
        n_critics: int = 2,
        share_features_extractor: bool = False,
    ):
        super().__init__(
            observation_space,
            action_space,
            features_extractor=features_extractor,
            normalize_images=normalize_images,
        )
        self.share_features_extractor = share_features_extractor
        self.n_critics = n_critics
        self.q_networks: list[nn.Module] = []
        for idx in range(n_critics):
            q_net = nn.Sequential(*create_mlp(features_dim, int(action_space.n), net_arch, activation_fn))
            self.add_module(f"qf{idx}", q_net)
            self.q_networks.append(q_net)

    def forward(self, obs: th.Tensor) -> tuple[th.Tensor, ...]:
        with th.set_grad_enabled(not self.share_features_extractor):
            features = self.extract_features(obs, self.features_extractor)
        return tuple(q_net(features) for q_net in self.q_networks)


class DiffusionPolicy(BasePolicy):
    """Diffusion actor, twin critics and their target copies (the ``"MlpPolicy"`` of ``DiffusionAC``).

    :param observation_space: observation space.
    :param action_space: ``Box`` or ``Discrete`` action space.
    :param lr_schedule: learning-rate schedule used to build the optimizers.
    :param net_arch: hidden sizes, a list shared by actor and critics or ``dict(pi=[...], qf=[...])``;
        default [256, 256].
    :param activation_fn: activation function of all networks.
    :param n_timesteps_denoise: number of reverse diffusion steps T.
    :param noise_schedule: ``"vp"``, ``"cosine"`` or ``"linear"``.
    :param beta_min: b_min of the VP schedule.
    :param beta_max: b_max of the VP schedule.
    :param time_embed_dim: size of the sinusoidal time embedding.
    :param clip_denoised: clip each step's predicted x0 to [-1, 1].
    :param logit_scale: Discrete only: probabilities are softmax(logit_scale * x_0).
    :param features_extractor_class: features extractor class.
    :param features_extractor_kwargs: its keyword arguments.
    :param normalize_images: whether to divide image observations by 255.
    :param optimizer_class: optimizer class (Adam).
    :param optimizer_kwargs: optimizer keyword arguments other than the learning rate.
    :param n_critics: number of Q networks (min over them is used).
    :param share_features_extractor: whether the critic uses the actor's features extractor.
    """

    actor: DiffusionActor
    critic: ContinuousCritic | DiscreteCritic
    critic_target: ContinuousCritic | DiscreteCritic

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        lr_schedule: Schedule,
        net_arch: list[int] | dict[str, list[int]] | None = None,
        activation_fn: type[nn.Module] = nn.ReLU,
        n_timesteps_denoise: int = 5,
        noise_schedule: str = "vp",
        beta_min: float = 0.1,
        beta_max: float = 10.0,
        time_embed_dim: int = 16,
        clip_denoised: bool = True,
        logit_scale: float = 3.0,
        features_extractor_class: type[BaseFeaturesExtractor] = FlattenExtractor,
        features_extractor_kwargs: dict[str, Any] | None = None,
        normalize_images: bool = True,
        optimizer_class: type[th.optim.Optimizer] = th.optim.Adam,
        optimizer_kwargs: dict[str, Any] | None = None,
        n_critics: int = 2,
        share_features_extractor: bool = False,
    ):
        super().__init__(
            observation_space,
            action_space,
            features_extractor_class,
            features_extractor_kwargs,
            optimizer_class=optimizer_class,
            optimizer_kwargs=optimizer_kwargs,
            squash_output=isinstance(action_space, spaces.Box),
            normalize_images=normalize_images,
        )
        if net_arch is None:
            net_arch = [256, 256]
        actor_arch, critic_arch = get_actor_critic_arch(net_arch)
        self.net_arch = net_arch
        self.activation_fn = activation_fn
        self.share_features_extractor = share_features_extractor
        common = dict(
            observation_space=self.observation_space,
            action_space=self.action_space,
            activation_fn=activation_fn,
            normalize_images=normalize_images,
        )
        self.actor_kwargs: dict[str, Any] = dict(
            common,
            net_arch=actor_arch,
            n_timesteps_denoise=n_timesteps_denoise,
            noise_schedule=noise_schedule,
            beta_min=beta_min,
            beta_max=beta_max,
            time_embed_dim=time_embed_dim,
            clip_denoised=clip_denoised,
            logit_scale=logit_scale,
        )
        self.critic_kwargs: dict[str, Any] = dict(
            common,
            net_arch=critic_arch,
            n_critics=n_critics,
            share_features_extractor=share_features_extractor,
        )
        self._build(lr_schedule)

    def _build(self, lr_schedule: Schedule) -> None:
        self.actor = self.make_actor()
        self.actor.optimizer = self.optimizer_class(
            self.actor.parameters(),
            lr=lr_schedule(1),
            **self.optimizer_kwargs,  # type: ignore[call-arg]
        )
        if self.share_features_extractor:
            self.critic = self.make_critic(features_extractor=self.actor.features_extractor)
            critic_parameters = [
                p for name, p in self.critic.named_parameters() if "features_extractor" not in name
            ]
        else:
            self.critic = self.make_critic()
            critic_parameters = list(self.critic.parameters())
        self.critic_target = self.make_critic()
        self.critic_target.load_state_dict(self.critic.state_dict())
        self.critic.optimizer = self.optimizer_class(
            critic_parameters,
            lr=lr_schedule(1),
            **self.optimizer_kwargs,  # type: ignore[call-arg]
        )
        self.critic_target.set_training_mode(False)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(
            dict(
                net_arch=self.net_arch,
                activation_fn=self.activation_fn,
                **{name: self.actor_kwargs[name] for name in DIFFUSION_ARGS},
                n_critics=self.critic_kwargs["n_critics"],
                share_features_extractor=self.share_features_extractor,
                lr_schedule=self._dummy_schedule,
                optimizer_class=self.optimizer_class,
                optimizer_kwargs=self.optimizer_kwargs,
                features_extractor_class=self.features_extractor_class,
                features_extractor_kwargs=self.features_extractor_kwargs,
            )
        )
        return data

    def make_actor(self, features_extractor: BaseFeaturesExtractor | None = None) -> DiffusionActor:
        actor_kwargs = self._update_features_extractor(self.actor_kwargs, features_extractor)
        return DiffusionActor(**actor_kwargs).to(self.device)

    def make_critic(
        self, features_extractor: BaseFeaturesExtractor | None = None
    ) -> ContinuousCritic | DiscreteCritic:
        critic_kwargs = self._update_features_extractor(self.critic_kwargs, features_extractor)
        if isinstance(self.action_space, spaces.Discrete):
            return DiscreteCritic(**critic_kwargs).to(self.device)
        return ContinuousCritic(**critic_kwargs).to(self.device)

    def forward(self, obs: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        return self._predict(obs, deterministic=deterministic)

    def _predict(self, observation: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        return self.actor(observation, deterministic)

    def set_training_mode(self, mode: bool) -> None:
        """Put actor and critic in training (True) or evaluation (False) mode."""
        self.actor.set_training_mode(mode)
        self.critic.set_training_mode(mode)
        self.training = mode


MlpPolicy = DiffusionPolicy
