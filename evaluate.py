"""Compare agents on the same seeded episodes, or audit auctioneers' incentive compatibility.

    python evaluate.py --env IoA-DDA-v0 --agents ppo=runs/ppo/IoA-DDA-v0_1 greedy adaptive --seeds 0 1 2
    python evaluate.py ic-audit --agents fixed-step:step=1.0 adaptive --markets 100

Thin command-line wrapper: the harness is :mod:`agents.evaluation`, the audit :mod:`ioa_gym.ic_audit`.
"""

import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["ic-audit"]:
        from ioa_gym.ic_audit import main as audit_main

        raise SystemExit(audit_main(sys.argv[2:]))
    from agents.evaluation import main

    raise SystemExit(main())
