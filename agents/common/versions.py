"""The record of what decided a run's numbers: library versions and the git commit."""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
from pathlib import Path

PACKAGES = ("ioa-gym", "numpy", "numba", "torch", "gymnasium", "stable-baselines3", "sb3-contrib")


def library_versions() -> dict[str, str | None]:
    """Versions of the libraries that decide a run's numbers, and the git commit of this checkout."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        versions["git_commit"] = commit.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        versions["git_commit"] = None
    return versions


__all__ = ["library_versions"]
