"""Seed and hyperparameter sweeps as Ray Tune trials (``sweep.py``, console script ``ioa-sweep``).

    python sweep.py --config sweeps/results.yml --out sweeps-out/results     # local Ray, all cores
    python sweep.py --config sweeps/results.yml --out DIR --address auto     # join a running Ray cluster
    python sweep.py --resume DIR                                             # continue an interrupted sweep
    python sweep.py --algo ppo sac --env IoA-DDA-v0 --seeds 0 1 2 -n 50000 --train eval_freq:5000   # flags

A sweep file (YAML) lists blocks of trials; each block is a grid, the product of its lists:

.. code-block:: yaml

    name: results                  # the Tune experiment's name (default: the file's stem)
    train: {eval_freq: 5000, eval_episodes: 30, device: cpu}   # train.py flags of every trial
    resources: {cpu: 1}            # per trial (default one CPU; each trial runs one torch thread)
    max_failures: 1                # retries of a failed trial before it is reported as errored
    samples: 1                     # draws of each grid point's distributions (see below)
    trials:
      - algo: [diffusion, ppo]
        env: IoA-DDA-v0
        seed: [0, 1, 2]
        n_timesteps: 100000
        hyperparams: {learning_rate: {grid: [1.0e-4, 3.0e-4]}}    # a grid over a hyperparameter
      - algo: ppo
        env: IoA-DDA-StrategyProof-v0
        seed: 0
        hyperparams: {learning_rate: {loguniform: [1.0e-5, 1.0e-3]}}  # sampled by Tune, `samples` times
        env_kwargs: {n_aa: {grid: [3, 5]}}

``algo``, ``env`` and ``seed`` take a value or a list (a grid); ``hyperparams`` and ``env_kwargs`` values are
taken as they are (a list is a list, e.g. ``net_arch``) unless written ``{grid: [...]}`` or as a Tune
distribution ``{choice: [...]}``, ``{uniform: [a, b]}``, ``{loguniform: [a, b]}``, ``{randint: [a, b]}``,
which Tune's search algorithm (its basic variant generator: grid and random search) samples for each trial.
A block's ``train`` overrides the sweep's.

Every trial is ``train.py``'s code path (:func:`agents.runs.resolve_config` then :func:`agents.runs.train`,
:mod:`agents.sweeps.trials`) and writes the same run folder (config.yml, checkpoints, the final model,
``evaluations.npz``, TensorBoard events, ``progress.csv``) at ``<out>/runs/<algo>/<env>_<k>``: ``k`` numbers
the grid points of one algorithm and env in the file's order, so seed 0, 1, 2 of a block are ``_1 _2 _3``
(``-<trial id>`` is appended when the block samples distributions). Each evaluation is reported to Tune
(``eval_reward``, ``timesteps``). ``evaluate.py --sweep <out>`` and ``figures.py --runs <out>`` read the
folder directly (:mod:`agents.runs.groups`).

Every trial's configuration is checked (as ``train.py`` checks its flags) before Ray starts: bad input exits
with 2 and names the field, with nothing written; so does a corrupt ``sweep.yml`` on ``--resume``, and an
``--address`` where no Ray cluster answers within ``--connect-timeout`` seconds (30 by default; checked
before anything is written, :mod:`agents.sweeps.cluster`). A trial that fails is retried ``max_failures``
times, then reported as errored; the other trials go on, and the exit code is 1. Ctrl-C (exit 130) or SIGTERM
(exit 143) stops the sweep: finished trials are kept as they are, ``Continue with: python sweep.py --resume
DIR`` is printed, and ``--resume`` continues the others from their run folders' last checkpoints (a run that
finished but was not recorded by Tune is not retrained). A file the sweep cannot write (a full disk) stops it
with one line naming the file and exit code 74.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from agents.common.checks import check_range
from agents.common.cli import (
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    StoreDict,
    exit_code_of,
    io_error,
    usage_error,
)
from agents.common.errors import ConfigError
from agents.common.files import atomic_write_text, check_output_dir, csv_text, writing, yaml_ready
from agents.runs.groups import RUNS_DIR, SWEEP_FILE
from agents.sweeps.cluster import (
    CONNECT_TIMEOUT_RANGE,
    CONNECT_TIMEOUT_S,
    Termination,
    check_address,
    start_ray,
)
from agents.sweeps.spec import Trial, check_spec, expand, load_spec
from agents.sweeps.trials import METRIC, check_trials, param_space, trainable, trial_name

TUNE_DIR = "tune"
TRIALS_FILE = "trials.csv"


def trials_table(results: Any, trials: Sequence[Trial], runs: Path) -> str:
    """``trials.csv``: each trial's settings, status, last reported reward and timesteps, Tune's trial id and
    the Ray node that ran it (``node_id``: which machine, on a cluster)."""
    rows = []
    for result in results:
        point = (result.config or {}).get("point", {})
        index = point.get("index")
        trial = trials[index] if isinstance(index, int) and index < len(trials) else None
        metrics = result.metrics or {}
        rows.append(
            {
                "trial": index,
                "algo": trial.algo if trial else None,
                "env": trial.env if trial else None,
                "seed": trial.seed if trial else None,
                "hyperparams": {**(trial.hyperparams if trial else {}), **point.get("hyperparams", {})},
                "env_kwargs": {**(trial.env_kwargs if trial else {}), **point.get("env_kwargs", {})},
                "status": "error" if result.error else ("done" if metrics.get("done") else "stopped"),
                METRIC: metrics.get(METRIC),
                "timesteps": metrics.get("timesteps"),
                "trial_id": metrics.get("trial_id"),
                "node_id": metrics.get("node_id"),
            }
        )
    rows.sort(key=lambda row: (row["trial"] is None, row["trial"]))
    columns = [
        "trial",
        "algo",
        "env",
        "seed",
        "hyperparams",
        "env_kwargs",
        "status",
        METRIC,
        "timesteps",
        "trial_id",
        "node_id",
    ]
    return csv_text(columns, rows)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sweep.py",
        description="Run a seed / hyperparameter sweep of train.py runs as Ray Tune trials.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", help="the sweep file (YAML; see agents/sweeps/cli.py or docs)")
    source.add_argument("--resume", metavar="SWEEP_DIR", help="continue an interrupted sweep in SWEEP_DIR")
    source.add_argument(
        "--algo", nargs="+", help="or a one-block sweep from flags: the algorithms (with --env, --seeds...)"
    )
    flags = parser.add_argument_group("a sweep from flags (one grid block, as in a sweep file)")
    flags.add_argument("--env", nargs="+", help="env ids")
    flags.add_argument("--seeds", type=int, nargs="+", help="training seeds (default 0)")
    flags.add_argument("-n", "--n-timesteps", type=int, help="env steps per trial")
    flags.add_argument(
        "--hyperparams",
        nargs="+",
        action=StoreDict,
        metavar="KEY:VALUE",
        help="hyperparameters; a value {'grid': [...]} or {'loguniform': [a, b]} (etc.) sweeps over it",
    )
    flags.add_argument(
        "--env-kwargs", nargs="+", action=StoreDict, metavar="KEY:VALUE", help="env kwargs, the same way"
    )
    flags.add_argument(
        "--train",
        nargs="+",
        action=StoreDict,
        metavar="KEY:VALUE",
        help="train.py flags, e.g. eval_freq:5000",
    )
    flags.add_argument("--name", help="the sweep's name (default: sweep)")
    flags.add_argument("--samples", type=int, help="draws of the distributions (default 1)")
    flags.add_argument("--max-failures", type=int, help="retries of a failed trial (default 1)")
    parser.add_argument(
        "--out", help="the sweep folder (default: sweeps-out/<name>); refused if it holds files"
    )
    parser.add_argument(
        "--address",
        help="join this Ray cluster: host:port of its head (GCS), ray://host:port, or 'auto' (the one this "
        "machine belongs to); checked before anything is written",
    )
    parser.add_argument(
        "--connect-timeout",
        type=float,
        help=f"seconds --address has to answer, in [1, 3600] (default {CONNECT_TIMEOUT_S:g})",
    )
    parser.add_argument("--num-cpus", type=int, help="CPUs of the local Ray (default: all of this machine's)")
    parser.add_argument(
        "--dry-run", action="store_true", help="check the sweep and list its trials; run nothing"
    )
    return parser


def spec_from_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The one-block sweep that ``--algo ... --env ...`` describe (checked as a sweep file is)."""
    if not args.env:
        raise ConfigError("--env is required with --algo (a sweep from flags)")
    block: dict[str, Any] = {"algo": args.algo, "env": args.env, "seed": args.seeds or [0]}
    if args.n_timesteps is not None:
        block["n_timesteps"] = args.n_timesteps
    for key in ("hyperparams", "env_kwargs"):
        if getattr(args, key):
            block[key] = getattr(args, key)
    spec = {
        "name": args.name or "sweep",
        "trials": [block],
        "samples": 1 if args.samples is None else args.samples,
        "max_failures": 1 if args.max_failures is None else args.max_failures,
    }
    if args.train:
        spec["train"] = args.train
    return check_spec(spec, "flags")


