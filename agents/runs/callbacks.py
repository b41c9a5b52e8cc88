"""Checkpoints, evaluations and the CSV log of a training run, written so that a crash or Ctrl-C never
leaves a partial file under a final name: SB3's checkpoint and evaluation callbacks with every file saved
through :func:`~agents.common.files.atomic_save` (or moved into place with ``os.replace``), and SB3's CSV
writer continuing ``progress.csv`` on ``--resume`` instead of truncating it. A write that fails (a full disk)
raises :class:`~agents.common.files.WriteError` naming the run's file."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback, EvalCallback
from stable_baselines3.common.logger import CSVOutputFormat, filter_excluded_keys
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from agents.common.files import WriteError, atomic_save, writing
from agents.runs.folder import EVALUATIONS_FILE, RunFolder

TIMESTEPS_KEY = "time/total_timesteps"


def evaluation_line(timesteps: int, rewards: Sequence[float], best: bool = False) -> str:
    """What ``train.py`` prints after an evaluation by default: ``eval    10000 steps  mean reward 0.912 +/-
    0.031  (best so far)``, the mean and standard deviation of the episodes' returns (as ``EvalCallback``'s
    text under ``-v``).

    :param best: the mean is the best of the run so far (``best_model.zip`` was just saved).
    """
    values = np.asarray(rewards, dtype=float)
    line = f"eval {timesteps:>8} steps  mean reward {values.mean():.3f} +/- {values.std():.3f}"
    return line + ("  (best so far)" if best else "")


def save_model(model: Any, path: str | os.PathLike[str]) -> Path:
    """Save a model (an SB3 algorithm, a baseline: anything with ``save(path)``) atomically: a crash or
    Ctrl-C leaves the old file or the new one, never half of one."""
    return atomic_save(path, model.save)


def save_checkpoint(model: BaseAlgorithm, run_dir: Path, replay_buffer: bool = True) -> Path:
    """Save a checkpoint at the model's timestep count, and (off-policy, when ``replay_buffer``) its replay
    buffer, keeping only the latest buffer.

    :param run_dir: the run folder; the files go to its ``checkpoints/``.
    :param replay_buffer: also save the replay buffer (at the end and on interruption; with periodic
        checkpoints only under ``--save-replay-buffer``: it can weigh hundreds of MB).
    :returns: the path of the model checkpoint.
    """
    run = RunFolder(run_dir)
    saved = save_model(model, run.checkpoint(model.num_timesteps))
    if replay_buffer and isinstance(model, OffPolicyAlgorithm) and model.replay_buffer is not None:
        buffer = atomic_save(
            run.checkpoint(model.num_timesteps, replay_buffer=True), model.save_replay_buffer
        )
        for older in run.replay_buffers():
            if older != buffer:
                older.unlink(missing_ok=True)
    return saved


class Crossings:
    """Whether the timestep count has crossed a new multiple of ``every`` since the last time it did.

    One collection step advances the count by ``n_envs``, and an on-policy rollout may run past the
    requested total: counting calls (SB3's ``n_calls % freq``) then fires far too often. Here a multiple
    fires once, whatever the step size, and none past ``limit``.

    :param every: env steps between two events (``<= 0``: never).
    :param limit: the last timestep count whose multiples fire (None: no limit).
    """

    def __init__(self, every: int, limit: int | None = None) -> None:
        self.every, self.limit, self.done = every, limit, 0

    def start(self, num_timesteps: int) -> None:
        """Count the multiples up to ``num_timesteps`` as done (a fresh or a resumed run)."""
        self.done = num_timesteps // self.every if self.every > 0 else 0

    def due(self, num_timesteps: int) -> bool:
        """True once for each new multiple crossed (several crossed in one step fire once)."""
        if self.every <= 0:
            return False
        reached = (num_timesteps if self.limit is None else min(num_timesteps, self.limit)) // self.every
        if reached > self.done:
            self.done = reached
            return True
        return False


class AtomicCheckpointCallback(BaseCallback):
    """Checkpoint each time the timestep count crosses a multiple of ``save_freq``, atomically.

    :param save_freq: env steps between checkpoints (any ``n_envs``); ``<= 0`` saves none here.
    :param run_dir: the run folder.
    :param n_timesteps: the run's total; no periodic checkpoint past it (None: no limit).
    :param save_replay_buffer: save the replay buffer with each periodic checkpoint too.
    """

    def __init__(
        self,
        save_freq: int,
        run_dir: Path,
        n_timesteps: int | None = None,
        save_replay_buffer: bool = False,
        verbose: int = 0,
    ) -> None:
        super().__init__(verbose)
        self.save_freq = save_freq
        self.run_dir = run_dir
        self.save_replay_buffer = save_replay_buffer
        self.crossings = Crossings(save_freq, n_timesteps)

    def _on_training_start(self) -> None:
        self.crossings.start(self.model.num_timesteps)

    def _on_step(self) -> bool:
        if self.crossings.due(self.model.num_timesteps):
            path = save_checkpoint(self.model, self.run_dir, replay_buffer=self.save_replay_buffer)
            if self.verbose >= 1:
                print(f"Saving checkpoint to {path}")
        return True


class AtomicEvalCallback(EvalCallback):
    """SB3's ``EvalCallback`` evaluating when the timestep count crosses a multiple of ``eval_freq``, with
    ``evaluations.npz`` and ``best_model.zip`` appearing atomically.

    SB3 evaluates every ``eval_freq`` calls and writes its files directly; here a multiple of ``eval_freq``
    env steps triggers one evaluation (:class:`Crossings`), the files are written in a staging folder
    inside the run folder and each is moved into place with ``os.replace`` after the evaluation. On
    resume, the earlier evaluations are loaded so the file keeps the whole history and the best model is
    only replaced by a better one.

    :param eval_env: the evaluation env.
    :param run_dir: the run folder.
    :param eval_freq: env steps between evaluations (any ``n_envs``); ``<= 0``: none.
    :param n_timesteps: the run's total; no evaluation for a multiple past it (None: no limit).
    :param on_evaluation: called as ``on_evaluation(timesteps, mean_reward)`` after each evaluation, once
        its files are in place (e.g. a sweep reporting to Ray Tune).
    :param print_line: print one line on stdout after each evaluation (:func:`evaluation_line`):
        ``train.py``'s default output, where ``verbose`` is 0 (SB3's own text is for ``-v``). It changes
        nothing else.
    :param kwargs: the other ``EvalCallback`` arguments.
    """

    def __init__(
        self,
        eval_env: VecEnv,
        run_dir: Path,
        eval_freq: int = 10_000,
        n_timesteps: int | None = None,
        on_evaluation: Callable[[int, float], None] | None = None,
        print_line: bool = False,
        **kwargs: Any,
    ) -> None:
        self.run_dir = run_dir
        self.on_evaluation = on_evaluation
        self.print_line = print_line
        self.staging = RunFolder(run_dir).staging
        self.crossings = Crossings(eval_freq, n_timesteps)
        super().__init__(
            eval_env,
            best_model_save_path=str(self.staging),
            log_path=str(self.staging),
            eval_freq=1,  # every call reaches _on_step; self.crossings decides
            **kwargs,
        )
        previous = RunFolder(run_dir).evaluations
        if previous.is_file():
            with np.load(previous) as history:
                self.evaluations_timesteps = history["timesteps"].tolist()
                self.evaluations_results = history["results"].tolist()
                self.evaluations_length = history["ep_lengths"].tolist()
            if self.evaluations_results and RunFolder(run_dir).best_model.is_file():
                self.best_mean_reward = float(max(np.mean(results) for results in self.evaluations_results))

    def _on_training_start(self) -> None:
        super()._on_training_start()
        self.crossings.start(self.model.num_timesteps)

    def _staged_names(self) -> tuple[str, str]:
        """The files an evaluation writes, in the order SB3 writes them."""
        return EVALUATIONS_FILE, RunFolder(self.run_dir).best_model.name

    def _on_step(self) -> bool:
        if not self.crossings.due(self.model.num_timesteps):
            return True
        best_before = self.best_mean_reward
        try:
            continue_training = super()._on_step()
        except WriteError:  # progress.csv or the events, named by their writers
            raise
        except OSError as error:
            # SB3 writes evaluations.npz, then best_model.zip: the last one staged is the one that failed.
            failed = [name for name in self._staged_names() if (self.staging / name).exists()]
            raise WriteError.of(error, self.run_dir / (failed or [EVALUATIONS_FILE])[-1]) from error
        for name in self._staged_names():
            if (self.staging / name).is_file():
                with writing(self.run_dir / name):
                    os.replace(self.staging / name, self.run_dir / name)
        if self.print_line:  # log_path is set: the last results are this evaluation's episodes
            best = self.best_mean_reward > best_before
            print(evaluation_line(self.num_timesteps, self.evaluations_results[-1], best), flush=True)
        if self.on_evaluation is not None:
            self.on_evaluation(int(self.model.num_timesteps), float(self.last_mean_reward))
        return continue_training


class ResumableCSVOutputFormat(CSVOutputFormat):
    """SB3's CSV writer that continues an existing ``progress.csv`` (on ``--resume``) instead of truncating,
    with one row per timestep count.

    SB3 dumps twice at one timestep count when an evaluation falls on a logging step (EvalCallback dumps
    its own row); here the second dump is merged into the row of the first, so the
    ``time/total_timesteps`` column increases strictly.

    :param filename: the CSV file.
    """

    def __init__(self, filename: str) -> None:
        previous = Path(filename).read_text() if Path(filename).is_file() else ""
        with writing(filename):
            if previous.strip():
                # Continue the file where it ends: truncating it and writing it again (SB3 opens it "w+")
                # would lose it to a kill or a full disk in between.
                super().__init__(os.devnull)
                self.file.close()
                self.file = open(filename, "r+")  # noqa: SIM115 - closed by close()
                self.file.seek(0, os.SEEK_END)
                if not previous.endswith("\n"):
                    self.file.write("\n")
                    self.file.flush()
            else:
                super().__init__(filename)
        self._last_timestep: Any = None
        self._last_values: dict[str, Any] = {}
        self._last_start = 0
        if previous.strip():
            self.keys = previous.splitlines()[0].split(self.separator)

    def write(
        self, key_values: dict[str, Any], key_excluded: dict[str, tuple[str, ...]], step: int = 0
    ) -> None:
        with writing(self.file.name):
            self._write(key_values, key_excluded, step)

    def close(self) -> None:
        with writing(self.file.name):
            super().close()

    def _write(self, key_values: dict[str, Any], key_excluded: dict[str, tuple[str, ...]], step: int) -> None:
        values = filter_excluded_keys(key_values, key_excluded, "csv")
        timestep = values.get(TIMESTEPS_KEY)
        if timestep is not None and timestep == self._last_timestep:
            values = {**self._last_values, **values}
            self.file.seek(self._last_start)
            self.file.truncate()
        self.file.seek(0, os.SEEK_END)
        start = self.file.tell()
        rewrites_header = bool(values.keys() - set(self.keys))
        super().write(values, {}, step)
        if rewrites_header:  # SB3 rewrote the file with the new columns: find the last row again
            self.file.seek(0)
            lines = self.file.readlines()
            start = sum(len(line.encode()) for line in lines[:-1])
            self.file.seek(0, os.SEEK_END)
        self._last_timestep, self._last_values, self._last_start = timestep, values, start


__all__ = [
    "AtomicCheckpointCallback",
    "AtomicEvalCallback",
    "Crossings",
    "ResumableCSVOutputFormat",
    "evaluation_line",
    "save_checkpoint",
    "save_model",
]
