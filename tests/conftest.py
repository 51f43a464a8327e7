"""Makes ``tests/tiny_models.py`` importable from every test folder; no test leaks a run lock."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def _release_run_locks() -> Iterator[None]:
    """Release the run-directory locks a test left held in this process (relx/_lock.py).

    A test that starts a run and stops without finishing it keeps the lock, and a later
    test's Ctrl-C message would name that run as the one left unfinished.
    """
    yield
    from relx._lock import held_locks, release_directory

    for held in held_locks():
        release_directory(held.directory)
