"""TorchRL as a client: ``GymEnv`` by id passes TorchRL's spec check and rolls out, with info keys read into
the rollout by ``set_info_dict_reader(default_info_dict_reader([...]))`` as TorchRL's docs show; a Gymnasium
vector env in same-step autoreset through ``GymWrapper``.

The info reader needs NumPy values (it reads ``value.dtype``; plain Python numbers fail) and the same keys on
every step (issue 23). ``GymWrapper`` takes vector envs whose autoreset mode is same-step or disabled: the
native vector env with ``autoreset_mode=SAME_STEP`` (its rollout equals the sync env's), not in its default
next-step mode.

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


@pytest.mark.parametrize("market_source", ["synthetic", "tier1"])
def test_torchrl_gym_wrapper_collects_from_the_native_vector_env_in_same_step_mode(
    market_source: str,
) -> None:
    """The native vector env in same-step autoreset (``autoreset_mode=`` among make_vec's env options: a
    vector entry point takes no vector_kwargs) is what GymWrapper takes; its rollout is the sync env's, step
    for step, and next-step mode stays refused by TorchRL (docs/clients.md)."""
    mode = gym.vector.AutoresetMode.SAME_STEP
    native = GymWrapper(
        gym.make_vec(
            "IoA-DDA-v0",
            4,
            vectorization_mode="vector_entry_point",
            autoreset_mode=mode,
            market_source=market_source,
        )
    )
    sync = GymWrapper(
        gym.make_vec(
            "IoA-DDA-v0",
            4,
            vectorization_mode="sync",
            vector_kwargs={"autoreset_mode": mode},
            market_source=market_source,
        )
    )
    rollouts = []
    for env in (native, sync):
        env.set_seed(0)
        torch.manual_seed(0)
        rollouts.append(env.rollout(80, break_when_any_done=False))
        env.close()
    got, expected = rollouts
    assert got.batch_size == torch.Size([4, 80])
    assert got["next", "done"].sum() >= 4, "expected several auctions to end and restart in the rollout"
    for key in (("next", "observation"), ("next", "reward"), ("next", "done"), "action"):
        assert torch.equal(got[key], expected[key]), key
    next_step = gym.make_vec("IoA-DDA-v0", num_envs=2, vectorization_mode="vector_entry_point")
    with pytest.raises((RuntimeError, AttributeError), match="autoreset_mode"):
        GymWrapper(next_step)
    next_step.close()
