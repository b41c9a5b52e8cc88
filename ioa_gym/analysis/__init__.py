"""Tools that play the envs with a policy given as a plain callable (NumPy and Gymnasium only):

- ``ioa_gym.analysis.rollout``: the one episode loop (``play``) and ``predictor`` for SB3-style agents;
- ``ioa_gym.analysis.seeding``: the one seed rule of every evaluation, audit, figure and benchmark;
- ``ioa_gym.analysis.ic_audit``: the incentive-compatibility audit of an auctioneer policy;
- ``ioa_gym.analysis.policies``: the reference auctioneers (adaptive, clairvoyant) offered to agent
registries;
- ``ioa_gym.analysis.sampling``: random actions drawn in batches, the sequence of ``action_space.sample()``.
"""
