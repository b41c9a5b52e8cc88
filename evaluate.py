"""Compare agents on the same seeded episodes, or audit auctioneers' incentive compatibility.

    python evaluate.py --env IoA-DDA-v0 --agents ppo=runs/ppo/IoA-DDA-v0_1 greedy adaptive --seeds 0 1 2
    python evaluate.py ic-audit --agents fixed-step:step=1.0 adaptive --markets 100

Thin command-line wrapper (like ``ioa-evaluate``); the command line is :mod:`agents.evaluation.cli`, the
harness :mod:`agents.evaluation`, the audit :mod:`ioa_gym.ic_audit`.
"""

from agents.evaluation.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
