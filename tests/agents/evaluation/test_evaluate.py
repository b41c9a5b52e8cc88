"""evaluate.py / agents.evaluation: every agent kind on the same seeded episodes, statistics, outputs, errors.

Models are tiny and trained for a few hundred steps in a module fixture: two PPO runs through train.py's
``main`` (real run folders with config.yml) and a diffusion actor-critic saved as a bare zip.
"""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

import ioa_gym  # noqa: F401  (registers the environments)
from agents import make_agent
from agents.common.errors import ConfigError
from agents.common.stats import mean_confidence_interval, student_t_quantile
from agents.common.tables import render_table
from agents.evaluation import (
    BASE_COLUMNS,
    EvaluationResult,
    agent_seed,
    evaluate_agents,
    main,
    parse_agent_spec,
    reset_seed,
    write_results,
)
from agents.runs.cli import main as train_main
from ioa_gym.analysis.ic_audit import market_seed

pytestmark = pytest.mark.usefixtures("one_torch_thread")
REPO = Path(__file__).resolve().parents[3]
EVALUATE_PY = REPO / "evaluate.py"
ALL_KINDS = ["a2c", "greedy", "random", "fixed-step:step=1.0", "adaptive:gap_fraction=0.3"]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Two PPO run folders (seeds 0, 1; 128 steps) and a diffusion zip (200 steps), tiny networks."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # module fixtures start before the autouse one
    root = tmp_path_factory.mktemp("models")
    for seed in (0, 1):
        code = train_main([
            "--algo", "ppo", "--env", "IoA-DDA-v0", "-n", "128", "--seed", str(seed),
            "-f", str(root / "runs"), "--n-envs", "1",
            "--hyperparams", "n_steps:64", "batch_size:64", "n_epochs:1",
            "policy_kwargs:dict(net_arch=[8])", "--eval-freq", "64", "--eval-episodes", "1",
            "--save-freq", "0", "--verbose", "0",
        ])  # fmt: skip
        assert code == 0
    diffusion = make_agent(
        "diffusion",
        gym.make("IoA-DDA-v0"),
        seed=0,
        learning_starts=64,
        batch_size=16,
        buffer_size=1000,
        net_arch=[16],
        n_timesteps_denoise=3,
    )
    diffusion.learn(200)
    diffusion.save(root / "diffusion.zip")
    corrupt = root / "corrupt.zip"
    corrupt.write_bytes(b"PK\x03\x04 this is not a model")
    torch.set_num_threads(threads)
    yield {
        "runs": root / "runs",
        "ppo_glob": root / "runs" / "ppo" / "IoA-DDA-v0_*",
        "diffusion": root / "diffusion.zip",
        "corrupt": corrupt,
    }


def episodes_without_times(text: str) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        row.pop("wall_time_s")
    return rows


def summaries_without_times(result: EvaluationResult) -> list[dict[str, object]]:
    rows = []
    for summary in result.summaries():
        row = summary.row()
        row.pop("time_per_episode_s")
        rows.append(row)
    return rows


# --- statistics and seeds ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("df", "expected"),
    [
        (1, 12.7062),
        (2, 4.3027),
        (4, 2.7764),
        (9, 2.2622),
        (29, 2.0452),
        (120, 1.9799),
        (1000, 1.9623),
        (10**6, 1.9600),
    ],
)
def test_student_t_quantile_matches_tables(df: int, expected: float) -> None:
    assert student_t_quantile(0.975, df) == pytest.approx(expected, abs=1e-4)
    assert student_t_quantile(0.025, df) == pytest.approx(-expected, abs=1e-4)


def test_mean_confidence_interval() -> None:
    mean, low, high = mean_confidence_interval([1.0, 2.0, 3.0])
    half = 4.302653 / math.sqrt(3)
    assert (mean, low, high) == pytest.approx((2.0, 2.0 - half, 2.0 + half), abs=1e-5)
    assert math.isnan(mean_confidence_interval([5.0])[1])


