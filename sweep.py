"""Run a sweep of train.py runs as Ray Tune trials: ``python sweep.py --config sweeps/results.yml``.

Thin command-line wrapper; the sweep file, the trials and resuming are in :mod:`agents.sweeps`.
"""

from agents.sweeps.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
