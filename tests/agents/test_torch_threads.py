"""torch's thread count survives the envs' compiled kernels.

Under numba's OpenMP threading layer, the start of numba's thread pool (the first ``prange`` call, e.g. a
native vector env's first reset on Tier-1 markets) sets OpenMP's thread count of the calling thread to the
pool's size, which torch reads as its own: a ``torch.set_num_threads(1)`` made before became 2 on our
2-core machine, doubling PPO's CPU time. ``agents.common.cli.set_torch_threads`` starts the pool first. Each
case runs in a fresh interpreter, since the pool starts once per process.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SCRIPT = """
import sys
import gymnasium as gym
import torch
import ioa_gym

if sys.argv[1] == "agents":
    from agents.common.cli import set_torch_threads

    set_torch_threads(1)
else:
    torch.set_num_threads(1)
# torch in use before the envs start their pool (torch's ops read its count, as this does; without a read
# before, numba's start happens not to override it)
assert torch.get_num_threads() == 1
envs = gym.make_vec("IoA-DDA-v0", 64, vectorization_mode="vector_entry_point")
envs.reset(seed=0)
envs.step(envs.action_space.sample())
import numba
print(numba.threading_layer(), numba.get_num_threads(), torch.get_num_threads())
"""


def run(how: str) -> tuple[str, int, int]:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, how], capture_output=True, text=True, check=True, env=dict(os.environ)
    ).stdout.split()
    layer, pool, threads = out[-3:]
    return layer, int(pool), int(threads)


def test_set_torch_threads_survives_the_first_parallel_kernel() -> None:
    layer, pool, threads = run("agents")
    assert threads == 1, (
        f"torch threads became {threads} after numba's pool started ({layer}, {pool} threads)"
    )


def test_the_problem_exists_where_numba_uses_openmp() -> None:
    """The case the fix is for: plain ``torch.set_num_threads(1)`` before the pool starts is overridden under
    OpenMP with more than one core (if this stops failing, numba or torch changed and the note can go)."""
    layer, pool, threads = run("torch")
    if layer != "omp" or pool < 2:
        pytest.skip(
            f"numba's threading layer is {layer} with {pool} threads: the override needs OpenMP, >= 2"
        )
    assert threads == pool
