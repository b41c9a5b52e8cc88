"""The multi-agent results (agents/multiagent/results.py, ``python -m agents.multiagent.results``): the
metrics against the economics and by hand, the constant-offset reference under each mechanism, the command
end to end with --resume, and its bad flags."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("pettingzoo")  # the test extra installs it; the package works without it

from agents.multiagent import results as mr  # noqa: E402
from agents.multiagent.results import bidder_metrics, leader_metrics  # noqa: E402


def test_equilibrium_play_leaves_no_regret_and_random_prices_much():
    """The harness against the economics: posting each slot's equilibrium leaves every leader (almost) nothing
    to gain by deviating, and best-response dynamics stay close to it; random prices are far off."""
    equilibrium = mr.play_leaders(mr.equilibrium_leaders, {}, 1)
    utility = equilibrium["utility"]
    at_equilibrium = leader_metrics(equilibrium, 3, utility)
    assert at_equilibrium["price_error"] < 1e-6 and at_equilibrium["utility_vs_equilibrium"] == 1.0
    assert 0.0 <= at_equilibrium["regret"] < 0.01
    dynamics = leader_metrics(mr.play_leaders(mr.best_response_dynamics, {}, 1), 3, utility)
    assert dynamics["price_error"] < 0.05 and dynamics["regret"] < 0.05
    random = leader_metrics(mr.play_leaders(mr.random_leaders(0), {}, 1), 3, utility)
    assert random["price_error"] > 0.2 and random["regret"] > 0.2


def test_leader_metrics_by_hand():
    play = {
        "price": np.array([[11.0, 9.0]]),
        "equilibrium_price": np.array([[10.0, 10.0]]),
        "utility": np.array([[3.0, 1.0]]),
        "best_utility": np.array([[4.0, 4.0]]),
    }
    metrics = leader_metrics(play, 1, np.array([[2.0, 2.0]]))
    assert metrics["price_error_ma"] == pytest.approx(0.1) and metrics["price_error_fa"] == pytest.approx(0.1)
    assert metrics["price_bias"] == pytest.approx(0.0)
    assert metrics["regret"] == pytest.approx(4.0 / 8.0)
    assert metrics["utility_vs_equilibrium"] == pytest.approx(1.0)


def test_bidder_metrics_by_hand():
    play = {
        "gain": np.array([1.0, 0.0, -2.0, np.nan]),
        "offset": np.array([0.5, 0.0, -1.0, np.nan]),
        "truthful_utility": np.array([2.0, 2.0, 5.0, np.nan]),
    }
    metrics = bidder_metrics(play)
    assert metrics["gain"] == pytest.approx(-1.0 / 3.0)
    assert metrics["share_gained"] == pytest.approx(1 / 3) and metrics["share_lost"] == pytest.approx(1 / 3)
    assert metrics["offset"] == pytest.approx(-0.5 / 3) and metrics["truthful_utility"] == pytest.approx(3.0)


@pytest.mark.parametrize("variant", ["classic", "strategy-proof", "double-clock"])
def test_truthful_bidders_gain_nothing_and_constant_offsets_only_under_classic(variant):
    truthful = mr.play_bidders(variant, {"buyer_0": mr.constant_offset(0.0, 3.0)}, 10)["buyer_0"]
    assert np.all(truthful["gain"] == 0.0) and np.all(truthful["offset"] == 0.0)
    budget = mr.Budget(1, 64, 1, 1, 64, 40, 5)
    best = mr.best_constant_offsets(variant, budget)
    if variant == "classic":  # the IC audit's finding: some misreport gains on average
        assert max(b["gain"] for b in best.values()) > 0.0
    else:  # truth (offset 0, on the grid) is the best constant report
        assert all(b["gain"] <= 1e-9 for b in best.values())
        assert all(b["gain"] >= 0.0 for b in best.values())


def test_results_command_end_to_end_and_resume(tmp_path, capsys):
    out = tmp_path / "marl"
    argv = ["--out", str(out), "--budget", "tiny", "--seeds", "0", "--variants", "double-clock"]
    assert mr.main(argv) == 0
    document = json.loads((out / "results.json").read_text())
    assert (
        len(document["leaders"]["learned"]) == 1 and len(document["bidders"]["double-clock"]["learned"]) == 1
    )
    assert len(document["leaders"]["learned"][0]["by_round"]) == 1  # one test per training round
    assert "best-response dynamics" in (out / "leaders.md").read_text()
    assert "| double-clock | buyer_0 |" in (out / "bidders.md").read_text()
    assert (out / "jobs" / "leaders_seed0.json").is_file() and any((out / "models").glob("*.zip"))
    capsys.readouterr()
    assert mr.main(argv) == 2  # never silently overwritten
    assert "not empty" in capsys.readouterr().err
    assert mr.main([*argv, "--resume"]) == 0  # finished jobs are reused, not retrained
    assert capsys.readouterr().out.count("reused") == 2
    assert json.loads((out / "results.json").read_text())["leaders"] == document["leaders"]


@pytest.mark.parametrize(
    ("flags", "field"),
    [
        (["--workers", "0"], "--workers"),
        (["--seeds", "1", "1"], "--seeds"),
        (["--seeds", "-1"], "--seeds"),
        (["--variants", "classic", "classic"], "--variants"),
    ],
)
def test_results_command_names_bad_flags(tmp_path, capsys, flags, field):
    assert mr.main(["--out", str(tmp_path / "x"), "--budget", "tiny", *flags]) == 2
    assert field in capsys.readouterr().err and not (tmp_path / "x").exists()
