"""sweep.py on a local Ray (agents/sweeps): a two-trial sweep writing train.py's run folders, a failing trial
that leaves the others alone, the resume of an interrupted sweep that leaves finished trials untouched, and
Tune's sampling of a block's distributions. Each starts Ray in a subprocess: the slow tier."""

from __future__ import annotations

import csv
import os
import signal
import time

import numpy as np
import pytest
import yaml

from tests.agents.sweeps.helpers import PPO, TRAIN, needs_ray, start_sweep, trial_rows, write_sweep_file

pytestmark = [pytest.mark.slow, needs_ray]
CRASHING = "tests.agents.sweeps.helpers:CrashingPPO"
"""A learner whose training fails, importable by Ray's workers (the project root is on their path)."""


def test_a_sweep_of_two_trials_writes_train_py_run_folders(tmp_path):
    config = write_sweep_file(
        tmp_path,
        {
            "name": "two",
            "train": TRAIN,
            "trials": [
                {"algo": "ppo", "env": "IoA-DDA-v0", "seed": [0, 1], "n_timesteps": 512, "hyperparams": PPO}
            ],
        },
    )
    out = tmp_path / "out"
    process = start_sweep(["--config", str(config), "--out", str(out)])
    log, _ = process.communicate(timeout=400)
    assert process.returncode == 0, log
    rows = trial_rows(out)
    assert [(r["trial"], r["seed"], r["status"]) for r in rows] == [("0", "0", "done"), ("1", "1", "done")]
    for k, row in zip((1, 2), rows, strict=True):
        run = out / "runs" / "ppo" / f"IoA-DDA-v0_{k}"
        assert (run / "IoA-DDA-v0.zip").is_file() and (run / "config.yml").is_file()
        recorded = yaml.safe_load((run / "config.yml").read_text())
        assert recorded["seed"] == k - 1 and recorded["n_timesteps"] == 512 and recorded["num_threads"] == 1
        with np.load(run / "evaluations.npz") as evaluations:  # what Tune was told is what the run wrote
            assert list(evaluations["timesteps"]) == [256, 512]
            assert float(row["eval_reward"]) == pytest.approx(float(evaluations["results"][-1].mean()))
    # evaluate.py reads the sweep folder directly: one agent over both runs.
    from agents.evaluation.cli import main as evaluate_main

    assert (
        evaluate_main(
            [
                "--env",
                "IoA-DDA-v0",
                "--sweep",
                str(out),
                "--agents",
                "adaptive",
                "--episodes",
                "3",
                "--output",
                str(tmp_path / "eval"),
                "--no-plots",
                "--no-progress",
            ]
        )
        == 0
    )
    summary = {row["agent"]: row for row in csv.DictReader(open(tmp_path / "eval" / "summary.csv"))}
    assert summary["ppo"]["n_runs"] == "2" and "adaptive" in summary
    # The same seed through train.py gives the same run (one code path).
    from agents.runs.cli import main as train_main

    argv = [
        "--algo",
        "ppo",
        "--env",
        "IoA-DDA-v0",
        "--seed",
        "0",
        "-n",
        "512",
        "-f",
        str(tmp_path / "direct"),
        "--eval-freq",
        "256",
        "--eval-episodes",
        "2",
        "--n-envs",
        "2",
        "--device",
        "cpu",
        "--num-threads",
        "1",
        "--verbose",
        "0",
        "--hyperparams",
        "n_steps:128",
        "batch_size:128",
    ]
    assert train_main(argv) == 0
    with (
        np.load(tmp_path / "direct/ppo/IoA-DDA-v0_1/evaluations.npz") as direct,
        np.load(out / "runs/ppo/IoA-DDA-v0_1/evaluations.npz") as swept,
    ):
        np.testing.assert_array_equal(direct["results"], swept["results"])


