"""figures.py (agents.figures) writes every figure on a tiny budget; it refuses to overwrite without
--overwrite. Both train or run for real: the slow tier."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from agents.figures.cli import main as figures_main
from agents.runs.cli import main as train_main

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
EXPECTED = {
    "fig3_linear_search.png",
    "fig4_convergence.png",
    "two_tier_coupling.png",
    "efficiency_vs_rounds_frontier.png",
    "welfare_vs_market_size.png",
    "sensitivity_n_aa.png",
    "sensitivity_eta.png",
    "sensitivity_n_wa.png",
    "fig5_training_curves.png",
}
TABLES = {"two_tier_coupling.md", "ceiling.md", "sensitivity.md", "learning_speed.md"}


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    torch.set_num_threads(1)
    runs = tmp_path_factory.mktemp("runs")
    for algo, hyper in (
        ("diffusion", ["learning_starts:50", "batch_size:16", "net_arch:[16]", "n_timesteps_denoise:2"]),
        ("ppo", ["n_steps:32", "batch_size:32", "n_epochs:1"]),
    ):
        for seed in (0, 1):
            code = train_main(
                [
                    "--algo",
                    algo,
                    "--env",
                    "IoA-DDA-v0",
                    "-n",
                    "128",
                    "--seed",
                    str(seed),
                    "-f",
                    str(runs),
                    "--eval-freq",
                    "64",
                    "--eval-episodes",
                    "1",
                    "--n-envs",
                    "1",
                    "--device",
                    "cpu",
                    "--hyperparams",
                    *hyper,
                    "--env-kwargs",
                    "max_rounds:40",
                ]
            )
            assert code == 0
    return runs


def test_every_figure_is_written(tiny_runs, tmp_path):
    out = tmp_path / "figs"
    assert figures_main(["--out", str(out), "--runs", str(tiny_runs), "--budget", "tiny"]) == 0
    written = {p.name for p in out.glob("*.png")}
    assert written == EXPECTED
    assert {p.name for p in out.glob("*.md")} == TABLES
    ceiling = (out / "ceiling.md").read_text()
    for env_id in ("IoA-DDA-v0", "IoA-DDA-StrategyProof-v0", "IoA-DDA-DoubleClock-v0"):
        assert f"### {env_id}" in ceiling
    assert "| diffusion (2 runs) |" in ceiling and "| ppo (2 runs) |" in ceiling
    for path in out.glob("*.png"):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


def test_existing_figures_are_not_overwritten(tmp_path):
    out = tmp_path / "figs"
    out.mkdir()
    (out / "fig3_linear_search.png").write_bytes(b"keep me")
    result = subprocess.run(
        [sys.executable, str(ROOT / "figures.py"), "--out", str(out), "--budget", "tiny"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 2 and "--overwrite" in result.stderr
    assert (out / "fig3_linear_search.png").read_bytes() == b"keep me"
