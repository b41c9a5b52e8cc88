"""Shared fixtures. The torch tests request ``one_torch_thread`` (``pytestmark``); the economics tests
never import torch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def one_torch_thread() -> Iterator[None]:
    """Tiny networks on shared CPU cores: one torch thread is many times faster than several. Session
    scope, so that module-scoped model fixtures run under it too; the setting is restored at the end."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
