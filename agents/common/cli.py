"""Command-line helpers shared by ``train.py``, ``evaluate.py`` (and its ``ic-audit``), ``figures.py``,
``quickstart.py``, ``sweep.py`` and the multi-agent results: exit codes, signals, parsing helpers.

Exit codes of every command: 0 done; 1 some work failed and said so (a sweep's errored trial); 2 bad input,
nothing run or written (:func:`usage_error`); 74 a file could not be written (a full disk: one line naming the
path, :func:`io_error`); 130 Ctrl-C; 143 SIGTERM.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import shlex
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from agents.common.files import WriteError, os_error_reason

EXIT_OK = 0
EXIT_USAGE = 2
"""Bad input: nothing was run or written."""
EXIT_IO_ERROR = 74
"""A write failed (``ENOSPC``: the disk is full; a read-only file system, a lost permission) or another
``OSError`` stopped the work: sysexits.h's ``EX_IOERR``. Every result file is written atomically
(:func:`agents.common.files.atomic_save`), so none is left partial under its final name."""
EXIT_INTERRUPTED = 130
"""Ctrl-C (SIGINT): 128 + 2, as a shell reports a process killed by it."""
EXIT_TERMINATED = 143
"""SIGTERM (what ``kill``, ``timeout`` and batch schedulers send): 128 + 15."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM, raised in the main thread by :func:`interrupt_on_signals`' handler.

    A ``KeyboardInterrupt``, so code that already saves its work on Ctrl-C does so on SIGTERM too.

    :param signum: the signal received.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """128 + the signal number (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + self.signum


def exit_code_of(interrupt: KeyboardInterrupt) -> int:
    """:data:`EXIT_INTERRUPTED` for a plain ``KeyboardInterrupt``, else the :class:`Interrupted`'s code."""
    return interrupt.exit_code if isinstance(interrupt, Interrupted) else EXIT_INTERRUPTED


@contextlib.contextmanager
def interrupt_on_signals(signals: Sequence[int] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """Raise :class:`Interrupted` in the main thread on each of ``signals`` while inside; the previous
    handlers come back on exit. A shell starts background jobs with SIGINT ignored: ``kill -INT`` must
    still stop the run cleanly, so SIGINT is handled whatever its handler was. Outside the main thread
    (where handlers cannot be set) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise Interrupted(signum)

    previous = {number: signal.signal(number, handler) for number in signals}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


@contextlib.contextmanager
def signals_ignored(signals: Sequence[int] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """Ignore ``signals`` while inside (a second Ctrl-C must not interrupt the save that makes the first
    one safe); main thread only, like :func:`interrupt_on_signals`."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, signal.SIG_IGN) for number in signals}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def parse_value(text: str) -> Any:
    """A Python literal when ``text`` is one (``1e-3``, ``[64, 64]``, ``True``), else the string itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


class StoreDict(argparse.Action):
    """Collect ``key:value`` arguments into a dict; values go through :func:`parse_value` (zoo style)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        pairs: dict[str, Any] = {}
        for item in values or []:
            key, separator, text = str(item).partition(":")
            if not separator or not key:
                parser.error(f"{option_string} expects key:value pairs, got {item!r}")
            pairs[key] = parse_value(text)
        setattr(namespace, self.dest, pairs)


def command_line(argv: Sequence[str] | None, program: str) -> str:
    """The command as one shell-quoted line (``argv`` None: this process's arguments)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    return shlex.join([sys.executable, program, *arguments])


def usage_error(parser: argparse.ArgumentParser, error: BaseException) -> int:
    """Print the usage and ``prog: error: ...`` on stderr, as argparse does, and return :data:`EXIT_USAGE`."""
    parser.print_usage(sys.stderr)
    print(f"{parser.prog}: error: {error}", file=sys.stderr)
    return EXIT_USAGE


def describe_os_error(error: OSError) -> str:
    """One line: ``cannot write <path>: <reason> (<errno name>)`` for a
    :class:`~agents.common.files.WriteError`, else ``<path>: <reason>`` (or the error's type and reason when
    it names no path)."""
    if isinstance(error, WriteError):
        return str(error)
    if error.filename is not None:
        return f"{error.filename}: {os_error_reason(error)}"
    return f"{type(error).__name__}: {os_error_reason(error)}"


def add_hint(error: BaseException, hint: str) -> BaseException:
    """Attach what to do next (``Continue with: python train.py --resume RUN``) to ``error``, for
    :func:`io_error` to print under it; the hint travels with the error (pickled by Ray or a process pool)."""
    error.hint = hint  # type: ignore[attr-defined]
    return error


def io_error(prog: str, error: OSError, hint: str = "") -> int:
    """Print ``prog: error: <what could not be written or read>`` (one line, no traceback) and the error's
    hint (:func:`add_hint`; else ``hint``), if any, on stderr; return :data:`EXIT_IO_ERROR`."""
    print(f"{prog}: error: {describe_os_error(error)}", file=sys.stderr)
    hint = getattr(error, "hint", "") or hint
    if hint:
        print(hint, file=sys.stderr)
    return EXIT_IO_ERROR


def set_torch_threads(threads: int, flag: str = "--torch-threads") -> None:
    """Set torch's intra-op thread count (>= 1); ValueError naming ``flag`` otherwise.

    The envs' compiled kernels start their thread pool first (``ioa_gym.start_kernel_threads``): started
    later, by a native vector env's first reset, it would reset torch's count to the number of cores under
    OpenMP, which doubled PPO's CPU time on 2 cores with no gain in wall time."""
    import torch

    import ioa_gym

    if threads < 1:
        raise ValueError(f"{flag} must be >= 1, got {threads}")
    ioa_gym.start_kernel_threads()
    torch.set_num_threads(threads)


__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_IO_ERROR",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "Interrupted",
    "StoreDict",
    "add_hint",
    "command_line",
    "describe_os_error",
    "exit_code_of",
    "interrupt_on_signals",
    "io_error",
    "parse_value",
    "set_torch_threads",
    "signals_ignored",
    "usage_error",
]
