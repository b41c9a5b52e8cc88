"""Command-line helpers shared by ``train.py``, ``evaluate.py`` (and its ``ic-audit``) and ``figures.py``."""

from __future__ import annotations

import argparse
import ast
import shlex
import sys
from collections.abc import Sequence
from typing import Any

EXIT_OK = 0
EXIT_USAGE = 2
"""Bad input: nothing was run or written."""
EXIT_INTERRUPTED = 130
"""Ctrl-C (SIGINT)."""


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


def set_torch_threads(threads: int, flag: str = "--torch-threads") -> None:
    """Set torch's intra-op thread count (>= 1); ValueError naming ``flag`` otherwise."""
    import torch

    if threads < 1:
        raise ValueError(f"{flag} must be >= 1, got {threads}")
    torch.set_num_threads(threads)


__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "StoreDict",
    "command_line",
    "parse_value",
    "set_torch_threads",
    "usage_error",
]
