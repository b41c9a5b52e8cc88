"""Regenerate every figure of docs/results.md: ``python figures.py --out figures [--runs runs]``.

Thin command-line wrapper (like ``ioa-figures``); the figures are in :mod:`agents.figures`.
"""

from agents.figures.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
