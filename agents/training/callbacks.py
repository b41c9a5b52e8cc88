"""Checkpoints, evaluations and the CSV log of a training run, written so that a crash or Ctrl-C never
leaves a partial file under a final name: SB3's checkpoint and evaluation callbacks with every file saved
through :func:`~agents.common.files.atomic_save` (or moved into place with ``os.replace``), and SB3's CSV
writer continuing ``progress.csv`` on ``--resume`` instead of truncating it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback, EvalCallback
from stable_baselines3.common.logger import CSVOutputFormat
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from agents.common.files import atomic_save
from agents.registry import BEST_MODEL, CHECKPOINT_DIR, CHECKPOINT_PREFIX, checkpoint_path
from agents.training.config import EVALUATIONS_FILE, STAGING_DIR


def save_checkpoint(model: BaseAlgorithm, run_dir: Path) -> Path:
    """Save a checkpoint at the model's timestep count (and, off-policy, its replay buffer: latest only).

    :param run_dir: the run folder; the files go to its ``checkpoints/``.
    :returns: the path of the model checkpoint.
    """
    saved = atomic_save(checkpoint_path(run_dir, model.num_timesteps), model.save)
    if isinstance(model, OffPolicyAlgorithm) and model.replay_buffer is not None:
        buffer = atomic_save(
            checkpoint_path(run_dir, model.num_timesteps, replay_buffer=True), model.save_replay_buffer
        )
        for older in (run_dir / CHECKPOINT_DIR).glob(f"{CHECKPOINT_PREFIX}_replay_buffer_*_steps.pkl"):
            if older != buffer:
                older.unlink(missing_ok=True)
    return saved


class AtomicCheckpointCallback(BaseCallback):
    """Checkpoint every ``save_freq`` calls (one call = one step of every env), atomically.

    :param save_freq: calls between checkpoints; ``<= 0`` saves none here.
    :param run_dir: the run folder.
    """

    def __init__(self, save_freq: int, run_dir: Path, verbose: int = 0) -> None:
        super().__init__(verbose)
        self.save_freq = save_freq
        self.run_dir = run_dir

    def _on_step(self) -> bool:
        if self.save_freq > 0 and self.n_calls % self.save_freq == 0:
            path = save_checkpoint(self.model, self.run_dir)
            if self.verbose >= 1:
                print(f"Saving checkpoint to {path}")
        return True


class AtomicEvalCallback(EvalCallback):
    """SB3's ``EvalCallback`` whose ``evaluations.npz`` and ``best_model.zip`` appear atomically.

    SB3 writes them directly; here it writes them in a staging folder inside the run folder, and each is
    moved into place with ``os.replace`` after the evaluation. On resume, the earlier evaluations are loaded
    so the file keeps the whole history and the best model is only replaced by a better one.

    :param eval_env: the evaluation env.
    :param run_dir: the run folder.
    :param kwargs: the other ``EvalCallback`` arguments.
    """

    def __init__(self, eval_env: VecEnv, run_dir: Path, **kwargs: Any) -> None:
        self.run_dir = run_dir
        self.staging = run_dir / STAGING_DIR
        super().__init__(
            eval_env, best_model_save_path=str(self.staging), log_path=str(self.staging), **kwargs
        )
        previous = run_dir / EVALUATIONS_FILE
        if previous.is_file():
            with np.load(previous) as history:
                self.evaluations_timesteps = history["timesteps"].tolist()
                self.evaluations_results = history["results"].tolist()
                self.evaluations_length = history["ep_lengths"].tolist()
            if self.evaluations_results and (run_dir / f"{BEST_MODEL}.zip").is_file():
                self.best_mean_reward = float(max(np.mean(results) for results in self.evaluations_results))

    def _on_step(self) -> bool:
        continue_training = super()._on_step()
        for name in (EVALUATIONS_FILE, f"{BEST_MODEL}.zip"):
            if (self.staging / name).is_file():
                os.replace(self.staging / name, self.run_dir / name)
        return continue_training


class ResumableCSVOutputFormat(CSVOutputFormat):
    """SB3's CSV writer that continues an existing ``progress.csv`` (on ``--resume``) instead of truncating.

    :param filename: the CSV file.
    """

    def __init__(self, filename: str) -> None:
        previous = Path(filename).read_text() if Path(filename).is_file() else ""
        super().__init__(filename)
        if previous.strip():
            self.keys = previous.splitlines()[0].split(self.separator)
            self.file.write(previous if previous.endswith("\n") else previous + "\n")
            self.file.flush()


__all__ = ["AtomicCheckpointCallback", "AtomicEvalCallback", "ResumableCSVOutputFormat", "save_checkpoint"]
