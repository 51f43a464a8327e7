"""Early stopping and the best-checkpoint rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _train_helpers import tiny_setup

from relx import rundir
from relx.train import load_config, read_metrics, train




def test_loop_early_stopping_after_patience(tmp_path: Path) -> None:
    raw = tiny_setup(tmp_path, n_docs=12)
    # lr ~0: the validation loss cannot improve, so training stops after `patience` evals
    # without improvement; the best checkpoint stays at the first evaluation.
    config = load_config(
        raw,
        [
            "train.lr=1e-12",
            "train.select_metric=f1",
            "train.eval_every_steps=1",
            "train.early_stopping_patience=2",
            "train.epochs=3",
        ],
    )
    summary = train(config, run_dir=tmp_path / "run", progress=False)
    evals = [e for e in read_metrics(tmp_path / "run") if e["event"] == "eval"]
    assert summary["stopped_early"] is True
    assert [e["step"] for e in evals] == [1, 2, 3]
    assert summary["global_step"] == 3 < summary["total_steps"]
    assert summary["best"]["step"] == 1
    best = json.loads((tmp_path / "run" / rundir.DIR_BEST / rundir.CHECKPOINT_META_FILE).read_text())
    assert best["step"] == 1
    assert (tmp_path / "run" / rundir.COMPLETE_MARKER).is_file()


def test_loop_truncation_warning_recorded(tmp_path: Path) -> None:
    from relx.errors import RelxWarning

    raw = tiny_setup(tmp_path, n_docs=8)
    config = load_config(raw, ["represent.max_length_tokens=40", "train.max_steps=1"])
    with pytest.warns(RelxWarning, match=r"max_length_tokens=40 truncates \d+/\d+"):
        summary = train(config, run_dir=tmp_path / "run", progress=False)
    assert summary["truncated"]["train"] > 0
    resolved = load_config(tmp_path / "run" / rundir.CONFIG_FILE)
    assert any(n.startswith("warning: represent.max_length_tokens=40") for n in resolved.notes)
    assert summary["global_step"] == 1
