"""The zoo: the pretrained agents behind docs/results.md, shipped with the repository (``zoo/``).

Each entry is a ``train.py`` run folder cut down to what evaluation needs (``config.yml``, the final
model, ``evaluations.npz``; no checkpoints or replay buffers), at ``zoo/<algo>/<env id>_<n>`` (``n`` = seed
+ 1, as ``train.py -f`` names them, so ``figures.py --runs zoo`` reads the zoo as any folder of runs).
``zoo/manifest.json`` lists every entry with the sha256 of each of its files and its mean return on a few
fixed auctions (:data:`CHECK_EPISODES` episodes of evaluation seed :data:`CHECK_SEED`, deterministic
actions), recorded when the zoo was built (:mod:`agents.zoo.build`).

An agent of the zoo is named ``zoo:<algo>/<env id>`` (every seed) or ``zoo:<algo>/<env id>/<seed>`` (one)
wherever an agent is named: ``evaluate.py --agents diffusion=zoo:diffusion/IoA-DDA-v0`` (and its
``ic-audit``), :func:`agents.make_agent` and :func:`agents.runs.load_agent`. Every file of an entry is checked
against the manifest when the entry is resolved: a changed or missing file raises :class:`ConfigError` naming
it. ``python -m agents.zoo list`` lists the entries, ``python -m agents.zoo verify`` checks every file and
replays the recorded returns.

The zoo is found at ``$IOA_GYM_ZOO`` when set, else at ``zoo/`` beside the ``agents`` package (a clone or
an editable install).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.common.errors import ConfigError

PREFIX = "zoo:"
"""How an agent spec names the zoo."""
ZOO_ENV_VAR = "IOA_GYM_ZOO"
"""Environment variable that overrides the zoo's folder."""
MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT = 1
CHECK_SEED = 0
"""Evaluation seed of the auctions each entry's recorded return is measured on."""
CHECK_EPISODES = 10
"""Number of those auctions (episodes 0-9 of :data:`CHECK_SEED`)."""
CHECK_TOLERANCE = 1e-4
"""Largest accepted difference between a replayed and a recorded check return (floating point across
machines and BLAS builds; a changed model, env or reward moves it by far more)."""


def zoo_root() -> Path:
    """The zoo's folder: ``$IOA_GYM_ZOO`` when set, else ``zoo/`` beside the ``agents`` package."""
    configured = os.environ.get(ZOO_ENV_VAR)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "zoo"


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class ZooEntry:
    """One pretrained agent: a run folder of the zoo and what the manifest records of it."""

    key: str
    """``<algo>/<env id>/<seed>``."""
    path: Path
    """The run folder."""
    algo: str
    env: str
    seed: int
    n_timesteps: int
    files: Mapping[str, str]
    """File name (relative to ``path``) -> sha256."""
    check_return: float
    """Mean return on the check auctions when the zoo was built."""

    def verify(self) -> ZooEntry:
        """Check every file against the manifest; returns ``self``.

        :raises ConfigError: naming the first file that is missing or whose sha256 differs.
        """
        for name, expected in self.files.items():
            file = self.path / name
            if not file.is_file():
                raise ConfigError(
                    f"zoo entry {self.key}: file {file} is missing (listed in the zoo's manifest)"
                )
            actual = sha256_of(file)
            if actual != expected:
                raise ConfigError(
                    f"zoo entry {self.key}: file {file} does not match the zoo's manifest "
                    f"(sha256 {actual[:16]}..., manifest {expected[:16]}...); restore it with "
                    f"`git checkout -- {file}` or rebuild the zoo (python -m agents.zoo build)"
                )
        return self


@dataclass(frozen=True)
class Manifest:
    """The zoo's ``manifest.json``: its entries and how they were built."""

    root: Path
    entries: Mapping[str, ZooEntry]
    built: Mapping[str, Any]

    def keys(self) -> list[str]:
        return list(self.entries)


