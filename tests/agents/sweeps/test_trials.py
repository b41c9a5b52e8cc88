"""One sweep trial without Ray's scheduler (agents/sweeps/trials.py): train.py's code path into a given run
folder (refused when it holds files), and a run killed after its last checkpoint finished, not retrained."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from agents import ConfigError
from agents.runs import train
from agents.sweeps.spec import Trial
from agents.sweeps.trials import resolve, run_trial
from tests.agents.sweeps.helpers import PPO, TRAIN, needs_ray

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_train_into_a_given_run_folder_refuses_one_that_holds_files(tmp_path):
    trial = Trial(algo="ppo", env="IoA-DDA-v0", seed=0, run_name="IoA-DDA-v0_1", n_timesteps=256)
    config = resolve(trial, tmp_path / "runs", {"n_steps": 128, "batch_size": 128}, {})
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("x")
    with pytest.raises(ConfigError, match="not empty"):
        train(config, run_dir=taken)
    assert sorted(p.name for p in taken.iterdir()) == ["keep.txt"] and not (tmp_path / "runs").exists()
    reports = []
    assert (
        train(
            dataclasses.replace(config, eval_freq=128),
            run_dir=tmp_path / "new",
            on_evaluation=lambda t, r: reports.append(t),
        )
        == 0
    )
    assert reports == [128, 256] and (tmp_path / "new" / "IoA-DDA-v0.zip").is_file()


@needs_ray
def test_a_run_killed_after_its_last_checkpoint_is_finished_not_retrained(tmp_path, monkeypatch):
    """Killed between the checkpoint at n_timesteps and the final save: the trial takes that checkpoint as
    the final model (resuming would refuse, -n not above the checkpoint, and the trial would never finish)."""
    from ray import tune

    trial = Trial(
        algo="ppo",
        env="IoA-DDA-v0",
        seed=0,
        run_name="IoA-DDA-v0_1",
        n_timesteps=256,
        hyperparams=PPO,
        train={**TRAIN, "save_freq": 128},
    )
    runs = tmp_path / "runs"
    run = runs / "ppo" / "IoA-DDA-v0_1"
    assert train(resolve(trial, runs, PPO, {}), run_dir=run) == 0
    (run / "IoA-DDA-v0.zip").unlink()  # as if killed before the final save
    reports = []
    monkeypatch.setattr(tune, "report", reports.append)
    run_trial({"index": 0, "trial": dataclasses.asdict(trial), "runs": str(runs)})
    assert (run / "IoA-DDA-v0.zip").is_file() and reports[-1]["done"] and reports[-1]["timesteps"] == 256
    assert yaml.safe_load((run / "config.yml").read_text())["resumed"] == []  # not retrained
