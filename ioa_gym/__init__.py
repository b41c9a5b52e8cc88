"""ioa-gym: two-tier agentic-AI task offloading in the Internet of Agents.

Subpackages, one per concern (docs/architecture.md):

- ``ioa_gym.tier1``: the scenario of a slot and the Stackelberg game of Tier 1, with its compiled solver;
- ``ioa_gym.auctions``: the Tier-2 mechanisms (plug-ins in a registry), batches, the misreport audit and the
  clairvoyant search;
- ``ioa_gym.coupling``: the Tier-2 market of a Tier-1 slot, and the tiers solved together;
- ``ioa_gym.envs``: the Gymnasium environments; ``ioa_gym.multiagent``: the PettingZoo ones;
- ``ioa_gym.analysis``: the episode loop, the seed rule, the IC audit and the reference policies.

The economics is NumPy, with the hot loops compiled by numba; importing the package registers the
Gymnasium environments (and imports neither numba nor the economics: registration is lazy).

The entry points are functions (``make_env``) rather than the env classes, so that ``gym.make`` passes
``render_mode`` to the env, which checks it at construction. The DDA ids' ``max_episode_steps`` is
``ioa_gym.envs.dda.MAX_EPISODE_STEPS``, the upper bound of their ``max_rounds``: their own round limit, not
the TimeLimit, ends every episode. IoA-Stackelberg-v0 never terminates: its TimeLimit truncates it (wrap it in
``ioa_gym.envs.wrappers.EndedEpisodeGuard`` to refuse a step after that). Every id has a native vector env
(``vector_entry_point``, ``gym.make_vec``'s default for it)."""

__version__ = "0.3.0"

from gymnasium.envs.registration import register as _register

from ioa_gym.errors import install_moved_modules as _install_moved_modules
from ioa_gym.errors import moved_attribute_error as _moved_attribute_error

_MOVED_IN = "0.2.0"
_MOVED_MODULES = {
    "ioa_gym.scenario": "ioa_gym.tier1.scenario (or ioa_gym.tier1)",
    "ioa_gym.stackelberg": "ioa_gym.tier1.stackelberg (or ioa_gym.tier1)",
    "ioa_gym.latency": "ioa_gym.tier1.latency (or ioa_gym.tier1)",
    "ioa_gym.auction": "ioa_gym.auctions",
    "ioa_gym.auction_batch": "ioa_gym.auctions (make_batch; DoubleDutchAuctionBatch)",
    "ioa_gym.oracle": "ioa_gym.auctions.oracle",
    "ioa_gym.markets": "ioa_gym.coupling.markets (is_tradable: ioa_gym.auctions)",
    "ioa_gym.two_tier": "ioa_gym.coupling.two_tier (best fixed steps: ioa_gym.auctions.get_mechanism(name))",
    "ioa_gym.rollout": "ioa_gym.analysis.rollout",
    "ioa_gym.seeding": "ioa_gym.analysis.seeding",
    "ioa_gym.ic_audit": "ioa_gym.analysis.ic_audit",
    "ioa_gym.policies": "ioa_gym.analysis.policies",
    "ioa_gym._auction_market": "ioa_gym.auctions.market",
    "ioa_gym._auction_mechanism": "ioa_gym.auctions.clock and ioa_gym.auctions.double_dutch",
    "ioa_gym._auction_double_clock": "ioa_gym.auctions.double_clock",
    "ioa_gym._auction_play": "ioa_gym.auctions.play",
    "ioa_gym._auction_analysis": "ioa_gym.auctions.misreport",
    "ioa_gym._tier1_kernel": "ioa_gym.tier1._solver_kernel",
    "ioa_gym._tier1_search": "ioa_gym.tier1._search",
    "ioa_gym._tier1_sweeps": "ioa_gym.tier1._sweeps",
    "ioa_gym._follower_kkt": "ioa_gym.tier1._kkt",
    "ioa_gym._scenario_kernel": "ioa_gym.tier1._scenario_kernel",
    "ioa_gym._latency_kernel": "ioa_gym.tier1._latency_kernel",
}
"""Modules that moved in 0.2.0: importing one fails naming its new home
(``ioa_gym.errors.MovedModuleFinder``)."""
_install_moved_modules(_MOVED_MODULES, _MOVED_IN)


