"""IC audit through the environment (ioa_gym.analysis.ic_audit): agreement with auction.max_misreport_gain for
fixed steps, exact IC of the strategy-proof variant under acceptance-blind steps, trained agents, command
line."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import ioa_gym  # noqa: F401  (registers the environments)
from agents import make_agent
from agents.evaluation.ic_audit import main
from ioa_gym.analysis.ic_audit import (
    MARKET_COLUMNS,
    audit_policy,
    market_seed,
    misreport_rng,
    sample_markets,
)
from ioa_gym.auctions import max_misreport_gain

pytestmark = pytest.mark.usefixtures("one_torch_thread")
REPO = Path(__file__).resolve().parents[3]


def fixed_step_agent(env_kwargs: dict[str, Any], **agent_kwargs: Any) -> tuple[Any, Any]:
    """A fixed-step baseline and the step(s) the env actually ticks with for its action."""
    env = gym.make("IoA-DDA-v0", **env_kwargs)
    agent = make_agent("fixed-step", env, **agent_kwargs)
    steps = env.unwrapped.action_to_step(agent.action)
    return agent, float(steps[0]) if steps.shape[0] == 1 else (float(steps[0]), float(steps[1]))


@pytest.mark.parametrize(
    ("env_kwargs", "agent_kwargs"),
    [({}, {"step": 1.0}), ({"market_source": "synthetic", "per_clock_steps": True}, {"action": [0.4, -0.2]})],
)
def test_fixed_step_matches_max_misreport_gain(
    env_kwargs: dict[str, Any], agent_kwargs: dict[str, Any]
) -> None:
    agent, step = fixed_step_agent(env_kwargs, **agent_kwargs)
    result = audit_policy(agent, "IoA-DDA-v0", env_kwargs, n_markets=3, seed=1, n_deviations=6)
    config = gym.make("IoA-DDA-v0", **env_kwargs).unwrapped.config
    markets = sample_markets("IoA-DDA-v0", env_kwargs, 3, seed=1)
    for index, (market, audited) in enumerate(zip(markets, result.markets, strict=True)):
        seed = market_seed(1, index)
        reference = max_misreport_gain(
            market,
            step,
            config.variant,
            config.price_bounds,
            config.max_rounds,
            seed=seed,
            n_deviations=6,
            rng=misreport_rng(seed),
        )
        assert audited.reset_seed == seed
        assert (audited.max_gain, audited.side, audited.participant, audited.auctions_run) == (
            reference.max_gain,
            reference.side,
            reference.participant,
            reference.auctions_run,
        )
        assert audited.report == reference.report or (np.isnan(audited.report) and np.isnan(reference.report))
        assert (audited.truthful_utility, audited.deviating_utility) == (
            reference.truthful_utility,
            reference.deviating_utility,
        )
        assert audited.gain_ratio == pytest.approx(audited.max_gain / audited.efficient_welfare)
    summary = result.summary()
    assert summary["max_gain"] > 0.0  # the classic DDA is not IC
    gains = [market.max_gain for market in result.markets]
    assert summary["mean_gain"] == pytest.approx(np.mean(gains)) and summary["max_gain"] == max(gains)
    assert summary["share_with_gain"] == np.mean([gain > 1e-9 for gain in gains])


@pytest.mark.parametrize(
    ("env_kwargs", "agent_kwargs"),
    [
        ({"variant": "strategy-proof"}, {"step": 1.0}),
        (
            {"variant": "strategy-proof", "per_clock_steps": True, "market_source": "synthetic"},
            {"action": [0.3, -0.3]},
        ),
    ],
)
def test_strategy_proof_fixed_step_has_no_gain(
    env_kwargs: dict[str, Any], agent_kwargs: dict[str, Any]
) -> None:
    agent, _ = fixed_step_agent(env_kwargs, **agent_kwargs)
    result = audit_policy(agent, "IoA-DDA-v0", env_kwargs, n_markets=4, seed=0, n_deviations=8)
    summary = result.summary()
    assert summary["auctions_replayed"] > 0
    assert summary["max_gain"] == 0.0 and summary["share_with_gain"] == 0.0
    if "per_clock_steps" in env_kwargs:  # clocks that meet below the values: the markets do trade
        assert sum(market.truthful_units_traded for market in result.markets) > 0


def test_trained_agent_is_audited_reproducibly() -> None:
    env = gym.make("IoA-DDA-v0", market_source="synthetic")
    model = make_agent(
        "ppo",
        env,
        seed=0,
        n_steps=64,
        batch_size=64,
        n_epochs=1,
        policy_kwargs={"net_arch": [8]},
        device="cpu",
    )
    model.learn(128)
    kwargs = {"market_source": "synthetic"}
    first = audit_policy(model, "IoA-DDA-v0", kwargs, n_markets=2, seed=3, n_deviations=4, label="ppo")
    second = audit_policy(model, "IoA-DDA-v0", kwargs, n_markets=2, seed=3, n_deviations=4, label="ppo")
    assert first.to_dict() == second.to_dict()
    for market in first.markets:
        assert market.auctions_run > 0 and market.max_gain >= 0.0 and 0 < market.policy_calls
        assert market.truthful_rounds >= 1 and 0.0 <= market.truthful_efficiency <= 1.0 + 1e-12
    assert first.summary()["policy"] == "ppo"


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "audit"
    arguments = [
        "--agents",
        "fs=fixed-step:step=1.0",
        "adaptive",
        "--markets",
        "2",
        "--deviations",
        "2",
        "--env-kwargs",
        "market_source:synthetic",
        "--output",
        str(out),
        "--no-progress",
    ]
    process = subprocess.run(
        [sys.executable, str(REPO / "evaluate.py"), "ic-audit", *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert process.returncode == 0, process.stderr
    assert "fs" in process.stdout and "adaptive" in process.stdout
    assert {path.name for path in out.iterdir()} == {"ic_audit.json", "ic_markets.csv", "table.txt"}

    def no_nan(constant: str) -> None:
        raise AssertionError(f"ic_audit.json holds {constant}")

    document = json.loads((out / "ic_audit.json").read_text(), parse_constant=no_nan)
    assert document["env_kwargs"] == {"market_source": "synthetic"} and document["markets"] == 2
    assert [policy["policy"] for policy in document["policies"]] == ["fs", "adaptive"]
    assert {"mean_gain", "max_gain", "mean_gain_ratio", "max_gain_ratio", "share_with_gain"} <= set(
        document["policies"][0]["summary"]
    )
    with open(out / "ic_markets.csv") as file:
        reader = csv.DictReader(file)
        assert tuple(reader.fieldnames) == MARKET_COLUMNS and len(list(reader)) == 4
    # The same output again is refused; a non-DDA env and an unknown agent are bad input (exit 2).
    assert main(arguments) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["--env", "IoA-Stackelberg-v0", "--agents", "greedy", "--output", str(tmp_path / "x")]) == 2
    assert "needs an IoA-DDA environment" in capsys.readouterr().err
    assert main(["--agents", "nosuch", "--output", str(tmp_path / "y")]) == 2
    assert "unknown agent 'nosuch'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_a_plain_callable_is_audited_like_the_agent_it_wraps() -> None:
    """The audit needs no RL library: a policy given as ``observations -> actions`` gives the same audit as
    the agent with ``predict`` it wraps."""
    agent, _ = fixed_step_agent({"market_source": "synthetic"}, step=1.0)
    kwargs = {"market_source": "synthetic"}
    with_predict = audit_policy(agent, "IoA-DDA-v0", kwargs, n_markets=2, seed=2, n_deviations=4)
    plain = audit_policy(
        lambda observations: agent.predict(observations, deterministic=True)[0],
        "IoA-DDA-v0",
        kwargs,
        n_markets=2,
        seed=2,
        n_deviations=4,
    )
    assert plain.to_dict() == with_predict.to_dict() and plain.summary()["auctions_replayed"] > 0