def prepare(args: argparse.Namespace) -> tuple[dict[str, Any], Path, list[Trial]]:
    """The sweep, its folder and its trials, all checked; ConfigError naming the flag or field."""
    if args.num_cpus is not None and args.num_cpus < 1:
        raise ConfigError(f"--num-cpus must be >= 1, got {args.num_cpus}")
    if args.connect_timeout is not None:
        if not args.address:
            raise ConfigError(
                "--connect-timeout applies with --address (a cluster to join); give both or neither"
            )
        check_range("--connect-timeout", args.connect_timeout, CONNECT_TIMEOUT_RANGE)
    given = [
        flag
        for flag in ("env", "seeds", "n_timesteps", "hyperparams", "env_kwargs", "train")
        if getattr(args, flag)
    ]
    if given and not args.algo:
        raise ConfigError(
            f"--{given[0].replace('_', '-')} describes a sweep from flags: give --algo too, or put it in "
            "the sweep file"
        )
    if args.resume:
        out = Path(args.resume)
        if not (out / SWEEP_FILE).is_file():
            raise ConfigError(f"--resume {out}: not a sweep folder (no {SWEEP_FILE})")
        if args.out and Path(args.out) != out:
            raise ConfigError("--out cannot change on --resume")
        spec = load_spec(out / SWEEP_FILE, f"--resume {out}: {out / SWEEP_FILE}")
    else:
        spec = load_spec(args.config) if args.config else spec_from_flags(args)
        out = Path(args.out or Path("sweeps-out") / spec["name"])
        check_output_dir(out)
    out = out.resolve()
    trials = expand(spec)
    check_trials(trials, out / RUNS_DIR)
    return spec, out, trials


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 every trial done, 1 some trial errored, 2 bad input or an ``--address`` where no cluster
    answers (nothing written), 74 a file could not be written (a full disk), 130 Ctrl-C, 143 SIGTERM
    (finished trials kept; ``--resume`` continues)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        spec, out, trials = prepare(args)
    except ConfigError as error:
        return usage_error(parser, error)
    if args.dry_run:
        for index, trial in enumerate(trials):
            print(
                index,
                trial.algo,
                trial.env,
                f"seed={trial.seed}",
                trial.run_name,
                trial.hyperparams,
                trial.env_kwargs,
                trial.sampled or "",
            )
        return 0
    try:
        import ray  # noqa: F401
        from ray import tune  # noqa: F401
    except ImportError:
        return usage_error(parser, ConfigError("sweep.py needs Ray Tune: pip install 'ioa-gym[sweep]'"))
    try:
        if args.address:  # before anything is written: a retry with the same --out must not be refused
            check_address(args.address, args.connect_timeout or CONNECT_TIMEOUT_S)
    except ConfigError as error:
        return usage_error(parser, error)
    start_ray(args.address, args.num_cpus)
    termination = Termination(resume_hint(out))
    try:
        with termination.installed():
            return run_sweep(args, spec, out, trials, termination)
    except OSError as error:
        return io_error(parser.prog, error)
    except KeyboardInterrupt as interrupt:
        print(f"sweep.py: interrupted\n{resume_hint(out)}", file=sys.stderr)
        return exit_code_of(interrupt)


