"""Train an agent: ``python train.py --algo diffusion --env IoA-DDA-v0 -n 100000 --seed 0``.

Thin command-line wrapper; the logic, the flags and the run-folder layout are in :mod:`agents.runs`.
"""

from agents.runs.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
