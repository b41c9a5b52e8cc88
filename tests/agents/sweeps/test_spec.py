"""sweep.py (agents.sweep): the sweep file named field by field, the grid and its run folders, and on a local
Ray: a two-trial sweep, a failing trial that leaves the others alone, and the resume of an interrupted
sweep that leaves finished trials untouched."""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from agents import sweep

ROOT = Path(__file__).resolve().parent.parent


def _spec(**blocks):
    return {"name": "t", "trials": [{"algo": "ppo", "env": "IoA-DDA-v0", **blocks}]}


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"trials": []}, "trials"),
        ({"trials": [{"env": "IoA-DDA-v0"}]}, r"trials\[0\].algo"),
        ({"trials": [{"algo": "ppo", "env": "IoA-DDA-v0", "colour": 1}]}, "colour"),
        ({"trials": [{"algo": "ppo", "env": "IoA-DDA-v0"}], "colour": 1}, "colour"),
        ({"trials": [{"algo": "ppo", "env": "IoA-DDA-v0"}], "max_failures": -1}, "max_failures"),
        ({"trials": [{"algo": "ppo", "env": "IoA-DDA-v0"}], "resources": {"tpu": 1}}, "resources"),
        ({"trials": [{"algo": "ppo", "env": "IoA-DDA-v0"}], "train": {"lr": 1}}, "train"),
        ({"trials": [{"algo": "ppo", "env": "IoA-DDA-v0", "seed": "zero"}]}, r"trials\[0\].seed"),
        (
            {
                "trials": [
                    {
                        "algo": "ppo",
                        "env": "IoA-DDA-v0",
                        "hyperparams": {"learning_rate": {"loguniform": [0, 1]}},
                    }
                ]
            },
            r"hyperparams.learning_rate.loguniform",
        ),
        (
            {"trials": [{"algo": "ppo", "env": "IoA-DDA-v0"}], "samples": 3},
            "samples",
        ),
    ],
)
def test_bad_sweep_files_are_named(spec, field):
    with pytest.raises(sweep.SweepConfigError, match=field):
        sweep.expand(sweep.check_spec({"name": "t", **spec}, "test"))


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"algo": "ppo", "env": "IoA-Nope-v0"}, "IoA-Nope-v0"),
        ({"algo": "nope", "env": "IoA-DDA-v0"}, "nope"),
        ({"algo": "ppo", "env": "IoA-DDA-v0", "hyperparams": {"learning_rat": 0.1}}, "learning_rat"),
        ({"algo": "ppo", "env": "IoA-DDA-v0", "env_kwargs": {"n_aa": -3}}, "n_aa"),
        ({"algo": "ppo", "env": "IoA-DDA-v0", "train": {"eval_freq": -5}}, "eval-freq"),
        ({"algo": "ppo", "env": "IoA-DDA-v0", "train": {"num_threads": -1}}, "num_threads"),
    ],
)
def test_bad_trials_are_named_before_anything_runs(tmp_path, capsys, block, message):
    config = tmp_path / "s.yml"
    config.write_text(yaml.safe_dump({"trials": [block]}))
    assert sweep.main(["--config", str(config), "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_grid_points_and_run_folders_follow_the_file():
    spec = sweep.check_spec(
        {
            "name": "g",
            "trials": [
                {
                    "algo": ["ppo", "sac"],
                    "env": "IoA-DDA-v0",
                    "seed": [0, 1, 2],
                    "hyperparams": {
                        "learning_rate": {"grid": [1e-4, 3e-4]},
                        "policy_kwargs": {"net_arch": [8]},
                    },
                },
                {"algo": "ppo", "env": "IoA-DDA-v0", "seed": 7, "env_kwargs": {"n_aa": {"choice": [3, 5]}}},
            ],
            "samples": 1,
        },
        "test",
    )
    trials = sweep.expand(spec)
    assert len(trials) == 2 * 2 * 3 + 1
    ppo = [t for t in trials if t.algo == "ppo"]
    assert [t.run_name for t in ppo] == [f"IoA-DDA-v0_{k}" for k in range(1, 8)]
    assert [t.seed for t in ppo[:3]] == [0, 1, 2] and ppo[0].hyperparams["learning_rate"] == 1e-4
    assert ppo[0].hyperparams["policy_kwargs"] == {"net_arch": [8]}  # a plain mapping is a value, not a grid
    assert ppo[-1].sampled == {"env_kwargs": {"n_aa": {"choice": [3, 5]}}}


needs_ray = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason="Ray Tune is the sweep extra (the test extra installs it)"
)


def _sweep(args, env_extra=None, **kwargs):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)]), **(env_extra or {})}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "sweep.py"), "--num-cpus", "2", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def _rows(out):
    with open(out / "trials.csv") as file:
        return list(csv.DictReader(file))


