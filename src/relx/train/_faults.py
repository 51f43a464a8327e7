"""Named fault points for the kill tests (tests/train/test_kill_resume.py).

``RELX_TEST_KILL_AT=<point>:<n>`` makes the process SIGKILL itself the ``n``-th time it
reaches ``<point>`` (1-based), so a test can kill ``relx train`` at an exact instant inside a
checkpoint save instead of hoping a random timer lands there. Unset (always, outside
tests), :func:`fault_point` is a dictionary lookup and nothing else.
"""

from __future__ import annotations

import os
import signal

__all__ = ["FAULT_ENV", "fault_point"]

FAULT_ENV = "RELX_TEST_KILL_AT"
_counts: dict[str, int] = {}


def fault_point(name: str) -> None:
    """Kill this process here when the environment asks for it (module docstring)."""
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    point, _, nth = spec.rpartition(":")
    if point != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