def test_reset_seed_rule_is_shared_with_the_ic_audit() -> None:
    assert reset_seed(0, 0) == 2**32 and reset_seed(2, 7) == 2**32 + 2_000_007
    assert agent_seed(2, 7) == 2_000_007
    assert all(reset_seed(s, i) == market_seed(s, i) for s in (0, 3) for i in (0, 99))


# --- agent specs -------------------------------------------------------------------------------------------


def test_parse_agent_spec_forms(tmp_path: Path) -> None:
    for number in (1, 2, 10):
        (tmp_path / f"IoA-DDA-v0_{number}").mkdir()
    request = parse_agent_spec(f"ppo={tmp_path}/IoA-DDA-v0_*")
    assert request.label == "ppo" and [p.name for p in request.paths] == [
        "IoA-DDA-v0_1",
        "IoA-DDA-v0_2",
        "IoA-DDA-v0_10",
    ]  # natural order
    named = parse_agent_spec("fixed-step:action=[0.2, -0.5],step=None")
    assert (named.label, named.name, dict(named.kwargs)) == (
        "fixed-step:action=[0.2, -0.5],step=None",
        "fixed-step",
        {"action": [0.2, -0.5], "step": None},
    )
    relabelled = parse_agent_spec("fs1=fixed-step:step=1.0")
    assert (relabelled.label, relabelled.name, dict(relabelled.kwargs)) == (
        "fs1",
        "fixed-step",
        {"step": 1.0},
    )
    assert parse_agent_spec("stable_baselines3:PPO").name == "stable_baselines3:PPO"


def test_parse_agent_spec_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown agent 'nosuch'.*greedy"):
        parse_agent_spec("nosuch")
    with pytest.raises(ConfigError, match="no such run folder or model file: .*missing"):
        parse_agent_spec(f"x={tmp_path}/missing")
    with pytest.raises(ConfigError, match="no run folder or model file matches"):
        parse_agent_spec(f"x={tmp_path}/none_*")
    (tmp_path / "run").mkdir()
    with pytest.raises(ConfigError, match="LABEL=PATH"):
        parse_agent_spec(f"{tmp_path}/run")
    with pytest.raises(ConfigError, match="duplicate agent label"):
        evaluate_agents("IoA-DDA-v0", ["greedy", "greedy"], episodes=1)
    with pytest.raises(ConfigError, match="outside the action space"):
        evaluate_agents("IoA-DDA-v0", ["fixed-step:action=5.0"], episodes=1)
    with pytest.raises(ConfigError, match="valid arguments: .*gap_fraction"):
        evaluate_agents("IoA-DDA-v0", ["adaptive:nonsense=1"], episodes=1)
    with pytest.raises(ConfigError, match="unknown env id"):
        evaluate_agents("IoA-Nope-v0", ["greedy"], episodes=1)
    with pytest.raises(ConfigError, match="invalid --env-kwargs"):
        evaluate_agents("IoA-DDA-v0", ["greedy"], episodes=1, env_kwargs={"eta": -1.0})
    with pytest.raises(ConfigError, match="distinct"):
        evaluate_agents("IoA-DDA-v0", ["greedy"], episodes=1, seeds=[1, 1])


# --- the harness -------------------------------------------------------------------------------------------


