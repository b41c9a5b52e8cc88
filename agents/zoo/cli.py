"""The zoo's command line (``python -m agents.zoo``).

    python -m agents.zoo list                        # the entries, steps and recorded check returns
    python -m agents.zoo verify [SPEC ...]           # every file's sha256, every check return replayed
    python -m agents.zoo build --runs DIR --out DIR  # a new zoo from finished training runs
    python -m agents.zoo results --out DIR           # docs/results.md's tables from the zoo

``verify`` exits with 1 when a replayed return differs from the manifest's by more than
``agents.zoo.CHECK_TOLERANCE``, 2 for a bad spec or a file that fails its sha256 check.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from agents.common.cli import usage_error
from agents.common.errors import ConfigError
from agents.zoo import read_manifest, resolve


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m agents.zoo`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m agents.zoo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the zoo's entries")
    verify = commands.add_parser("verify", help="check every file and replay every recorded return")
    verify.add_argument("specs", nargs="*", help="zoo specs (default: every entry), e.g. zoo:ppo/IoA-DDA-v0")
    build = commands.add_parser("build", help="build a zoo from finished run folders")
    build.add_argument(
        "--runs",
        required=True,
        nargs="+",
        help="run folders, globs of them (quoted), or folders of <algo>/<env id>_<n> run folders (a sweep)",
    )
    build.add_argument("--out", required=True, help="the new zoo's folder (must hold no manifest)")
    commands.add_parser("results", help="regenerate docs/results.md's tables from the zoo (see its --help)")
    return parser


def _git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip() or None


def _list() -> int:
    manifest = read_manifest()
    print(f"zoo at {manifest.root} ({len(manifest.entries)} agents; built {manifest.built.get('created')})")
    for key, entry in manifest.entries.items():
        print(f"  zoo:{key:42s} {entry.n_timesteps:>7d} steps  check return {entry.check_return:.4f}")
    return 0


def _verify(specs: Sequence[str]) -> int:
    from agents.zoo.build import mismatches, replay

    manifest = read_manifest()
    if specs:
        entries = [entry for spec in specs for entry in resolve(spec)]
    else:
        entries = list(manifest.entries.values())
    bad = mismatches(replay(entries))
    for line in bad:
        print(f"zoo: MISMATCH {line}", file=sys.stderr)
    print(f"zoo: {len(entries) - len(bad)} of {len(entries)} agents match their recorded check return")
    return 1 if bad else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 done, 1 a replayed return differs, 2 bad input or a file that fails its check."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["results"]:
        from agents.zoo.results import main as results_main

        return results_main(arguments[1:])
    parser = build_parser()
    args = parser.parse_args(arguments)
    try:
        if args.command == "list":
            return _list()
        if args.command == "verify":
            return _verify(args.specs)
        from agents.zoo.build import build_zoo

        print(f"wrote {build_zoo(args.runs, Path(args.out), _git_commit())}")
        return 0
    except ConfigError as error:
        return usage_error(parser, error)


__all__ = ["build_parser", "main"]
