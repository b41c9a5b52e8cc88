"""Independent learners on the PettingZoo envs (agents/multiagent/learners.py): one agent of a parallel env
as a Gymnasium env that passes Gymnasium's checker and plays the others by their policies, and training in
turn that is reproducible."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("pettingzoo")  # the test extra installs it; the package works without it

from gymnasium.utils.env_checker import check_env  # noqa: E402

from agents.multiagent import SingleAgentView, train_in_turn  # noqa: E402
from ioa_gym.multiagent import bidders_v0, leaders_v0  # noqa: E402


def test_single_agent_views_pass_gymnasiums_checker():
    check_env(SingleAgentView(bidders_v0.parallel_env(), "buyer_0"), skip_render_check=True)
    check_env(SingleAgentView(leaders_v0.parallel_env(max_slots=5), "fa_0"), skip_render_check=True)
    with pytest.raises(ValueError, match="agent must be one of"):
        SingleAgentView(leaders_v0.parallel_env(), "aa_0")


def test_a_view_plays_the_others_by_their_policies():
    par_env = leaders_v0.parallel_env(fixed_slot=True, max_slots=2)
    fixed = {agent: (lambda obs: np.array([0.5], np.float32)) for agent in par_env.possible_agents}
    view = SingleAgentView(par_env, "ma_0", others=fixed)
    view.reset(seed=2)
    _, reward, terminated, truncated, info = view.step(np.array([-0.5], np.float32))
    posted = [
        par_env.action_to_price(a, np.array([0.5 if a != "ma_0" else -0.5])) for a in par_env.possible_agents
    ]
    assert info["price"] == pytest.approx(posted[0]) and not terminated and not truncated
    _, _, terminated, truncated, _ = view.step(np.array([-0.5], np.float32))
    assert truncated and not terminated  # max_slots = 2


def _predictions(models, observation):
    return {
        agent: float(model.predict(observation, deterministic=True)[0][0]) for agent, model in models.items()
    }


def test_training_in_turn_is_reproducible():
    torch.set_num_threads(1)
    small = {"n_steps": 64, "batch_size": 32, "n_epochs": 1}

    def run(seed):
        return train_in_turn(
            lambda: bidders_v0.parallel_env(market_source="synthetic"),
            ["buyer_0", "seller_0"],
            rounds=2,
            steps=64,
            seed=seed,
            hyperparams=small,
        )

    observation = np.array([0.3, 0.05, 1.0, 0.5, 0.5], np.float32)
    first, again, other = run(0), run(0), run(1)
    assert set(first) == {"buyer_0", "seller_0"}
    assert _predictions(first, observation) == _predictions(again, observation)
    assert _predictions(first, observation) != _predictions(other, observation)
    with pytest.raises(ValueError, match="rounds"):
        train_in_turn(lambda: bidders_v0.parallel_env(), ["buyer_0"], rounds=0)
