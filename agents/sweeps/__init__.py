"""Seed and hyperparameter sweeps of ``train.py`` runs as Ray Tune trials (``sweep.py``).

- :mod:`.spec`: the sweep file, checked field by field and expanded into grid points (:class:`~.spec.Trial`);
- :mod:`.trials`: one trial, ``train.py``'s code path in its run folder, reporting to Tune;
- :mod:`.cli`: the ``sweep.py`` command line (the file's format is in its docstring).

A sweep folder is read back (``evaluate.py --sweep``, ``figures.py --runs``) through
:mod:`agents.runs.groups`, not through this package.
"""
