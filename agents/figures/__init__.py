"""Every figure and table of docs/results.md (``figures.py``, console script ``ioa-figures``).

- :mod:`.tier1`: Algorithm 1's linear search, Algorithm 2's convergence and the two tiers coupled;
- :mod:`.auctioneers`: the auctioneers against the clairvoyant ceiling, their sensitivity, the
  efficiency-rounds frontier and the welfare against the market size;
- :mod:`.training`: the learners' test reward during training and their learning speed;
- :mod:`.cli`: the ``figures.py`` command line.

Before 0.2.0 ``agents.figures`` was one module; its names fail here naming their new home.
"""

from ioa_gym.errors import moved_attribute_error as _moved_attribute_error

_MOVED = {
    **{
        name: f"agents.figures.cli.{name}"
        for name in ("BUDGETS", "build_parser", "check_arguments", "main", "warn_pooled_settings")
    },
    **{
        name: f"agents.figures.auctioneers.{name}"
        for name in (
            "ENV_ID",
            "FIXED_STEPS",
            "efficiency_vs_rounds_frontier",
            "play_episodes",
            "welfare_vs_market_size",
        )
    },
    **{
        name: f"agents.figures.training.{name}"
        for name in (
            "align_by_timestep",
            "fig5_training_curves",
            "read_training_curve",
            "run_env_ids",
            "training_curves",
        )
    },
}
"""Names of the module ``agents.figures`` (before 0.2.0) and where they are now."""


def __getattr__(name: str) -> object:
    raise _moved_attribute_error(__name__, name, _MOVED, "0.2.0")