def test_every_agent_kind_on_the_same_episodes(models: dict[str, Path], tmp_path: Path) -> None:
    specs = [f"diffusion={models['diffusion']}", f"ppo={models['ppo_glob']}", *ALL_KINDS]
    result = evaluate_agents("IoA-DDA-v0", specs, episodes=2, seeds=[0, 1])
    labels = ["diffusion", "ppo", *ALL_KINDS]
    assert len(result.rows) == (len(labels) + 1) * 4  # ppo has two runs
    summaries = {summary.label: summary for summary in result.summaries()}
    assert list(summaries) == labels
    assert [summaries[label].kind for label in labels] == [
        "trained",
        "trained",
        "untrained",
        "baseline",
        "baseline",
        "baseline",
        "policy",
    ]
    assert summaries["ppo"].ci_over == "training runs" and summaries["ppo"].n_units == 2
    assert {summaries[label].ci_over for label in labels if label != "ppo"} == {"evaluation seeds"}
    assert all(summary.n_pairs == 4 for summary in summaries.values())
    best = result.best_agent(list(summaries.values()))
    assert summaries[best].diff_to_best == 0.0
    assert all(s.return_mean <= summaries[best].return_mean for s in summaries.values())
    for summary in summaries.values():
        # Every boolean info key is counted (episodes where it was False); IR and SBB always hold, and an
        # episode ends with its auction (the auction_ended key, where the env has it).
        assert {"budget_balanced", "crossed", "individually_rational"} <= set(summary.violations)
        assert {key: count for key, count in summary.violations.items() if key != "crossed"} == dict.fromkeys(
            set(summary.violations) - {"crossed"}, 0
        )
        assert 0.0 <= summary.means["efficiency"] <= 1.0 and summary.means["rounds"] >= 1
    # Same episodes for every agent: a reset seed means the same market (same efficient welfare).
    markets: dict[int, float] = {}
    for row in result.rows:
        assert row["reset_seed"] == reset_seed(row["eval_seed"], row["episode"])
        assert markets.setdefault(row["reset_seed"], row["efficient_welfare"]) == row["efficient_welfare"]
    assert len(markets) == 4
    table = result.table()
    assert "UNTRAINED: a2c" in table and "training runs" in table and "Paired difference" in table

    written = write_results(result, tmp_path / "out")
    assert {path.name for path in written} == {
        "episodes.csv",
        "summary.csv",
        "summary.json",
        "table.txt",
        "returns.png",
        "efficiency_vs_rounds.png",
    }
    with open(tmp_path / "out" / "episodes.csv") as file:
        reader = csv.DictReader(file)
        rows = list(reader)
    assert tuple(reader.fieldnames[: len(BASE_COLUMNS)]) == BASE_COLUMNS
    assert {
        "efficiency",
        "rounds",
        "clearing_price",
        "individually_rational",
        "budget_balanced",
        "social_welfare",
        "efficient_welfare",
        "units_traded",
    } <= set(reader.fieldnames)
    assert len(rows) == len(result.rows) and {row["run"] for row in rows if row["agent"] == "ppo"} == {
        str(models["runs"] / "ppo" / f"IoA-DDA-v0_{n}") for n in (1, 2)
    }
    with open(tmp_path / "out" / "summary.csv") as file:
        summary_rows = list(csv.DictReader(file))
    assert [row["agent"] for row in summary_rows] == labels
    assert {
        "return_mean",
        "return_std",
        "ci_low",
        "ci_high",
        "ci_over",
        "diff_to_best",
        "mean_efficiency",
        "mean_rounds",
        "mean_clearing_price",
        "violations_individually_rational",
        "violations_budget_balanced",
        "time_per_episode_s",
    } <= set(summary_rows[0])

    def no_nan(constant: str) -> None:
        raise AssertionError(f"summary.json holds {constant}")

    document = json.loads((tmp_path / "out" / "summary.json").read_text(), parse_constant=no_nan)
    assert document["seeds"] == [0, 1] and document["env_kwargs"] == {} and document["episodes_per_seed"] == 2
    assert document["versions"]["stable-baselines3"] and [a["agent"] for a in document["agents"]] == labels
    for name in ("returns.png", "efficiency_vs_rounds.png"):
        assert (tmp_path / "out" / name).read_bytes()[:4] == b"\x89PNG"

    # Identical arguments, everything reloaded: identical episodes and statistics, up to wall times.
    again = evaluate_agents("IoA-DDA-v0", specs, episodes=2, seeds=[0, 1])
    write_results(again, tmp_path / "again")
    assert episodes_without_times(
        (tmp_path / "again" / "episodes.csv").read_text()
    ) == episodes_without_times((tmp_path / "out" / "episodes.csv").read_text())
    assert summaries_without_times(again) == summaries_without_times(result)


