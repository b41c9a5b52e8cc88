"""The README's main command (quickstart.py, agents.quickstart), end to end on a tiny budget: a real (short)
diffusion training, the zoo's agents and the references evaluated on the same auctions, the table within 100
columns, the output short, the files where its docstring says."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from agents.quickstart import ENV_ID, agent_specs, main
from agents.zoo import resolve

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_quickstart_trains_evaluates_the_zoo_with_the_references_and_prints_a_short_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "quick"
    argv = ["--diffusion-steps", "64", "--episodes", "2", "--seeds", "0", "3", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert len(lines) <= 60
    # Every line within 100 columns but those naming the output folder (pytest's is long).
    assert max(len(line) for line in lines if str(out) not in line) <= 100
    assert not [line for line in lines if line.startswith("|")]  # no SB3 table without -v
    labels = ["your diffusion", "zoo diffusion", "zoo PPO", "adaptive", "best fixed step", "random"]
    for label in [*labels, "greedy", "clairvoyant"]:
        assert any(line.startswith(label + " ") for line in lines), label
    rows = {row["agent"]: row for row in csv.DictReader((out / "results" / "summary.csv").open())}
    assert rows["zoo diffusion"]["n_runs"] == "3" and rows["zoo PPO"]["n_runs"] == "3"
    assert rows["your diffusion"]["runs"] == str(out / "diffusion" / f"{ENV_ID}_1")
    episodes = list(csv.DictReader((out / "results" / "episodes.csv").open()))
    assert {(row["eval_seed"], row["episode"]) for row in episodes} == {
        ("0", "0"),
        ("0", "1"),
        ("3", "0"),
        ("3", "1"),
    }
    assert (out / "results" / "training_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "diffusion" / f"{ENV_ID}_1" / f"{ENV_ID}.zip").is_file()
    assert "Done in" in printed
    with pytest.raises(SystemExit) as exit_info:  # a non-empty --out is refused
        main(["--out", str(out)])
    assert exit_info.value.code == 2


def test_quickstart_compares_with_the_zoo_and_the_mechanisms_best_fixed_step(tmp_path: Path) -> None:
    import gymnasium as gym

    from ioa_gym.envs.access import best_fixed_step

    specs = agent_specs(tmp_path)
    assert f"best fixed step=fixed-step:step={best_fixed_step(gym.make(ENV_ID))}" in specs
    assert f"zoo diffusion=zoo:diffusion/{ENV_ID}" in specs and f"zoo PPO=zoo:ppo/{ENV_ID}" in specs
    assert len(resolve(f"zoo:diffusion/{ENV_ID}")) == 3
