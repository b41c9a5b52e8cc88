"""figures.py's training curves (fig5, agents/figures/training.py) average the runs by timestep, not by
position, and skip a corrupt evaluations.npz with a warning naming it; the learning speed by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import agents.figures.training
from agents.figures.training import learning_speed, speed_metrics

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def save_evaluations(run: Path, timesteps: list[int], rewards: list[float]) -> None:
    run.mkdir(parents=True)
    results = np.repeat(np.asarray(rewards, dtype=float)[:, None], 2, axis=1)
    np.savez(run / "evaluations.npz", timesteps=timesteps, results=results, ep_lengths=np.ones_like(results))


@pytest.fixture
def figure_axes(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The axes of every figure drawn (figures.training.new_figure wrapped to keep them)."""
    axes: list[Any] = []
    real_new_figure = agents.figures.training.new_figure

    def recording_new_figure(*args: Any, **kwargs: Any) -> Any:
        figure, ax = real_new_figure(*args, **kwargs)
        axes.append(ax)
        return figure, ax

    monkeypatch.setattr(agents.figures.training, "new_figure", recording_new_figure)
    return axes


def drawn_line(ax: Any, label: str) -> tuple[np.ndarray, np.ndarray]:
    """The x and y data of the line whose legend label starts with ``label``."""
    (line,) = [line for line in ax.get_lines() if str(line.get_label()).startswith(label)]
    return np.asarray(line.get_xdata()), np.asarray(line.get_ydata())


def test_fig5_averages_runs_by_timestep_and_skips_a_corrupt_file(
    tmp_path: Path, figure_axes: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    runs = tmp_path / "runs"
    # Run 1 evaluated every 10 steps; run 2 was resumed: its evaluations restart at 20, then every 15.
    save_evaluations(runs / "diffusion" / "IoA-DDA-v0_1", [10, 20, 30, 40], [1.0, 2.0, 3.0, 4.0])
    save_evaluations(runs / "diffusion" / "IoA-DDA-v0_2", [20, 35, 40, 55], [20.0, 35.0, 40.0, 55.0])
    save_evaluations(runs / "ppo" / "IoA-DDA-v0_1", [5, 10], [0.5, 1.0])
    corrupt = runs / "ppo" / "IoA-DDA-v0_2" / "evaluations.npz"
    corrupt.parent.mkdir()
    corrupt.write_bytes(b"PK\x03\x04 truncated")
    path, table = agents.figures.training.fig5_training_curves(tmp_path, runs, episodes=1)
    assert path is not None and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert table is None  # diffusion and ppo share no timestep: no common horizon to compare them over
    (ax,) = figure_axes
    steps, means = drawn_line(ax, "diffusion")
    np.testing.assert_array_equal(
        steps, [20, 40]
    )  # the timesteps both runs share; by position: 10, 20, 30, 40
    np.testing.assert_allclose(means, [(2.0 + 20.0) / 2, (4.0 + 40.0) / 2])
    steps, means = drawn_line(ax, "ppo")  # the corrupt run left out, the other drawn
    np.testing.assert_array_equal(steps, [5, 10])
    np.testing.assert_allclose(means, [0.5, 1.0])
    stderr = capsys.readouterr().err
    assert f"skipping {corrupt}" in stderr
    assert "no learning-speed table" in stderr


def test_learning_speed_by_hand(tmp_path: Path, figure_axes: list[Any]) -> None:
    steps, rewards = np.array([5, 10, 15, 20]), np.array([0.2, 0.5, 0.9, 1.0])
    # final 1.0: 0.9 < 0.95, so 95 % is first reached at 20; area (1.75 + 3.5 + 4.75) / 15.
    assert speed_metrics(steps, rewards, 20) == pytest.approx((1.0, 20.0, 10.0 / 15.0))
    # over the first 15 steps: final 0.9, 0.855 reached at 15; area (1.75 + 3.5) / 10.
    assert speed_metrics(steps, rewards, 15) == pytest.approx((0.9, 15.0, 0.525))
    with pytest.raises(ValueError, match="horizon"):
        speed_metrics(steps, rewards, 12)
    # Two learners: the horizon is the last timestep every run shares (15), the CI over runs.
    slow = [(steps, rewards), (steps, rewards * 0.5)]
    fast = [(np.array([5, 10, 15]), np.array([1.0, 1.0, 1.0]))]
    horizon, table = learning_speed({"slow": slow, "fast": fast})
    assert horizon == 15
    assert table["fast"]["steps_to_95"][:2] == (5.0, pytest.approx(float("nan"), nan_ok=True))
    assert table["slow"]["final"][0] == pytest.approx((0.9 + 0.45) / 2)
    assert table["slow"]["steps_to_95"][0] == 15.0 and table["slow"]["final"][2] == 2
    # fig5 draws every learner and writes the table over that horizon.
    runs = tmp_path / "runs"
    for i, scale in enumerate((1.0, 0.5), start=1):
        save_evaluations(
            runs / "td3" / f"IoA-DDA-StrategyProof-v0_{i}", [5, 10, 15, 20], list(rewards * scale)
        )
    save_evaluations(runs / "sac" / "IoA-DDA-StrategyProof-v0_1", [5, 10, 15], [1.0, 1.0, 1.0])
    assert agents.figures.training.run_env_ids(runs) == ["IoA-DDA-StrategyProof-v0"]
    path, text = agents.figures.training.fig5_training_curves(
        tmp_path, runs, 1, env_id="IoA-DDA-StrategyProof-v0"
    )
    assert path.name == "fig5_training_curves_IoA-DDA-StrategyProof-v0.png"
    assert "first 15 environment steps" in text and "| sac | 1 | 1.000 | 5 | 1.000 |" in text


def test_fig5_refuses_runs_without_a_common_timestep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = tmp_path / "runs"
    save_evaluations(runs / "ppo" / "IoA-DDA-v0_1", [10, 20], [1.0, 2.0])
    save_evaluations(runs / "ppo" / "IoA-DDA-v0_2", [15, 25], [1.5, 2.5])
    assert agents.figures.training.fig5_training_curves(tmp_path, runs, episodes=1) == (None, None)
    assert "share no evaluation timestep" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.png"))