def test_stochastic_actions_are_reproducible(models: dict[str, Path]) -> None:
    specs = [f"ppo={models['ppo_glob']}", "random"]
    kwargs = {"eta": 0.01}
    first = evaluate_agents(
        "IoA-DDA-v0", specs, episodes=3, seeds=[5], env_kwargs=kwargs, deterministic=False
    )
    second = evaluate_agents(
        "IoA-DDA-v0", specs, episodes=3, seeds=[5], env_kwargs=kwargs, deterministic=False
    )
    assert len(first.warnings) == 2 and "trained with env kwargs {}" in first.warnings[0]
    assert "warning:" in first.table() and "stochastic" in first.table()
    strip = [{k: v for k, v in row.items() if k != "wall_time_s"} for row in first.rows]
    assert strip == [{k: v for k, v in row.items() if k != "wall_time_s"} for row in second.rows]
    assert first.summaries()[1].ci_over == "episodes"  # one evaluation seed, one run


def test_stackelberg_env(models: dict[str, Path]) -> None:
    result = evaluate_agents("IoA-Stackelberg-v0", ["greedy", "a2c"], episodes=1, seeds=[0, 1])
    assert {row["length"] for row in result.rows} == {50}
    assert {"agent_utility", "best_response_utility", "best_response_price"} <= set(result.info_keys)
    assert "efficiency" not in result.info_keys
    table = result.table()
    assert "agent" in table and "utility" in table and "IR" not in table
    with pytest.raises(ConfigError, match="needs an IoA-DDA environment"):
        evaluate_agents("IoA-Stackelberg-v0", ["adaptive"], episodes=1)
    with pytest.raises(ConfigError, match=f"cannot load {models['diffusion']}"):
        evaluate_agents("IoA-Stackelberg-v0", [f"d={models['diffusion']}"], episodes=1)


def test_output_folder_rules(tmp_path: Path) -> None:
    result = evaluate_agents("IoA-DDA-v0", ["greedy"], episodes=1, env_kwargs={"market_source": "synthetic"})
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty; pass --overwrite"):
        write_results(result, out)
    assert [path.name for path in out.iterdir()] == ["notes.txt"]
    (out / "efficiency_vs_rounds.png").write_text("stale")
    (out / "welfare_vs_market_size.png").write_text("a figure, not an evaluation's file")
    written = write_results(result, out, overwrite=True, plots=False)
    assert {path.name for path in out.iterdir()} == {
        "notes.txt",
        "welfare_vs_market_size.png",
        *(path.name for path in written),
    }
    assert not list(out.glob(".*tmp*"))


