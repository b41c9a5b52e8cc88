"""Diffusion actor-critic (agents/diffusion): schedules, the denoising chain, SB3 integration.

Developed on Gymnasium classic-control envs (Pendulum-v1: Box, CartPole-v1: Discrete); the agent knows
nothing of the project's economics. The learning-progress check (Pendulum, ~6k steps) is too slow for
the suite: see ``benchmarks/diffusion_learning_check.py``.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from stable_baselines3.common.callbacks import EvalCallback
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.monitor import Monitor

from agents.diffusion import DiffusionAC, make_noise_schedule
from agents.diffusion.policies import DiffusionActor

pytestmark = pytest.mark.usefixtures("one_torch_thread")
TINY = dict(n_timesteps_denoise=2, net_arch=[32, 32], learning_starts=100, batch_size=32, buffer_size=2_000)


def _observations(env_id: str, n: int, seed: int = 0) -> np.ndarray:
    space = gym.make(env_id).observation_space
    space.seed(seed)
    return np.stack([space.sample() for _ in range(n)]).astype(np.float32)


@pytest.fixture(scope="module")
def pendulum_model() -> DiffusionAC:
    """A model after a tiny learn on Pendulum-v1 (shared by the read-only tests)."""
    eval_callback = EvalCallback(
        Monitor(gym.make("Pendulum-v1")), eval_freq=250, n_eval_episodes=1, verbose=0
    )
    model = DiffusionAC("MlpPolicy", "Pendulum-v1", seed=0, device="cpu", **TINY)
    model.learn(300, callback=eval_callback)
    assert eval_callback.last_mean_reward > -np.inf  # the EvalCallback ran
    return model


@pytest.fixture(scope="module")
def cartpole_model() -> DiffusionAC:
    """A model after a tiny learn on CartPole-v1 (Discrete)."""
    model = DiffusionAC("MlpPolicy", "CartPole-v1", seed=0, device="cpu", **TINY)
    return model.learn(300)


# --- noise schedules ---------------------------------------------------------------------------------


@pytest.mark.parametrize("schedule", ["vp", "cosine"])
@pytest.mark.parametrize("n_steps", [1, 2, 5, 20])
def test_schedule_betas_in_unit_interval_and_alpha_bar_decreasing_to_small(
    schedule: str, n_steps: int
) -> None:
    betas = make_noise_schedule(schedule, n_steps)
    assert betas.shape == (n_steps,)
    assert np.all((betas > 0.0) & (betas < 1.0))
    alpha_bar = np.cumprod(1.0 - betas)
    assert np.all(np.diff(alpha_bar) < 0.0)
    assert alpha_bar[-1] < 0.01  # x_T is (close to) pure noise even at T = 1


def test_vp_schedule_matches_the_sde_discretisation() -> None:
    n_steps, b_min, b_max = 5, 0.1, 10.0
    t = np.arange(1, n_steps + 1)
    expected = 1.0 - np.exp(-b_min / n_steps - 0.5 * (b_max - b_min) * (2 * t - 1) / n_steps**2)
    np.testing.assert_allclose(make_noise_schedule("vp", n_steps, b_min, b_max), expected)
    # its alpha_bar_T = exp(-(b_min + b_max) / 2) does not depend on T
    assert np.prod(1.0 - expected) == pytest.approx(np.exp(-(b_min + b_max) / 2))


def test_actor_exposes_the_schedule_arrays() -> None:
    model = DiffusionAC(
        "MlpPolicy", "Pendulum-v1", noise_schedule="cosine", n_timesteps_denoise=5, seed=0, device="cpu"
    )
    betas = make_noise_schedule("cosine", 5)
    np.testing.assert_allclose(model.actor.betas.numpy(), betas, rtol=1e-6)
    np.testing.assert_allclose(model.actor.alphas_cumprod.numpy(), np.cumprod(1 - betas), rtol=1e-5)


def test_linear_schedule_needs_many_steps() -> None:
    with pytest.raises(ValueError, match=r"noise_schedule='linear'.*n_timesteps_denoise=5.*alpha_bar_T=0\.9"):
        make_noise_schedule("linear", 5)
    with pytest.raises(ValueError, match="linear"):
        DiffusionAC("MlpPolicy", "Pendulum-v1", noise_schedule="linear", device="cpu")
    betas = make_noise_schedule("linear", 1000)
    assert np.prod(1.0 - betas) < 0.05


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(n_timesteps_denoise=0), "n_timesteps_denoise"),
        (dict(n_timesteps_denoise=2.5), "n_timesteps_denoise"),
        (dict(noise_schedule="sigmoid"), "noise_schedule"),
        (dict(beta_max=0.05), "beta_max"),
        (dict(time_embed_dim=7), "time_embed_dim"),
        (dict(exploration_noise_std=-0.1), "exploration_noise_std"),
        (dict(bc_coef=-1.0), "bc_coef"),
        (dict(bound_penalty_coef=-0.5), "bound_penalty_coef"),
        (dict(net_arch=[]), "net_arch"),
        (dict(policy_kwargs=dict(n_timesteps_denoise=3)), "n_timesteps_denoise"),
    ],
)
def test_invalid_hyperparameters_raise_naming_the_argument(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        DiffusionAC("MlpPolicy", "Pendulum-v1", device="cpu", **kwargs)


def test_invalid_discrete_entropy_coefficient_raises() -> None:
    with pytest.raises(ValueError, match="ent_coef"):
        DiffusionAC("MlpPolicy", "CartPole-v1", ent_coef="fixed", device="cpu")


# --- the denoising chain -------------------------------------------------------------------------------


def test_chain_is_the_ddpm_reverse_process() -> None:
    """Unclipped, each step is mu = (x_t - beta_t / sqrt(1 - abar_t) eps) / sqrt(alpha_t) + sigma_t z."""
    model = DiffusionAC(
        "MlpPolicy", "Pendulum-v1", n_timesteps_denoise=4, clip_denoised=False, seed=0, device="cpu"
    )
    actor = model.actor
    features = th.as_tensor(_observations("Pendulum-v1", 8))
    betas = th.as_tensor(make_noise_schedule("vp", 4), dtype=th.float64)
    alphas = 1 - betas
    alpha_bar = th.cumprod(alphas, 0)
    alpha_bar_prev = th.cat([th.ones(1, dtype=th.float64), alpha_bar[:-1]])
    with th.no_grad():
        th.manual_seed(123)
        sample = actor.sample_from_features(features, deterministic=False)
        th.manual_seed(123)
        noise = th.randn((4, 8, 1))
        x = noise[0]
        for t in range(3, -1, -1):
            eps = actor.predict_noise(features, x, th.full((8,), t)).double()
            mean = (x.double() - betas[t] / th.sqrt(1 - alpha_bar[t]) * eps) / th.sqrt(alphas[t])
            sigma = th.sqrt(betas[t] * (1 - alpha_bar_prev[t]) / (1 - alpha_bar[t]))
            x = (mean + (sigma * noise[t] if t > 0 else 0.0)).float()
    np.testing.assert_allclose(sample.numpy(), x.clamp(-1, 1).numpy(), atol=1e-4)


@pytest.mark.parametrize("deterministic", [True, False])
def test_samples_have_the_action_shape_and_stay_in_bounds(deterministic: bool) -> None:
    model = DiffusionAC("MlpPolicy", "Pendulum-v1", seed=0, device="cpu")
    obs = _observations("Pendulum-v1", 64) * 50.0  # far outside the usual range: bounds must still hold
    sample = model.actor.sample(th.as_tensor(obs), deterministic=deterministic)
    assert sample.shape == (64, 1)
    assert th.all(sample.abs() <= 1.0)
    actions, _ = model.predict(obs, deterministic=deterministic)
    assert actions.shape == (64, 1)
    assert np.all((actions >= -2.0) & (actions <= 2.0))
    single, _ = model.predict(obs[0], deterministic=deterministic)
    assert single.shape == (1,)


def test_actor_loss_gradients_reach_the_epsilon_network_through_the_chain() -> None:
    model = DiffusionAC("MlpPolicy", "Pendulum-v1", n_timesteps_denoise=5, seed=0, device="cpu")
    obs = th.as_tensor(_observations("Pendulum-v1", 32))
    actions = model.actor.sample(obs, deterministic=False)
    q_values = th.cat(model.critic(obs, actions), dim=1).min(dim=1).values
    actor_loss = -q_values.mean()
    model.actor.optimizer.zero_grad()
    actor_loss.backward()
    actor: DiffusionActor = model.actor
    for name, param in [
        ("sample_in", actor.sample_in.weight),
        ("obs_in", actor.obs_in.weight),
        ("time_in", actor.time_in.weight),
        ("time_mlp", actor.time_mlp[1].weight),
    ]:
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def _saturate(actor: DiffusionActor, value: float = -20.0) -> None:
    """Make the epsilon network predict a large constant noise: every x0 (so every sample) is far past +1."""
    last = actor.eps_body[-1]
    with th.no_grad():
        last.weight.zero_()
        last.bias.fill_(value)


@pytest.mark.parametrize("clip_denoised", [True, False])
def test_raw_sample_is_the_last_step_before_clipping(clip_denoised: bool) -> None:
    model = DiffusionAC("MlpPolicy", "Pendulum-v1", clip_denoised=clip_denoised, seed=0, device="cpu")
    features = th.as_tensor(_observations("Pendulum-v1", 32))
    for deterministic in (True, False):
        th.manual_seed(5)
        sample, raw = model.actor.sample_with_raw(features, deterministic=deterministic)
        th.manual_seed(5)
        np.testing.assert_array_equal(
            sample.detach().numpy(),
            model.actor.sample_from_features(features, deterministic).detach().numpy(),
        )
        # the last step's x_{t-1} coefficient on x_t is 0 (abar_0 = 1), so clipping x0 or x_0 is the same
        th.testing.assert_close(sample, raw.clamp(-1.0, 1.0), rtol=0, atol=1e-6)
    _saturate(model.actor)
    _, raw = model.actor.sample_with_raw(features, deterministic=False)
    assert th.all(raw > 5.0)


def test_bound_penalty_is_zero_inside_and_the_squared_overflow_outside() -> None:
    raw = th.tensor([[0.5, -1.0], [1.5, 0.0], [-3.0, 2.0]])
    # rows: 0, 0.25, 4 + 1
    assert DiffusionActor.bound_penalty(raw).item() == pytest.approx((0.0 + 0.25 + 5.0) / 3)
    assert DiffusionActor.bound_penalty(th.rand(50, 3) * 2 - 1).item() == 0.0


def test_saturated_chain_gets_no_q_gradient_but_the_bound_penalty_brings_it_back() -> None:
    """Past the bound the clipped action is flat: only the penalty term can move the actor back inside."""
    model = DiffusionAC("MlpPolicy", "Pendulum-v1", seed=0, device="cpu", net_arch=[32, 32])
    actor: DiffusionActor = model.actor
    _saturate(actor)
    features = th.as_tensor(_observations("Pendulum-v1", 64))
    actions, raw = actor.sample_with_raw(features, deterministic=False)
    assert th.all(actions == 1.0) and th.all(raw > 1.0)
    q_loss = -th.cat(model.critic(features, actions), dim=1).min(dim=1).values.mean()
    actor.optimizer.zero_grad()
    q_loss.backward()
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in actor.parameters())

    optimizer = th.optim.Adam(actor.parameters(), lr=1e-2)
    for _ in range(200):
        _, raw = actor.sample_with_raw(features, deterministic=False)
        optimizer.zero_grad()
        actor.bound_penalty(raw).backward()
        optimizer.step()
    _, raw = actor.sample_with_raw(features, deterministic=False)
    assert (raw.abs() > 1.0).float().mean().item() < 0.5


def test_deterministic_predict_is_repeatable_and_noise_free() -> None:
    model = DiffusionAC("MlpPolicy", "Pendulum-v1", seed=0, device="cpu")
    obs = _observations("Pendulum-v1", 16)
    th.manual_seed(1)
    first, _ = model.predict(obs, deterministic=True)
    second, _ = model.predict(obs, deterministic=True)
    th.manual_seed(2)
    third, _ = model.predict(obs, deterministic=True)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, third)
    # whereas stochastic sampling does use noise
    stochastic_a, _ = model.predict(obs, deterministic=False)
    stochastic_b, _ = model.predict(obs, deterministic=False)
    assert not np.array_equal(stochastic_a, stochastic_b)


def test_discrete_probabilities_are_a_distribution(cartpole_model: DiffusionAC) -> None:
    obs = th.as_tensor(_observations("CartPole-v1", 64))
    for deterministic in (True, False):
        probs, log_probs = cartpole_model.actor.action_probs(obs, deterministic=deterministic)
        assert probs.shape == (64, 2)
        assert th.all(probs >= 0.0)
        th.testing.assert_close(probs.sum(dim=1), th.ones(64))
        th.testing.assert_close(log_probs.exp(), probs)
    greedy, _ = cartpole_model.predict(obs.numpy(), deterministic=True)
    probs, _ = cartpole_model.actor.action_probs(obs, deterministic=True)
    np.testing.assert_array_equal(greedy, probs.argmax(dim=1).numpy())
    sampled, _ = cartpole_model.predict(obs.numpy(), deterministic=False)
    assert set(np.unique(sampled)) <= {0, 1}


# --- Stable-Baselines3 integration -----------------------------------------------------------------------


def test_tiny_learn_on_pendulum_logs_the_training_figures(pendulum_model: DiffusionAC) -> None:
    assert pendulum_model.num_timesteps == 300
    logged = pendulum_model.logger.name_to_value
    for key in (
        "train/actor_loss",
        "train/critic_loss",
        "train/q_mean",
        "train/denoise_ms",
        "train/bound_penalty",
        "train/saturated_frac",
    ):
        assert np.isfinite(logged[key]), key
    assert logged["train/denoise_ms"] > 0.0
    assert logged["train/bound_penalty"] >= 0.0
    assert 0.0 <= logged["train/saturated_frac"] <= 1.0
    mean_return, _ = evaluate_policy(pendulum_model, Monitor(gym.make("Pendulum-v1")), n_eval_episodes=1)
    assert np.isfinite(mean_return)


def test_tiny_learn_on_cartpole_logs_entropy_and_alpha(cartpole_model: DiffusionAC) -> None:
    logged = cartpole_model.logger.name_to_value
    for key in (
        "train/actor_loss",
        "train/critic_loss",
        "train/q_mean",
        "train/entropy",
        "train/ent_coef",
        "train/bound_penalty",  # the logits are clipped too: the penalty applies to them
    ):
        assert np.isfinite(logged[key]), key
    assert 0.0 <= logged["train/entropy"] <= np.log(2) + 1e-6
    assert logged["train/ent_coef"] != pytest.approx(0.1, abs=1e-7)  # alpha is being tuned


def test_tensorboard_logging_and_behaviour_cloning_term(tmp_path: Path) -> None:
    model = DiffusionAC(
        "MlpPolicy", "Pendulum-v1", seed=0, bc_coef=0.1, tensorboard_log=str(tmp_path), device="cpu", **TINY
    )
    model.learn(150)
    assert np.isfinite(model.logger.name_to_value["train/bc_loss"])
    assert list(tmp_path.glob("DiffusionAC_1/events.out.tfevents.*"))


@pytest.mark.parametrize("fixture", ["pendulum_model", "cartpole_model"])
def test_save_load_gives_identical_predictions(
    fixture: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    model: DiffusionAC = request.getfixturevalue(fixture)
    env_id = "Pendulum-v1" if fixture == "pendulum_model" else "CartPole-v1"
    obs = _observations(env_id, 32)
    model.save(tmp_path / "model")
    loaded = DiffusionAC.load(tmp_path / "model.zip", device="cpu")
    np.testing.assert_array_equal(
        loaded.predict(obs, deterministic=True)[0], model.predict(obs, deterministic=True)[0]
    )
    assert loaded.n_timesteps_denoise == model.n_timesteps_denoise
    for key, value in model.policy.state_dict().items():
        th.testing.assert_close(loaded.policy.state_dict()[key], value, rtol=0, atol=0)
    if fixture == "cartpole_model":
        th.testing.assert_close(loaded.log_ent_coef, model.log_ent_coef, rtol=0, atol=0)


def test_same_seed_gives_identical_parameters_after_learning() -> None:
    def train() -> dict[str, th.Tensor]:
        model = DiffusionAC("MlpPolicy", "Pendulum-v1", seed=7, device="cpu", **TINY)
        return model.learn(200).policy.state_dict()

    first, second = train(), train()
    assert first.keys() == second.keys()
    for key in first:
        th.testing.assert_close(first[key], second[key], rtol=0, atol=0)
