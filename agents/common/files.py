"""Result files that are never partial and never silently overwritten.

Every writer here goes through :func:`atomic_save`: the file is written under a temporary name in its own
folder and renamed onto its final name, so a crash or Ctrl-C leaves either the old file or the new one. A
write that fails (a full disk, a read-only file system, a lost permission) raises :class:`WriteError` naming
the final path, and leaves no temporary file behind.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agents.common.errors import ConfigError
from ioa_gym.errors import moved_attribute_error

_MOVED = {"OutputExistsError": "agents.common.errors.ConfigError (the one configuration error)"}


class WriteError(OSError):
    """A file or folder that could not be written (``ENOSPC``: the disk is full; ``EROFS``, ``EACCES``...):
    the ``OSError`` of the write, with ``filename`` the path meant (the final name, not a temporary one).

    ``str()`` is one line, ``cannot write <path>: <reason> (<errno name>)``; the command lines print it and
    exit with :data:`agents.common.cli.EXIT_IO_ERROR`.
    """

    def __str__(self) -> str:
        return f"cannot write {self.filename}: {os_error_reason(self)}"

    @classmethod
    def of(cls, error: OSError, path: str | os.PathLike[str]) -> WriteError:
        """``error`` (an OSError of a write) as a WriteError naming ``path``; a WriteError stays as it is."""
        if isinstance(error, WriteError):
            return error
        return cls(error.errno, error.strerror or str(error) or type(error).__name__, str(path))


def os_error_reason(error: OSError) -> str:
    """``No space left on device (ENOSPC)``: the reason of an OSError and its errno's name."""
    reason = error.strerror or str(error) or type(error).__name__
    name = errno.errorcode.get(error.errno) if isinstance(error.errno, int) else None
    return f"{reason} ({name})" if name else reason


@contextlib.contextmanager
def writing(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn an OSError raised inside into a :class:`WriteError` naming ``path`` (a WriteError raised inside,
    which names its own file, passes unchanged)."""
    try:
        yield
    except WriteError:
        raise
    except OSError as error:
        raise WriteError.of(error, path) from error


def atomic_save(path: str | os.PathLike[str], write: Callable[[str], object]) -> Path:
    """Call ``write(temporary_path)`` then rename the result onto ``path``, so ``path`` is never partial.

    The temporary file sits in the same folder (same file system, so ``os.replace`` is atomic) and keeps the
    final suffix, so savers that append a missing suffix (SB3, NumPy) write exactly where they are told.

    :raises WriteError: naming ``path`` when the folder, the temporary file or the rename fails (a full
        disk); the temporary file is removed and ``path`` keeps its earlier content, if any.
    """
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp{target.suffix}")
    with writing(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            write(str(temporary))
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
    return target


def natural_key(path: str | os.PathLike[str]) -> list[Any]:
    """Sort key putting ``run_2`` before ``run_10`` (and ``run_1`` before ``run_1-<id>``)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    return atomic_save(path, lambda temporary: Path(temporary).write_text(text))


def save_figure(figure: Any, path: str | os.PathLike[str], dpi: int = 120) -> Path:
    """Save a matplotlib figure as PNG atomically (a reader never sees half a PNG)."""
    return atomic_save(
        path, lambda temporary: figure.savefig(temporary, dpi=dpi, bbox_inches="tight", format="png")
    )


def new_figure(width: float, height: float, ncols: int = 1) -> tuple[Any, Any]:
    """A figure on matplotlib's Agg canvas, without pyplot (no global backend switch, nothing to close);
    returns the figure and its axes (one, or an array of ``ncols``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure, figure.subplots(1, ncols) if ncols > 1 else figure.add_subplot()


def check_output_dir(out_dir: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Refuse an existing non-empty folder (or a file) unless ``overwrite``; returns the path.

    :raises ConfigError: naming the folder.
    """
    path = Path(out_dir)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"output {path} exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise ConfigError(
            f"output folder {path} exists and is not empty; pass --overwrite or choose another --output"
        )
    return path


def default_output_dir(env_id: str, prefix: str = "eval", root: str | os.PathLike[str] = "results") -> Path:
    """A new ``results/<prefix>-<env>-<YYYYmmdd-HHMMSS>`` folder name (suffixed -2, -3... if taken)."""
    stem = f"{prefix}-{env_id.rsplit(':', 1)[-1].replace('/', '-')}-{time.strftime('%Y%m%d-%H%M%S')}"
    candidate, number = Path(root) / stem, 1
    while candidate.exists():
        number += 1
        candidate = Path(root) / f"{stem}-{number}"
    return candidate


def _plain(value: Any, nan_as_none: bool) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item, nan_as_none) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item, nan_as_none) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if nan_as_none and isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def json_ready(value: Any) -> Any:
    """Plain JSON types: NaN and infinities become None, NumPy scalars Python numbers, tuples lists, other
    objects their repr."""
    return _plain(value, nan_as_none=True)


def yaml_ready(value: Any) -> Any:
    """Plain YAML types: tuples become lists, NumPy scalars Python numbers, other objects their repr."""
    return _plain(value, nan_as_none=False)


def json_text(document: Any) -> str:
    """Strict JSON (NaN and infinities as null), indented."""
    return json.dumps(json_ready(document), indent=2, allow_nan=False) + "\n"


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return str(value)


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV with a header; floats written with ``repr`` (exact round trip), missing cells empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(column)) for column in columns])
    return buffer.getvalue()


def __getattr__(name: str) -> object:
    raise moved_attribute_error(__name__, name, _MOVED, "0.2.0")


__all__ = [
    "WriteError",
    "atomic_save",
    "atomic_write_text",
    "check_output_dir",
    "csv_text",
    "default_output_dir",
    "json_ready",
    "json_text",
    "natural_key",
    "new_figure",
    "os_error_reason",
    "save_figure",
    "writing",
    "yaml_ready",
]
