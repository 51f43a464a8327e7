"""Fixtures of the evaluate tests (helpers live in ``_evaluate_helpers``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from _evaluate_helpers import make_cv_dir, make_run_dir


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return make_run_dir(tmp_path / "run")


@pytest.fixture
def cv_dir(tmp_path: Path) -> Path:
    return make_cv_dir(tmp_path / "cv")
