"""Fixtures of the diagnose tests (builders live in ``_diagnose_zoo.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _diagnose_zoo import make_base, make_checkpoint, write_origin_runs  # noqa: E402


@pytest.fixture(scope="session")
def zoo(tmp_path_factory) -> dict[str, Path]:
    """name -> checkpoint directory; built once per session."""
    root = tmp_path_factory.mktemp("zoo")
    base = make_base(root / "base", pad_token_id=0)
    base_pad5 = make_base(root / "base_pad5", pad_token_id=5)
    out = {
        "base": base,
        "healthy": make_checkpoint(root / "healthy", base),
        "untrained": make_checkpoint(root / "untrained", base, train=False),
        "head_not_saved": make_checkpoint(root / "head_not_saved", base, modules_to_save=None),
        "pad_mismatch": make_checkpoint(root / "pad_mismatch", base_pad5),
        "added_tokens": make_checkpoint(root / "added_tokens", base, add_tokens=("[E1]", "[/E1]")),
        "added_tokens_saved": make_checkpoint(
            root / "added_tokens_saved", base, add_tokens=("[E1]", "[/E1]"), save_embeddings=True
        ),
        "pickled": make_checkpoint(root / "pickled", base),
    }
    torch.save({"best_global_step": 5, "best_metric": 0.41, "epoch": 1.0},
               out["pickled"] / "trainer_state.pt")
    return out



@pytest.fixture()
def origin_runs(tmp_path) -> tuple[Path, Path, Path]:
    """(run_a, run_b, val.json) written by :func:`write_origin_runs`."""
    return write_origin_runs(tmp_path / "origin")