def test_a_failing_trial_is_reported_and_the_others_finish(tmp_path):
    config = write_sweep_file(
        tmp_path,
        {
            "name": "fail",
            "train": TRAIN,
            "max_failures": 1,
            "trials": [
                {
                    "algo": [CRASHING, "ppo"],
                    "env": "IoA-DDA-v0",
                    "seed": 0,
                    "n_timesteps": 256,
                    "hyperparams": PPO,
                }
            ],
        },
    )
    out = tmp_path / "out"
    process = start_sweep(["--config", str(config), "--out", str(out)])
    log, _ = process.communicate(timeout=400)
    assert process.returncode == 1, log
    assert "planted failure" in log
    status = {r["algo"]: r["status"] for r in trial_rows(out)}
    assert status == {CRASHING: "error", "ppo": "done"}
    assert (out / "runs/ppo/IoA-DDA-v0_1/IoA-DDA-v0.zip").is_file()


def test_an_interrupted_sweep_resumes_and_leaves_finished_trials_alone(tmp_path):
    # Trial 0 is short, trial 1 long enough to be interrupted after its first checkpoint; one at a time.
    config = write_sweep_file(
        tmp_path,
        {
            "name": "resume",
            "train": {**TRAIN, "save_freq": 256},
            "max_concurrent": 1,
            "trials": [
                {"algo": "ppo", "env": "IoA-DDA-v0", "seed": 0, "n_timesteps": 256, "hyperparams": PPO},
                {"algo": "ppo", "env": "IoA-DDA-v0", "seed": 1, "n_timesteps": 6144, "hyperparams": PPO},
            ],
        },
    )
    out = tmp_path / "out"
    first, second = out / "runs/ppo/IoA-DDA-v0_1", out / "runs/ppo/IoA-DDA-v0_2"
    process = start_sweep(["--config", str(config), "--out", str(out)], start_new_session=True)
    deadline = time.monotonic() + 300
    while not list((second / "checkpoints").glob("*.zip")):
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the second trial never checkpointed"
        time.sleep(0.5)
    assert (first / "IoA-DDA-v0.zip").is_file()
    finished = {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()}
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the driver and Ray's workers alike
    log, _ = process.communicate(timeout=120)
    assert process.returncode == 130, log  # interrupted, and says how to continue
    assert "--resume" in log
    assert not (second / "IoA-DDA-v0.zip").is_file()  # really interrupted

    process = start_sweep(["--resume", str(out)])
    log, _ = process.communicate(timeout=400)
    assert process.returncode == 0, log
    assert [r["status"] for r in trial_rows(out)] == ["done", "done"]
    assert {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()} == finished
    recorded = yaml.safe_load((second / "config.yml").read_text())
    assert len(recorded["resumed"]) == 1  # continued from its checkpoint, not retrained
    with np.load(second / "evaluations.npz") as evaluations:
        assert evaluations["timesteps"][-1] == 6144
        assert list(evaluations["timesteps"]) == sorted(set(evaluations["timesteps"]))


def test_tune_samples_the_distributions_of_a_block(tmp_path):
    config = write_sweep_file(
        tmp_path,
        {
            "name": "sampled",
            "train": TRAIN,
            "samples": 2,
            "trials": [
                {
                    "algo": "ppo",
                    "env": "IoA-DDA-v0",
                    "seed": 0,
                    "n_timesteps": 256,
                    "hyperparams": {**PPO, "learning_rate": {"loguniform": [1e-5, 1e-3]}},
                }
            ],
        },
    )
    out = tmp_path / "out"
    process = start_sweep(["--config", str(config), "--out", str(out)])
    log, _ = process.communicate(timeout=400)
    assert process.returncode == 0, log
    runs = sorted((out / "runs" / "ppo").iterdir())
    assert len(runs) == 2 and all(run.name.startswith("IoA-DDA-v0_1-") for run in runs)
    rates = [yaml.safe_load((run / "config.yml").read_text())["hyperparams"]["learning_rate"] for run in runs]
    assert all(1e-5 <= rate <= 1e-3 for rate in rates) and rates[0] != rates[1]
    assert [row["status"] for row in trial_rows(out)] == ["done", "done"]
