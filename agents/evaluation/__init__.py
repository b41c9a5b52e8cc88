"""Compare any set of agents on the same seeded episodes of any registered Gymnasium env.

Command line (``evaluate.py`` at the repository root is a thin wrapper around :func:`main`)::

    python evaluate.py --env IoA-DDA-v0 --episodes 100 --seeds 0 1 2 \\
        --agents diffusion='runs/diffusion/IoA-DDA-v0_*' ppo=runs/ppo/IoA-DDA-v0_1 \\
                 greedy random fixed-step:step=1.0 adaptive

From Python (e.g. a quickstart or a figures script)::

    from agents.evaluation import evaluate_agents, write_results
    result = evaluate_agents("IoA-DDA-v0", ["greedy", "adaptive"], episodes=20, seeds=[0, 1])
    print(result.table())
    write_results(result, "results/quick")

Agent specs (``--agents``):

- ``LABEL=PATH``: a run folder of ``train.py``, a glob of run folders (several training runs of one label;
  quote it so that the shell does not expand it), or a saved model file (SB3 ``.zip``, baseline ``.json``).
  The algorithm comes from the run's ``config.yml`` or the zip (:func:`agents.runs.load_agent`).
- ``[LABEL=]zoo:<algo>/<env id>[/<seed>]``: a pretrained agent of the zoo (every seed, or one), its files
  checked against the zoo's manifest (:mod:`agents.zoo`); unlabelled, ``zoo:ppo/IoA-DDA-v0`` is labelled
  ``ppo-IoA-DDA-v0``.
- ``NAME`` or ``NAME:key=value,...``: any registry name (:func:`agents.list_agents`) built for the env with
  those constructor arguments (``fixed-step:step=1.0``, ``adaptive:gap_fraction=0.3``). An SB3 algorithm
  by name is an *untrained* model (weights from seed 0); the table says so. ``LABEL=NAME:...`` gives it
  another label (e.g. two fixed steps side by side).

Episodes (:mod:`ioa_gym.analysis.seeding`, the seed rule of the evaluation, the IC audit and the figures):
evaluation seed ``s``, episode ``i`` (0-based) is ``env.reset(seed=reset_seed(s, i))`` with

    reset_seed(s, i) = 2**32 + 1_000_000 * s + i

for every agent, so all agents meet the same markets; the offset 2**32 keeps these seeds apart from the
seeds ``train.py`` gives its training and evaluation envs (it draws them below 2**31). Before each episode the
agent's own random generators are seeded with ``agent_seed(s, i) = 1_000_000 * s + i`` (SB3's
``set_random_seed``: Python, NumPy, torch; a baseline's action space), so ``--stochastic`` runs and the
random agent are reproducible too: identical arguments give identical ``episodes.csv`` up to the
wall-time column.

Statistics: the 95% confidence interval of the mean return is Student t over independent units: the
training runs of a label when it has several (each run's mean over all its episodes), else the evaluation
seeds (each seed's mean over its episodes), else, with a single seed, the episodes. The paired comparison
gives each agent's mean return minus the best agent's over the shared episodes (same reset seeds; a label
with several runs contributes the mean over its runs), with a Student t interval over those episodes.

Outputs (``--output DIR``, default a new ``results/eval-<env>-<timestamp>/``), each written atomically::

    episodes.csv             one row per agent / run / evaluation seed / episode: return, length,
                             wall_time_s and every scalar of the episode's final info dict
    summary.csv              one row per agent: return mean, std, CI, the paired difference to the best,
                             time per episode, the mean of every numeric info key, and counts of
                             episodes whose boolean info keys were False (e.g. IR/SBB violations)
    summary.json             the same plus the full command, versions, env kwargs, seeds, warnings
    table.txt                the table printed on stdout
    returns.png              bar chart of the mean return with its CI
    <y>_vs_<x>.png           the scatter plots the env asks for (IoA-DDA-v0: efficiency_vs_rounds.png)

A non-empty ``DIR`` is refused (exit 2) unless ``--overwrite``. Bad agent specs (and ``NAME:key=value``
arguments of the wrong type), missing or corrupt models, unknown env ids or env kwargs, and every flag out of
range stop the command before any episode, with exit code 2, the usage line and a message naming the flag
and its allowed values, no traceback: ``--episodes`` in ``[1, SEED_STRIDE]``, ``--seeds`` distinct in
``[0, MAX_EVAL_SEED]`` (:mod:`ioa_gym.analysis.seeding`), ``--n-envs`` in ``[1, --episodes]``, ``--compare``
two different known labels, ``--device`` one this machine has, ``--torch-threads >= 1``, ``--output`` a
writable folder (not a file), an ``--agents`` label not empty (``=greedy``). ``ic-audit``: ``--markets`` in
``[1, SEED_STRIDE]``, ``--seed`` in ``[0, MAX_EVAL_SEED]``, ``--deviations`` in ``[0, 10000]``. A result file
that cannot be written (a full disk) stops the command with one line naming it and exit code 74; each file
is whole or absent.

Modules: :mod:`.specs` (the ``--agents`` parser), :mod:`.loading` (agents built before any episode),
:mod:`.harness` (the episodes), :mod:`.results` (statistics and the table), :mod:`.report` (files and plots),
:mod:`.cli` (the command line) and :mod:`.ic_audit` (``evaluate.py ic-audit``). This package knows nothing
of the economics: it uses env ids, ``info`` dicts, the env's ``metadata["report"]`` (which info keys the
table shows, which scatter plots to draw) and agents' ``predict``.
"""

from agents.common.errors import HOME as _CONFIG_ERROR_HOME
from agents.evaluation.cli import build_parser, main
from agents.evaluation.harness import (
    agent_seed,
    evaluate_agents,
    reset_seed,
    run_episode,
    run_vector_episodes,
    scalar_info,
)
from agents.evaluation.loading import AgentRun, LoadedAgent, load_agents
from agents.evaluation.report import write_results
from agents.evaluation.results import BASE_COLUMNS, AgentSummary, EvaluationResult
from agents.evaluation.specs import AgentRequest, parse_agent_spec
from ioa_gym.errors import moved_attribute_error as _moved_attribute_error

_MOVED = {
    "EvaluationConfigError": _CONFIG_ERROR_HOME,
    "check_env": "agents.common.envs.check_env (it raises agents.ConfigError)",
    "atomic_write_text": "agents.common.files.atomic_write_text",
    "check_output_dir": "agents.common.files.check_output_dir",
    "csv_text": "agents.common.files.csv_text",
    "json_text": "agents.common.files.json_text",
    "mean_confidence_interval": "agents.common.stats.mean_confidence_interval",
    "student_t_quantile": "agents.common.stats.student_t_quantile",
    "render_table": "agents.common.tables.render_table",
}
"""Names this package re-exported before 0.2.0 that belong elsewhere: they fail naming their home."""


def __getattr__(name: str) -> object:
    raise _moved_attribute_error(__name__, name, _MOVED, "0.2.0")


__all__ = [
    "BASE_COLUMNS",
    "AgentRequest",
    "AgentRun",
    "AgentSummary",
    "EvaluationResult",
    "LoadedAgent",
    "agent_seed",
    "build_parser",
    "evaluate_agents",
    "load_agents",
    "main",
    "parse_agent_spec",
    "reset_seed",
    "run_episode",
    "run_vector_episodes",
    "scalar_info",
    "write_results",
]