def read_manifest(root: str | os.PathLike[str] | None = None) -> Manifest:
    """Read ``<root>/manifest.json`` (default root: :func:`zoo_root`).

    :raises ConfigError: when the manifest is missing or not a zoo manifest.
    """
    folder = Path(root) if root is not None else zoo_root()
    file = folder / MANIFEST_FILE
    if not file.is_file():
        raise ConfigError(
            f"no zoo at {folder} ({MANIFEST_FILE} missing); the zoo ships with the repository's zoo/ folder "
            f"(set {ZOO_ENV_VAR} to use another)"
        )
    try:
        document = json.loads(file.read_text())
        if document.get("format") != MANIFEST_FORMAT:
            raise ConfigError(f"{file}: format {document.get('format')!r}, expected {MANIFEST_FORMAT}")
        entries = {
            key: ZooEntry(
                key=key,
                path=folder / record["folder"],
                algo=record["algo"],
                env=record["env"],
                seed=int(record["seed"]),
                n_timesteps=int(record["n_timesteps"]),
                files=dict(record["files"]),
                check_return=float(record["check_return"]),
            )
            for key, record in document["entries"].items()
        }
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, ConfigError):
            raise
        raise ConfigError(f"{file} is not a zoo manifest: {error!r}") from None
    return Manifest(root=folder, entries=entries, built=dict(document.get("built", {})))


def is_zoo_spec(text: str | os.PathLike[str]) -> bool:
    """Whether ``text`` names the zoo (``zoo:...``)."""
    return isinstance(text, str) and text.strip().startswith(PREFIX)


def resolve(spec: str, root: str | os.PathLike[str] | None = None, verify: bool = True) -> list[ZooEntry]:
    """The entries ``spec`` names, in seed order, each checked against the manifest (unless ``verify=False``).

    :param spec: ``zoo:<algo>/<env id>`` (every seed) or ``zoo:<algo>/<env id>/<seed>``; the ``zoo:`` prefix
        may be left out.
    :raises ConfigError: naming the spec and what the zoo holds instead, or the file that failed its check.
    """
    text = spec.strip()
    body = text[len(PREFIX) :] if text.startswith(PREFIX) else text
    manifest = read_manifest(root)
    parts = body.strip("/").split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise ConfigError(
            f"zoo spec {spec!r}: expected zoo:<algo>/<env id> or zoo:<algo>/<env id>/<seed>, "
            f"e.g. zoo:diffusion/IoA-DDA-v0/0"
        )
    prefix = "/".join(parts[:2]) + "/"
    matches = [entry for key, entry in manifest.entries.items() if key.startswith(prefix)]
    if not matches:
        available = sorted({key.rsplit("/", 1)[0] for key in manifest.entries})
        raise ConfigError(
            f"zoo spec {spec!r}: the zoo has no {parts[0]} on {parts[1]}; it has {', '.join(available)}"
        )
    if len(parts) == 3:
        seeds = sorted(entry.seed for entry in matches)
        matches = [entry for entry in matches if str(entry.seed) == parts[2]]
        if not matches:
            raise ConfigError(
                f"zoo spec {spec!r}: no seed {parts[2]!r} of {prefix[:-1]}; "
                f"seeds: {', '.join(map(str, seeds))}"
            )
    matches.sort(key=lambda entry: entry.seed)
    return [entry.verify() if verify else entry for entry in matches]


def resolve_one(spec: str, root: str | os.PathLike[str] | None = None) -> ZooEntry:
    """The single entry ``spec`` names (``zoo:<algo>/<env id>/<seed>``, or a spec matching one seed).

    :raises ConfigError: when it names none or several.
    """
    entries = resolve(spec, root)
    if len(entries) != 1:
        seeds = ", ".join(str(entry.seed) for entry in entries)
        raise ConfigError(
            f"zoo spec {spec!r} names {len(entries)} agents (seeds {seeds}); add /<seed> for one"
        )
    return entries[0]


def load(spec: str, env: Any = None, device: str = "auto", root: str | os.PathLike[str] | None = None) -> Any:
    """Load one pretrained agent (``zoo:<algo>/<env id>/<seed>``), its files checked against the manifest."""
    from agents.runs.loading import load_agent

    return load_agent(resolve_one(spec, root).path, env=env, device=device)


__all__ = [
    "CHECK_EPISODES",
    "CHECK_SEED",
    "CHECK_TOLERANCE",
    "MANIFEST_FILE",
    "PREFIX",
    "ZOO_ENV_VAR",
    "Manifest",
    "ZooEntry",
    "is_zoo_spec",
    "load",
    "read_manifest",
    "resolve",
    "resolve_one",
    "sha256_of",
    "zoo_root",
]
