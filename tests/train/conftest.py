"""Fixtures of the training tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    """One torch thread: CPU training is then bit-deterministic and does not oversubscribe
    the 2-core CI machine (resume, accumulation and DDP tests compare runs exactly)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
