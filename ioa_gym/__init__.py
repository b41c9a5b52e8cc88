"""ioa-gym: two-tier agentic-AI task offloading in the Internet of Agents.

The economics (`scenario`, `stackelberg`, `auction`, `markets`) is plain NumPy; importing the package
also registers the Gymnasium environments (see `ioa_gym.envs`)."""

__version__ = "0.1.0"
