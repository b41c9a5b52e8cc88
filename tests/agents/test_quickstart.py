"""The README's main command (quickstart.py, agents.quickstart): its steps are wired together as the README
says. Training and evaluation are replaced by recorders (each is tested end to end in runs/test_train.py and
evaluation/test_evaluate.py; a real quickstart takes minutes); the training-curve figure is drawn for real."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import agents.evaluation.cli
import agents.runs.cli
from agents.quickstart import main


def test_quickstart_trains_both_agents_evaluates_them_with_the_baselines_and_plots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[list[str]] = []

    def fake_train(argv: list[str]) -> int:
        calls.append(list(argv))
        algo, folder = argv[argv.index("--algo") + 1], Path(argv[argv.index("-f") + 1])
        run = folder / algo / "IoA-DDA-v0_1"
        run.mkdir(parents=True)
        np.savez(
            run / "evaluations.npz",
            timesteps=[10, 20],
            results=[[0.5, 0.6], [0.7, 0.8]],
            ep_lengths=[[9, 9]] * 2,
        )
        return 0

    def fake_evaluate(argv: list[str]) -> int:
        calls.append(list(argv))
        Path(argv[argv.index("--output") + 1]).mkdir(parents=True)
        return 0

    monkeypatch.setattr(agents.runs.cli, "main", fake_train)
    monkeypatch.setattr(agents.evaluation.cli, "main", fake_evaluate)
    out = tmp_path / "quick"
    assert (
        main(
            [
                "--diffusion-steps",
                "60",
                "--ppo-steps",
                "120",
                "--episodes",
                "2",
                "--seeds",
                "0",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    (diffusion, ppo, evaluate) = calls
    assert diffusion[:6] == ["--algo", "diffusion", "--env", "IoA-DDA-v0", "-n", "60"]
    assert ppo[:6] == ["--algo", "ppo", "--env", "IoA-DDA-v0", "-n", "120"]
    agents_given = evaluate[evaluate.index("--agents") + 1 :]
    assert agents_given == [
        f"diffusion={out / 'diffusion' / 'IoA-DDA-v0_1'}",
        f"ppo={out / 'ppo' / 'IoA-DDA-v0_1'}",
        "greedy",
        "random",
        "fixed-step:step=1.0",
        "adaptive",
    ]
    curves = out / "results" / "training_curves.png"
    assert curves.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Done in" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:  # a non-empty --out is refused
        main(["--out", str(out)])
    assert exit_info.value.code == 2
