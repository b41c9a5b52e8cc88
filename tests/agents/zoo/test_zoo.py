"""The zoo (agents.zoo): specs, the manifest's checks, building, and the shipped zoo's published numbers.

``test_shipped_zoo_*`` load every model of the repository's ``zoo/`` and replay its check return: a change to
the env, the reward, the models' code or their files that moves a published number fails here. The other
tests build a small zoo from two tiny training runs.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

import ioa_gym  # noqa: F401  (registers the env ids)
from agents import make_agent
from agents.common.errors import ConfigError
from agents.evaluation.cli import main as evaluate_main
from agents.evaluation.specs import parse_agent_spec
from agents.runs import load_agent
from agents.runs.cli import main as train_main
from agents.zoo import (
    CHECK_TOLERANCE,
    MANIFEST_FILE,
    ZOO_ENV_VAR,
    read_manifest,
    resolve,
    resolve_one,
    sha256_of,
    zoo_root,
)
from agents.zoo.build import build_zoo, mismatches, replay
from agents.zoo.cli import main as zoo_main

pytestmark = pytest.mark.usefixtures("one_torch_thread")
REPO = Path(__file__).resolve().parents[3]
SHIPPED = REPO / "zoo"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two tiny PPO runs on IoA-DDA-v0 (seeds 0 and 1) and one on the strategy-proof id (seed 0)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("zoo_runs")
    for env, seed in (("IoA-DDA-v0", 0), ("IoA-DDA-v0", 1), ("IoA-DDA-StrategyProof-v0", 0)):
        code = train_main([
            "--algo", "ppo", "--env", env, "-n", "128", "--seed", str(seed), "-f", str(root),
            "--hyperparams", "n_steps:64", "batch_size:64", "n_epochs:1", "policy_kwargs:dict(net_arch=[8])",
            "--eval-freq", "64", "--eval-episodes", "1", "--save-freq", "0", "--verbose", "0",
        ])  # fmt: skip
        assert code == 0
    torch.set_num_threads(threads)
    return root


@pytest.fixture
def zoo(runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A zoo built from ``runs`` (each test gets its own copy, to damage at will), set as the zoo."""
    folder = tmp_path / "zoo"
    build_zoo(runs, folder)
    monkeypatch.setenv(ZOO_ENV_VAR, str(folder))
    yield folder


def test_build_copies_only_what_evaluation_needs(zoo: Path, runs: Path) -> None:
    manifest = read_manifest()
    assert sorted(manifest.entries) == [
        "ppo/IoA-DDA-StrategyProof-v0/0",
        "ppo/IoA-DDA-v0/0",
        "ppo/IoA-DDA-v0/1",
    ]
    entry = manifest.entries["ppo/IoA-DDA-v0/1"]
    assert entry.path == zoo / "ppo" / "IoA-DDA-v0_2"
    assert sorted(p.name for p in entry.path.iterdir()) == ["IoA-DDA-v0.zip", "config.yml", "evaluations.npz"]
    for name, digest in entry.files.items():
        assert digest == sha256_of(runs / "ppo" / "IoA-DDA-v0_2" / name)
    assert entry.n_timesteps == 128 and entry.seed == 1


def test_check_return_is_the_evaluation_harness_mean(zoo: Path, tmp_path: Path) -> None:
    entry = resolve_one("zoo:ppo/IoA-DDA-v0/0")
    code = evaluate_main([
        "--env", "IoA-DDA-v0", "--episodes", "10", "--seeds", "0", "--agents", f"m={entry.path}",
        "--output", str(tmp_path / "eval"), "--no-progress", "--no-plots",
    ])  # fmt: skip
    assert code == 0
    summary = json.loads((tmp_path / "eval" / "summary.json").read_text())
    assert summary["agents"][0]["return_mean"] == pytest.approx(entry.check_return, abs=1e-12)


def test_specs_name_every_seed_or_one(zoo: Path) -> None:
    assert [e.seed for e in resolve("zoo:ppo/IoA-DDA-v0")] == [0, 1]
    assert [e.seed for e in resolve("ppo/IoA-DDA-v0/1")] == [1]
    request = parse_agent_spec("zoo:ppo/IoA-DDA-v0")
    assert request.label == "ppo-IoA-DDA-v0"
    assert request.paths == (zoo / "ppo" / "IoA-DDA-v0_1", zoo / "ppo" / "IoA-DDA-v0_2")
    labelled = parse_agent_spec("mine=zoo:ppo/IoA-DDA-v0/1")
    assert labelled.label == "mine" and labelled.paths == (zoo / "ppo" / "IoA-DDA-v0_2",)


@pytest.mark.parametrize(
    ("spec", "names"),
    [
        ("zoo:sac/IoA-DDA-v0", "no sac on IoA-DDA-v0; it has ppo/IoA-DDA-StrategyProof-v0, ppo/IoA-DDA-v0"),
        ("zoo:ppo/IoA-DDA-v0/5", "no seed '5' of ppo/IoA-DDA-v0; seeds: 0, 1"),
        ("zoo:ppo", "expected zoo:<algo>/<env id> or zoo:<algo>/<env id>/<seed>"),
        ("zoo:ppo/IoA-DDA-v0/0/1", "expected zoo:<algo>/<env id>"),
    ],
)
def test_bad_specs_name_what_the_zoo_has(zoo: Path, spec: str, names: str) -> None:
    with pytest.raises(ConfigError, match=names.replace("(", r"\(").replace(")", r"\)")):
        resolve(spec)
    with pytest.raises(ConfigError, match="--agents"):
        parse_agent_spec(spec)


