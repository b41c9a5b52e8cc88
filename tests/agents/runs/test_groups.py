"""A sweep folder's runs grouped by algorithm and setting (agents/runs/groups.py), as ``evaluate.py --sweep``
and ``figures.py --runs`` read them."""

from __future__ import annotations

import pytest
import yaml

from agents import ConfigError
from agents.runs.groups import sweep_runs


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
    groups = {group.label: group for group in sweep_runs(tmp_path, "IoA-DDA-v0")}
    assert set(groups) == {"ppo[1]", "ppo[2]", "sac", "td3[1]", "td3[2]"}
    assert [p.name for p in groups["ppo[1]"].paths] == ["IoA-DDA-v0_1", "IoA-DDA-v0_2", "IoA-DDA-v0_10"]
    assert groups["ppo[2]"].hyperparams == {"learning_rate": 0.2} and len(groups["sac"].paths) == 1
    with pytest.raises(ConfigError, match="no run on IoA-DDA-Discrete-v0"):
        sweep_runs(tmp_path, "IoA-DDA-Discrete-v0")
    with pytest.raises(ConfigError, match="not a sweep folder"):
        sweep_runs(runs, "IoA-DDA-v0")
    from agents.figures.cli import build_parser, check_arguments

    _, found = check_arguments(
        build_parser().parse_args(["--out", str(tmp_path / "f"), "--runs", str(tmp_path)])
    )
    assert found == runs  # figures.py --runs takes the sweep folder
