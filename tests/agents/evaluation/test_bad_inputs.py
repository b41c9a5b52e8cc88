"""evaluate.py, evaluate.py ic-audit, figures.py and quickstart.py refuse bad input by name before any work
(issue 11, the evaluation side): exit 2, the usage line, a message naming the flag, no traceback, nothing
written. The mains run in this process with their work (episodes, audits, figures, training) replaced by a
trap, so that an input that slips through fails at once instead of running for minutes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import agents.evaluation.cli
import agents.evaluation.ic_audit
import agents.figures.cli
import agents.quickstart
import agents.runs.cli
from ioa_gym.analysis.seeding import MAX_EVAL_SEED, SEED_STRIDE

pytestmark = pytest.mark.usefixtures("one_torch_thread")

OUT, FILE, UNWRITABLE = "<out>", "<file>", "<unwritable>"
"""Placeholders: a new output folder, an existing file, a folder nobody can create (not even root)."""
TOO_MANY_SEEDS = str(MAX_EVAL_SEED + 1)
TOO_MANY_EPISODES = str(SEED_STRIDE + 1)
EVALUATE = ["--env", "IoA-DDA-v0", "--agents", "greedy", "--no-progress"]
AUDIT = ["--agents", "greedy", "--no-progress"]


class WorkStarted(AssertionError):
    """A bad input reached the work it should have stopped before."""


def trap(*args: Any, **kwargs: Any) -> Any:
    raise WorkStarted("the work started: the bad input was not refused up front")


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working folder holding one file, with every main's work replaced by :func:`trap`."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("not a folder")
    monkeypatch.setattr(agents.evaluation.cli, "evaluate_agents", trap)
    monkeypatch.setattr(agents.evaluation.ic_audit, "sample_markets", trap)
    monkeypatch.setattr(agents.evaluation.ic_audit, "audit_policy", trap)
    for name in (
        "fig3_linear_search",
        "fig4_convergence",
        "efficiency_vs_rounds_frontier",
        "welfare_vs_market_size",
    ):
        monkeypatch.setattr(agents.figures.cli, name, trap)
    monkeypatch.setattr(agents.runs.cli, "main", trap)
    yield tmp_path


def unwritable_folder() -> str:
    if not Path("/proc").is_dir():
        pytest.skip("needs /proc (a folder in which even root cannot create one)")
    return "/proc/ioa-gym-test-output"


def files_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


def run_main(main: Callable[[list[str]], int], argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exit_info:
        return int(exit_info.code or 0)


def case(main: str, argv: list[str], flag: str, id: str) -> Any:
    return pytest.param(main, argv, flag, id=id)


CASES = [
    # evaluate.py
    case("evaluate", [*EVALUATE, "--episodes", "0"], "--episodes", "evaluate-episodes-0"),
    case("evaluate", [*EVALUATE, "--episodes", TOO_MANY_EPISODES], "--episodes", "evaluate-episodes-max"),
    case("evaluate", [*EVALUATE, "--episodes", "many"], "--episodes", "evaluate-episodes-text"),
    case("evaluate", [*EVALUATE, "--seeds", "-1"], "--seeds", "evaluate-seeds-negative"),
    case("evaluate", [*EVALUATE, "--seeds", TOO_MANY_SEEDS], "--seeds", "evaluate-seeds-max"),
    case("evaluate", [*EVALUATE, "--seeds", "1", "1"], "--seeds", "evaluate-seeds-twice"),
    case("evaluate", [*EVALUATE, "--n-envs", "0"], "--n-envs", "evaluate-n-envs-0"),
    case("evaluate", [*EVALUATE, "--episodes", "2", "--n-envs", "3"], "--n-envs", "evaluate-n-envs-max"),
    case("evaluate", [*EVALUATE, "--vectorization-mode", "fast"], "--vectorization-mode", "evaluate-mode"),
    case(
        "evaluate",
        [*EVALUATE, "--vectorization-mode", "async"],
        "--vectorization-mode async applies with --n-envs > 1",
        "evaluate-mode-without-n-envs",
    ),
    case("evaluate", [*EVALUATE, "--compare", "greedy", "nosuch"], "--compare", "evaluate-compare-unknown"),
    case("evaluate", [*EVALUATE, "--compare", "greedy", "greedy"], "--compare", "evaluate-compare-same"),
    case("evaluate", [*EVALUATE, "--model", "latest"], "--model", "evaluate-model"),
    case("evaluate", [*EVALUATE, "--device", "cuda:99"], "--device", "evaluate-device-missing-gpu"),
    case("evaluate", [*EVALUATE, "--device", "gpu-please"], "--device", "evaluate-device-nonsense"),
    case("evaluate", [*EVALUATE, "--output", FILE], "--output", "evaluate-output-file"),
    case("evaluate", [*EVALUATE, "--output", f"{FILE}/sub"], "--output", "evaluate-output-under-file"),
    case("evaluate", [*EVALUATE, "--output", UNWRITABLE], "--output", "evaluate-output-unwritable"),
    case("evaluate", [*EVALUATE, "--output", ""], "--output", "evaluate-output-empty"),
    case("evaluate", [*EVALUATE, "--torch-threads", "0"], "--torch-threads", "evaluate-torch-threads"),
    case("evaluate", [*EVALUATE[:3], "fixed-step:step='a'"], "--agents", "evaluate-kwarg-text"),
    case("evaluate", [*EVALUATE[:3], "fixed-step:step=[1]"], "--agents", "evaluate-kwarg-list"),
    case("evaluate", [*EVALUATE[:3], "adaptive:close_early=1"], "--agents", "evaluate-kwarg-bool"),
    case("evaluate", [*EVALUATE[:3], "fixed-step:size=1"], "--agents", "evaluate-kwarg-unknown"),
    case(
        "evaluate",
        [*EVALUATE[:3], "fixed-step:step"],
        "--agents 'fixed-step:step': expected NAME:key=value",
        "evaluate-kwarg-no-equals",
    ),
    case(
        "evaluate",
        [*EVALUATE[:3], "fixed-step:0.5"],
        "--agents 'fixed-step:0.5': expected NAME:key=value",
        "evaluate-kwarg-value-only",
    ),
    case("evaluate", ["--agents", "greedy"], "--env", "evaluate-env-missing"),
    case("evaluate", [*EVALUATE[:3], "=greedy"], "--agents '=greedy': empty label", "evaluate-empty-label"),
    case("ic-audit", ["--agents", "=adaptive"], "--agents '=adaptive': empty label", "audit-empty-label"),
    # evaluate.py ic-audit, as its own main and as the subcommand
    case("ic-audit", [*AUDIT, "--markets", "0"], "--markets", "audit-markets-0"),
    case("ic-audit", [*AUDIT, "--markets", "2000000"], "--markets", "audit-markets-max"),
    case("evaluate", ["ic-audit", *AUDIT, "--markets", "2000000"], "--markets", "audit-subcommand-markets"),
    case("ic-audit", [*AUDIT, "--seed", "-1"], "--seed", "audit-seed-negative"),
    case("ic-audit", [*AUDIT, "--seed", TOO_MANY_SEEDS], "--seed", "audit-seed-max"),
    case("ic-audit", [*AUDIT, "--deviations", "-1"], "--deviations", "audit-deviations-negative"),
    case("ic-audit", [*AUDIT, "--deviations", "10001"], "--deviations", "audit-deviations-max"),
    case("ic-audit", [*AUDIT, "--output", FILE], "--output", "audit-output-file"),
    case("ic-audit", [*AUDIT, "--output", UNWRITABLE], "--output", "audit-output-unwritable"),
    case("ic-audit", [*AUDIT, "--device", "cuda:99"], "--device", "audit-device"),
    case("ic-audit", [*AUDIT, "--torch-threads", "0"], "--torch-threads", "audit-torch-threads"),
    case("ic-audit", [*AUDIT, "--env", "IoA-Stackelberg-v0"], "--env", "audit-env-not-dda"),
    case("ic-audit", ["--agents", "fixed-step:step='a'"], "--agents", "audit-kwarg-text"),
    # figures.py
    case("figures", ["--out", FILE], "--out", "figures-out-file"),
    case("figures", ["--out", f"{FILE}/figs"], "--out", "figures-out-under-file"),
    case("figures", ["--out", UNWRITABLE], "--out", "figures-out-unwritable"),
    case("figures", ["--out", ""], "--out", "figures-out-empty"),
    case("figures", ["--out", OUT, "--runs", FILE], "--runs", "figures-runs-file"),
    case("figures", ["--out", OUT, "--runs", "no_runs_here"], "--runs", "figures-runs-missing"),
    case("figures", ["--out", OUT, "--budget", "huge"], "--budget", "figures-budget"),
    case("figures", ["--out", OUT, "--seed", "-1"], "--seed", "figures-seed-negative"),
    case("figures", ["--out", OUT, "--seed", TOO_MANY_SEEDS], "--seed", "figures-seed-max"),
    # quickstart.py
    case("quickstart", ["--out", OUT, "--seeds", "-1"], "--seeds", "quickstart-seeds-negative"),
    case("quickstart", ["--out", OUT, "--seeds", TOO_MANY_SEEDS], "--seeds", "quickstart-seeds-max"),
    case("quickstart", ["--out", OUT, "--seeds", "0", "0"], "--seeds", "quickstart-seeds-twice"),
    case("quickstart", ["--out", OUT, "--episodes", "0"], "--episodes", "quickstart-episodes-0"),
    case(
        "quickstart", ["--out", OUT, "--episodes", TOO_MANY_EPISODES], "--episodes", "quickstart-episodes-max"
    ),
    case("quickstart", ["--out", OUT, "--diffusion-steps", "0"], "--diffusion-steps", "quickstart-diffusion"),
    case("quickstart", ["--out", OUT, "--diffusion-steps", "-5"], "--diffusion-steps", "quickstart-neg"),
    case(
        "quickstart",
        ["--out", OUT, "--diffusion-steps", str(10**20)],
        "--diffusion-steps must be an integer in [1, 2147483648]",
        "quickstart-diffusion-steps-huge",
    ),
    case("quickstart", ["--out", OUT, "--num-threads", "0"], "--num-threads", "quickstart-num-threads"),
    case("quickstart", ["--out", OUT, "--seed", "-1"], "--seed", "quickstart-seed"),
    case("quickstart", ["--out", FILE], "--out", "quickstart-out-file"),
    case("quickstart", ["--out", ""], "--out", "quickstart-out-empty"),
    case("quickstart", ["--out", UNWRITABLE], "--out", "quickstart-out-unwritable"),
]
MAINS = {
    "evaluate": agents.evaluation.cli.main,
    "ic-audit": agents.evaluation.ic_audit.main,
    "figures": agents.figures.cli.main,
    "quickstart": agents.quickstart.main,
}


@pytest.mark.parametrize(("program", "argv", "flag"), CASES)
def test_bad_input_is_refused_by_name_before_any_work(
    program: str, argv: list[str], flag: str, sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    places = {OUT: str(sandbox / "out"), FILE: str(sandbox / "a_file")}
    if UNWRITABLE in argv:
        places[UNWRITABLE] = unwritable_folder()
    argv = [places.get(argument, argument) for argument in argv]
    argv = [argument.replace(FILE, places[FILE]) for argument in argv]
    before = files_under(sandbox)
    code = run_main(MAINS[program], argv)
    stderr = capsys.readouterr().err
    assert code == 2, stderr
    assert "usage:" in stderr and "error:" in stderr and "Traceback" not in stderr, stderr
    assert flag in stderr.split("error:", 1)[1], stderr
    assert files_under(sandbox) == before
    assert (sandbox / "a_file").read_text() == "not a folder"
    if UNWRITABLE in places:
        assert not os.path.exists(places[UNWRITABLE])


def test_existing_outputs_are_refused(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A non-empty --output / --out (figures: one holding figures) without --overwrite is refused too."""
    full = sandbox / "full"
    full.mkdir()
    (full / "fig3_linear_search.png").write_bytes(b"keep me")
    for program, argv, flag in (
        ("evaluate", [*EVALUATE, "--output", str(full)], "--output"),
        ("ic-audit", [*AUDIT, "--output", str(full)], "--output"),
        ("figures", ["--out", str(full)], "--out"),
        ("quickstart", ["--out", str(full)], "--out"),
    ):
        assert run_main(MAINS[program], argv) == 2, program
        stderr = capsys.readouterr().err
        assert flag in stderr and "Traceback" not in stderr, (program, stderr)
    assert files_under(full) == {"fig3_linear_search.png"}
    assert (full / "fig3_linear_search.png").read_bytes() == b"keep me"