def _write(tmp_path, spec):
    path = tmp_path / "sweep.yml"
    path.write_text(yaml.safe_dump(spec))
    return path


TRAIN = {"eval_freq": 256, "eval_episodes": 2, "n_envs": 2, "device": "cpu"}
PPO = {"n_steps": 128, "batch_size": 128}


@pytest.mark.slow
@needs_ray
def test_a_sweep_of_two_trials_writes_train_py_run_folders(tmp_path):
    config = _write(
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
    process = _sweep(["--config", str(config), "--out", str(out)])
    log, _ = process.communicate(timeout=400)
    assert process.returncode == 0, log
    rows = _rows(out)
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
    from agents.training.cli import main as train_main

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


@pytest.mark.slow
@needs_ray
def test_a_failing_trial_is_reported_and_the_others_finish(tmp_path):
    config = _write(
        tmp_path,
        {
            "name": "fail",
            "train": TRAIN,
            "max_failures": 1,
            "trials": [
                {
                    "algo": ["sweep_helpers:CrashingPPO", "ppo"],
                    "env": "IoA-DDA-v0",
                    "seed": 0,
                    "n_timesteps": 256,
                    "hyperparams": PPO,
                }
            ],
        },
    )
    out = tmp_path / "out"
    process = _sweep(["--config", str(config), "--out", str(out)])
    log, _ = process.communicate(timeout=400)
    assert process.returncode == 1, log
    assert "planted failure" in log
    status = {r["algo"]: r["status"] for r in _rows(out)}
    assert status == {"sweep_helpers:CrashingPPO": "error", "ppo": "done"}
    assert (out / "runs/ppo/IoA-DDA-v0_1/IoA-DDA-v0.zip").is_file()


@pytest.mark.slow
@needs_ray
def test_an_interrupted_sweep_resumes_and_leaves_finished_trials_alone(tmp_path):
    # Trial 0 is short, trial 1 long enough to be interrupted after its first checkpoint; one at a time.
    config = _write(
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
    process = _sweep(["--config", str(config), "--out", str(out)], start_new_session=True)
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

    process = _sweep(["--resume", str(out)])
    log, _ = process.communicate(timeout=400)
    assert process.returncode == 0, log
    assert [r["status"] for r in _rows(out)] == ["done", "done"]
    assert {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()} == finished
    recorded = yaml.safe_load((second / "config.yml").read_text())
    assert len(recorded["resumed"]) == 1  # continued from its checkpoint, not retrained
    with np.load(second / "evaluations.npz") as evaluations:
        assert evaluations["timesteps"][-1] == 6144
        assert list(evaluations["timesteps"]) == sorted(set(evaluations["timesteps"]))


def _fake_run(folder, algo, env_id, hyperparams, finished=True, n_timesteps=1000):
    folder.mkdir(parents=True)
    config = {"algo": algo, "env_id": env_id, "env_name": env_id, "hyperparams": hyperparams}
    (folder / "config.yml").write_text(yaml.safe_dump({**config, "n_timesteps": n_timesteps}))
    if finished:
        (folder / f"{env_id}.zip").write_bytes(b"")


def test_a_sweep_folder_groups_runs_by_algorithm_and_setting(tmp_path):
    (tmp_path / "sweep.yml").write_text("name: x\n")
    runs = tmp_path / "runs"
    for k in (1, 2, 10):
        _fake_run(runs / "ppo" / f"IoA-DDA-v0_{k}", "ppo", "IoA-DDA-v0", {"learning_rate": 0.1})
    _fake_run(runs / "ppo" / "IoA-DDA-v0_3", "ppo", "IoA-DDA-v0", {"learning_rate": 0.2})
    _fake_run(runs / "sac" / "IoA-DDA-v0_1", "sac", "IoA-DDA-v0", {})
    _fake_run(runs / "sac" / "IoA-DDA-DoubleClock-v0_1", "sac", "IoA-DDA-DoubleClock-v0", {})
    _fake_run(runs / "sac" / ".IoA-DDA-v0_2.abandoned-1", "sac", "IoA-DDA-v0", {})  # set aside: not a run
    _fake_run(runs / "sac" / "IoA-DDA-v0_3", "sac", "IoA-DDA-v0", {}, finished=False)  # errored: left out
    _fake_run(runs / "td3" / "IoA-DDA-v0_1", "td3", "IoA-DDA-v0", {}, n_timesteps=1000)
    _fake_run(runs / "td3" / "IoA-DDA-v0_2", "td3", "IoA-DDA-v0", {}, n_timesteps=2000)  # another budget
    groups = {group.label: group for group in sweep.sweep_runs(tmp_path, "IoA-DDA-v0")}
    assert set(groups) == {"ppo[1]", "ppo[2]", "sac", "td3[1]", "td3[2]"}
    assert [p.name for p in groups["ppo[1]"].paths] == ["IoA-DDA-v0_1", "IoA-DDA-v0_2", "IoA-DDA-v0_10"]
    assert groups["ppo[2]"].hyperparams == {"learning_rate": 0.2} and len(groups["sac"].paths) == 1
    with pytest.raises(sweep.SweepConfigError, match="no run on IoA-DDA-Discrete-v0"):
        sweep.sweep_runs(tmp_path, "IoA-DDA-Discrete-v0")
    with pytest.raises(sweep.SweepConfigError, match="not a sweep folder"):
        sweep.sweep_runs(runs, "IoA-DDA-v0")
    from agents.figures import build_parser, check_arguments

    _, found = check_arguments(
        build_parser().parse_args(["--out", str(tmp_path / "f"), "--runs", str(tmp_path)])
    )
    assert found == runs  # figures.py --runs takes the sweep folder


def test_a_sweep_from_flags_is_the_same_as_from_a_file(tmp_path, capsys):
    flags = [
        "--algo",
        "ppo",
        "sac",
        "--env",
        "IoA-DDA-v0",
        "--seeds",
        "0",
        "1",
        "-n",
        "5000",
        "--train",
        "eval_freq:1000",
        "--hyperparams",
        "learning_rate:{'grid':[1e-4,3e-4]}",
        "--name",
        "f",
    ]
    assert sweep.main([*flags, "--out", str(tmp_path / "a"), "--dry-run"]) == 0
    from_flags = capsys.readouterr().out
    config = _write(
        tmp_path,
        {
            "name": "f",
            "train": {"eval_freq": 1000},
            "trials": [
                {
                    "algo": ["ppo", "sac"],
                    "env": ["IoA-DDA-v0"],
                    "seed": [0, 1],
                    "n_timesteps": 5000,
                    "hyperparams": {"learning_rate": {"grid": [1e-4, 3e-4]}},
                }
            ],
        },
    )
    assert sweep.main(["--config", str(config), "--out", str(tmp_path / "b"), "--dry-run"]) == 0
    assert capsys.readouterr().out == from_flags and from_flags.count("\n") == 8
    assert sweep.main(["--config", str(config), "--seeds", "3", "--out", str(tmp_path / "c")]) == 2
    assert "--seeds describes a sweep from flags" in capsys.readouterr().err
    assert sweep.main(["--algo", "ppo", "--out", str(tmp_path / "d")]) == 2
    assert "--env is required" in capsys.readouterr().err
    assert not any((tmp_path / name).exists() for name in "abcd")  # a dry run writes nothing


def test_resume_of_a_folder_that_is_not_a_sweep_is_named(tmp_path, capsys):
    assert sweep.main(["--resume", str(tmp_path)]) == 2
    assert "not a sweep folder" in capsys.readouterr().err


def test_an_existing_sweep_folder_is_not_overwritten(tmp_path, capsys):
    config = _write(tmp_path, {"trials": [{"algo": "ppo", "env": "IoA-DDA-v0"}]})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    assert sweep.main(["--config", str(config), "--out", str(tmp_path / "out")]) == 2
    assert "not empty" in capsys.readouterr().err


def test_train_into_a_given_run_folder_refuses_one_that_holds_files(tmp_path):
    from agents.registry import AgentConfigError
    from agents.training.run import train

    trial = sweep.Trial(algo="ppo", env="IoA-DDA-v0", seed=0, run_name="IoA-DDA-v0_1", n_timesteps=256)
    config = sweep.resolve(trial, tmp_path / "runs", {"n_steps": 128, "batch_size": 128}, {})
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("x")
    with pytest.raises(AgentConfigError, match="not empty"):
        train(config, run_dir=taken)
    assert sorted(p.name for p in taken.iterdir()) == ["keep.txt"] and not (tmp_path / "runs").exists()
    reports = []
    assert (
        train(
            {**config, "eval_freq": 128},
            run_dir=tmp_path / "new",
            on_evaluation=lambda t, r: reports.append(t),
        )
        == 0
    )
    assert reports == [128, 256] and (tmp_path / "new" / "IoA-DDA-v0.zip").is_file()


@pytest.mark.slow
@needs_ray
def test_tune_samples_the_distributions_of_a_block(tmp_path):
    config = _write(
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
    process = _sweep(["--config", str(config), "--out", str(out)])
    log, _ = process.communicate(timeout=400)
    assert process.returncode == 0, log
    runs = sorted((out / "runs" / "ppo").iterdir())
    assert len(runs) == 2 and all(run.name.startswith("IoA-DDA-v0_1-") for run in runs)
    rates = [yaml.safe_load((run / "config.yml").read_text())["hyperparams"]["learning_rate"] for run in runs]
    assert all(1e-5 <= rate <= 1e-3 for rate in rates) and rates[0] != rates[1]
    assert [row["status"] for row in _rows(out)] == ["done", "done"]


@needs_ray
def test_a_run_killed_after_its_last_checkpoint_is_finished_not_retrained(tmp_path, monkeypatch):
    """Killed between the checkpoint at n_timesteps and the final save: the trial takes that checkpoint as
    the final model (resuming would refuse, -n not above the checkpoint, and the trial would never finish)."""
    from ray import tune

    from agents.training.run import train

    trial = sweep.Trial(
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
    assert train(sweep.resolve(trial, runs, PPO, {}), run_dir=run) == 0
    (run / "IoA-DDA-v0.zip").unlink()  # as if killed before the final save
    reports = []
    monkeypatch.setattr(tune, "report", reports.append)
    sweep.run_trial({"index": 0, "trial": dataclasses.asdict(trial), "runs": str(runs)})
    assert (run / "IoA-DDA-v0.zip").is_file() and reports[-1]["done"] and reports[-1]["timesteps"] == 256
    assert yaml.safe_load((run / "config.yml").read_text())["resumed"] == []  # not retrained
