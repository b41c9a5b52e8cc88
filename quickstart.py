"""The main job in one command: ``python quickstart.py`` (train diffusion and PPO briefly, compare them with
the baselines, print the table, write plots and TensorBoard logs).

Thin command-line wrapper (like ``ioa-quickstart``); the steps are in :mod:`agents.quickstart`.
"""

from agents.quickstart import main

if __name__ == "__main__":
    raise SystemExit(main())
