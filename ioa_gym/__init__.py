"""ioa-gym: two-tier agentic-AI task offloading in the Internet of Agents.

The economics (``scenario``, ``stackelberg``, ``auction``, ``markets``) is NumPy, with the Tier-1 solver
and the scenario's physics compiled by numba (``_tier1_kernel``, ``_scenario_kernel``); importing the
package also registers the Gymnasium environments (see ``ioa_gym.envs``).

The entry points are functions (``make_env``) rather than the env classes, so that ``gym.make`` passes
``render_mode`` to the env, which checks it at construction. The DDA ids' ``max_episode_steps`` is
``ioa_gym.envs.dda.MAX_EPISODE_STEPS``, the upper bound of their ``max_rounds``: their own round limit, not
the TimeLimit, ends every episode. IoA-Stackelberg-v0 never terminates; its ``EndedEpisodeGuard`` refuses a
step after the TimeLimit truncated the episode."""

__version__ = "0.1.0"

from gymnasium.envs.registration import WrapperSpec as _WrapperSpec
from gymnasium.envs.registration import register as _register

_DDA_MAX_EPISODE_STEPS = 1000  # ioa_gym.envs.dda.MAX_EPISODE_STEPS (not imported here: registering is lazy)

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
    kwargs={"discrete_steps": 12},
)
# The incentive-compatible auctions (docs/model.md, Sec. 4): every policy keeps them IR, IC and SBB, since
# their observations carry only what the mechanism makes public.
_register(
    id="IoA-DDA-DoubleClock-v0",
    entry_point="ioa_gym.envs.dda:make_env",
    vector_entry_point="ioa_gym.envs.dda_vector:DoubleDutchAuctionVectorEnv",
    max_episode_steps=_DDA_MAX_EPISODE_STEPS,
    kwargs={"variant": "double-clock"},
)
_register(
    id="IoA-DDA-StrategyProof-v0",
    entry_point="ioa_gym.envs.dda:make_env",
    vector_entry_point="ioa_gym.envs.dda_vector:DoubleDutchAuctionVectorEnv",
    max_episode_steps=_DDA_MAX_EPISODE_STEPS,
    kwargs={"variant": "strategy-proof", "per_clock_steps": True},
)
_register(
    id="IoA-Stackelberg-v0",
    entry_point="ioa_gym.envs.stackelberg:make_env",
    max_episode_steps=50,
    additional_wrappers=(_WrapperSpec("EndedEpisodeGuard", "ioa_gym.envs.wrappers:EndedEpisodeGuard", {}),),
)
