"""TorchRL as a client: ``GymEnv`` by id passes TorchRL's spec check and rolls out, with info keys read into
the rollout by ``set_info_dict_reader(default_info_dict_reader([...]))`` as TorchRL's docs show; a Gymnasium
vector env in same-step autoreset through ``GymWrapper``.

The info reader needs NumPy values (it reads ``value.dtype``; plain Python numbers fail) and the same keys on
every step (issue 23). Known limit, kept true by the last test: ``GymWrapper`` takes vector envs whose
autoreset mode is same-step or disabled, and the native vector env autoresets in next-step mode only.

Runs where TorchRL is installed (``scripts/check_clients.sh``); skipped elsewhere.
"""

from __future__ import annotations

import gymnasium as gym
import pytest

pytest.importorskip("torchrl", reason="pip install torchrl")

import torch  # noqa: E402
from torchrl.data import Unbounded  # noqa: E402
from torchrl.envs import GymEnv, GymWrapper  # noqa: E402
from torchrl.envs.libs.gym import default_info_dict_reader  # noqa: E402
from torchrl.envs.utils import check_env_specs  # noqa: E402

import ioa_gym  # noqa: E402, F401  (registers the environments)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

STEPS = 120
INFO_DTYPES = {
    "round": torch.int64,
    "buyer_price": torch.float64,
    "seller_price": torch.float64,
    "clearing_price": torch.float64,
    "efficiency": torch.float64,
}
INFO_KEYS = list(INFO_DTYPES)


@pytest.mark.parametrize("env_id", ["IoA-DDA-v0", "IoA-DDA-DoubleClock-v0", "IoA-Stackelberg-v0"])
def test_torchrl_gym_env_passes_its_spec_check_and_rolls_out(env_id: str) -> None:
    env = GymEnv(env_id)
    env.set_seed(0)
    check_env_specs(env)
    rollout = env.rollout(STEPS, break_when_any_done=False)
    assert rollout.batch_size == torch.Size([STEPS])
    assert torch.isfinite(rollout["next", "reward"]).all()
    assert rollout["next", "done"].any(), f"no episode ended in {STEPS} steps"
    env.close()


@pytest.mark.parametrize("with_spec", [False, True], ids=["inferred-spec", "given-spec"])
def test_torchrl_info_dict_reader_reads_info_keys_into_the_rollout(with_spec: bool) -> None:
    env = GymEnv("IoA-DDA-v0")
    if with_spec:  # as docs/clients.md shows: with the dtypes given, TorchRL's spec check passes too
        specs = {key: Unbounded(shape=(), dtype=dtype) for key, dtype in INFO_DTYPES.items()}
        env.set_info_dict_reader(default_info_dict_reader(INFO_KEYS, spec=specs))
        check_env_specs(env)
    else:
        env.set_info_dict_reader(default_info_dict_reader(INFO_KEYS))
    env.set_seed(0)
    rollout = env.rollout(STEPS, break_when_any_done=False)
    done = rollout["next", "done"].squeeze(-1)
    assert done.any(), f"no episode ended in {STEPS} steps"
    for key in INFO_KEYS:
        values = rollout["next", key]
        assert values.shape[0] == STEPS and values.dtype != torch.bool, key
        if with_spec:
            assert values.dtype == INFO_DTYPES[key], key
    rounds = rollout["next", "round"].reshape(STEPS)
    assert (rounds >= 1).all()
    efficiency = rollout["next", "efficiency"].reshape(STEPS)[done]
    assert torch.isfinite(efficiency).all() and (efficiency <= 1 + 1e-9).all()
    env.close()


def test_torchrl_gym_wrapper_takes_a_same_step_vector_env() -> None:
    vector = gym.make_vec(
        "IoA-DDA-v0",
        num_envs=2,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP},
    )
    env = GymWrapper(vector)
    env.set_seed(0)
    rollout = env.rollout(60, break_when_any_done=False)
    assert rollout.batch_size == torch.Size([2, 60])
    assert rollout["next", "done"].any()
    env.close()


def test_torchrl_gym_wrapper_refuses_the_native_vector_env() -> None:
    """The documented limit (docs/clients.md): if this starts failing, the native vector env has gained a
    mode TorchRL takes; update the page."""
    vector = gym.make_vec("IoA-DDA-v0", num_envs=2, vectorization_mode="vector_entry_point")
    with pytest.raises((RuntimeError, AttributeError), match="autoreset_mode"):
        GymWrapper(vector)
    vector.close()