def test_a_changed_file_is_refused_naming_it(zoo: Path) -> None:
    model = zoo / "ppo" / "IoA-DDA-v0_2" / "IoA-DDA-v0.zip"
    data = bytearray(model.read_bytes())
    data[-100] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(ConfigError, match=f"file {model} does not match the zoo's manifest"):
        resolve("zoo:ppo/IoA-DDA-v0")
    resolve("zoo:ppo/IoA-DDA-v0/0")  # the other seed is untouched
    with pytest.raises(ConfigError, match="does not match"):
        load_agent("zoo:ppo/IoA-DDA-v0/1")
    with pytest.raises(ConfigError, match="does not match"):
        make_agent("zoo:ppo/IoA-DDA-v0/1", "IoA-DDA-v0")


def test_a_missing_file_or_manifest_is_refused(zoo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (zoo / "ppo" / "IoA-DDA-v0_1" / "evaluations.npz").unlink()
    with pytest.raises(ConfigError, match="evaluations.npz is missing"):
        resolve("zoo:ppo/IoA-DDA-v0/0")
    monkeypatch.setenv(ZOO_ENV_VAR, str(zoo / "nowhere"))
    with pytest.raises(ConfigError, match=f"no zoo at {zoo / 'nowhere'} \\({MANIFEST_FILE} missing\\)"):
        resolve("zoo:ppo/IoA-DDA-v0")


def test_make_agent_and_load_agent_give_the_saved_policy(zoo: Path) -> None:
    env = gym.make("IoA-DDA-v0")
    observation, _ = env.reset(seed=3)
    loaded = load_agent(zoo / "ppo" / "IoA-DDA-v0_2", env=env)
    for agent in (make_agent("zoo:ppo/IoA-DDA-v0/1", env), load_agent("zoo:ppo/IoA-DDA-v0/1", env=env)):
        np.testing.assert_array_equal(
            agent.predict(observation, deterministic=True)[0],
            loaded.predict(observation, deterministic=True)[0],
        )
    with pytest.raises(ConfigError, match="names 2 agents"):
        load_agent("zoo:ppo/IoA-DDA-v0")
    with pytest.raises(ConfigError, match="takes no training arguments"):
        make_agent("zoo:ppo/IoA-DDA-v0/1", env, learning_rate=0.1)


def test_verify_replays_and_flags_a_moved_return(zoo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert zoo_main(["verify"]) == 0
    assert "3 of 3 agents match" in capsys.readouterr().out
    document = json.loads((zoo / MANIFEST_FILE).read_text())
    document["entries"]["ppo/IoA-DDA-v0/0"]["check_return"] += 10 * CHECK_TOLERANCE
    (zoo / MANIFEST_FILE).write_text(json.dumps(document))
    assert zoo_main(["verify", "zoo:ppo/IoA-DDA-v0"]) == 1
    assert "MISMATCH ppo/IoA-DDA-v0/0" in capsys.readouterr().err


def test_build_refuses_an_existing_zoo(zoo: Path, runs: Path) -> None:
    with pytest.raises(ConfigError, match="already holds a zoo"):
        build_zoo(runs, zoo)


# --- the zoo shipped with the repository -----------------------------------------------------------------


def _shipped() -> list[str]:
    if not (SHIPPED / MANIFEST_FILE).is_file():
        return []
    return sorted(read_manifest(SHIPPED).entries)


def test_the_shipped_zoo_is_the_default_and_complete() -> None:
    assert zoo_root() == SHIPPED or zoo_root().resolve() == SHIPPED.resolve()
    keys = _shipped()
    for algo in ("diffusion", "ppo"):
        for env in ("IoA-DDA-v0", "IoA-DDA-StrategyProof-v0", "IoA-DDA-DoubleClock-v0"):
            for seed in (0, 1, 2):
                assert f"{algo}/{env}/{seed}" in keys
    for entry in read_manifest(SHIPPED).entries.values():
        assert sorted(entry.files) == sorted([f"{entry.env}.zip", "config.yml", "evaluations.npz"])
        assert (entry.path / f"{entry.env}.zip").stat().st_size < 1_000_000


@pytest.mark.slow
@pytest.mark.parametrize("key", _shipped())
def test_shipped_zoo_model_reproduces_its_published_return(key: str) -> None:
    entry = read_manifest(SHIPPED).entries[key]
    [(_, value)] = replay([entry])
    assert not mismatches([(entry, value)]), f"{key}: {value} vs {entry.check_return}"


def test_a_copy_of_the_shipped_zoo_elsewhere_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not _shipped():
        pytest.fail("the repository's zoo/ has no manifest")
    copy = tmp_path / "zoo"
    shutil.copytree(SHIPPED, copy)
    monkeypatch.setenv(ZOO_ENV_VAR, str(copy))
    [entry] = resolve("zoo:ppo/IoA-DDA-v0/2")
    assert entry.path == copy / "ppo" / "IoA-DDA-v0_3"
