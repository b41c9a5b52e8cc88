"""A learner that fails on purpose, for the sweep's failure test (imported by Ray's workers through
PYTHONPATH as ``sweep_helpers:CrashingPPO``; not a test module)."""

from stable_baselines3 import PPO


class CrashingPPO(PPO):
    """PPO whose training fails at once, as a trial that crashes at run time (not a bad configuration)."""

    def learn(self, *args, **kwargs):
        raise RuntimeError("planted failure (tests/sweep_helpers.py)")