def resume_hint(out: Path) -> str:
    """The line that says how to continue a stopped sweep (train.py's, for a sweep)."""
    return f"Continue with: python sweep.py --resume {out}"


def run_sweep(
    args: argparse.Namespace, spec: dict[str, Any], out: Path, trials: list[Trial], termination: Termination
) -> int:
    """Write ``sweep.yml`` (a new sweep), run the trials on the Ray that is up, write ``trials.csv``; the
    exit code (see :func:`main`). SIGTERM during the trials stops them as Ctrl-C does."""
    from ray import tune

    if not args.resume:
        with writing(out):
            out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / SWEEP_FILE, yaml.safe_dump(yaml_ready(spec), sort_keys=False))
    os.environ.setdefault("RAY_CHDIR_TO_TRIAL_DIR", "0")  # every path here is absolute anyway
    runs = out / RUNS_DIR
    resources = {key: value for key, value in spec["resources"].items() if value}
    entry = tune.with_resources(trainable, resources)
    experiment = out / TUNE_DIR / spec["name"]
    if args.resume and tune.Tuner.can_restore(str(experiment)):
        tuner = tune.Tuner.restore(str(experiment), entry, resume_unfinished=True, resume_errored=True)
    else:
        tuner = tune.Tuner(
            entry,
            param_space=param_space(trials, runs),
            tune_config=tune.TuneConfig(
                num_samples=spec["samples"],
                max_concurrent_trials=spec["max_concurrent"] or None,
                trial_name_creator=trial_name,
                trial_dirname_creator=trial_name,
            ),
            run_config=tune.RunConfig(
                name=spec["name"],
                storage_path=str(out / TUNE_DIR),
                failure_config=tune.FailureConfig(max_failures=spec["max_failures"]),
                verbose=1,
            ),
        )
    start = time.perf_counter()
    with termination.tune_stops():
        results = tuner.fit()
    atomic_write_text(out / TRIALS_FILE, trials_table(results, trials, runs))
    errors = [result for result in results if result.error]
    print(
        f"sweep.py: {len(results)} trials in {time.perf_counter() - start:.0f} s, {len(errors)} errored; "
        f"runs in {runs}, table in {out / TRIALS_FILE}"
    )
    for result in errors:
        print(f"  errored: {result.path}: {' '.join(str(result.error).split())[:300]}", file=sys.stderr)
    if termination.received or _interrupted(results):  # Tune returns after Ctrl-C with unfinished trials
        print(f"sweep.py: stopped before every trial finished\n{resume_hint(out)}", file=sys.stderr)
        return EXIT_TERMINATED if termination.received else EXIT_INTERRUPTED
    return 1 if errors else 0


def _interrupted(results: Any) -> bool:
    """Some trial neither finished nor errored (Tune returns after Ctrl-C with such trials)."""
    return any(not (result.metrics or {}).get("done") for result in results if not result.error)


__all__ = [
    "TRIALS_FILE",
    "TUNE_DIR",
    "build_parser",
    "main",
    "prepare",
    "resume_hint",
    "run_sweep",
    "spec_from_flags",
    "trials_table",
]


if __name__ == "__main__":
    sys.exit(main())
