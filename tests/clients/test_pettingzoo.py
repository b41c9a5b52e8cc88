"""PettingZoo as a client: its own test suite (``parallel_api_test``, ``parallel_seed_test``, the AEC
``api_test`` and ``seed_test``) on both multi-agent envs, imported as a user imports them
(``from ioa_gym.multiagent import leaders_v0, bidders_v0``).

PettingZoo is in the test extra, so this file runs in CI; skipped where the ``multiagent`` extra is missing.
"""

from __future__ import annotations

import pytest

pytest.importorskip("pettingzoo", reason="pip install 'ioa-gym[multiagent]'")

from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, seed_test  # noqa: E402

from ioa_gym.multiagent import bidders_v0, leaders_v0  # noqa: E402

ENVS = {
    "leaders_v0": (leaders_v0, {"max_slots": 10}),
    "bidders_v0": (bidders_v0, {"market_source": "synthetic"}),
}


@pytest.mark.parametrize("name", list(ENVS))
def test_pettingzoo_parallel_api_and_seed_tests(name: str) -> None:
    module, kwargs = ENVS[name]
    parallel_api_test(module.parallel_env(**kwargs), num_cycles=20)
    parallel_seed_test(lambda: module.parallel_env(**kwargs), num_cycles=10)


@pytest.mark.parametrize("name", list(ENVS))
def test_pettingzoo_aec_api_and_seed_tests(name: str) -> None:
    module, kwargs = ENVS[name]
    api_test(module.env(**kwargs), num_cycles=10)
    seed_test(lambda: module.env(**kwargs), num_cycles=10)
