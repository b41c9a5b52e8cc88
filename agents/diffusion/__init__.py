"""Diffusion actor-critic (the paper's auctioneer, Alg. 3) as a Stable-Baselines3 algorithm."""

from agents.diffusion.diffusion import DiffusionAC
from agents.diffusion.policies import (
    NOISE_SCHEDULES,
    DiffusionActor,
    DiffusionPolicy,
    DiscreteCritic,
    MlpPolicy,
    make_noise_schedule,
)

__all__ = [
    "NOISE_SCHEDULES",
    "DiffusionAC",
    "DiffusionActor",
    "DiffusionPolicy",
    "DiscreteCritic",
    "MlpPolicy",
    "make_noise_schedule",
]