def test_an_env_whose_reset_fails_is_refused_before_any_work(
    sandbox: Path, capsys: pytest.CaptureFixture[str], reset_fails_env: str
) -> None:
    """The env check resets the env once: an option that fails only at reset is a usage error naming
    --env-kwargs, with the env's own message (no "valid kwargs" list of a function entry point)."""
    argv = ["--env", reset_fails_env, "--env-kwargs", "values:-1", "--agents", "random"]
    assert run_main(agents.evaluation.cli.main, [*argv, "--no-progress"]) == 2
    stderr = capsys.readouterr().err
    assert "--env-kwargs {'values': -1} for IoATest/ResetFails-v0: values=-1" in stderr, stderr
    assert "every market is untradable" in stderr and "valid kwargs" not in stderr
    assert "usage:" in stderr and "Traceback" not in stderr
    assert files_under(sandbox) == {"a_file"}


def test_an_unknown_env_kwarg_lists_the_valid_ones(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--env", "Pendulum-v1", "--env-kwargs", "gravity:9", "--agents", "random", "--no-progress"]
    assert run_main(agents.evaluation.cli.main, argv) == 2
    stderr = capsys.readouterr().err
    assert "unexpected keyword argument 'gravity'" in stderr and "valid kwargs: render_mode, g" in stderr


def test_figures_runs_says_what_it_expects(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--runs takes a folder of <algo>/<env>_<n> run folders (or a sweep folder): one run folder, one
    algorithm's folder or a folder without a learner's run is refused, naming what it expects, instead of
    leaving the training figures out without a word."""
    run = sandbox / "logs" / "ppo" / "IoA-DDA-v0_1"
    run.mkdir(parents=True)
    (run / "config.yml").write_text("algo: ppo\nenv: IoA-DDA-v0\n")
    (sandbox / "empty").mkdir()
    expected = "expected a folder of <algo>/<env id>_<n> run folders (diffusion, ppo, sac, td3"
    for runs, message in (
        (run, f"--runs {run} is one run folder (it holds config.yml); {expected}"),
        (run.parent, f"--runs {run.parent} holds no run folder of diffusion, ppo, sac, td3; {expected}"),
        (sandbox / "empty", f"--runs {sandbox / 'empty'} holds no run folder of diffusion, ppo, sac, td3"),
    ):
        before = files_under(sandbox)
        assert run_main(agents.figures.cli.main, ["--out", str(sandbox / "figs"), "--runs", str(runs)]) == 2
        stderr = capsys.readouterr().err
        assert message in stderr and "usage:" in stderr and "Traceback" not in stderr, stderr
        assert files_under(sandbox) == before
    # Each names the folder to give instead: the run folders' root.
    for runs in (run, run.parent):
        assert run_main(agents.figures.cli.main, ["--out", str(sandbox / "figs"), "--runs", str(runs)]) == 2
        assert f"here perhaps {(sandbox / 'logs').resolve()}" in capsys.readouterr().err


def test_ic_audit_warns_like_evaluate_about_a_run_of_another_env(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run trained on IoA-DDA-v0 audited on IoA-DDA-StrategyProof-v0: the table ends with the warning
    evaluate.py gives (stdout and table.txt), and ic_audit.json keeps it."""
    logs = tmp_path / "logs"
    train = ["--algo", "greedy", "--env", "IoA-DDA-v0", "-n", "1", "--eval-episodes", "1", "--verbose", "0"]
    assert agents.runs.cli.main([*train, "-f", str(logs)]) == 0
    run, out = logs / "greedy" / "IoA-DDA-v0_1", tmp_path / "audit"
    argv = ["--env", "IoA-DDA-StrategyProof-v0", "--agents", f"mine={run}", "--markets", "1", "--deviations",
            "0", "--no-progress", "--output", str(out)]  # fmt: skip
    assert agents.evaluation.ic_audit.main(argv) == 0
    warning = f"warning: {run} was trained on IoA-DDA-v0, evaluated on IoA-DDA-StrategyProof-v0"
    assert warning in capsys.readouterr().out
    assert warning in (out / "table.txt").read_text()
    document = json.loads((out / "ic_audit.json").read_text())
    assert document["warnings"] == [warning.removeprefix("warning: ")]
