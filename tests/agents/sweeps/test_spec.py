"""sweep.py (agents/sweeps): the sweep file named field by field, the grid and its run folders, a sweep from
flags the same as from a file, and bad trials, folders and flags refused before anything runs (no Ray
needed: the sweeps themselves are in test_tune.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agents import ConfigError
from agents.sweeps.cli import main
from agents.sweeps.spec import check_spec, expand
from tests.agents.sweeps.helpers import write_sweep_file

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
    with pytest.raises(ConfigError, match=field):
        expand(check_spec({"name": "t", **spec}, "test"))


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
    assert main(["--config", str(config), "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_grid_points_and_run_folders_follow_the_file():
    spec = check_spec(
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
    trials = expand(spec)
    assert len(trials) == 2 * 2 * 3 + 1
    ppo = [t for t in trials if t.algo == "ppo"]
    assert [t.run_name for t in ppo] == [f"IoA-DDA-v0_{k}" for k in range(1, 8)]
    assert [t.seed for t in ppo[:3]] == [0, 1, 2] and ppo[0].hyperparams["learning_rate"] == 1e-4
    assert ppo[0].hyperparams["policy_kwargs"] == {"net_arch": [8]}  # a plain mapping is a value, not a grid
    assert ppo[-1].sampled == {"env_kwargs": {"n_aa": {"choice": [3, 5]}}}


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
    assert main([*flags, "--out", str(tmp_path / "a"), "--dry-run"]) == 0
    from_flags = capsys.readouterr().out
    config = write_sweep_file(
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
    assert main(["--config", str(config), "--out", str(tmp_path / "b"), "--dry-run"]) == 0
    assert capsys.readouterr().out == from_flags and from_flags.count("\n") == 8
    assert main(["--config", str(config), "--seeds", "3", "--out", str(tmp_path / "c")]) == 2
    assert "--seeds describes a sweep from flags" in capsys.readouterr().err
    assert main(["--algo", "ppo", "--out", str(tmp_path / "d")]) == 2
    assert "--env is required" in capsys.readouterr().err
    assert not any((tmp_path / name).exists() for name in "abcd")  # a dry run writes nothing


def test_resume_of_a_folder_that_is_not_a_sweep_is_named(tmp_path, capsys):
    assert main(["--resume", str(tmp_path)]) == 2
    assert "not a sweep folder" in capsys.readouterr().err


def test_an_existing_sweep_folder_is_not_overwritten(tmp_path, capsys):
    config = write_sweep_file(tmp_path, {"trials": [{"algo": "ppo", "env": "IoA-DDA-v0"}]})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    assert main(["--config", str(config), "--out", str(tmp_path / "out")]) == 2
    assert "not empty" in capsys.readouterr().err