def __getattr__(name: str) -> object:
    """``ioa_gym.<moved module>`` as an attribute fails as its import does, naming the new home."""
    raise _moved_attribute_error(
        "ioa_gym", name, {key.rsplit(".", 1)[1]: value for key, value in _MOVED_MODULES.items()}, _MOVED_IN
    )


def reference_policies() -> dict[str, tuple[str, str]]:
    """Registry name -> (``"module:Class"``, description) of the reference policies this package offers to
    agent registries (``ioa_gym.analysis.policies.REFERENCE_POLICIES``; ``agents`` registers them)."""
    from ioa_gym.analysis.policies import REFERENCE_POLICIES

    return dict(REFERENCE_POLICIES)


def start_kernel_threads() -> int:
    """Start the thread pool of the compiled kernels now (numba's, once per process) and return its size.

    The native vector envs solve Tier-1 slots over all cores (numba's ``prange``), and numba starts its pool
    on the first such call. Under numba's OpenMP threading layer that start sets OpenMP's thread count of the
    calling thread to the pool's size, and torch built with OpenMP reads the same setting as its intra-op
    thread count: a ``torch.set_num_threads(1)`` made before would silently become the number of cores.
    Call this before ``torch.set_num_threads`` (``agents`` does) so that torch's setting stays."""
    import numba

    return int(numba.get_num_threads())


_DDA_MAX_EPISODE_STEPS = 1000  # ioa_gym.envs.dda_config.MAX_EPISODE_STEPS (not imported: registering is lazy)

_register(
    id="IoA-DDA-v0",
    entry_point="ioa_gym.envs.dda:make_env",
    max_episode_steps=_DDA_MAX_EPISODE_STEPS,
    vector_entry_point="ioa_gym.envs.dda_vector:DoubleDutchAuctionVectorEnv",
)
_register(
    id="IoA-DDA-Discrete-v0",
    entry_point="ioa_gym.envs.dda:make_env",
    vector_entry_point="ioa_gym.envs.dda_vector:DoubleDutchAuctionVectorEnv",
    max_episode_steps=_DDA_MAX_EPISODE_STEPS,
    # promised_discrete: discrete_steps below 2 (a Box) is refused on this id.
    kwargs={"discrete_steps": 12, "promised_discrete": True},
)
# The incentive-compatible auctions (docs/model.md, Sec. 4): every policy keeps them IR, IC and SBB, since
# their observations carry only what the mechanism makes public. promised_variant: another variant, which
# would void that guarantee, is refused on these ids (the one option that can: every other keeps the
# observation public and the clock path report-blind).
_register(
    id="IoA-DDA-DoubleClock-v0",
    entry_point="ioa_gym.envs.dda:make_env",
    vector_entry_point="ioa_gym.envs.dda_vector:DoubleDutchAuctionVectorEnv",
    max_episode_steps=_DDA_MAX_EPISODE_STEPS,
    kwargs={"variant": "double-clock", "promised_variant": "double-clock"},
)
_register(
    id="IoA-DDA-StrategyProof-v0",
    entry_point="ioa_gym.envs.dda:make_env",
    vector_entry_point="ioa_gym.envs.dda_vector:DoubleDutchAuctionVectorEnv",
    max_episode_steps=_DDA_MAX_EPISODE_STEPS,
    kwargs={"variant": "strategy-proof", "per_clock_steps": True, "promised_variant": "strategy-proof"},
)
# No additional wrappers: Gymnasium refuses the vector_entry_point mode of make_vec (its default for an id
# with a vector entry point) for a spec that lists any; ioa_gym.envs.wrappers.EndedEpisodeGuard is applied by
# hand where a step after the time limit must fail (docs/model.md, Sec. 6).
_register(
    id="IoA-Stackelberg-v0",
    entry_point="ioa_gym.envs.stackelberg:make_env",
    max_episode_steps=50,
    vector_entry_point="ioa_gym.envs.stackelberg_vector:StackelbergPricingVectorEnv",
)
