"""ioa-gym: two-tier agentic-AI task offloading in the Internet of Agents.

The economics (``scenario``, ``stackelberg``, ``auction``, ``markets``) is NumPy, with the Tier-1 solver
and the scenario's physics compiled by numba (``_tier1_kernel``, ``_scenario_kernel``); importing the
package also registers the Gymnasium environments (see ``ioa_gym.envs``)."""

__version__ = "0.1.0"

from gymnasium.envs.registration import register as _register

_register(
    id="IoA-DDA-v0",
    entry_point="ioa_gym.envs.dda:DoubleDutchAuctionEnv",
    max_episode_steps=1000,
    vector_entry_point="ioa_gym.envs.dda_vector:DoubleDutchAuctionVectorEnv",
)
_register(
    id="IoA-DDA-Discrete-v0",
    entry_point="ioa_gym.envs.dda:DoubleDutchAuctionEnv",
    vector_entry_point="ioa_gym.envs.dda_vector:DoubleDutchAuctionVectorEnv",
    max_episode_steps=1000,
    kwargs={"discrete_steps": 12},
)
_register(
    id="IoA-Stackelberg-v0",
    entry_point="ioa_gym.envs.stackelberg:StackelbergPricingEnv",
    max_episode_steps=50,
)
