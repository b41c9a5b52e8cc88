"""One owner of a training run (rl-baselines3-zoo's ``ExperimentManager``): its typed settings, its folder,
checkpoints, resume and evaluations. ``train.py``, the sweeps' trials, the evaluation, the figures and the
multi-agent experiments go through here.

- :mod:`.config`: :class:`RunConfig`, every setting of a run in one frozen record, checked once, written to
  and read from ``config.yml`` (runs of earlier versions included); :func:`resolve_config` makes it from
  ``train.py``'s command line;
- :mod:`.folder`: :class:`RunFolder`, the layout of a run folder (``config.yml``, models, checkpoints,
  ``evaluations.npz``, ``progress.csv``) and the numbering of new ones;
- :mod:`.experiment`: :func:`train`, one run: envs, logger, agent, the learning loop, Ctrl-C;
- :mod:`.callbacks`: atomic checkpoints and evaluations, ``progress.csv`` continued on resume;
- :mod:`.timeline`: what ``--resume`` does to the folder of the run it continues;
- :mod:`.loading`: :func:`load_agent`, a saved agent back from a run folder or model file;
- :mod:`.groups`: the runs of a sweep folder, grouped by algorithm and settings;
- :mod:`.cli`: the ``train.py`` command line.

Example::

    from agents.runs import load_agent
    model = load_agent("logs/ppo/IoA-DDA-v0_1")
"""

from agents.runs.config import RunConfig, resolve_config
from agents.runs.experiment import train
from agents.runs.folder import RunFolder
from agents.runs.loading import load_agent

__all__ = ["RunConfig", "RunFolder", "load_agent", "resolve_config", "train"]