# --- command line ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_command_line_errors(models: dict[str, Path], tmp_path: Path) -> None:
    """Bad input exits 2 with a clear message and no traceback, before any episode (no output folder).
    The subprocesses run concurrently: each pays the torch import."""
    cases = {
        "unknown": (
            ["--agents", "greedy", "nosuchagent"],
            ["unknown agent 'nosuchagent'", "valid choices", "fixed-step"],
        ),
        "missing": (["--agents", f"ppo={tmp_path / 'no_such_run'}"], [str(tmp_path / "no_such_run")]),
        "corrupt": (
            ["--agents", "greedy", f"bad={models['corrupt']}"],
            ["cannot load", str(models["corrupt"]), "not a valid zip"],
        ),
    }
    processes = {
        name: subprocess.Popen(
            [
                sys.executable,
                str(EVALUATE_PY),
                "--env",
                "IoA-DDA-v0",
                "--episodes",
                "2",
                "--no-progress",
                "--output",
                str(tmp_path / name),
                *arguments,
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, (arguments, _) in cases.items()
    }
    for name, (_, expected) in cases.items():
        _, stderr = processes[name].communicate(timeout=180)
        assert processes[name].returncode == 2, (name, stderr)
        assert "Traceback" not in stderr and "evaluate.py: error:" in stderr, stderr
        for text in expected:
            assert text in stderr, (name, text, stderr)
        assert not (tmp_path / name).exists()


def test_main_writes_and_refuses_a_non_empty_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = [
        "--env",
        "IoA-DDA-v0",
        "--episodes",
        "2",
        "--seeds",
        "0",
        "1",
        "--no-progress",
        "--env-kwargs",
        "eta:0.01",
        "--agents",
        "greedy",
        "adaptive",
    ]
    good = tmp_path / "good"
    assert main([*common, "--output", str(good)]) == 0
    assert {path.name for path in good.iterdir()} == {
        "episodes.csv",
        "summary.csv",
        "summary.json",
        "table.txt",
        "returns.png",
        "efficiency_vs_rounds.png",
    }
    document = json.loads((good / "summary.json").read_text())
    assert document["env_kwargs"] == {"eta": 0.01} and "--env-kwargs eta:0.01" in document["command"]
    assert "adaptive" in capsys.readouterr().out
    before = {path.name: path.stat().st_mtime_ns for path in good.iterdir()}
    assert main([*common, "--output", str(good)]) == 2
    assert "not empty; pass --overwrite" in capsys.readouterr().err
    assert {path.name: path.stat().st_mtime_ns for path in good.iterdir()} == before
    assert main([*common, "--output", str(good), "--overwrite", "--no-plots"]) == 0
    assert not (good / "returns.png").exists()


def test_table_cells_are_text_not_markup() -> None:
    rows = [["ppo[/work/runs/ppo/IoA-DDA-v0_1]", "[0.1, 0.2]"]]
    text = render_table("runs [/tmp/x]", ["agent", "value"], rows)
    assert "ppo[/work/runs/ppo/IoA-DDA-v0_1]" in text and "[0.1, 0.2]" in text and "[/tmp/x]" in text


def test_compare_reports_paired_differences_checked_against_the_episodes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cmp"
    common = ["--env", "IoA-DDA-v0", "--episodes", "3", "--seeds", "0", "1", "--no-progress", "--no-plots"]
    agents = ["--agents", "greedy", "f1=fixed-step:step=1.0", "adaptive"]
    assert (
        main(
            [
                *common,
                *agents,
                "--compare",
                "adaptive",
                "f1",
                "--compare",
                "f1",
                "greedy",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    assert "adaptive - f1:" in capsys.readouterr().out
    document = json.loads((out / "summary.json").read_text())
    returns: dict[str, dict[tuple[str, str], float]] = {}
    with open(out / "episodes.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            returns.setdefault(row["agent"], {})[(row["eval_seed"], row["episode"])] = float(row["return"])
    assert [(c["a"], c["b"]) for c in document["comparisons"]] == [("adaptive", "f1"), ("f1", "greedy")]
    for comparison in document["comparisons"]:
        diffs = [returns[comparison["a"]][key] - returns[comparison["b"]][key] for key in returns["f1"]]
        assert comparison["n_pairs"] == 6
        assert comparison["diff"] == pytest.approx(np.mean(diffs))
        half = comparison["ci_high"] - comparison["diff"]
        expected_half = 2.5705818 * np.std(diffs, ddof=1) / np.sqrt(6)  # t(0.975, 5)
        assert half == pytest.approx(expected_half, rel=1e-5)
    # an unknown label stops before any episode, naming the labels
    bad = tmp_path / "bad"
    assert main([*common, *agents, "--compare", "adaptive", "nope", "--output", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "--compare: unknown agent label 'nope'" in err and "'f1'" in err
    assert not bad.exists()
